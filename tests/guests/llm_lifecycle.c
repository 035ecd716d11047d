// Guest: life cycle of an LLM named model and context through WASI-NN (docs/abi.md section 5) for
// tests/backends/llama/llama_wasm_test.cc, which compares the printed texts with llama.cpp:
// metadata before any compute, set_input twice, the error codes (model_not_found, not_found,
// bad prompt, bad metadata), and unload + load_by_name_with_config five times.
//
//   nnwasm run --nn-preload default:GGML:CPU:tiny-llama.gguf \
//       --nn-preload missing:GGML:CPU:/nonexistent.gguf llm_lifecycle.wasm \
//       NAME METADATA PROMPT_A PROMPT_B MISSING_NAME UNKNOWN_NAME
//
// Prints "ok: ..." per check, texts as "<label>_text: <hex>" and output 1 verbatim as
// "<label>_metadata: <json>"; exits 1 on the first failed check.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest_check.h"
#include "wasi_nn.h"

// Output `index` into a malloc'ed, NUL-terminated buffer (grown on too_large); returns its size.
static uint32_t read_output(graph_execution_context ctx, uint32_t index, char** out) {
  uint32_t capacity = 64, written = 0;
  char* buffer = malloc(capacity + 1);
  wasi_nn_error err;
  while ((err = wasi_nn_get_output(ctx, index, (uint8_t*)buffer, capacity, &written)) ==
         WASI_NN_TOO_LARGE) {
    capacity = written;
    buffer = realloc(buffer, capacity + 1);
  }
  REQUIRE(err == WASI_NN_SUCCESS, "get_output");
  buffer[written] = '\0';
  *out = buffer;
  return written;
}

static wasi_nn_error set_bytes(graph_execution_context ctx, uint32_t index, const char* bytes) {
  uint32_t dim = (uint32_t)strlen(bytes);
  tensor t = {&dim, 1, WASI_NN_TYPE_U8, (const uint8_t*)bytes, dim};
  return wasi_nn_set_input(ctx, index, &t);
}

// Prints output 1 and checks it is exactly the documented JSON object; returns output_tokens
// and stores input_tokens in *input_tokens.
static int print_metadata(graph_execution_context ctx, const char* label, int* input_tokens) {
  char* json;
  uint32_t size = read_output(ctx, 1, &json);
  printf("%s_metadata: %s\n", label, json);
  int output_tokens = -1, build = 0, end = 0;
  char commit[128];
  int fields = sscanf(json,
                      "{\"input_tokens\":%d,\"output_tokens\":%d,\"llama_build_number\":%d,"
                      "\"llama_commit\":\"%127[^\"]\"}%n",
                      input_tokens, &output_tokens, &build, commit, &end);
  REQUIRE(fields == 4 && (uint32_t)end == size, "output 1 is exactly the documented JSON");
  free(json);
  return output_tokens;
}

// set_input(prompt), compute, and print text (hex) and metadata under `label`. Returns the text.
static char* generate(graph_execution_context ctx, const char* prompt, const char* label) {
  REQUIRE(set_bytes(ctx, 0, prompt) == 0, "set_input prompt");
  REQUIRE(wasi_nn_compute(ctx) == 0, "compute");
  char* text;
  uint32_t size = read_output(ctx, 0, &text);
  printf("%s_text: ", label);
  for (uint32_t i = 0; i < size; ++i) printf("%02x", (uint8_t)text[i]);
  printf("\n");
  int input_tokens;
  print_metadata(ctx, label, &input_tokens);
  return text;
}

int main(int argc, char** argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: llm_lifecycle.wasm NAME METADATA PROMPT_A PROMPT_B MISSING UNKNOWN\n");
    return 2;
  }
  const char *name = argv[1], *metadata = argv[2], *prompt_a = argv[3], *prompt_b = argv[4];
  const char *missing = argv[5], *unknown = argv[6];
  graph g, g2;
  graph_execution_context ctx;
  int input_tokens = -1;

  // Metadata is valid JSON from the start: guests parse it before their first compute. This
  // first load's config (3 tokens) must no longer apply once the guest has unloaded the graph.
  const char* first_config = "{\"n-predict\":3}";
  CHECK(wasi_nn_load_by_name_with_config(name, strlen(name), first_config, strlen(first_config),
                                         &g) == 0,
        "load_by_name_with_config");
  REQUIRE(wasi_nn_init_execution_context(g, &ctx) == 0, "init_execution_context");
  CHECK(print_metadata(ctx, "fresh", &input_tokens) == 0 && input_tokens == 0,
        "metadata before any input: 0 tokens");
  CHECK(set_bytes(ctx, 1, metadata) == 0, "set_input metadata");
  CHECK(set_bytes(ctx, 0, prompt_a) == 0, "set_input prompt");
  CHECK(print_metadata(ctx, "before_compute", &input_tokens) == 0,
        "metadata after set_input, before compute: 0 output tokens");

  // A second set_input replaces the first prompt; the host compares with prompt B alone.
  free(generate(ctx, prompt_b, "twice"));
  // And a new prompt clears the previous output before its own compute.
  REQUIRE(set_bytes(ctx, 0, prompt_a) == 0, "set_input prompt");
  char* text;
  CHECK(read_output(ctx, 0, &text) == 0, "set_input clears the previous output");
  free(text);
  free(generate(ctx, prompt_a, "a"));

  // Error codes (before the reloads: the context is still open).
  CHECK(wasi_nn_load_by_name_with_config(missing, strlen(missing), "{}", 2, &g2) ==
            WASI_NN_MODEL_NOT_FOUND,
        "preloaded name with a missing file -> model_not_found");
  CHECK(
      wasi_nn_load_by_name_with_config(unknown, strlen(unknown), "{}", 2, &g2) == WASI_NN_NOT_FOUND,
      "unknown name -> not_found");
  CHECK(set_bytes(ctx, 0, "") == WASI_NN_INVALID_ARGUMENT, "empty prompt -> invalid_argument");
  CHECK(set_bytes(ctx, 1, "{\"ctx-size\": 64") == WASI_NN_INVALID_ENCODING,
        "unparseable metadata -> invalid_encoding");
  CHECK(set_bytes(ctx, 1, "{\"ctx-size\": \"big\"}") == WASI_NN_INVALID_ARGUMENT,
        "metadata value of the wrong type -> invalid_argument");
  CHECK(set_bytes(ctx, 1, "{\"no-such-key\": [1, 2]}") == 0, "unknown metadata keys are ignored");
  CHECK(wasi_nn_finalize_execution_context(ctx) == 0, "finalize_execution_context");
  CHECK(wasi_nn_unload(g) == 0, "unload");

  // Unload and load again, five times; the metadata now arrives as the load config only.
  char* first = NULL;
  for (int i = 0; i < 5; ++i) {
    graph previous = g;
    CHECK(
        wasi_nn_load_by_name_with_config(name, strlen(name), metadata, strlen(metadata), &g) == 0 &&
            g != previous,
        "load_by_name_with_config after unload gives a new graph");
    CHECK(wasi_nn_init_execution_context(g, &ctx) == 0, "init_execution_context after reload");
    text = generate(ctx, prompt_a, i == 0 ? "reload" : "reload_again");
    if (first == NULL) {
      first = text;
    } else {
      CHECK(strcmp(text, first) == 0, "a reloaded model generates the same text");
      free(text);
    }
    CHECK(wasi_nn_finalize_execution_context(ctx) == 0 && wasi_nn_unload(g) == 0,
          "finalize and unload");
  }

  printf("lifecycle checks passed\n");
  return 0;
}
