// Graph and Context: a loaded model and one inference state, each owning its backend handle
// and keeping the backend plugin open while it lives.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "nn/backend_plugin.h"
#include "nn/backend_process.h"
#include "nn/host_callbacks.h"
#include "nn/nn_error.h"

namespace nnwasm::nn {

// Where an isolated graph lives: in which backend process, and with which backend there (its
// own plugin is then the rpc backend that reaches the process).
struct GraphIsolation {
  std::shared_ptr<BackendProcess> process;
  uint64_t generation = 0;
  std::string backend;  // e.g. "llama"
};

class Graph {
 public:
  Graph(std::shared_ptr<PluginHandle> plugin, nnwasm_graph* handle, uint32_t target,
        std::string description, std::optional<GraphIsolation> isolation = std::nullopt);
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  const nnwasm_backend& backend() const { return plugin_->backend(); }
  const PluginHandle& plugin() const { return *plugin_; }
  nnwasm_graph* handle() const { return handle_; }
  uint32_t target() const { return target_; }
  // e.g. "model 'digits' (onnx on cpu)", for messages.
  const std::string& description() const { return description_; }
  // The memory the graph was admitted with (its model's bytes), given back when it goes; its
  // contexts are counted on the same device.
  void hold(Reservation memory) { memory_ = std::move(memory); }
  DeviceKey device() const { return memory_.device(); }
  // Serializes compute on graphs whose backend is not re-entrant per graph.
  std::mutex* compute_mutex() { return reentrant_ ? nullptr : &compute_mutex_; }

  // The status of a failed `operation` ("compute", ...) on this graph, with the backend's
  // message, or, when the backend process holding an isolated graph died, what killed it.
  NnStatus failure(nnwasm_status code, std::string_view operation) const;

  // The graph's inputs or outputs as its backend describes them, one line each
  // ("0 'input' f32 [1,64]"), or why it cannot say.
  std::string describe(nnwasm_io_kind kind) const;

 private:
  std::shared_ptr<PluginHandle> plugin_;  // declared first: destroyed after the graph is freed
  nnwasm_graph* handle_;
  uint32_t target_;
  std::string description_;
  std::optional<GraphIsolation> isolation_;
  Reservation memory_;  // given back after the destructor has freed the graph
  bool reentrant_;
  std::mutex compute_mutex_;
};

class Context {
 public:
  // Who a context is for: the instance's stdout and memory account.
  struct Owner {
    int stdout_fd = 1;
    MemoryBudget* budget = nullptr;
    MemoryBudget::Account* account = nullptr;
  };
  // Creates a backend context on `graph` for `owner`; returns nullptr and sets `status` on
  // failure.
  static std::unique_ptr<Context> create(std::shared_ptr<Graph> graph, const Owner& owner,
                                         NnStatus* status);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Graph& graph() const { return *graph_; }
  nnwasm_context* handle() const { return handle_; }
  // The host token of this context: its backend polls it to stop a long compute.
  CallControl& control() { return *control_; }
  // Held by whoever calls into the backend with this context (one thread at a time).
  std::timed_mutex& call_mutex() { return call_mutex_; }
  // When a call last took the context: idle contexts can be reaped.
  void touch() { last_used_.store(std::chrono::steady_clock::now(), std::memory_order_relaxed); }
  std::chrono::steady_clock::time_point last_used() const {
    return last_used_.load(std::memory_order_relaxed);
  }

  // Calls into the backend, converting a failure into an NnStatus with the backend's message.
  NnStatus check(nnwasm_status code, const char* operation) const;

 private:
  Context(std::shared_ptr<Graph> graph, std::unique_ptr<CallControl> control,
          nnwasm_context* handle);
  std::shared_ptr<Graph> graph_;
  std::unique_ptr<CallControl> control_;  // its address is the backend's host token
  nnwasm_context* handle_;
  std::timed_mutex call_mutex_;
  std::atomic<std::chrono::steady_clock::time_point> last_used_;
};

}  // namespace nnwasm::nn
