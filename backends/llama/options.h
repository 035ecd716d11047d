// The llama backend's settings: WasmEdge's metadata JSON keys (docs/abi.md section 5) parsed into
// one struct. The same JSON arrives as a load config and on input 1; both are applied on top
// of the current values, so a key not given keeps its value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnwasm::llama_backend {

struct Options {
  // Model loading (take effect at load only: the model is shared by every context).
  int32_t n_gpu_layers = -1;  // -1: all layers on a GPU target, none on CPU
  bool use_mmap = true;

  // Context (a change recreates the context's llama context at the next compute).
  uint32_t ctx_size = 0;  // 0: min(4096, the model's training context)
  uint32_t batch_size = 512;
  uint32_t ubatch_size = 512;
  int32_t threads = 0;        // 0: the CPUs this process may run on
  int32_t threads_batch = 0;  // 0: same as threads
  bool embedding = false;

  // Generation.
  int32_t n_predict = -1;  // -1: until end of generation or a full context
  float temp = 0.8f;       // <= 0: greedy
  float top_p = 0.95f;
  int32_t top_k = 40;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  int32_t repeat_last_n = 64;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  uint32_t seed = 0xFFFFFFFFu;  // LLAMA_DEFAULT_SEED: random
  std::vector<std::string> reverse_prompt;
  std::string grammar;      // GBNF
  std::string json_schema;  // JSON schema text, turned into a grammar

  // Logging and host-side streaming.
  bool stream_stdout = false;
  bool enable_log = false;
  bool enable_debug_log = false;

  bool context_settings_equal(const Options& o) const {
    return ctx_size == o.ctx_size && batch_size == o.batch_size && ubatch_size == o.ubatch_size &&
           embedding == o.embedding;
  }
  bool sampling_settings_equal(const Options& o) const {
    return temp == o.temp && top_p == o.top_p && top_k == o.top_k && min_p == o.min_p &&
           repeat_penalty == o.repeat_penalty && repeat_last_n == o.repeat_last_n &&
           presence_penalty == o.presence_penalty && frequency_penalty == o.frequency_penalty &&
           seed == o.seed && grammar == o.grammar && json_schema == o.json_schema;
  }
};

// Applies a JSON object's known keys to `options` (unknown keys are ignored). Throws
// plugin_support::Error: invalid_encoding for text that is not JSON, invalid_argument for a
// non-object or a key with the wrong type or an out-of-range value.
void apply_options(const char* json, size_t size, Options& options);

}  // namespace nnwasm::llama_backend
