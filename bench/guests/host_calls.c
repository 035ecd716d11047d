// Benchmark: cost of one wasm->host call through the binding layer, timed inside the guest.
// The call is WASI fd_prestat_get on stdout: a table lookup in the host, no syscall.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wasi/api.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char** argv) {
  int calls = argc > 1 ? atoi(argv[1]) : 2000000;
  __wasi_prestat_t prestat;
  // fd_prestat_get on a non-preopen fd: pure table lookup in the host, returns EBADF.
  for (int i = 0; i < 100000; ++i) (void)__wasi_fd_prestat_get(1, &prestat);  // warm-up
  double t0 = now_ns();
  for (int i = 0; i < calls; ++i) (void)__wasi_fd_prestat_get(1, &prestat);
  double per_call = (now_ns() - t0) / calls;
  printf("host_call_ns %.1f\n", per_call);
  return 0;
}
