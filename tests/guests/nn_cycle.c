// Guest: one WASI-NN life cycle, for the soak host (bench/soak.cc) that runs it thousands of times
// in one process. Exit 0 when every call succeeded, 1 (with FAIL: on stderr) otherwise.
//
//   nn_cycle.wasm bytes FILE FLOATS       load FILE's bytes (autodetect), one compute on an
//                                         f32 [1, FLOATS] input of zeros, read output 0, unload
//   nn_cycle.wasm bytes-after-fds FILE FLOATS   the same with no file descriptor left (it fails),
//                                         then again once they are closed (it works)
//   nn_cycle.wasm contexts FILE ROWS COLS N   N contexts, each with a [ROWS, COLS] input, computed
//   nn_cycle.wasm llm NAME CONFIG TOKENS  load_by_name_with_config, stream TOKENS tokens,
//                                         finalize the context, unload
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_check.h"
#include "wasi_nn.h"

static uint8_t output[1 << 16];

static uint8_t* read_model(const char* path, uint32_t* size) {
  FILE* f = fopen(path, "rb");
  REQUIRE(f != NULL, path);
  REQUIRE(fseek(f, 0, SEEK_END) == 0, "seek");
  *size = (uint32_t)ftell(f);
  rewind(f);
  uint8_t* model = malloc(*size);
  REQUIRE(fread(model, 1, *size, f) == *size, "read the model");
  fclose(f);
  return model;
}

static void bytes_cycle(const char* path, uint32_t floats) {
  uint32_t size = 0;
  uint8_t* model = read_model(path, &size);
  graph_builder builder = {model, size};
  graph g;
  graph_execution_context c;
  REQUIRE(
      wasi_nn_load(&builder, 1, WASI_NN_ENCODING_AUTODETECT_WASMEDGE, WASI_NN_TARGET_CPU, &g) == 0,
      "load");
  free(model);
  REQUIRE(wasi_nn_init_execution_context(g, &c) == 0, "init_execution_context");
  float* input = calloc(floats, sizeof(float));
  uint32_t dims[2] = {1, floats}, written = 0;
  tensor t = {dims, 2, WASI_NN_TYPE_F32, (const uint8_t*)input, floats * 4};
  REQUIRE(wasi_nn_set_input(c, 0, &t) == 0, "set_input");
  REQUIRE(wasi_nn_compute(c) == 0, "compute");
  REQUIRE(wasi_nn_get_output(c, 0, output, sizeof output, &written) == 0 && written > 0,
          "get_output");
  free(input);
  REQUIRE(wasi_nn_finalize_execution_context(c) == 0, "finalize_execution_context");
  REQUIRE(wasi_nn_unload(g) == 0, "unload");
}

static void llm_cycle(const char* name, const char* config, int tokens) {
  graph g;
  graph_execution_context c;
  REQUIRE(wasi_nn_load_by_name_with_config(name, (uint32_t)strlen(name), config,
                                           (uint32_t)strlen(config), &g) == 0,
          "load_by_name_with_config");
  REQUIRE(wasi_nn_init_execution_context(g, &c) == 0, "init_execution_context");
  static const char prompt[] = "Once upon a time";
  uint32_t dim = sizeof prompt - 1, written = 0;
  tensor t = {&dim, 1, WASI_NN_TYPE_U8, (const uint8_t*)prompt, dim};
  REQUIRE(wasi_nn_set_input(c, 0, &t) == 0, "set_input");
  for (int i = 0; i < tokens; ++i) {
    REQUIRE(wasi_nn_compute_single(c) == 0, "compute_single");
    REQUIRE(wasi_nn_get_output_single(c, 0, output, sizeof output, &written) == 0,
            "get_output_single");
  }
  REQUIRE(wasi_nn_fini_single(c) == 0, "fini_single");
  REQUIRE(wasi_nn_finalize_execution_context(c) == 0, "finalize_execution_context");
  REQUIRE(wasi_nn_unload(g) == 0, "unload");
}

// With every file descriptor of the process taken by open files (the host's too: a guest's
// files are the host's), a load fails with what it ran out of; once they are closed, loads work
// again (nothing was marked broken meanwhile).
static void bytes_after_fds(const char* path, uint32_t floats) {
  uint32_t size = 0;
  uint8_t* model = read_model(path, &size);
  static FILE* held[1 << 16];
  int n = 0;
  while (n < (int)(sizeof held / sizeof held[0]) && (held[n] = fopen(path, "rb")) != NULL) ++n;
  REQUIRE(n < (int)(sizeof held / sizeof held[0]), "run out of file descriptors");
  graph_builder builder = {model, size};
  graph g;
  const int code =
      wasi_nn_load(&builder, 1, WASI_NN_ENCODING_AUTODETECT_WASMEDGE, WASI_NN_TARGET_CPU, &g);
  for (int i = 0; i < n; ++i) fclose(held[i]);
  free(model);
  printf("load with no file descriptor left: error %d\n", code);
  REQUIRE(code != 0, "a load without file descriptors fails");
  bytes_cycle(path, floats);
  printf("load after closing them: ok\n");
}

// N contexts of FILE's model, each given an f32 [ROWS, COLS] input of zeros and computed: prints
// how far it got ("contexts: K of N, then set_input/compute error E"), for memory budget tests.
static void contexts(const char* path, uint32_t rows, uint32_t cols, int n) {
  uint32_t size = 0;
  uint8_t* model = read_model(path, &size);
  graph_builder builder = {model, size};
  graph g;
  REQUIRE(
      wasi_nn_load(&builder, 1, WASI_NN_ENCODING_AUTODETECT_WASMEDGE, WASI_NN_TARGET_CPU, &g) == 0,
      "load");
  free(model);
  float* input = calloc((size_t)rows * cols, sizeof(float));
  REQUIRE(input != NULL, "input");
  uint32_t dims[2] = {rows, cols};
  tensor t = {dims, 2, WASI_NN_TYPE_F32, (const uint8_t*)input, rows * cols * 4};
  for (int k = 0; k < n; ++k) {
    graph_execution_context c;
    REQUIRE(wasi_nn_init_execution_context(g, &c) == 0, "init_execution_context");
    int code = wasi_nn_set_input(c, 0, &t);
    const char* what = "set_input";
    if (code == 0) {
      code = wasi_nn_compute(c);
      what = "compute";
    }
    if (code != 0) {
      printf("contexts: %d of %d, then %s error %d\n", k, n, what, code);
      return;
    }
  }
  printf("contexts: %d of %d\n", n, n);
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "bytes") == 0) {
    bytes_cycle(argv[2], (uint32_t)atoi(argv[3]));
  } else if (argc == 6 && strcmp(argv[1], "contexts") == 0) {
    contexts(argv[2], (uint32_t)atoi(argv[3]), (uint32_t)atoi(argv[4]), atoi(argv[5]));
  } else if (argc == 4 && strcmp(argv[1], "bytes-after-fds") == 0) {
    bytes_after_fds(argv[2], (uint32_t)atoi(argv[3]));
  } else if (argc == 5 && strcmp(argv[1], "llm") == 0) {
    llm_cycle(argv[2], argv[3], atoi(argv[4]));
  } else {
    guest_fail(
        "usage",
        "bytes FILE FLOATS | bytes-after-fds FILE FLOATS | contexts FILE ROWS COLS N | llm NAME "
        "CONFIG TOKENS");
  }
  return 0;
}
