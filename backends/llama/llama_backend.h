// Internal interface of the llama.cpp backend: devices and GGUF sniffing, models shared by
// contexts (model.cc), and execution contexts with generation and streaming (context.cc), used
// by the ABI boundary in plugin.cc (backend_boundary.h). Only model.cc, context.cc and grammar.cc
// include llama.cpp.
#pragma once

#include <nnwasm/backend.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "../common/compute_thread.h"
#include "../common/plugin_support.h"
#include "options.h"

struct llama_model;
struct llama_vocab;

namespace nnwasm::llama_backend {

using plugin_support::cpus_available;
using plugin_support::Error;

// ---- devices, format, logging (model.cc) ----

// cpu, then every GPU ggml can use ("cuda:0 NVIDIA H100"); cached.
nnwasm_status probe_devices(nnwasm_device* out, uint32_t cap, uint32_t* count);
// 100 for GGUF bytes ("GGUF" magic), 0 otherwise.
uint32_t sniff_gguf(const uint8_t* data, size_t size);
// The same, with the encoding and "GGUF v3" for the sniff result.
void sniff_gguf(const uint8_t* data, size_t size, nnwasm_sniff_result* out);
// "1.0 (llama.cpp v0.5.0 de3ff81)": the release tag and commit it was built from.
const char* backend_version();
// Initializes llama.cpp once and routes its log through the backend (quiet by default); the log
// hook is set again on every call, since shutdown_llama removes it.
void init_llama();
void shutdown_llama();
// llama.cpp's info (and debug) log lines, through the host's log, while the constructing thread
// works for a context or a load whose settings ask for them ("enable-log", "enable-debug-log"):
// one guest's switch is not another's. Nests; the thread's previous switches come back after.
class LogScope {
 public:
  explicit LogScope(const Options& options);
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  bool info_, debug_;
};
// The last error llama.cpp logged on this thread ("" if none), for messages; cleared before
// each llama.cpp call whose failure is reported, so a message never names an older error.
const char* last_llama_error();
void clear_llama_error();

// ---- models (model.cc) ----

// A GGUF file's weights in llama.cpp, shared by every graph loaded from the same file with
// the same load-time settings.
struct Weights {
  llama_model* model = nullptr;
  const llama_vocab* vocab = nullptr;  // the model's
  uint32_t max_token_bytes = 1;        // the longest text one token of the vocabulary spells
  // Every llama_decode / llama_encode on these weights runs here, whichever thread asks, so
  // ggml's OpenMP team stays one (see compute_thread.h); decodes of its contexts take turns.
  mutable plugin_support::ComputeThread compute;
  ~Weights();
};

// A graph: weights plus the load config, which is the default of each of its contexts.
struct Model {
  std::shared_ptr<const Weights> weights;
  Options options;

  llama_model* model() const { return weights->model; }
  const llama_vocab* vocab() const { return weights->vocab; }

  // Inputs: prompt, metadata; outputs: text, stats (the same for every LLM).
  uint32_t io_count(nnwasm_io_kind kind) const;
  nnwasm_tensor_desc io(nnwasm_io_kind kind, uint32_t index) const;
};

// Loads a GGUF file (mmap unless use-mmap is false), reusing the weights of a graph of the same
// file that is still alive, so graphs that differ only in their config cost no memory. Missing
// file: model_not_found.
std::shared_ptr<Model> load_model_file(const char* path, const nnwasm_load_options& load);
// Loads GGUF bytes through an anonymous memory file (llama.cpp loads only from files).
std::shared_ptr<Model> load_model_bytes(const uint8_t* data, size_t size,
                                        const nnwasm_load_options& load);

// ---- grammars (grammar.cc) ----

// GBNF text for a JSON schema (llama.cpp's converter). Bad schema: invalid_argument.
std::string grammar_from_json_schema(const std::string& schema);

// ---- contexts (context.cc) ----

class Context {
 public:
  virtual ~Context() = default;
  virtual void set_input(uint32_t index, const nnwasm_tensor& tensor) = 0;
  // compute / compute_single return 0 or one of the LLM codes (100..102); errors throw.
  virtual nnwasm_status compute() = 0;
  virtual nnwasm_status compute_single() = 0;
  virtual void fini_single() = 0;
  virtual nnwasm_output output(uint32_t index) = 0;
  virtual nnwasm_output output_single(uint32_t index) = 0;
};

// `host_token` goes to plugin_support::cancelled between tokens and inside llama_decode.
std::unique_ptr<Context> make_context(std::shared_ptr<const Model> model, void* host_token);

}  // namespace nnwasm::llama_backend
