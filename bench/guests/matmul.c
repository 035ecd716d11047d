// Benchmark kernel: 256x256 float matrix multiply, built both for wasm32-wasi and natively.
// Prints the best time of several repetitions (after a warm-up) in microseconds, and a checksum.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N 256
static float a[N][N], b[N][N], c[N][N];

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

__attribute__((noinline)) static void matmul(void) {
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) c[i][j] = 0;
  for (int i = 0; i < N; ++i)
    for (int k = 0; k < N; ++k) {
      float aik = a[i][k];
      for (int j = 0; j < N; ++j) c[i][j] += aik * b[k][j];
    }
}

int main(int argc, char** argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 10;
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) {
      a[i][j] = (float)((i * 7 + j * 3) % 17) / 17.0f;
      b[i][j] = (float)((i * 5 + j * 11) % 13) / 13.0f;
    }
  // Warm up for 200 ms: the engine's background optimizing compiler finishes meanwhile.
  for (double start = now_us(); now_us() - start < 200e3;) matmul();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t0 = now_us();
    matmul();
    double t = now_us() - t0;
    if (t < best) best = t;
  }
  double sum = 0;
  for (int i = 0; i < N; ++i) sum += c[i][i];
  printf("matmul_us %.1f checksum %.3f\n", best, sum);
  return 0;
}
