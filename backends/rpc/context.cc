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
  close_stream(true);
  Server& server = *graph_->server;
  if (!server.extended()) return;  // WasmEdge servers never free contexts
  grpc::ClientContext c;
  server.prepare(&c, true);
  v1::FinalizeRequest request;
  request.set_ctx_handle(handle_);
  google::protobuf::Empty empty;
  server.nnwasm().FinalizeExecutionContext(&c, request, &empty);
}

std::pair<grpc::Status, std::unique_ptr<grpc::ClientContext>> Context::close_stream(bool cancel) {
  if (!stream_) return {grpc::Status::OK, nullptr};
  // The server holds the context for the whole Generate call: the next call on it runs after
  // Generate's last step.
  if (cancel) stream_call_->TryCancel();
  grpc::Status status = stream_->Finish();
  stream_.reset();
  return {std::move(status), std::move(stream_call_)};
}

void Context::start_over() {
  close_stream(true);  // set_input, compute and fini_single start the sequence over anyway
  stepped_ = false;
  drop_outputs();
}

void Context::set_input(uint32_t index, const nnwasm_tensor& tensor) {
  start_over();
  Server& server = *graph_->server;
  grpc::ClientContext c;
  server.prepare(&c, false);
  if (server.extended() && tensor.size > kChunk) {  // over one message: in chunks
    google::protobuf::Empty empty;
    auto writer = server.nnwasm().SetInputStream(&c, &empty);
    v1::SetInputChunk chunk;
    chunk.set_ctx_handle(handle_);
    chunk.set_index(index);
    chunk.mutable_dimensions()->Add(tensor.dims, tensor.dims + tensor.rank);
    chunk.set_type(tensor.type);
    chunk.set_size(tensor.size);
    write_chunks(*writer, chunk, tensor.data, tensor.size);
    server.check(c, writer->Finish(), "set_input");
    return;
  }
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
  start_over();
  return run(false);
}

nnwasm_status Context::compute_single() {
  drop_outputs();
  Server& server = *graph_->server;
  if (!server.extended()) return run(true);  // one round trip per token
  if (!stream_) {
    stream_call_ = std::make_unique<grpc::ClientContext>();
    server.prepare(stream_call_.get(), false);
    v1::GenerateRequest request;
    request.set_ctx_handle(handle_);
    stream_ = server.nnwasm().Generate(stream_call_.get(), request);
    text_.clear();  // the first piece carries the whole text so far
  }
  if (stream_->Read(&last_)) {
    stepped_ = true;
    text_ += last_.text_delta();
    if (last_.code() != NNWASM_SUCCESS) close_stream(false);  // the end: the server stopped too
    return last_.code();
  }
  // Ended without a piece: a failed step (its code), or the server went away.
  auto [status, call] = close_stream(false);
  stepped_ = false;
  server.check(*call,
               status.ok()
                   ? grpc::Status(grpc::StatusCode::INTERNAL, "Generate ended without a step")
                   : status,
               "compute_single");
  return NNWASM_RUNTIME_ERROR;
}

nnwasm_output Context::hold(bool single, uint32_t index, std::string bytes, uint32_t type,
                            std::vector<uint32_t> dims) {
  Held& held = outputs_[{single, index}];
  held.bytes = std::move(bytes);
  held.type = type;
  held.dims = std::move(dims);
  if (held.dims.empty()) held.dims.push_back(static_cast<uint32_t>(held.bytes.size()));
  return {reinterpret_cast<const uint8_t*>(held.bytes.data()), held.bytes.size(), type,
          static_cast<uint32_t>(held.dims.size()), held.dims.data()};
}

nnwasm_output Context::fetch(uint32_t index, bool single) {
  // Fetched once per compute: pointers handed out stay valid, and repeated reads cost nothing.
  if (auto it = outputs_.find({single, index}); it != outputs_.end()) {
    return {reinterpret_cast<const uint8_t*>(it->second.bytes.data()), it->second.bytes.size(),
            it->second.type, static_cast<uint32_t>(it->second.dims.size()), it->second.dims.data()};
  }
  Server& server = *graph_->server;
  // While the server generates ahead, answer what the guest would read at its own step.
  if (stepped_ && single && index == 0) return hold(single, 0, last_.piece(), NNWASM_TENSOR_U8, {});
  if (stepped_ && !single && index == 0) return hold(single, 0, text_, NNWASM_TENSOR_U8, {});
  if (stepped_ && index == 1) return hold(single, 1, last_.stats(), NNWASM_TENSOR_U8, {});
  // Any other read would wait for the server's Generate (it holds the context): end it first,
  // keeping what was handed out (valid until the next compute).
  close_stream(true);
  grpc::ClientContext c;
  server.prepare(&c, false);
  wire::GetOutputRequest request;
  request.set_resource_handle(handle_);
  request.set_index(index);
  if (server.extended() && !single) {
    v1::TypedOutput result;
    server.check(c, server.nnwasm().GetOutputTyped(&c, request, &result), "get_output");
    return hold(single, index, std::move(*result.mutable_data()), result.type(),
                {result.dimensions().begin(), result.dimensions().end()});
  }
  wire::GetOutputResult result;
  const grpc::Status status = single ? server.context().GetOutputSingle(&c, request, &result)
                                     : server.context().GetOutput(&c, request, &result);
  server.check(c, status, single ? "get_output_single" : "get_output");
  // The plain service sends bytes only: their type is unknown here.
  return hold(single, index, std::move(*result.mutable_data()), NNWASM_TENSOR_UNKNOWN, {});
}

nnwasm_output Context::output(uint32_t index) {
  return fetch(index, false);
}

nnwasm_output Context::output_single(uint32_t index) {
  return fetch(index, true);
}

void Context::fini_single() {
  start_over();
  Server& server = *graph_->server;
  grpc::ClientContext c;
  server.prepare(&c, false);
  wire::FiniSingleRequest request;
  request.set_resource_handle(handle_);
  google::protobuf::Empty empty;
  server.check(c, server.context().FiniSingle(&c, request, &empty), "fini_single");
}

}  // namespace nnwasm::rpc_backend
