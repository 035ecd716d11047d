// Graph and Context lifetimes: free the backend handle first, then release the plugin.
#include "nn/graph.h"

namespace nnwasm::nn {

Graph::Graph(std::shared_ptr<PluginHandle> plugin, nnwasm_graph* handle, uint32_t target,
             std::string description)
    : plugin_(std::move(plugin)),
      handle_(handle),
      target_(target),
      description_(std::move(description)),
      reentrant_((plugin_->backend().flags & NNWASM_BACKEND_GRAPH_REENTRANT) != 0) {}

Graph::~Graph() {
  plugin_->backend().graph_free(handle_);
}

std::unique_ptr<Context> Context::create(std::shared_ptr<Graph> graph, NnStatus* status) {
  nnwasm_context* handle = nullptr;
  nnwasm_status code = graph->backend().context_create(graph->handle(), &handle);
  if (code != NNWASM_SUCCESS || handle == nullptr) {
    *status = nn_error(code != NNWASM_SUCCESS ? code : nnwasm_status{NNWASM_RUNTIME_ERROR},
                       graph->description() + ": cannot create an execution context: " +
                           graph->plugin().last_error("backend gave no reason"));
    return nullptr;
  }
  return std::unique_ptr<Context>(new Context(std::move(graph), handle));
}

Context::Context(std::shared_ptr<Graph> graph, nnwasm_context* handle)
    : graph_(std::move(graph)), handle_(handle) {}

Context::~Context() {
  graph_->backend().context_free(handle_);
}

NnStatus Context::check(nnwasm_status code, const char* operation) const {
  if (code == NNWASM_SUCCESS) return NnStatus::ok();
  return nn_error(code, graph_->description() + ": " + operation + " failed (" + status_name(code) +
                            "): " + graph_->plugin().last_error("backend gave no reason"));
}

}  // namespace nnwasm::nn
