// Guest: two contexts on one named LLM, only the second with "enable-log", to show that one
// guest's log switch is not another's (tests/backends/llama/llama_wasm_test.cc). Between the
// steps it writes markers to stderr, which the host's log lines interleave with in order:
//   [quiet: context A generates]  "--- loud" [B: enable-log, a new ctx-size (a new llama
//   context, which llama.cpp logs), generates]  "--- quiet again" [A: a new ctx-size,
//   generates]  "--- end"
//   nnwasm run --nn-preload default:GGML:CPU:m.gguf llm_two_contexts.wasm default
#include <stdio.h>
#include <string.h>

#include "guest_check.h"
#include "wasi_nn.h"

static void set_text(graph_execution_context c, uint32_t index, const char* text) {
  uint32_t dim = (uint32_t)strlen(text);
  tensor t = {&dim, 1, WASI_NN_TYPE_U8, (const uint8_t*)text, dim};
  REQUIRE(wasi_nn_set_input(c, index, &t) == 0, "set_input");
}

static void marker(const char* text) {
  fprintf(stderr, "--- %s\n", text);
  fflush(stderr);
}

int main(int argc, char** argv) {
  REQUIRE(argc == 2, "usage: llm_two_contexts.wasm NAME");
  graph g;
  graph_execution_context a, b;
  REQUIRE(wasi_nn_load_by_name(argv[1], (uint32_t)strlen(argv[1]), &g) == 0, "load_by_name");
  REQUIRE(wasi_nn_init_execution_context(g, &a) == 0, "init a");
  REQUIRE(wasi_nn_init_execution_context(g, &b) == 0, "init b");
  set_text(a, 1, "{\"n-predict\":4,\"temp\":0}");
  set_text(a, 0, "Once upon a time");
  REQUIRE(wasi_nn_compute(a) == 0, "compute a");
  marker("loud");
  set_text(b, 1, "{\"n-predict\":4,\"temp\":0,\"enable-log\":true,\"ctx-size\":96}");
  set_text(b, 0, "Once upon a time");
  REQUIRE(wasi_nn_compute(b) == 0, "compute b");
  marker("quiet again");
  set_text(a, 1, "{\"ctx-size\":80}");
  REQUIRE(wasi_nn_compute(a) == 0, "compute a again");
  marker("end");
  return 0;
}
