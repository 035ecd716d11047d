// Benchmark guest: the streaming LLM loop of a WasmEdge-style guest on the host's named GGML model,
// timed like backends/llama/bench/llama_native.cc times llama.cpp called directly.
// usage: llm_stream.wasm MODEL_NAME PROMPT N_PREDICT [REPEATS] [THREADS]
//
// Metadata {"n-predict":N,"temp":0,"ctx-size":512} is set once (plus "threads":T when THREADS is
// given; the backend's default is the CPUs the process may run on). Each generation sets the
// prompt (untimed: tokenizing is set_input's work), calls compute_single until N tokens or
// end_of_sequence, fetching every piece with get_output_single into the text, then fini_single.
// One untimed warm-up generation, then REPEATS (default 5) timed ones. Prints medians on the main
// lines and the best next to them:
//   ttft_ms: X       the first compute_single (prompt evaluation and first token) + its piece
//   tokens_per_s: Y  the rest: (tokens - 1) / time from the first piece to the last
//   tokens: N        tokens generated per repeat; text_bytes: B, text_fnv1a: H of the text
//   ttft_first_ms: Z the warm-up's TTFT (first touches of the model, ggml's first thread start;
//                    on 2 busy cores it sometimes takes ~300 ms, natively too)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasi_nn.h"

#define TEXT_MAX (1 << 20)
#define PIECE_MAX 4096

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double median(double* v, int n) {
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint32_t fnv1a(const char* s, uint32_t n) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < n; ++i) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static int set_text(graph_execution_context ctx, uint32_t index, const char* text) {
  uint32_t len = (uint32_t)strlen(text);
  uint32_t dims[1] = {len};
  tensor t = {dims, 1, WASI_NN_TYPE_U8, (const uint8_t*)text, len};
  return (int)wasi_nn_set_input(ctx, index, &t);
}

typedef struct {
  double ttft_ms, tokens_per_s;
  int tokens;
  uint32_t text_len;
} run_result;

static char text[TEXT_MAX];
static char piece[PIECE_MAX];

// One generation of the prompt; returns 0, or the failing call's error code.
static int generate(graph_execution_context ctx, const char* prompt, int n_predict,
                    run_result* run) {
  uint32_t len = 0, written = 0;
  int tokens = 0, err = set_text(ctx, 0, prompt);
  if (err != 0) return err;
  double t0 = now_ms(), t1 = t0;
  while (tokens < n_predict) {
    err = (int)wasi_nn_compute_single(ctx);
    if (err != WASI_NN_SUCCESS && err != WASI_NN_END_OF_SEQUENCE) break;
    ++tokens;
    int got = (int)wasi_nn_get_output_single(ctx, 0, (uint8_t*)piece, PIECE_MAX, &written);
    if (got != 0) return got;
    if (len + written < TEXT_MAX) {
      memcpy(text + len, piece, written);
      len += written;
    }
    if (tokens == 1) t1 = now_ms();
    if (err == WASI_NN_END_OF_SEQUENCE) break;
  }
  double t2 = now_ms();
  if (err == WASI_NN_END_OF_SEQUENCE || err == WASI_NN_CONTEXT_FULL) err = 0;
  if (err != 0 || tokens == 0) return err ? err : WASI_NN_RUNTIME_ERROR;
  run->ttft_ms = t1 - t0;
  run->tokens = tokens;
  run->tokens_per_s = tokens > 1 ? (tokens - 1) / ((t2 - t1) / 1e3) : 0;
  run->text_len = len;
  return (int)wasi_nn_fini_single(ctx);
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: llm_stream.wasm MODEL_NAME PROMPT N_PREDICT [REPEATS] [THREADS]\n");
    return 2;
  }
  const char* name = argv[1];
  const char* prompt = argv[2];
  int n_predict = atoi(argv[3]);
  int repeats = argc > 4 ? atoi(argv[4]) : 5;
  int threads = argc > 5 ? atoi(argv[5]) : 0;
  if (n_predict < 1 || repeats < 1 || repeats > 1000) {
    fprintf(stderr, "N_PREDICT and REPEATS must be at least 1\n");
    return 2;
  }
  graph g;
  graph_execution_context ctx;
  int err = (int)wasi_nn_load_by_name(name, (uint32_t)strlen(name), &g);
  if (err == 0) err = (int)wasi_nn_init_execution_context(g, &ctx);
  char metadata[128];
  int n = snprintf(metadata, sizeof metadata, "{\"n-predict\":%d,\"temp\":0,\"ctx-size\":512",
                   n_predict);
  snprintf(metadata + n, sizeof metadata - n, threads > 0 ? ",\"threads\":%d}" : "}", threads);
  if (err == 0) err = set_text(ctx, 1, metadata);
  run_result run;
  if (err == 0) err = generate(ctx, prompt, n_predict, &run);  // warm-up
  if (err != 0) {
    fprintf(stderr, "wasi-nn error %d\n", err);
    return 1;
  }
  uint32_t first_hash = fnv1a(text, run.text_len);
  double ttft_first = run.ttft_ms;
  double* ttft = malloc(repeats * sizeof(double));
  double* tps = malloc(repeats * sizeof(double));
  double ttft_best = 1e300, tps_best = 0;
  for (int r = 0; r < repeats; ++r) {
    err = generate(ctx, prompt, n_predict, &run);
    if (err != 0) {
      fprintf(stderr, "wasi-nn error %d in repeat %d\n", err, r);
      return 1;
    }
    if (fnv1a(text, run.text_len) != first_hash) {
      fprintf(stderr, "warning: repeat %d generated other text\n", r);
    }
    ttft[r] = run.ttft_ms;
    tps[r] = run.tokens_per_s;
    if (ttft[r] < ttft_best) ttft_best = ttft[r];
    if (tps[r] > tps_best) tps_best = tps[r];
  }
  char usage[512];
  uint32_t written = 0;
  if (wasi_nn_get_output(ctx, 1, (uint8_t*)usage, sizeof usage - 1, &written) != 0) written = 0;
  usage[written] = '\0';
  printf("usage: %s\n", usage);
  printf("ttft_ms: %.3f\nttft_ms_best: %.3f\n", median(ttft, repeats), ttft_best);
  printf("tokens: %d\n", run.tokens);
  printf("tokens_per_s: %.1f\ntokens_per_s_best: %.1f\n", median(tps, repeats), tps_best);
  printf("text_bytes: %u\ntext_fnv1a: %08x\n", run.text_len, fnv1a(text, run.text_len));
  printf("ttft_first_ms: %.3f\n", ttft_first);
  wasi_nn_finalize_execution_context(ctx);
  return 0;
}
