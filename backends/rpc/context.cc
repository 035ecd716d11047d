// Contexts on a server: every call forwarded, LLM result codes (100..103) passed through, outputs
// copied into the context until its next call.
#include "rpc_backend.h"
#include "wire.h"

namespace nnwasm::rpc_backend {

Context::Context(std::shared_ptr<Graph> graph) : graph_(std::move(graph)) {
  Server& server = *graph_->server;
  grpc::ClientContext c;
  server.prepare(&c, false);
  wire::InitExecutionContextRequest request;
  request.set_resource_handle(graph_->handle);
  wire::InitExecutionContextResult result;
  server.check(c, server.resource().InitExecutionContext(&c, request, &result),
               "init_execution_context");
  handle_ = result.ctx_handle();
}

Context::~Context() {
  Server& server = *graph_->server;
  if (!server.extended()) return;  // WasmEdge servers never free contexts
  grpc::ClientContext c;
  server.prepare(&c, true);
  v1::FinalizeRequest request;
  request.set_ctx_handle(handle_);
  google::protobuf::Empty empty;
  server.nnwasm().FinalizeExecutionContext(&c, request, &empty);
}

void Context::set_input(uint32_t index, const nnwasm_tensor& tensor) {
  Server& server = *graph_->server;
  grpc::ClientContext c;
  server.prepare(&c, false);
  wire::SetInputRequest request;
  request.set_resource_handle(handle_);
  request.set_index(index);
  wire::Tensor* t = request.mutable_tensor();
  t->mutable_dimensions()->Add(tensor.dims, tensor.dims + tensor.rank);
  t->set_ty(static_cast<wire::TensorType>(tensor.type));  // the raw witx value, as WasmEdge does
  t->set_data(tensor.data, tensor.size);
  google::protobuf::Empty empty;
  server.check(c, server.context().SetInput(&c, request, &empty), "set_input");
}

nnwasm_status Context::run(bool single) {
  Server& server = *graph_->server;
  grpc::ClientContext c;
  server.prepare(&c, false);
  wire::ComputeRequest request;
  request.set_resource_handle(handle_);
  google::protobuf::Empty empty;
  const grpc::Status status = single ? server.context().ComputeSingle(&c, request, &empty)
                                     : server.context().Compute(&c, request, &empty);
  if (!status.ok() && rpc::has_errno(c)) {
    const uint32_t code = rpc::code_of(c, status);
    if (code >= NNWASM_END_OF_SEQUENCE && code <= NNWASM_MODEL_NOT_FOUND) return code;
  }
  server.check(c, status, single ? "compute_single" : "compute");
  return NNWASM_SUCCESS;
}

nnwasm_status Context::compute() {
  return run(false);
}

nnwasm_status Context::compute_single() {
  return run(true);
}

nnwasm_output Context::fetch(uint32_t index, bool single) {
  Server& server = *graph_->server;
  grpc::ClientContext c;
  server.prepare(&c, false);
  wire::GetOutputRequest request;
  request.set_resource_handle(handle_);
  request.set_index(index);
  if (server.extended() && !single) {
    v1::TypedOutput result;
    server.check(c, server.nnwasm().GetOutputTyped(&c, request, &result), "get_output");
    bytes_ = std::move(*result.mutable_data());
    dims_.assign(result.dimensions().begin(), result.dimensions().end());
    return {reinterpret_cast<const uint8_t*>(bytes_.data()), bytes_.size(), result.type(),
            static_cast<uint32_t>(dims_.size()), dims_.data()};
  }
  wire::GetOutputResult result;
  const grpc::Status status = single ? server.context().GetOutputSingle(&c, request, &result)
                                     : server.context().GetOutput(&c, request, &result);
  server.check(c, status, single ? "get_output_single" : "get_output");
  bytes_ = std::move(*result.mutable_data());
  nnwasm_output out = plugin_support::bytes_output(bytes_.data(), bytes_.size(), &dim_);
  out.type = NNWASM_TENSOR_UNKNOWN;  // the plain service sends bytes only
  return out;
}

nnwasm_output Context::output(uint32_t index) {
  return fetch(index, false);
}

nnwasm_output Context::output_single(uint32_t index) {
  return fetch(index, true);
}

void Context::fini_single() {
  Server& server = *graph_->server;
  grpc::ClientContext c;
  server.prepare(&c, false);
  wire::FiniSingleRequest request;
  request.set_resource_handle(handle_);
  google::protobuf::Empty empty;
  server.check(c, server.context().FiniSingle(&c, request, &empty), "fini_single");
}

}  // namespace nnwasm::rpc_backend
