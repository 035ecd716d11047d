// Native baseline for bench/run.py's llama figures: the streaming loop of bench/guests/llm_stream.c
// (prompt, then one greedy token per step, each turned into its text piece) on llama.cpp directly.
// usage: llama_native_bench MODEL.gguf PROMPT N_PREDICT [THREADS] [REPEATS]
//
// Same settings as the llama backend with {"n-predict":N,"temp":0,"ctx-size":512}: context of 512
// tokens (more only if prompt + N needs it), batch 512, threads = the CPUs this process may run on
// (sched_getaffinity) unless THREADS is given, the prompt tokenized with BOS and special tokens,
// greedy sampling through a sampler chain, pieces without special tokens. Generation stops after
// N_PREDICT tokens or at an end-of-generation token (counted, as compute_single counts it).
//
// One untimed warm-up generation, then REPEATS (default 5) timed ones, the KV cache cleared at the
// start of each. Prints the median over the repeats on the main lines and the best next to them:
//   ttft_ms: X       time from the start of a sequence (KV-cache clear, sampler reset, prompt
//                    decode) to the first sampled token's piece; tokenizing is not timed
//   tokens_per_s: Y  generation after the first token: (tokens - 1) / time from first to last piece
//   tokens: N        tokens generated per repeat; text_bytes: B, text_fnv1a: H of the text
//   ttft_first_ms: Z the warm-up's TTFT (first touches of the model, ggml's first thread start;
//                    on 2 busy cores it sometimes takes ~300 ms)
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "llama.h"

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int affinity_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

uint32_t fnv1a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

struct Run {
  double ttft_ms = 0;
  double tokens_per_s = 0;
  int tokens = 0;
  std::string text;
};

// Appends the piece of `token` to `text` (special tokens render as nothing, like the backend's).
void append_piece(const llama_vocab* vocab, llama_token token, std::string& text) {
  char buf[256];
  int n = llama_token_to_piece(vocab, token, buf, sizeof buf, 0, false);
  if (n >= 0) {
    text.append(buf, n);
    return;
  }
  std::string big(-n, '\0');
  n = llama_token_to_piece(vocab, token, big.data(), -n, 0, false);
  if (n > 0) text.append(big.data(), n);
}

bool generate(llama_context* ctx, const llama_vocab* vocab, llama_sampler* sampler,
              std::vector<llama_token>& prompt, int n_predict, int n_batch, Run* run) {
  run->text.clear();
  // A new sequence starts with an empty KV cache and a reset sampler: timed, as both are part of
  // the first compute_single after set_input in the backend (zeroing 512 cells: about 0.1 ms).
  const double t0 = now_ms();
  llama_memory_clear(llama_get_memory(ctx), true);
  llama_sampler_reset(sampler);
  for (size_t at = 0; at < prompt.size(); at += n_batch) {
    const int n = static_cast<int>(std::min<size_t>(n_batch, prompt.size() - at));
    if (llama_decode(ctx, llama_batch_get_one(prompt.data() + at, n)) != 0) return false;
  }
  llama_token token = llama_sampler_sample(sampler, ctx, -1);
  append_piece(vocab, token, run->text);
  const double t1 = now_ms();
  int generated = 1;
  while (generated < n_predict && !llama_vocab_is_eog(vocab, token)) {
    if (llama_decode(ctx, llama_batch_get_one(&token, 1)) != 0) return false;
    token = llama_sampler_sample(sampler, ctx, -1);
    append_piece(vocab, token, run->text);
    ++generated;
  }
  const double t2 = now_ms();
  run->ttft_ms = t1 - t0;
  run->tokens = generated;
  run->tokens_per_s = generated > 1 ? (generated - 1) / ((t2 - t1) / 1e3) : 0;
  return true;
}

void quiet_log(ggml_log_level level, const char* text, void*) {
  if (level == GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s MODEL.gguf PROMPT N_PREDICT [THREADS] [REPEATS]\n", argv[0]);
    return 2;
  }
  const std::string prompt_text = argv[2];
  const int n_predict = std::atoi(argv[3]);
  const int threads = argc > 4 && std::atoi(argv[4]) > 0 ? std::atoi(argv[4]) : affinity_cpus();
  const int repeats = argc > 5 ? std::max(1, std::atoi(argv[5])) : 5;
  const int n_batch = 512;
  if (n_predict < 1) {
    std::fprintf(stderr, "N_PREDICT must be at least 1\n");
    return 2;
  }

  llama_log_set(quiet_log, nullptr);
  llama_backend_init();
  llama_model_params model_params = llama_model_default_params();
  model_params.n_gpu_layers = 0;
  llama_model* model = llama_model_load_from_file(argv[1], model_params);
  if (model == nullptr) {
    std::fprintf(stderr, "cannot load %s\n", argv[1]);
    return 1;
  }
  const llama_vocab* vocab = llama_model_get_vocab(model);

  const int text_len = static_cast<int>(prompt_text.size());
  int n_prompt = -llama_tokenize(vocab, prompt_text.data(), text_len, nullptr, 0, true, true);
  std::vector<llama_token> prompt(std::max(n_prompt, 0));
  if (n_prompt <= 0 || llama_tokenize(vocab, prompt_text.data(), text_len, prompt.data(), n_prompt,
                                      true, true) != n_prompt) {
    std::fprintf(stderr, "cannot tokenize the prompt\n");
    return 1;
  }

  llama_context_params ctx_params = llama_context_default_params();
  ctx_params.n_ctx = std::max<uint32_t>(512, n_prompt + n_predict);
  ctx_params.n_batch = n_batch;
  ctx_params.n_threads = threads;
  ctx_params.n_threads_batch = threads;
  ctx_params.no_perf = true;
  llama_context* ctx = llama_init_from_model(model, ctx_params);
  if (ctx == nullptr) {
    std::fprintf(stderr, "cannot create a llama context\n");
    return 1;
  }
  llama_sampler_chain_params chain_params = llama_sampler_chain_default_params();
  chain_params.no_perf = true;
  llama_sampler* sampler = llama_sampler_chain_init(chain_params);
  llama_sampler_chain_add(sampler, llama_sampler_init_greedy());

  Run run;
  if (!generate(ctx, vocab, sampler, prompt, n_predict, n_batch, &run)) {  // warm-up
    std::fprintf(stderr, "llama_decode failed\n");
    return 1;
  }
  const std::string first_text = run.text;
  const double ttft_first = run.ttft_ms;
  std::vector<double> ttft, tps;
  for (int r = 0; r < repeats; ++r) {
    if (!generate(ctx, vocab, sampler, prompt, n_predict, n_batch, &run)) {
      std::fprintf(stderr, "llama_decode failed\n");
      return 1;
    }
    if (run.text != first_text) {
      std::fprintf(stderr, "warning: repeat %d generated other text\n", r);
    }
    ttft.push_back(run.ttft_ms);
    tps.push_back(run.tokens_per_s);
  }

  std::printf("threads: %d\ninput_tokens: %d\n", threads, n_prompt);
  std::printf("ttft_ms: %.3f\nttft_ms_best: %.3f\n", median(ttft),
              *std::min_element(ttft.begin(), ttft.end()));
  std::printf("tokens: %d\n", run.tokens);
  std::printf("tokens_per_s: %.1f\ntokens_per_s_best: %.1f\n", median(tps),
              *std::max_element(tps.begin(), tps.end()));
  std::printf("text_bytes: %zu\ntext_fnv1a: %08" PRIx32 "\n", run.text.size(), fnv1a(run.text));
  std::printf("ttft_first_ms: %.3f\n", ttft_first);

  llama_sampler_free(sampler);
  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return 0;
}
