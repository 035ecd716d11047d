// Guest: one WASI-NN life cycle, for the soak host (bench/soak.cc) that runs it thousands of times
// in one process. Exit 0 when every call succeeded, 1 (with FAIL: on stderr) otherwise.
//
//   nn_cycle.wasm bytes FILE FLOATS       load FILE's bytes (autodetect), one compute on an
//                                         f32 [1, FLOATS] input of zeros, read output 0, unload
//   nn_cycle.wasm llm NAME CONFIG TOKENS  load_by_name_with_config, stream TOKENS tokens,
//                                         finalize the context, unload
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_check.h"
#include "wasi_nn.h"

static uint8_t output[1 << 16];

static void bytes_cycle(const char* path, uint32_t floats) {
  FILE* f = fopen(path, "rb");
  REQUIRE(f != NULL, path);
  REQUIRE(fseek(f, 0, SEEK_END) == 0, "seek");
  const long size = ftell(f);
  rewind(f);
  uint8_t* model = malloc((size_t)size);
  REQUIRE(fread(model, 1, (size_t)size, f) == (size_t)size, "read the model");
  fclose(f);
  graph_builder builder = {model, (uint32_t)size};
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

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "bytes") == 0) {
    bytes_cycle(argv[2], (uint32_t)atoi(argv[3]));
  } else if (argc == 5 && strcmp(argv[1], "llm") == 0) {
    llm_cycle(argv[2], argv[3], atoi(argv[4]));
  } else {
    guest_fail("usage", "bytes FILE FLOATS | llm NAME CONFIG TOKENS");
  }
  return 0;
}
