// Demo guest: classifies the held-out 8x8 digits through WASI-NN and prints the accuracy.
//
//   nnwasm run --dir build/models::/models \
//       --nn-preload digits:onnx:auto:build/models/digits.onnx  digits.wasm /models
//   nnwasm run --dir build/models::/models digits.wasm /models /models/digits.onnx
//
// argv[1]: directory with digits_test_x.bin (f32 [N,64]) and digits_test_y.bin (u8 [N]).
// argv[2] (optional): a model file to load from bytes (encoding autodetect); without it the
// host's named model "digits" is used. Prints one line per summary, plus the predictions.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasi_nn.h"

static uint8_t* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long length = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t* data = malloc(length > 0 ? (size_t)length : 1);
  if (data != NULL && fread(data, 1, (size_t)length, f) != (size_t)length) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *size = (size_t)length;
  return data;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: digits.wasm DATA_DIR [MODEL_FILE]\n");
    return 2;
  }
  char path[512];
  size_t x_size = 0, y_size = 0;
  snprintf(path, sizeof path, "%s/digits_test_x.bin", argv[1]);
  float* x = (float*)read_file(path, &x_size);
  snprintf(path, sizeof path, "%s/digits_test_y.bin", argv[1]);
  uint8_t* y = read_file(path, &y_size);
  if (x == NULL || y == NULL || x_size != y_size * 64 * sizeof(float)) {
    fprintf(stderr, "cannot read the test set from %s (preopen it with --dir)\n", argv[1]);
    return 1;
  }
  size_t count = y_size;

  graph g;
  wasi_nn_error err;
  if (argc > 2) {
    size_t model_size = 0;
    uint8_t* model = read_file(argv[2], &model_size);
    if (model == NULL) {
      fprintf(stderr, "cannot read model %s\n", argv[2]);
      return 1;
    }
    graph_builder builder = {model, (uint32_t)model_size};
    err = wasi_nn_load(&builder, 1, WASI_NN_ENCODING_AUTODETECT_WASMEDGE, WASI_NN_TARGET_AUTO, &g);
    free(model);
  } else {
    err = wasi_nn_load_by_name("digits", 6, &g);
  }
  if (err != WASI_NN_SUCCESS) {
    fprintf(stderr, "loading the model failed: error %u\n", err);
    return 1;
  }
  graph_execution_context ctx;
  if ((err = wasi_nn_init_execution_context(g, &ctx)) != WASI_NN_SUCCESS) {
    fprintf(stderr, "init_execution_context failed: error %u\n", err);
    return 1;
  }

  uint32_t dims[2] = {1, 64};
  char* predictions = malloc(count + 1);
  size_t correct = 0;
  double start = now_us();
  for (size_t i = 0; i < count; ++i) {
    tensor input = {dims, 2, WASI_NN_TYPE_F32, (const uint8_t*)(x + i * 64), 64 * sizeof(float)};
    float logits[10];
    uint32_t written = 0;
    if ((err = wasi_nn_set_input(ctx, 0, &input)) != WASI_NN_SUCCESS ||
        (err = wasi_nn_compute(ctx)) != WASI_NN_SUCCESS ||
        (err = wasi_nn_get_output(ctx, 0, (uint8_t*)logits, sizeof logits, &written)) !=
            WASI_NN_SUCCESS) {
      fprintf(stderr, "inference %zu failed: error %u\n", i, err);
      return 1;
    }
    int best = 0;
    for (int k = 1; k < 10; ++k) {
      if (logits[k] > logits[best]) best = k;
    }
    predictions[i] = (char)('0' + best);
    correct += best == y[i];
  }
  double per_inference = (now_us() - start) / (double)count;
  predictions[count] = '\0';
  printf("digits: %zu/%zu correct, accuracy %.4f\n", correct, count, (double)correct / count);
  printf("per-inference time: %.1f us\n", per_inference);
  printf("predictions: %s\n", predictions);
  return 0;
}
