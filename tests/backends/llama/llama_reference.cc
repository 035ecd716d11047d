// Greedy generation on llama.cpp directly, written from llama.h alone (no backend code), as
// the expected output of the llama backend tests. See llama_reference.h for the rules.
#include "llama_reference.h"

#include <gtest/gtest.h>
#include <llama.h>

#include <algorithm>
#include <memory>

namespace nnwasm::llama_test {

namespace {

struct ModelDeleter {
  void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextDeleter {
  void operator()(llama_context* c) const { llama_free(c); }
};
struct SamplerDeleter {
  void operator()(llama_sampler* s) const { llama_sampler_free(s); }
};

void quiet_log(ggml_log_level, const char*, void*) {}

}  // namespace

ReferenceResult greedy_reference(const ReferenceParams& params) {
  ReferenceResult result;
  // Quiet while it runs, then the callback of whoever set one (the plugin under test shares
  // this libllama and captures llama.cpp's errors through it).
  ggml_log_callback previous_log = nullptr;
  void* previous_data = nullptr;
  llama_log_get(&previous_log, &previous_data);
  llama_log_set(quiet_log, nullptr);
  struct RestoreLog {
    ggml_log_callback log;
    void* data;
    ~RestoreLog() { llama_log_set(log, data); }
  } restore{previous_log, previous_data};
  llama_backend_init();
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  std::unique_ptr<llama_model, ModelDeleter> model(
      llama_model_load_from_file(params.model_path.c_str(), mp));
  if (!model) {
    ADD_FAILURE() << "reference: cannot load " << params.model_path;
    return result;
  }
  const llama_vocab* vocab = llama_model_get_vocab(model.get());

  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<uint32_t>(params.ctx_size);
  cp.n_batch = static_cast<uint32_t>(params.batch_size);
  cp.n_ubatch = std::min<uint32_t>(512, cp.n_batch);
  cp.n_seq_max = 1;
  cp.n_threads = cp.n_threads_batch = params.threads;
  cp.no_perf = true;
  std::unique_ptr<llama_context, ContextDeleter> ctx(llama_init_from_model(model.get(), cp));
  if (!ctx) {
    ADD_FAILURE() << "reference: cannot create a context";
    return result;
  }

  std::vector<llama_token> tokens(params.prompt.size() + 16);
  const int n =
      llama_tokenize(vocab, params.prompt.data(), static_cast<int32_t>(params.prompt.size()),
                     tokens.data(), static_cast<int32_t>(tokens.size()), true, true);
  if (n <= 0) {
    ADD_FAILURE() << "reference: tokenize gave " << n;
    return result;
  }
  tokens.resize(n);
  result.input_tokens = n;
  for (int i = 0; i < n; i += params.batch_size) {
    const int count = std::min(params.batch_size, n - i);
    if (llama_decode(ctx.get(), llama_batch_get_one(tokens.data() + i, count)) != 0) {
      ADD_FAILURE() << "reference: prompt decode failed";
      return result;
    }
  }

  std::unique_ptr<llama_sampler, SamplerDeleter> sampler(
      llama_sampler_chain_init(llama_sampler_chain_default_params()));
  llama_sampler_chain_add(sampler.get(), llama_sampler_init_greedy());
  llama_token token = 0;
  for (int generated = 0; params.n_predict < 0 || generated < params.n_predict; ++generated) {
    if (generated > 0) {
      // The previous token takes a cell; so would the next one.
      if (n + generated >= params.ctx_size) {
        result.context_full = true;
        break;
      }
      if (llama_decode(ctx.get(), llama_batch_get_one(&token, 1)) != 0) {
        ADD_FAILURE() << "reference: decode failed at token " << generated;
        return result;
      }
    }
    token = llama_sampler_sample(sampler.get(), ctx.get(), -1);
    char piece[256];
    const int len = llama_token_to_piece(vocab, token, piece, sizeof(piece), 0, false);
    result.pieces.emplace_back(piece, static_cast<size_t>(std::max(len, 0)));
    result.text += result.pieces.back();
    ++result.output_tokens;
    if (llama_vocab_is_eog(vocab, token)) {
      result.ended_by_eog = true;
      break;
    }
  }
  return result;
}

}  // namespace nnwasm::llama_test
