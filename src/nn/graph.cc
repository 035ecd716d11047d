// Graph and Context lifetimes: free the backend handle first, then release the plugin.
#include "nn/graph.h"

namespace nnwasm::nn {

Graph::Graph(std::shared_ptr<PluginHandle> plugin, nnwasm_graph* handle, uint32_t target,
             std::string description, std::optional<GraphIsolation> isolation)
    : plugin_(std::move(plugin)),
      handle_(handle),
      target_(target),
      description_(std::move(description)),
      isolation_(std::move(isolation)),
      reentrant_((plugin_->backend().flags & NNWASM_BACKEND_GRAPH_REENTRANT) != 0) {}

Graph::~Graph() {
  plugin_->backend().graph_free(handle_);
}

NnStatus Graph::failure(nnwasm_status code, std::string_view operation) const {
  std::string reason = plugin_->last_error("backend gave no reason");
  if (isolation_) {
    if (std::string fate = isolation_->process->fate(isolation_->generation, code); !fate.empty()) {
      return nn_error(NNWASM_RUNTIME_ERROR,
                      crash_message(isolation_->backend, "running the model", fate) + " (in " +
                          std::string(operation) + " of " + description_ + ")");
    }
    // The backend process's message already names the model and the call.
    return nn_error(code, std::string(without_transport_prefix(reason)));
  }
  std::string message = description_;
  message.append(": ").append(operation).append(" failed (").append(status_name(code));
  message.append("): ").append(reason);
  return nn_error(code, std::move(message));
}

std::string Graph::describe(nnwasm_io_kind kind) const {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on long + chains.
  std::string out;
  uint32_t count = 0;
  if (backend().graph_io_count(handle_, kind, &count) != NNWASM_SUCCESS) {
    out.append("  (").append(plugin_->last_error("the backend cannot say")).append(")\n");
    return out;
  }
  for (uint32_t i = 0; i < count; ++i) {
    out.append("  ").append(std::to_string(i));
    nnwasm_tensor_desc d{};
    if (backend().graph_io(handle_, kind, i, &d) != NNWASM_SUCCESS) {
      out.append(" (").append(plugin_->last_error("no description")).append(")\n");
      continue;
    }
    out.append(" '").append(d.name ? d.name : "").append("' ");
    out.append(d.type == NNWASM_TENSOR_UNKNOWN ? std::string("?") : tensor_type_name(d.type));
    for (uint32_t r = 0; r < d.rank && d.dims != nullptr; ++r) {
      out.append(r == 0 ? " [" : ",");
      out.append(d.dims[r] < 0 ? std::string("?") : std::to_string(d.dims[r]));
      if (r + 1 == d.rank) out.append("]");
    }
    if (d.flags & NNWASM_IO_TEXT) out.append(" text");
    if (d.flags & NNWASM_IO_JSON) out.append(" json");
    if (d.flags & NNWASM_IO_OPTIONAL) out.append(" optional");
    out.append("\n");
  }
  return out;
}

std::unique_ptr<Context> Context::create(std::shared_ptr<Graph> graph, const Owner& owner,
                                         NnStatus* status) {
  nnwasm_context* handle = nullptr;
  auto control =
      std::make_unique<CallControl>(owner.stdout_fd, owner.budget, owner.account, graph->device());
  const nnwasm_context_options options{sizeof(nnwasm_context_options), control.get()};
  nnwasm_status code = graph->backend().context_create(graph->handle(), &options, &handle);
  if (code != NNWASM_SUCCESS || handle == nullptr) {
    *status = graph->failure(code != NNWASM_SUCCESS ? code : nnwasm_status{NNWASM_RUNTIME_ERROR},
                             "init_execution_context");
    return nullptr;
  }
  return std::unique_ptr<Context>(new Context(std::move(graph), std::move(control), handle));
}

Context::Context(std::shared_ptr<Graph> graph, std::unique_ptr<CallControl> control,
                 nnwasm_context* handle)
    : graph_(std::move(graph)), control_(std::move(control)), handle_(handle) {
  touch();
}

Context::~Context() {
  graph_->backend().context_free(handle_);
}

NnStatus Context::check(nnwasm_status code, const char* operation) const {
  if (code == NNWASM_SUCCESS) return NnStatus::ok();
  return graph_->failure(code, operation);
}

}  // namespace nnwasm::nn
