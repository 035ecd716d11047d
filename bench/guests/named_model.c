// Benchmark guest: loads the host's named model argv[1] and runs one inference on an f32 input
// of shape [1, argv[2]]; then times load_by_name on the already loaded model (argv[3] calls).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasi_nn.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: named_model.wasm NAME WIDTH [CALLS]\n");
    return 2;
  }
  const char* name = argv[1];
  uint32_t width = (uint32_t)atoi(argv[2]);
  int calls = argc > 3 ? atoi(argv[3]) : 100000;
  graph g;
  double t0 = now_ns();
  if (wasi_nn_load_by_name(name, strlen(name), &g) != 0) return 1;
  double first_ns = now_ns() - t0;
  graph_execution_context ctx;
  if (wasi_nn_init_execution_context(g, &ctx) != 0) return 1;
  float* input = calloc(width, sizeof(float));
  float* output = malloc(1 << 20);
  uint32_t dims[2] = {1, width};
  tensor t = {dims, 2, WASI_NN_TYPE_F32, (const uint8_t*)input, width * 4};
  uint32_t written;
  if (wasi_nn_set_input(ctx, 0, &t) != 0 || wasi_nn_compute(ctx) != 0 ||
      wasi_nn_get_output(ctx, 0, (uint8_t*)output, 1 << 20, &written) != 0) {
    return 1;
  }
  t0 = now_ns();
  for (int i = 0; i < calls; ++i) {
    if (wasi_nn_load_by_name(name, strlen(name), &g) != 0) return 1;
  }
  double loaded_ns = (now_ns() - t0) / calls;
  printf("first_load_by_name_us %.1f load_by_name_ns %.1f output_bytes %u\n", first_ns / 1e3,
         loaded_ns, written);
  return 0;
}
