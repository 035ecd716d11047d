// Session: handle tables, quotas and argument checks in front of the backends.
#include "nn/session.h"

#include <chrono>
#include <limits>
#include <mutex>

namespace nnwasm::nn {

size_t element_size(uint32_t tensor_type) {
  switch (tensor_type) {
    case NNWASM_TENSOR_F16:
      return 2;
    case NNWASM_TENSOR_F32:
      return 4;
    case NNWASM_TENSOR_F64:
      return 8;
    case NNWASM_TENSOR_U8:
      return 1;
    case NNWASM_TENSOR_I32:
      return 4;
    case NNWASM_TENSOR_I64:
      return 8;
    default:
      return 0;
  }
}

Session::~Session() {
  contexts_.clear();
  name_cache_.clear();
  graphs_.clear();
}

NnStatus Session::add_graph(std::shared_ptr<Graph> graph, uint32_t* out) {
  if (next_graph_ == std::numeric_limits<uint32_t>::max()) {
    return nn_error(NNWASM_TOO_LARGE, "graph handles exhausted");
  }
  uint32_t handle = next_graph_++;
  graphs_.emplace(handle, std::move(graph));
  *out = handle;
  return NnStatus::ok();
}

NnStatus Session::load(std::span<const nnwasm_bytes> builders, uint32_t encoding, uint32_t target,
                       uint32_t* graph_out) {
  if (graphs_.size() >= runtime_.quotas.max_graphs) {
    return nn_error(NNWASM_TOO_LARGE, "too many graphs loaded (" +
                                          std::to_string(runtime_.quotas.max_graphs) +
                                          "); unload some or raise --nn-max-graphs");
  }
  if (builders.empty()) return nn_error(NNWASM_INVALID_ARGUMENT, "load: no graph builders given");
  uint64_t total = 0;
  for (const nnwasm_bytes& b : builders) total += b.size;
  if (total > runtime_.quotas.max_model_bytes) {
    return nn_error(NNWASM_TOO_LARGE, "load: model of " + std::to_string(total) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(runtime_.quotas.max_model_bytes) +
                                          "; raise --nn-max-model-bytes");
  }
  if (encoding > 6 && encoding != NNWASM_ENCODING_AUTODETECT) {
    return nn_error(NNWASM_INVALID_ENCODING,
                    "load: unknown graph encoding " + std::to_string(encoding) +
                        " (0 openvino, 1 onnx, 2 tensorflow, 3 pytorch, 4 tensorflowlite, "
                        "5/6 ggml or autodetect)");
  }
  std::shared_ptr<Graph> graph;
  NnStatus status =
      load_graph(runtime_.backends, builders, encoding, target, {}, "guest model", &graph);
  if (!status.is_ok()) return status;
  return add_graph(std::move(graph), graph_out);
}

NnStatus Session::load_by_name(std::string_view name, std::string_view config,
                               uint32_t* graph_out) {
  if (auto it = name_cache_.find(name); it != name_cache_.end() && graphs_.count(it->second)) {
    *graph_out = it->second;
    return NnStatus::ok();
  }
  if (graphs_.size() >= runtime_.quotas.max_graphs) {
    return nn_error(NNWASM_TOO_LARGE, "too many graphs loaded (" +
                                          std::to_string(runtime_.quotas.max_graphs) +
                                          "); unload some or raise --nn-max-graphs");
  }
  std::shared_ptr<Graph> graph;
  NnStatus status = runtime_.models.get(name, config, &graph);
  if (!status.is_ok()) return status;
  status = add_graph(std::move(graph), graph_out);
  if (status.is_ok()) name_cache_[std::string(name)] = *graph_out;
  return status;
}

NnStatus Session::init_execution_context(uint32_t graph, uint32_t* context_out) {
  auto it = graphs_.find(graph);
  if (it == graphs_.end()) {
    return nn_error(NNWASM_INVALID_ARGUMENT,
                    "init_execution_context: unknown graph handle " + std::to_string(graph));
  }
  if (contexts_.size() >= runtime_.quotas.max_contexts) {
    return nn_error(NNWASM_TOO_LARGE, "too many execution contexts (" +
                                          std::to_string(runtime_.quotas.max_contexts) +
                                          "); finalize some or raise --nn-max-contexts");
  }
  NnStatus status;
  std::unique_ptr<Context> context = Context::create(it->second, &status);
  if (!context) return status;
  uint32_t handle = next_context_++;
  contexts_.emplace(handle, std::move(context));
  *context_out = handle;
  return NnStatus::ok();
}

NnStatus Session::find_context(uint32_t handle, Context** out) {
  auto it = contexts_.find(handle);
  if (it == contexts_.end()) {
    return nn_error(NNWASM_INVALID_ARGUMENT, "unknown execution context handle " +
                                                 std::to_string(handle) +
                                                 " (never created, or already finalized)");
  }
  *out = it->second.get();
  return NnStatus::ok();
}

NnStatus Session::set_input(uint32_t context, uint32_t index, const nnwasm_tensor& tensor) {
  Context* ctx;
  if (NnStatus s = find_context(context, &ctx); !s.is_ok()) return s;
  if (tensor.size > runtime_.quotas.max_tensor_bytes) {
    return nn_error(NNWASM_TOO_LARGE, "set_input: tensor of " + std::to_string(tensor.size) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(runtime_.quotas.max_tensor_bytes) +
                                          "; raise --nn-max-tensor-bytes");
  }
  return ctx->check(ctx->graph().backend().set_input(ctx->handle(), index, &tensor), "set_input");
}

NnStatus Session::compute(uint32_t context) {
  Context* ctx;
  if (NnStatus s = find_context(context, &ctx); !s.is_ok()) return s;
  std::mutex* serial = ctx->graph().compute_mutex();
  std::unique_lock<std::mutex> lock;
  if (serial != nullptr) lock = std::unique_lock(*serial);
  ctx->control().start_deadline(std::chrono::milliseconds(runtime_.quotas.compute_timeout_ms));
  return ctx->check(ctx->graph().backend().compute(ctx->handle()), "compute");
}

NnStatus Session::get_output(uint32_t context, uint32_t index, nnwasm_output* out) {
  Context* ctx;
  if (NnStatus s = find_context(context, &ctx); !s.is_ok()) return s;
  return ctx->check(ctx->graph().backend().get_output(ctx->handle(), index, out), "get_output");
}

NnStatus Session::compute_single(uint32_t context) {
  Context* ctx;
  if (NnStatus s = find_context(context, &ctx); !s.is_ok()) return s;
  const nnwasm_backend& backend = ctx->graph().backend();
  if (backend.compute_single == nullptr) {
    return nn_error(
        NNWASM_UNSUPPORTED_OPERATION,
        ctx->graph().description() + ": backend does not support streaming (compute_single)");
  }
  std::mutex* serial = ctx->graph().compute_mutex();
  std::unique_lock<std::mutex> lock;
  if (serial != nullptr) lock = std::unique_lock(*serial);
  ctx->control().start_deadline(std::chrono::milliseconds(runtime_.quotas.compute_timeout_ms));
  return ctx->check(backend.compute_single(ctx->handle()), "compute_single");
}

NnStatus Session::get_output_single(uint32_t context, uint32_t index, nnwasm_output* out) {
  Context* ctx;
  if (NnStatus s = find_context(context, &ctx); !s.is_ok()) return s;
  const nnwasm_backend& backend = ctx->graph().backend();
  if (backend.get_output_single == nullptr) {
    return nn_error(
        NNWASM_UNSUPPORTED_OPERATION,
        ctx->graph().description() + ": backend does not support streaming (get_output_single)");
  }
  return ctx->check(backend.get_output_single(ctx->handle(), index, out), "get_output_single");
}

NnStatus Session::fini_single(uint32_t context) {
  Context* ctx;
  if (NnStatus s = find_context(context, &ctx); !s.is_ok()) return s;
  const nnwasm_backend& backend = ctx->graph().backend();
  if (backend.fini_single == nullptr) {
    return nn_error(
        NNWASM_UNSUPPORTED_OPERATION,
        ctx->graph().description() + ": backend does not support streaming (fini_single)");
  }
  return ctx->check(backend.fini_single(ctx->handle()), "fini_single");
}

NnStatus Session::unload(uint32_t graph) {
  auto it = graphs_.find(graph);
  if (it == graphs_.end()) {
    return nn_error(NNWASM_INVALID_ARGUMENT,
                    "unload: unknown graph handle " + std::to_string(graph));
  }
  for (auto name = name_cache_.begin(); name != name_cache_.end();) {
    name = name->second == graph ? name_cache_.erase(name) : std::next(name);
  }
  graphs_.erase(it);  // contexts on it keep the graph alive until finalized
  return NnStatus::ok();
}

NnStatus Session::finalize_execution_context(uint32_t context) {
  if (contexts_.erase(context) == 0) {
    return nn_error(NNWASM_INVALID_ARGUMENT, "finalize_execution_context: unknown context handle " +
                                                 std::to_string(context));
  }
  return NnStatus::ok();
}

}  // namespace nnwasm::nn
