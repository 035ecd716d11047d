// Benchmark guest: loads the host's named model argv[1] (an image model taking f32
// [1,3,224,224]), runs 3 warm-up inferences, then times argv[2] inferences (set_input + compute
// + get_output each) and prints "per-inference time: X us" and the first output value.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasi_nn.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: conv_infer.wasm NAME [N]\n");
    return 2;
  }
  const char* name = argv[1];
  int n = argc > 2 ? atoi(argv[2]) : 50;
  enum { kElements = 3 * 224 * 224 };
  float* input = malloc(kElements * sizeof(float));
  for (int i = 0; i < kElements; ++i) input[i] = (float)(i % 251) / 251.0f;  // as the native run
  static float output[1 << 16];
  graph g;
  graph_execution_context ctx;
  if (wasi_nn_load_by_name(name, strlen(name), &g) != 0 ||
      wasi_nn_init_execution_context(g, &ctx) != 0) {
    fprintf(stderr, "cannot load model %s\n", name);
    return 1;
  }
  uint32_t dims[4] = {1, 3, 224, 224};
  tensor t = {dims, 4, WASI_NN_TYPE_F32, (const uint8_t*)input, kElements * sizeof(float)};
  float sum = 0;
  double start = 0;
  for (int i = 0; i < n + 3; ++i) {
    if (i == 3) start = now_us();
    uint32_t written = 0;
    wasi_nn_error err;
    if ((err = wasi_nn_set_input(ctx, 0, &t)) != 0 || (err = wasi_nn_compute(ctx)) != 0 ||
        (err = wasi_nn_get_output(ctx, 0, (uint8_t*)output, sizeof output, &written)) != 0) {
      fprintf(stderr, "inference %d failed: error %u\n", i, err);
      return 1;
    }
    sum += output[0];
  }
  printf("per-inference time: %.2f us (checksum %.4f)\n", (now_us() - start) / n, sum);
  return 0;
}
