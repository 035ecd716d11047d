// Session: one guest instance's (or one NNRPC client's) view of WASI-NN - its graph and context
// handle tables, quotas, and the operations both import modules and the NNRPC server share.
// Thread-safe: the tables are locked briefly, and each context is called by one thread at a time
// (backend.h), while different contexts run in parallel. Frees everything when destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "nn/graph.h"
#include "nn/model_registry.h"

namespace nnwasm::nn {

struct Quotas {
  uint32_t max_graphs = 64;                // --nn-max-graphs
  uint32_t max_contexts = 256;             // --nn-max-contexts
  uint64_t max_tensor_bytes = 1ull << 30;  // --nn-max-tensor-bytes (per set_input)
  uint64_t max_model_bytes = 4ull << 30;   // --nn-max-model-bytes (per load from guest bytes)
  uint32_t compute_timeout_ms = 0;         // --nn-compute-timeout (per compute; 0 = none)
  // How long a call waits for a context another call holds (0: as long as it takes). A guest
  // never contends for its own contexts; `nnwasm serve` bounds it (--nn-rpc-idle-timeout) so a
  // Generate whose client stopped reading cannot block other calls on that context forever.
  uint32_t context_wait_ms = 0;
};

// Process-wide NN state shared by every session: backends and named models.
struct NnRuntime {
  explicit NnRuntime(BackendConfig config) : backends(std::move(config)), models(backends) {}
  BackendManager backends;
  ModelRegistry models;
  Quotas quotas;
};

class Session {
 public:
  explicit Session(NnRuntime& runtime) : runtime_(runtime) {}
  ~Session();  // contexts first, then graphs

  NnStatus load(std::span<const nnwasm_bytes> builders, uint32_t encoding, uint32_t target,
                uint32_t* graph_out);
  // A name loaded before in this session with the same config gives the same handle; another
  // config gives a graph with that config (sharing the weights where the backend can).
  NnStatus load_by_name(std::string_view name, std::string_view config, uint32_t* graph_out);
  // Admits `bytes` being received for load() or set_input() (NNRPC's Load and SetInputStream)
  // against this session's and the process's memory budgets before they arrive; too_large
  // otherwise.
  NnStatus admit_upload(uint64_t bytes, Reservation* out);
  NnStatus init_execution_context(uint32_t graph, uint32_t* context_out);
  NnStatus set_input(uint32_t context, uint32_t index, const nnwasm_tensor& tensor);
  NnStatus compute(uint32_t context);
  // `out` points into the backend's buffer, valid until the next call on this context (use
  // read_output where another thread may call it meanwhile).
  NnStatus get_output(uint32_t context, uint32_t index, nnwasm_output* out);
  NnStatus compute_single(uint32_t context);
  NnStatus get_output_single(uint32_t context, uint32_t index, nnwasm_output* out);
  NnStatus fini_single(uint32_t context);
  NnStatus unload(uint32_t graph);
  NnStatus finalize_execution_context(uint32_t context);

  // get_output / get_output_single handing the output to `consume` while the context is
  // still held, so no other call can invalidate the bytes before they are copied.
  template <typename Consume>
  NnStatus read_output(uint32_t context, uint32_t index, bool single, Consume&& consume);

  // compute_single repeatedly on a context held for the whole loop (nothing else runs on it
  // meanwhile), handing each step to `emit(code, piece, text_so_far, stats)` (outputs
  // single 0, 0 and 1); stops at an LLM end code, when `emit` returns false, or when
  // `keep_going()` is false before a step. The status of a failed step ends it.
  template <typename KeepGoing, typename Emit>
  NnStatus stream(uint32_t context, KeepGoing&& keep_going, Emit&& emit);

  // Finalizes the contexts no call has used for `idle` (clients that abandon them); returns how
  // many. A context in use is never taken away mid-call.
  size_t finalize_idle(std::chrono::steady_clock::duration idle);

  // The instance's standard output, where backends write what guests ask them to print
  // (stream-stdout); the process's (1) unless set. For contexts created after the call.
  void set_stdout(int fd) { stdout_fd_ = fd; }

  size_t graph_count() const;
  size_t context_count() const;

 private:
  // A context taken out of the table for one call: alive and this thread's until released.
  struct HeldContext {
    std::shared_ptr<Context> context;
    std::unique_lock<std::timed_mutex> lock;
    Context* operator->() const { return context.get(); }
  };
  NnStatus hold_context(uint32_t handle, HeldContext* out);
  NnStatus add_graph(std::shared_ptr<Graph> graph, uint32_t* out);
  NnStatus output(HeldContext& ctx, uint32_t index, bool single, nnwasm_output* out);
  NnStatus compute_single_held(HeldContext& ctx);

  NnRuntime& runtime_;
  // This session's share of the memory budget (--nn-max-memory): its graphs from guest bytes
  // and its contexts. Declared before the tables: they are freed (and give back) first.
  MemoryBudget::Account memory_account_;
  mutable std::mutex mutex_;  // the tables below; never held while a backend runs
  std::map<uint32_t, std::shared_ptr<Graph>> graphs_;
  std::map<uint32_t, std::shared_ptr<Context>> contexts_;
  // name + '\0' + config -> graph handle
  std::map<std::string, uint32_t, std::less<>> name_cache_;
  uint32_t next_graph_ = 0;  // handles start at 0 and are never reused
  uint32_t next_context_ = 0;
  int stdout_fd_ = 1;
};

// Bytes of one element of a WASI-NN tensor type; 0 for an unknown type.
size_t element_size(uint32_t tensor_type);

template <typename KeepGoing, typename Emit>
NnStatus Session::stream(uint32_t context, KeepGoing&& keep_going, Emit&& emit) {
  HeldContext ctx;
  if (NnStatus s = hold_context(context, &ctx); !s.is_ok()) return s;
  for (uint64_t step = 0; step < (1ull << 32) && keep_going(); ++step) {
    NnStatus status = compute_single_held(ctx);
    if (!status.is_ok() && status.code < NNWASM_END_OF_SEQUENCE) return status;
    nnwasm_output piece{}, text{}, stats{};
    NnStatus read = output(ctx, 0, true, &piece);
    if (!read.is_ok()) return read;
    // Text and statistics are optional extras (a non-LLM streaming backend may lack them).
    output(ctx, 0, false, &text);
    output(ctx, 1, false, &stats);
    if (!emit(status.code, piece, text, stats) || status.code != NNWASM_SUCCESS) break;
  }
  return NnStatus::ok();
}

template <typename Consume>
NnStatus Session::read_output(uint32_t context, uint32_t index, bool single, Consume&& consume) {
  HeldContext ctx;
  if (NnStatus s = hold_context(context, &ctx); !s.is_ok()) return s;
  nnwasm_output out{};
  NnStatus status = output(ctx, index, single, &out);
  if (status.is_ok()) consume(out);
  return status;
}

}  // namespace nnwasm::nn
