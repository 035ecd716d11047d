// Example guest: streams an LLM's answer token by token through WASI-NN (llama.cpp backend).
//
//   nnwasm run --nn-preload default:GGML:AUTO:build/models/tiny-llama.gguf \
//       build/guests/llm-stream.wasm default "Once upon a time" '{"n-predict":32,"temp":0}'
//
// argv[1]: the model's name from --nn-preload; argv[2]: the prompt; argv[3] (optional): metadata
// JSON (ctx-size, n-predict, temp, top-k, top-p, seed, threads, reverse-prompt, ...), used as the
// load config. The text goes to stdout as it is generated, the token counts to stderr.
// Exit status: 0 done (also when the context filled up: see stderr), 1 a WASI-NN call
// failed, 2 bad usage.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wasi_nn.h"

// Prints which WASI-NN function failed and how, and returns the exit status for it.
static int fail(const char* function, wasi_nn_error err) {
  const char* what = err == WASI_NN_NOT_FOUND          ? " (not_found: no model of that name)"
                     : err == WASI_NN_MODEL_NOT_FOUND  ? " (model_not_found: cannot read the file)"
                     : err == WASI_NN_CONTEXT_FULL     ? " (context_full: raise ctx-size)"
                     : err == WASI_NN_PROMPT_TOO_LONG  ? " (prompt_too_long: raise ctx-size)"
                     : err == WASI_NN_INVALID_ENCODING ? " (invalid_encoding: bad metadata JSON)"
                                                       : "";
  fflush(stdout);
  fprintf(stderr, "llm-stream: %s failed: error %u%s\n", function, err, what);
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: llm-stream.wasm MODEL_NAME PROMPT [METADATA_JSON]\n");
    return 2;
  }
  const char* name = argv[1];
  const char* prompt = argv[2];
  const char* metadata = argc > 3 ? argv[3] : "{}";

  // The named model is loaded (once, lazily) by the host; the metadata configures it.
  graph g;
  wasi_nn_error err =
      wasi_nn_load_by_name_with_config(name, strlen(name), metadata, strlen(metadata), &g);
  if (err != WASI_NN_SUCCESS) return fail("load_by_name_with_config", err);
  graph_execution_context ctx;
  if ((err = wasi_nn_init_execution_context(g, &ctx)) != WASI_NN_SUCCESS) {
    return fail("init_execution_context", err);
  }

  // Input 0 is the prompt as bytes; the backend ignores the tensor's dims and type.
  uint32_t dim = (uint32_t)strlen(prompt);
  tensor input = {&dim, 1, WASI_NN_TYPE_U8, (const uint8_t*)prompt, dim};
  if ((err = wasi_nn_set_input(ctx, 0, &input)) != WASI_NN_SUCCESS) return fail("set_input", err);

  // Each compute_single generates one token; get_output_single returns its text (a multibyte
  // character split over tokens arrives whole, with its last token). end_of_sequence (100)
  // means generation is over; its call may still carry a last piece. context_full (101) also
  // ends it, without a piece: the text so far stays valid.
  for (;;) {
    err = wasi_nn_compute_single(ctx);
    if (err == WASI_NN_CONTEXT_FULL) {
      fprintf(stderr, "llm-stream: context full, stopping (raise ctx-size for more)\n");
      break;
    }
    if (err != WASI_NN_SUCCESS && err != WASI_NN_END_OF_SEQUENCE) {
      return fail("compute_single", err);
    }
    uint8_t piece[256];
    uint32_t size = 0;
    wasi_nn_error out_err = wasi_nn_get_output_single(ctx, 0, piece, sizeof piece, &size);
    if (out_err != WASI_NN_SUCCESS) return fail("get_output_single", out_err);
    fwrite(piece, 1, size, stdout);
    fflush(stdout);  // show each piece as soon as it exists
    if (err == WASI_NN_END_OF_SEQUENCE) break;
  }
  printf("\n");
  fflush(stdout);  // before the counts go to stderr

  // Output 1 is a JSON object: {"input_tokens":N,"output_tokens":M,"llama_build_number":...}.
  char json[512];
  uint32_t size = 0;
  if ((err = wasi_nn_get_output(ctx, 1, (uint8_t*)json, sizeof json - 1, &size)) !=
      WASI_NN_SUCCESS) {
    return fail("get_output", err);
  }
  json[size] = '\0';
  int input_tokens = 0, output_tokens = 0;
  if (sscanf(json, "{\"input_tokens\":%d,\"output_tokens\":%d", &input_tokens, &output_tokens) !=
      2) {
    fprintf(stderr, "llm-stream: unexpected metadata: %s\n", json);
    return 1;
  }
  fprintf(stderr, "input tokens: %d, output tokens: %d\n", input_tokens, output_tokens);
  // (fini_single would reset the sequence for another one; finalizing frees it all.)
  wasi_nn_finalize_execution_context(ctx);
  wasi_nn_unload(g);
  return 0;
}
