// Session: handle tables, quotas and argument checks in front of the backends.
#include "nn/session.h"

#include <chrono>
#include <limits>
#include <mutex>
#include <vector>

namespace nnwasm::nn {

namespace {

NnStatus no_streaming(const Context& ctx, const char* what) {
  return nn_error(
      NNWASM_UNSUPPORTED_OPERATION,
      ctx.graph().description() + ": backend does not support streaming (" + what + ")");
}

}  // namespace

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
  std::lock_guard lock(mutex_);
  contexts_.clear();
  name_cache_.clear();
  graphs_.clear();
}

size_t Session::graph_count() const {
  std::lock_guard lock(mutex_);
  return graphs_.size();
}

size_t Session::context_count() const {
  std::lock_guard lock(mutex_);
  return contexts_.size();
}

namespace {

NnStatus too_many_graphs(uint32_t limit) {
  return nn_error(NNWASM_TOO_LARGE, "too many graphs loaded (" + std::to_string(limit) +
                                        "); unload some or raise --nn-max-graphs");
}

NnStatus too_many_contexts(uint32_t limit) {
  return nn_error(NNWASM_TOO_LARGE, "too many execution contexts (" + std::to_string(limit) +
                                        "); finalize some or raise --nn-max-contexts");
}

// Runs a compute-like call under the graph's compute mutex when its backend is not re-entrant,
// with the instance's deadline armed for the backend's cancellation polls.
template <typename Call>
NnStatus run_compute(Context& ctx, uint32_t timeout_ms, const char* what, Call&& call) {
  std::mutex* serial = ctx.graph().compute_mutex();
  std::unique_lock<std::mutex> lock;
  if (serial != nullptr) lock = std::unique_lock(*serial);
  ctx.control().start_deadline(std::chrono::milliseconds(timeout_ms));
  return ctx.check(call(), what);
}

}  // namespace

NnStatus Session::add_graph(std::shared_ptr<Graph> graph, uint32_t* out) {
  // mutex_ held by the caller
  if (next_graph_ == std::numeric_limits<uint32_t>::max()) {
    return nn_error(NNWASM_TOO_LARGE, "graph handles exhausted");
  }
  if (graphs_.size() >= runtime_.quotas.max_graphs) {
    return too_many_graphs(runtime_.quotas.max_graphs);
  }
  uint32_t handle = next_graph_++;
  graphs_.emplace(handle, std::move(graph));
  *out = handle;
  return NnStatus::ok();
}

NnStatus Session::load(std::span<const nnwasm_bytes> builders, uint32_t encoding, uint32_t target,
                       uint32_t* graph_out) {
  if (graph_count() >= runtime_.quotas.max_graphs) {
    return too_many_graphs(runtime_.quotas.max_graphs);
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
  NnStatus status = load_graph(runtime_.backends, builders, encoding, target, {}, "guest model",
                               &graph, nullptr, &memory_account_);
  if (!status.is_ok()) return status;
  std::lock_guard lock(mutex_);
  return add_graph(std::move(graph), graph_out);
}

NnStatus Session::admit_upload(uint64_t bytes, Reservation* out) {
  MemoryBudget& budget = runtime_.backends.memory();
  const DeviceKey host{NNWASM_TARGET_CPU, 0};
  NnStatus status = budget.reserve(&memory_account_, host, bytes, "the data being received");
  if (status.is_ok()) *out = Reservation(&budget, &memory_account_, host, bytes);
  return status;
}

NnStatus Session::load_by_name(std::string_view name, std::string_view config,
                               uint32_t* graph_out) {
  std::string key(name);
  key.append(1, '\0').append(ModelRegistry::config_key(config));
  {
    std::lock_guard lock(mutex_);
    if (auto it = name_cache_.find(key); it != name_cache_.end() && graphs_.count(it->second)) {
      *graph_out = it->second;
      return NnStatus::ok();
    }
    if (graphs_.size() >= runtime_.quotas.max_graphs) {
      return too_many_graphs(runtime_.quotas.max_graphs);
    }
  }
  std::shared_ptr<Graph> graph;
  NnStatus status = runtime_.models.get(name, config, &graph);
  if (!status.is_ok()) return status;
  std::lock_guard lock(mutex_);
  status = add_graph(std::move(graph), graph_out);
  if (status.is_ok()) name_cache_[std::move(key)] = *graph_out;
  return status;
}

NnStatus Session::init_execution_context(uint32_t graph, uint32_t* context_out) {
  std::shared_ptr<Graph> g;
  {
    std::lock_guard lock(mutex_);
    auto it = graphs_.find(graph);
    if (it == graphs_.end()) {
      return nn_error(NNWASM_INVALID_ARGUMENT,
                      "init_execution_context: unknown graph handle " + std::to_string(graph));
    }
    if (contexts_.size() >= runtime_.quotas.max_contexts) {
      return too_many_contexts(runtime_.quotas.max_contexts);
    }
    g = it->second;
  }
  NnStatus status;
  std::unique_ptr<Context> context = Context::create(
      std::move(g), {stdout_fd_, &runtime_.backends.memory(), &memory_account_}, &status);
  if (!context) return status;
  std::lock_guard lock(mutex_);
  if (contexts_.size() >= runtime_.quotas.max_contexts) {  // others got there meanwhile
    return too_many_contexts(runtime_.quotas.max_contexts);
  }
  if (next_context_ == std::numeric_limits<uint32_t>::max()) {
    return nn_error(NNWASM_TOO_LARGE, "execution context handles exhausted");
  }
  uint32_t handle = next_context_++;
  contexts_.emplace(handle, std::move(context));
  *context_out = handle;
  return NnStatus::ok();
}

NnStatus Session::hold_context(uint32_t handle, HeldContext* out) {
  {
    std::lock_guard lock(mutex_);
    auto it = contexts_.find(handle);
    if (it == contexts_.end()) {
      return nn_error(NNWASM_INVALID_ARGUMENT, "unknown execution context handle " +
                                                   std::to_string(handle) +
                                                   " (never created, or already finalized)");
    }
    out->context = it->second;
  }
  const uint32_t wait_ms = runtime_.quotas.context_wait_ms;
  out->lock = std::unique_lock(out->context->call_mutex(), std::defer_lock);
  if (wait_ms == 0) {
    out->lock.lock();
  } else if (!out->lock.try_lock_for(std::chrono::milliseconds(wait_ms))) {
    return nn_error(NNWASM_BUSY, "execution context " + std::to_string(handle) +
                                     " is busy: another call has held it for over " +
                                     std::to_string(wait_ms) +
                                     " ms (a Generate whose client stopped reading?); retry "
                                     "later or use a context of your own");
  }
  out->context->touch();
  return NnStatus::ok();
}

size_t Session::finalize_idle(std::chrono::steady_clock::duration idle) {
  const auto before = std::chrono::steady_clock::now() - idle;
  std::vector<std::shared_ptr<Context>> dropped;  // freed after the lock
  std::lock_guard lock(mutex_);
  for (auto it = contexts_.begin(); it != contexts_.end();) {
    // try_lock: a context a call holds right now is in use, however long that call runs.
    std::unique_lock<std::timed_mutex> in_use(it->second->call_mutex(), std::try_to_lock);
    if (in_use.owns_lock() && it->second->last_used() < before) {
      in_use.unlock();
      dropped.push_back(std::move(it->second));
      it = contexts_.erase(it);
    } else {
      ++it;
    }
  }
  return dropped.size();
}

NnStatus Session::set_input(uint32_t context, uint32_t index, const nnwasm_tensor& tensor) {
  if (tensor.size > runtime_.quotas.max_tensor_bytes) {
    return nn_error(NNWASM_TOO_LARGE, "set_input: tensor of " + std::to_string(tensor.size) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(runtime_.quotas.max_tensor_bytes) +
                                          "; raise --nn-max-tensor-bytes");
  }
  HeldContext ctx;
  if (NnStatus s = hold_context(context, &ctx); !s.is_ok()) return s;
  return ctx->check(ctx->graph().backend().set_input(ctx->handle(), index, &tensor), "set_input");
}

NnStatus Session::compute(uint32_t context) {
  HeldContext ctx;
  if (NnStatus s = hold_context(context, &ctx); !s.is_ok()) return s;
  return run_compute(*ctx.context, runtime_.quotas.compute_timeout_ms, "compute",
                     [&] { return ctx->graph().backend().compute(ctx->handle()); });
}

NnStatus Session::output(HeldContext& ctx, uint32_t index, bool single, nnwasm_output* out) {
  const nnwasm_backend& backend = ctx->graph().backend();
  if (!single) return ctx->check(backend.get_output(ctx->handle(), index, out), "get_output");
  if (backend.get_output_single == nullptr) return no_streaming(*ctx.context, "get_output_single");
  return ctx->check(backend.get_output_single(ctx->handle(), index, out), "get_output_single");
}

NnStatus Session::get_output(uint32_t context, uint32_t index, nnwasm_output* out) {
  HeldContext ctx;
  if (NnStatus s = hold_context(context, &ctx); !s.is_ok()) return s;
  return output(ctx, index, false, out);
}

NnStatus Session::compute_single(uint32_t context) {
  HeldContext ctx;
  if (NnStatus s = hold_context(context, &ctx); !s.is_ok()) return s;
  return compute_single_held(ctx);
}

NnStatus Session::compute_single_held(HeldContext& ctx) {
  const nnwasm_backend& backend = ctx->graph().backend();
  if (backend.compute_single == nullptr) return no_streaming(*ctx.context, "compute_single");
  return run_compute(*ctx.context, runtime_.quotas.compute_timeout_ms, "compute_single",
                     [&] { return backend.compute_single(ctx->handle()); });
}

NnStatus Session::get_output_single(uint32_t context, uint32_t index, nnwasm_output* out) {
  HeldContext ctx;
  if (NnStatus s = hold_context(context, &ctx); !s.is_ok()) return s;
  return output(ctx, index, true, out);
}

NnStatus Session::fini_single(uint32_t context) {
  HeldContext ctx;
  if (NnStatus s = hold_context(context, &ctx); !s.is_ok()) return s;
  const nnwasm_backend& backend = ctx->graph().backend();
  if (backend.fini_single == nullptr) return no_streaming(*ctx.context, "fini_single");
  return ctx->check(backend.fini_single(ctx->handle()), "fini_single");
}

NnStatus Session::unload(uint32_t graph) {
  std::shared_ptr<Graph> dropped;  // released after the lock: a last reference frees the graph
  std::lock_guard lock(mutex_);
  auto it = graphs_.find(graph);
  if (it == graphs_.end()) {
    return nn_error(NNWASM_INVALID_ARGUMENT,
                    "unload: unknown graph handle " + std::to_string(graph));
  }
  for (auto name = name_cache_.begin(); name != name_cache_.end();) {
    name = name->second == graph ? name_cache_.erase(name) : std::next(name);
  }
  dropped = std::move(it->second);
  graphs_.erase(it);  // contexts on it keep the graph alive until finalized
  return NnStatus::ok();
}

NnStatus Session::finalize_execution_context(uint32_t context) {
  std::shared_ptr<Context> dropped;  // freed after the lock (and after a call in flight on it)
  std::lock_guard lock(mutex_);
  auto it = contexts_.find(context);
  if (it == contexts_.end()) {
    return nn_error(NNWASM_INVALID_ARGUMENT, "finalize_execution_context: unknown context handle " +
                                                 std::to_string(context));
  }
  dropped = std::move(it->second);
  contexts_.erase(it);
  return NnStatus::ok();
}

}  // namespace nnwasm::nn
