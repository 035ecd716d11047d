// Internal interface of the llama.cpp backend: devices and GGUF sniffing, models shared by
// contexts (model.cc), and execution contexts with generation and streaming (context.cc), used
// by the ABI boundary in plugin.cc (backend_boundary.h), and the batch that decodes the steps of
// concurrent contexts together (batch.cc). Only model.cc, context.cc, batch.cc and grammar.cc
// include llama.cpp.
#pragma once

#include <nnwasm/backend.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../common/compute_thread.h"
#include "../common/plugin_support.h"
#include "options.h"

struct llama_model;
struct llama_vocab;
struct llama_sampler;

namespace nnwasm::llama_backend {

using plugin_support::cpus_available;
using plugin_support::Error;

// The message of a compute the host cancelled (plugin_support::cancelled), wherever it stops.
inline constexpr const char* kCancelled = "cancelled by the host: it ran past --nn-compute-timeout";

// A "threads" setting (0: unset) as llama.cpp threads: never more than the CPUs this process
// may use (more only contend), all of them when unset.
inline int32_t threads_for(int32_t asked) {
  return asked > 0 ? std::min(asked, cpus_available()) : cpus_available();
}

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
// last_llama_error(), or "llama.cpp gave no reason", for the end of a message.
std::string llama_reason();

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
  // The batches of its generating contexts (Batch::join), one per batch setting; each lives
  // while a context uses it.
  mutable std::mutex batches_mutex;
  mutable std::vector<std::weak_ptr<class Batch>> batches;
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

// ---- continuous batching (batch.cc) ----

// One llama.cpp context shared by the generating contexts of one model (same weights, same
// batch-size and ubatch-size): each context's generation is a sequence of its own (its seq id,
// its KV cells, its sampler), and the steps of every sequence that asks at the same time are
// decoded by one llama_decode. The guest thread that finds no step under way leads the next
// one: it waits briefly for the sequences that took part in the last step (they are back within
// microseconds when streaming), takes every pending request - one token per running sequence,
// and a chunk of each newcomer's prompt within batch-size - decodes on the model's compute
// thread, samples each finished request with its own sampler, and wakes each requester. At most
// `parallel` sequences (--nn-llama-parallel, llama.parallel) run at once; others wait for a free
// seat, or take the seat of a sequence idle for 100 ms, whose KV cells wait in host memory until
// it asks again. The KV cache is unified (one seat only while one context is attached): its
// cells are the sum of the ctx-sizes of the attached contexts (each counted in the host's memory
// budget by its context), and grows or shrinks when one attaches, carrying running sequences
// over. (Seats with cells apart, as llama.cpp's non-unified cache, would be faster still, but
// llama.cpp cannot carry a sequence between caches of different seat counts.)
class Batch {
 public:
  // One context's share: read and written under the batch's mutex only.
  struct Member {
    uint32_t cells = 0;     // its ctx-size: the KV cells it may fill
    bool attached = false;  // counted in the batch's cells
    int32_t seq = -1;       // its sequence id while it runs, -1 otherwise
    int32_t pos = 0;        // tokens of its sequence in the KV cache
    bool expected = false;  // took part in the last step: waited for in the next
    // The pending request: tokens still to decode, and what samples the token after them.
    const int32_t* tokens = nullptr;  // llama_token
    int32_t count = 0;
    llama_sampler* sampler = nullptr;  // nullptr: greedy
    // Sampled on the asking thread from a copy of its logits, not in the shared step: a grammar
    // can take seconds per token (an ambiguous one) and must stall no other sequence.
    bool sample_apart = false;
    std::vector<float> logits;   // the copy (sample_apart)
    void* host_token = nullptr;  // for cancellation
    std::thread::id thread;      // that asks
    int32_t threads = 1, threads_batch = 1;
    bool pending = false;
    int32_t step_tokens = 0;    // of them in the step under way (0: not in it)
    int32_t logits_index = -1;  // its row of the step's logits, when the step ends the request
    int32_t result = 0;         // the sampled token
    std::exception_ptr failure;
    std::condition_variable wake;  // its request is done, or it may lead the next step
    std::chrono::steady_clock::time_point last_active;  // when its last request was done
    std::vector<uint8_t> saved;  // its KV cells while swapped out (seq -1, pos > 0)
  };

  // The batch of `model`'s weights for contexts with `options`' batch settings, made when the
  // first such context attaches.
  static std::shared_ptr<Batch> join(const std::shared_ptr<const Model>& model,
                                     const Options& options);
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Counts a new `member`'s `cells` in the KV cache, which grows (or shrinks, when no sequence
  // runs) to the sum over the attached members now, before any step needs them: the time to
  // the first token is the prompt's evaluation only. Throws (and leaves the member out) when
  // the llama context cannot be made. A context whose settings change attaches a new member.
  void attach(Member& member, uint32_t cells);
  // Ends the member's sequence (if any) and takes its cells out of the count.
  void detach(Member& member) noexcept;
  // Decodes `count` tokens at the end of the member's sequence (a new sequence when `fresh`:
  // its prompt) and returns the token `sampler` samples after them (nullptr: the most likely
  // one, greedy); blocks until then.
  int32_t generate(Member& member, const int32_t* tokens, int32_t count, bool fresh,
                   llama_sampler* sampler, void* host_token);
  // Ends the member's sequence: its seq id and cells are free for others.
  void leave(Member& member) noexcept;
  // The ggml threads the member's steps ask for (a step uses the most any of its members asks).
  void set_threads(Member& member, int32_t threads, int32_t threads_batch);

  // The llama context's pooling type (LLAMA_POOLING_TYPE_NONE for generative models).
  int pooling_type();

 private:
  Batch(std::shared_ptr<const Weights> weights, const Options& options);
  class Impl;
  std::unique_ptr<Impl> impl_;
};

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
