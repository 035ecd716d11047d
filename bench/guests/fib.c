// Benchmark kernel: recursive Fibonacci (call-heavy), built both for wasm32-wasi and natively.
// Prints the best time of several repetitions (after a warm-up) in microseconds.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

__attribute__((noinline)) static int fib(int n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char** argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 5;
  volatile int n = 30;
  // Warm up for 200 ms: the engine's background optimizing compiler finishes meanwhile.
  int result = 0;
  for (double start = now_us(); now_us() - start < 200e3;) result = fib(n);
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t0 = now_us();
    result = fib(n);
    double t = now_us() - t0;
    if (t < best) best = t;
  }
  printf("fib_us %.1f result %d\n", best, result);
  return 0;
}
