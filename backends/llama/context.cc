// An execution context: a sequence of its model's batch (batch.cc: its KV cells in the shared
// llama context, decoded together with the other contexts that generate at the same time) or,
// in embedding mode, a llama context of its own; its sampler chain, the prompt and metadata
// inputs, generation by compute() or one token per compute_single(), and the outputs of
// docs/abi.md section 5.
#include <llama.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "llama_backend.h"
#include "utf8.h"

namespace nnwasm::llama_backend {

namespace {

// docs/abi.md section 5: a prompt may use at most ctx-size - 4 tokens.
constexpr uint32_t kPromptReserve = 4;

class LlamaContext final : public Context {
 public:
  LlamaContext(std::shared_ptr<const Model> model, void* host_token)
      : model_(std::move(model)), options_(model_->options), host_token_(host_token) {
    piece_buffer_.resize(64);
  }

  ~LlamaContext() override {
    release_context();
    if (sampler_ != nullptr) llama_sampler_free(sampler_);
    if (reserved_ != 0) plugin_support::release_memory(host_token_, reserved_);
  }

  void set_input(uint32_t index, const nnwasm_tensor& tensor) override {
    LogScope log(options_);
    if (index == 0) {
      set_prompt(reinterpret_cast<const char*>(tensor.data), tensor.size);
    } else if (index == 1) {
      set_metadata(reinterpret_cast<const char*>(tensor.data), tensor.size);
    } else {
      throw Error{NNWASM_INVALID_ARGUMENT,
                  "input " + std::to_string(index) +
                      " does not exist: input 0 is the prompt, input 1 the metadata JSON"};
    }
  }

  nnwasm_status compute() override {
    LogScope log(options_);
    require_prompt("compute");
    if (options_.embedding) return compute_embedding();
    require_generative("compute");
    if (nnwasm_status s = start(); s != NNWASM_SUCCESS) return s;
    nnwasm_status s = NNWASM_SUCCESS;
    while (phase_ == Phase::Running && s != NNWASM_CONTEXT_FULL) {
      check_cancelled();
      s = step();
    }
    // A whole generation: the next compute or compute_single starts again from the prompt.
    end_generation();
    phase_ = Phase::Ready;
    return s == NNWASM_CONTEXT_FULL ? s : nnwasm_status{NNWASM_SUCCESS};
  }

  nnwasm_status compute_single() override {
    LogScope log(options_);
    require_prompt("compute_single");
    if (options_.embedding) {
      throw Error{NNWASM_UNSUPPORTED_OPERATION,
                  "embedding mode has no streaming: use compute, or set \"embedding\":false"};
    }
    piece_.clear();
    check_cancelled();
    if (phase_ == Phase::Ready) {
      require_generative("compute_single");
      if (nnwasm_status s = start(); s != NNWASM_SUCCESS) return s;
    }
    if (phase_ == Phase::Done) return end_of_sequence();
    const nnwasm_status s = step();
    if (s == NNWASM_CONTEXT_FULL) return s;
    pending_.append(text_, text_.size() - last_piece_size_, last_piece_size_);
    if (s == NNWASM_END_OF_SEQUENCE) return end_of_sequence();
    // Hand out whole characters only; an incomplete one waits for the next token.
    const size_t complete = utf8_complete_prefix(pending_);
    piece_.assign(pending_, 0, complete);
    pending_.erase(0, complete);
    return NNWASM_SUCCESS;
  }

  void fini_single() override {
    end_generation();
    phase_ = prompt_.empty() ? Phase::NoPrompt : Phase::Ready;
    piece_.clear();
    pending_.clear();
  }

  nnwasm_output output(uint32_t index) override {
    if (index == 0) return plugin_support::bytes_output(text_.data(), text_.size(), &text_dim_);
    if (index == 1) {
      write_metadata();  // written when asked for, not on every token
      return plugin_support::bytes_output(metadata_.data(), metadata_.size(), &metadata_dim_);
    }
    throw Error{NNWASM_INVALID_ARGUMENT,
                "output " + std::to_string(index) +
                    " does not exist: output 0 is the text, output 1 the token counts"};
  }

  nnwasm_output output_single(uint32_t index) override {
    if (index == 0) return plugin_support::bytes_output(piece_.data(), piece_.size(), &piece_dim_);
    return output(index);
  }

 private:
  enum class Phase { NoPrompt, Ready, Running, Done };

  // Between tokens, and inside llama_decode through its abort callback.
  void check_cancelled() const {
    if (plugin_support::cancelled(host_token_)) throw Error{NNWASM_RUNTIME_ERROR, kCancelled};
  }

  void require_prompt(const char* what) const {
    if (phase_ == Phase::NoPrompt) {
      throw Error{NNWASM_INVALID_ARGUMENT,
                  std::string(what) + " before any prompt: set input 0 to the prompt text first"};
    }
  }

  // Text generation needs a decoder-only language model. Embedding models (BERT and the like)
  // declare a pooling type and have no language-model head: sampling their output would give
  // noise, or abort the process in llama.cpp where there are no logits at all.
  void require_generative(const char* what) {
    ensure_context();
    if (llama_model_has_encoder(model_->model()) || !llama_model_has_decoder(model_->model()) ||
        batch_->pooling_type() != LLAMA_POOLING_TYPE_NONE) {
      throw Error{NNWASM_UNSUPPORTED_OPERATION,
                  std::string(what) +
                      ": this model is not a decoder-only LLM and cannot generate text; "
                      "use it with \"embedding\":true"};
    }
  }

  // ---- inputs ----

  void set_prompt(const char* text, size_t size) {
    if (size == 0) throw Error{NNWASM_INVALID_ARGUMENT, "the prompt (input 0) is empty"};
    if (size > static_cast<size_t>(INT32_MAX)) {
      throw Error{NNWASM_TOO_LARGE, "the prompt (input 0) is over 2 GiB"};
    }
    // Every token spells at most max_token_bytes bytes, and no ctx-size passes the training
    // context: a longer prompt cannot fit whatever metadata follows. It is not tokenized (that
    // costs time and memory per byte); compute answers prompt_too_long, as for any long prompt.
    const uint64_t trained = trained_ctx();
    if (size > trained * model_->weights->max_token_bytes) {
      plugin_support::log(host_token_, NNWASM_LOG_WARN,
                          "llama: a prompt of %zu bytes cannot fit the model's %llu-token "
                          "context; compute will answer prompt_too_long",
                          size, static_cast<unsigned long long>(trained));
      prompt_.clear();
      oversized_prompt_ = true;
      reset_output();
      end_generation();
      phase_ = Phase::Ready;
      return;
    }
    const auto length = static_cast<int32_t>(size);
    // Tokenized aside, so that a prompt that fails leaves the previous one in place.
    std::vector<llama_token>& tokens = scratch_;
    tokens.resize(std::max<size_t>(tokens.capacity(), size / 2 + 16));
    int32_t n = llama_tokenize(model_->vocab(), text, length, tokens.data(),
                               static_cast<int32_t>(tokens.size()), true, true);
    if (n < 0 && n != INT32_MIN) {
      tokens.resize(static_cast<size_t>(-n));
      n = llama_tokenize(model_->vocab(), text, length, tokens.data(), -n, true, true);
    }
    if (n <= 0) {
      throw Error{n == 0 ? NNWASM_INVALID_ARGUMENT : NNWASM_TOO_LARGE,
                  "the prompt (input 0) gives no tokens"};
    }
    tokens.resize(static_cast<size_t>(n));
    // The llama context (KV cache, compute buffers) is made now, not in the first compute, so
    // the time to the first token is the prompt's evaluation only; and before the prompt is
    // taken, so that a context that cannot be made leaves the previous prompt in place.
    ensure_context();
    prompt_.swap(tokens);
    oversized_prompt_ = false;
    reset_output();
    end_generation();
    phase_ = Phase::Ready;
  }

  void set_metadata(const char* json, size_t size) {
    Options next = options_;
    apply_options(json, size, next);  // a bad key or value throws here, before any change
    LogScope log(next);
    Options previous = std::exchange(options_, std::move(next));
    const bool context_stale = context_stale_, sampler_stale = sampler_stale_;
    if (!options_.context_settings_equal(previous)) context_stale_ = true;
    if (!options_.sampling_settings_equal(previous)) sampler_stale_ = true;
    // New settings start a new generation from the same prompt.
    if (phase_ != Phase::NoPrompt) {
      try {
        ensure_context();
      } catch (...) {
        // A context the new settings cannot have: the old settings, context and state stay.
        options_ = std::move(previous);
        context_stale_ = context_stale;
        sampler_stale_ = sampler_stale;
        throw;
      }
      end_generation();
      phase_ = Phase::Ready;
    }
  }

  void reset_output() {
    text_.clear();
    piece_.clear();
    pending_.clear();
    generated_ = 0;
  }

  // output 1 from the current counts (never allocates once large enough).
  void write_metadata() {
    char buffer[256];
    const int n =
        std::snprintf(buffer, sizeof(buffer),
                      "{\"input_tokens\":%zu,\"output_tokens\":%u,\"llama_build_number\":%d,"
                      "\"llama_commit\":\"%s\"}",
                      prompt_.size(), generated_, NNWASM_LLAMA_BUILD_NUMBER, NNWASM_LLAMA_COMMIT);
    metadata_.assign(buffer, static_cast<size_t>(n));
  }

  // ---- llama context and sampler ----

  // The model's training context in tokens (at least 1).
  uint32_t trained_ctx() const {
    return static_cast<uint32_t>(std::max<int32_t>(llama_model_n_ctx_train(model_->model()), 1));
  }

  // The guest's ctx-size, but never past what the model was trained for, unless the host allows
  // more (--nn-backend-option llama.max-ctx=N, for models that extend their context): beyond it
  // the model produces nothing useful, and the KV cache of a guest asking 2^31 would exhaust the
  // host (the memory budget bounds it too).
  uint32_t ctx_size() const {
    const uint32_t trained = trained_ctx();
    if (options_.ctx_size == 0) return std::min<uint32_t>(4096, trained);
    uint32_t allowed = trained;
    if (const char* host_max = plugin_support::option("llama.max-ctx")) {
      allowed = std::max<uint32_t>(allowed, static_cast<uint32_t>(std::min<unsigned long>(
                                                std::strtoul(host_max, nullptr, 10), UINT32_MAX)));
    }
    if (options_.ctx_size > allowed) {
      if (!ctx_clamp_logged_) {
        ctx_clamp_logged_ = true;
        plugin_support::log(host_token_, NNWASM_LOG_WARN,
                            "llama: ctx-size %u is more than %s (%u); using %u (a host may allow "
                            "more with --nn-backend-option llama.max-ctx=N)",
                            options_.ctx_size,
                            allowed == trained ? "the model's training context" : "llama.max-ctx",
                            allowed, allowed);
      }
      return allowed;
    }
    return options_.ctx_size;
  }

  // What a llama context of ctx_size() tokens will allocate, estimated before it is: the KV
  // cache (f16 keys and values of every layer; grouped-query heads share theirs), the compute
  // buffer (a micro-batch of activations and logits: llama.cpp reserves the worst case) and the
  // output buffer. For the tiny test model at ctx-size 512, llama.cpp reports 0.5 + 64.3 + 0.1
  // MiB; this says 67.1.
  uint64_t context_bytes() const {
    const llama_model* m = model_->model();
    const uint64_t layers = static_cast<uint64_t>(std::max(llama_model_n_layer(m), 1));
    const uint64_t embd = static_cast<uint64_t>(std::max(llama_model_n_embd(m), 1));
    const uint64_t heads = static_cast<uint64_t>(std::max(llama_model_n_head(m), 1));
    const uint64_t kv_heads = static_cast<uint64_t>(std::max(llama_model_n_head_kv(m), 1));
    const uint64_t vocab =
        static_cast<uint64_t>(std::max(llama_vocab_n_tokens(model_->vocab()), 1));
    const uint64_t tokens =
        options_.embedding ? ctx_size() : std::min(options_.ubatch_size, options_.batch_size);
    const uint64_t kv = 2 * uint64_t{ctx_size()} * layers * (embd * kv_heads / heads) * 2;
    return kv + tokens * (vocab + 16 * embd) * 4 + vocab * 4;
  }

  int32_t threads() const { return threads_for(options_.threads); }
  int32_t threads_batch() const {
    return options_.threads_batch > 0 ? options_.threads_batch : threads();
  }

  // Embedding mode's own llama context (generation runs in the model's batch).
  llama_context* create_embedding_context(enum llama_pooling_type pooling) const {
    llama_context_params p = llama_context_default_params();
    p.n_ctx = ctx_size();
    p.n_seq_max = 1;
    p.n_threads = threads();
    p.n_threads_batch = threads_batch();
    p.no_perf = true;
    p.abort_callback = [](void* token) { return plugin_support::cancelled(token); };
    p.abort_callback_data = host_token_;
    // A pooled embedding needs the whole prompt in one micro-batch.
    p.embeddings = true;
    p.pooling_type = pooling;
    p.n_batch = p.n_ubatch = p.n_ctx;
    clear_llama_error();
    llama_context* ctx = llama_init_from_model(model_->model(), p);
    if (ctx == nullptr) {
      throw Error{NNWASM_RUNTIME_ERROR, "cannot create a llama context with ctx-size " +
                                            std::to_string(p.n_ctx) + ": " + llama_reason()};
    }
    return ctx;
  }

  // A seat in the model's batch with ctx-size KV cells (generation), or a llama context of its
  // own (embedding).
  void ensure_context() {
    if (!context_stale_ && (ctx_ != nullptr || batch_ != nullptr)) {
      if (ctx_ != nullptr) llama_set_n_threads(ctx_, threads(), threads_batch());
      if (batch_ != nullptr) batch_->set_threads(*member_, threads(), threads_batch());
      return;
    }
    // Admitted by the host's memory budget before anything is allocated (too_large otherwise),
    // and made before the old one goes: when it cannot be, the old one (and its KV cells) is
    // still there. A batch's compute buffer is shared; each of its contexts counts one, which
    // errs on the safe side.
    const uint64_t bytes = context_bytes();
    const bool counted = plugin_support::reserve_memory(host_token_, bytes);
    llama_context* fresh = nullptr;
    std::shared_ptr<Batch> batch;
    std::unique_ptr<Batch::Member> member;
    try {
      if (options_.embedding) {
        fresh = create_embedding_context(LLAMA_POOLING_TYPE_UNSPECIFIED);
        // Generative models have no pooling of their own: average the token embeddings.
        if (llama_pooling_type(fresh) == LLAMA_POOLING_TYPE_NONE) {
          llama_free(std::exchange(fresh, nullptr));
          fresh = create_embedding_context(LLAMA_POOLING_TYPE_MEAN);
        }
      } else {
        batch = Batch::join(model_, options_);
        member = std::make_unique<Batch::Member>();
        batch->set_threads(*member, threads(), threads_batch());
        batch->attach(*member, ctx_size());
      }
    } catch (...) {
      if (counted) plugin_support::release_memory(host_token_, bytes);
      throw;
    }
    release_context();
    plugin_support::release_memory(host_token_, std::exchange(reserved_, counted ? bytes : 0));
    ctx_ = fresh;
    batch_ = std::move(batch);
    member_ = std::move(member);
    context_stale_ = false;
  }

  void release_context() noexcept {
    if (ctx_ != nullptr) llama_free(std::exchange(ctx_, nullptr));
    if (batch_ != nullptr) batch_->detach(*member_);
    batch_.reset();
    member_.reset();
  }

  // Frees the context's sequence in the batch (a seat for a waiting context): the generation
  // ended, or starts again from the prompt.
  void end_generation() noexcept {
    if (batch_ != nullptr) batch_->leave(*member_);
  }

  void ensure_sampler() {
    if (sampler_ != nullptr && !sampler_stale_) {
      llama_sampler_reset(sampler_);
      return;
    }
    if (sampler_ != nullptr) llama_sampler_free(sampler_);
    sampler_ = nullptr;
    llama_sampler_chain_params params = llama_sampler_chain_default_params();
    params.no_perf = true;
    llama_sampler* chain = llama_sampler_chain_init(params);
    sampler_ = chain;  // freed by the destructor if a step below throws
    const Options& o = options_;
    if (!o.grammar.empty() && !o.json_schema.empty()) {
      throw Error{NNWASM_INVALID_ARGUMENT, "set either grammar or json-schema, not both"};
    }
    const std::string grammar =
        !o.json_schema.empty() ? grammar_from_json_schema(o.json_schema) : o.grammar;
    if (!grammar.empty()) {
      clear_llama_error();
      llama_sampler* g = llama_sampler_init_grammar(model_->vocab(), grammar.c_str(), "root");
      if (g == nullptr) {
        throw Error{NNWASM_INVALID_ARGUMENT,
                    "the grammar is not valid GBNF with a 'root' rule: " + llama_reason()};
      }
      llama_sampler_chain_add(chain, g);
    }
    grammar_ = !grammar.empty();
    if (o.repeat_penalty != 1.0f || o.frequency_penalty != 0.0f || o.presence_penalty != 0.0f) {
      llama_sampler_chain_add(
          chain,
          llama_sampler_init_penalties(llama_vocab_n_tokens(model_->vocab()), o.repeat_last_n,
                                       o.repeat_penalty, o.frequency_penalty, o.presence_penalty));
    }
    greedy_ = llama_sampler_chain_n(chain) == 0 && o.temp <= 0;  // no grammar, no penalties
    if (o.temp <= 0) {
      llama_sampler_chain_add(chain, llama_sampler_init_greedy());
    } else {
      if (o.top_k > 0) llama_sampler_chain_add(chain, llama_sampler_init_top_k(o.top_k));
      llama_sampler_chain_add(chain, llama_sampler_init_top_p(o.top_p, 1));
      llama_sampler_chain_add(chain, llama_sampler_init_min_p(o.min_p, 1));
      llama_sampler_chain_add(chain, llama_sampler_init_temp(o.temp));
      llama_sampler_chain_add(chain, llama_sampler_init_dist(o.seed));
    }
    sampler_stale_ = false;
  }

  // ---- generation ----

  // A new generation from the prompt; its first step decodes the prompt (in batch-size chunks,
  // between the steps of the other sequences).
  nnwasm_status start() {
    ensure_context();
    ensure_sampler();
    reset_output();
    limit_ = ctx_size();
    end_generation();
    if (oversized_prompt_ || prompt_.size() + kPromptReserve > limit_) {
      return NNWASM_PROMPT_TOO_LONG;
    }
    prompt_decoded_ = false;
    phase_ = options_.n_predict == 0 ? Phase::Done : Phase::Running;
    return NNWASM_SUCCESS;
  }

  // Decodes the prompt, or the last token, in the batch's next step and samples the next token.
  llama_token decode_and_sample() {
    member_->sample_apart = grammar_;  // grammars are sampled off the shared step
    try {
      if (!prompt_decoded_) {
        const llama_token token =
            batch_->generate(*member_, prompt_.data(), static_cast<int32_t>(prompt_.size()), true,
                             chain(), host_token_);
        prompt_decoded_ = true;
        return token;
      }
      return batch_->generate(*member_, &last_token_, 1, false, chain(), host_token_);
    } catch (...) {
      // The sequence is lost (its step failed or was cancelled): the next compute starts again.
      end_generation();
      phase_ = Phase::Ready;
      throw;
    }
  }

  // What the batch samples with: nothing for plain greedy sampling (the batch takes the most
  // likely token itself, without the chain's copy of the vocabulary per token).
  llama_sampler* chain() const { return greedy_ ? nullptr : sampler_; }

  // Samples one token: SUCCESS, END_OF_SEQUENCE (an end-of-generation token) or CONTEXT_FULL.
  // Stops after n-predict tokens or a reverse prompt by moving to Phase::Done.
  nnwasm_status step() {
    // The last token needs a cell of the KV cache and so would the one sampled next.
    if (prompt_decoded_ && prompt_.size() + generated_ >= limit_) {
      end_generation();
      return NNWASM_CONTEXT_FULL;
    }
    last_token_ = decode_and_sample();
    ++generated_;
    const std::string_view piece = token_piece(last_token_);
    text_.append(piece);
    last_piece_size_ = piece.size();
    if (options_.stream_stdout)
      plugin_support::write_stdout(host_token_, piece.data(), piece.size());
    if (llama_vocab_is_eog(model_->vocab(), last_token_)) {
      end_generation();
      phase_ = Phase::Done;
      return NNWASM_END_OF_SEQUENCE;
    }
    if ((options_.n_predict > 0 && generated_ >= static_cast<uint32_t>(options_.n_predict)) ||
        ends_with_reverse_prompt(piece.size())) {
      end_generation();
      phase_ = Phase::Done;
    }
    return NNWASM_SUCCESS;
  }

  // The text of `token` (special tokens render as ""), in a buffer reused across calls.
  std::string_view token_piece(llama_token token) {
    int32_t n = llama_token_to_piece(model_->vocab(), token, piece_buffer_.data(),
                                     static_cast<int32_t>(piece_buffer_.size()), 0, false);
    if (n < 0) {
      piece_buffer_.resize(static_cast<size_t>(-n));
      n = llama_token_to_piece(model_->vocab(), token, piece_buffer_.data(), -n, 0, false);
    }
    return {piece_buffer_.data(), static_cast<size_t>(std::max(n, 0))};
  }

  // Whether a reverse prompt occurs in the text that the last piece completed.
  bool ends_with_reverse_prompt(size_t piece_size) const {
    for (const std::string& stop : options_.reverse_prompt) {
      const size_t window = stop.size() + piece_size;
      const size_t from = text_.size() > window ? text_.size() - window : 0;
      if (text_.find(stop, from) != std::string::npos) return true;
    }
    return false;
  }

  // The call that reports the end hands out what was held back (no more bytes will come).
  nnwasm_status end_of_sequence() {
    piece_.swap(pending_);
    pending_.clear();
    return NNWASM_END_OF_SEQUENCE;
  }

  // Embedding mode: the normalized, pooled embedding of the prompt as output 0's JSON.
  nnwasm_status compute_embedding() {
    ensure_context();
    reset_output();
    if (oversized_prompt_ || prompt_.size() > ctx_size()) return NNWASM_PROMPT_TOO_LONG;
    if (llama_pooling_type(ctx_) == LLAMA_POOLING_TYPE_RANK) {
      throw Error{NNWASM_UNSUPPORTED_OPERATION,
                  "this is a reranking model: its pooled output is a score, not an embedding"};
    }
    llama_memory_clear(llama_get_memory(ctx_), true);
    // Encoder-only (BERT-like) embedding models encode; generative ones decode.
    const bool encode =
        llama_model_has_encoder(model_->model()) && !llama_model_has_decoder(model_->model());
    model_->weights->compute.run([&] {
      LogScope log(options_);  // the compute thread works for this context now
      clear_llama_error();     // llama.cpp's error is kept per thread: read it on this one
      const llama_batch batch =
          llama_batch_get_one(prompt_.data(), static_cast<int32_t>(prompt_.size()));
      if (const int32_t rc = encode ? llama_encode(ctx_, batch) : llama_decode(ctx_, batch);
          rc != 0) {
        check_cancelled();  // rc 2: the abort callback stopped it
        throw Error{NNWASM_RUNTIME_ERROR, std::string(encode ? "llama_encode" : "llama_decode") +
                                              " failed (" + std::to_string(rc) +
                                              "): " + llama_reason()};
      }
    });
    const float* embedding = llama_get_embeddings_seq(ctx_, 0);
    if (embedding == nullptr) {
      throw Error{NNWASM_RUNTIME_ERROR, "the model gave no pooled embedding: " + llama_reason()};
    }
    const int32_t width = llama_model_n_embd_out(model_->model());
    double norm = 0;
    for (int32_t i = 0; i < width; ++i) norm += double{embedding[i]} * embedding[i];
    norm = norm > 0 ? std::sqrt(norm) : 1;
    text_ = "{\"n_embedding\":" + std::to_string(width) + ",\"embedding\":[";
    char number[32];
    for (int32_t i = 0; i < width; ++i) {
      const int n = std::snprintf(number, sizeof(number), "%s%.9g", i == 0 ? "" : ",",
                                  static_cast<double>(embedding[i] / norm));
      text_.append(number, static_cast<size_t>(n));
    }
    text_ += "]}";
    phase_ = Phase::Ready;
    return NNWASM_SUCCESS;
  }

  const std::shared_ptr<const Model> model_;
  Options options_;
  void* const host_token_;        // for plugin_support::cancelled
  uint64_t reserved_ = 0;         // of the host's memory budget, for ctx_ or the seat in batch_
  llama_context* ctx_ = nullptr;  // embedding mode's
  std::shared_ptr<Batch> batch_;  // generation's, with this context's member_ in it
  std::unique_ptr<Batch::Member> member_;
  llama_sampler* sampler_ = nullptr;
  bool context_stale_ = true;
  bool sampler_stale_ = true;
  bool greedy_ = false;   // sampler_ is greedy alone
  bool grammar_ = false;  // sampler_ has a grammar

  std::vector<llama_token> prompt_;
  std::vector<llama_token> scratch_;  // set_prompt's tokens before they replace prompt_
  Phase phase_ = Phase::NoPrompt;
  uint32_t limit_ = 0;      // tokens the sequence may hold (the requested ctx-size)
  uint32_t generated_ = 0;  // tokens sampled since the prompt, an end token included
  llama_token last_token_ = 0;
  bool prompt_decoded_ = false;  // the generation's first step is done
  mutable bool ctx_clamp_logged_ = false;
  bool oversized_prompt_ = false;  // input 0 was provably too long, and was not tokenized
  size_t last_piece_size_ = 0;     // bytes the last step appended to text_

  std::string text_;      // output 0: everything generated (or the embedding JSON)
  std::string pending_;   // streamed bytes not handed out yet (an incomplete character)
  std::string piece_;     // get_output_single 0: what the last compute_single handed out
  std::string metadata_;  // output 1
  std::string piece_buffer_;
  uint32_t text_dim_ = 0, metadata_dim_ = 0, piece_dim_ = 0;  // dims of the outputs above
};

}  // namespace

std::unique_ptr<Context> make_context(std::shared_ptr<const Model> model, void* host_token) {
  return std::make_unique<LlamaContext>(std::move(model), host_token);
}

}  // namespace nnwasm::llama_backend
