// WasmEdge's NNRPC services: decode, call the session, encode (errors as UNKNOWN + errno).
#include "rpc/wasi_nn_service.h"

#include <spdlog/spdlog.h>

#include "wire.h"

namespace nnwasm::rpc {

grpc::Status reply(grpc::ServerContextBase* context, const nn::NnStatus& status) {
  if (status.is_ok()) return grpc::Status::OK;
  spdlog::debug("{}", status.message);
  return error_status(context, status.code, status.message);
}

grpc::Status GraphService::LoadByName(grpc::ServerContext* context,
                                      const wire::LoadByNameRequest* request,
                                      wire::LoadByNameResult* result) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    uint32_t graph = 0;
    nn::NnStatus status = session.load_by_name(request->name(), {}, &graph);
    result->set_graph_handle(graph);
    return status;
  });
}

grpc::Status GraphService::LoadByNameWithConfig(grpc::ServerContext* context,
                                                const wire::LoadByNameWithConfigRequest* request,
                                                wire::LoadByNameWithConfigResult* result) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    uint32_t graph = 0;
    nn::NnStatus status = session.load_by_name(request->name(), request->config(), &graph);
    result->set_graph_handle(graph);
    return status;
  });
}

grpc::Status GraphResourceService::InitExecutionContext(
    grpc::ServerContext* context, const wire::InitExecutionContextRequest* request,
    wire::InitExecutionContextResult* result) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    uint32_t ctx = 0;
    nn::NnStatus status = session.init_execution_context(request->resource_handle(), &ctx);
    result->set_ctx_handle(ctx);
    return status;
  });
}

grpc::Status ExecutionContextService::SetInput(grpc::ServerContext* context,
                                               const wire::SetInputRequest* request,
                                               google::protobuf::Empty*) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    const wire::Tensor& t = request->tensor();
    // The guest's raw witx type travels in `ty` (docs/abi.md section 7).
    const uint32_t type = static_cast<uint32_t>(t.ty());
    if (nn::element_size(type) == 0) {
      return nn::nn_error(NNWASM_INVALID_ARGUMENT,
                          "set_input: unknown tensor type " + std::to_string(type) +
                              " (0 f16, 1 f32, 2 f64, 3 u8, 4 i32, 5 i64)");
    }
    const nnwasm_tensor tensor{t.dimensions().data(), static_cast<uint32_t>(t.dimensions_size()),
                               type, reinterpret_cast<const uint8_t*>(t.data().data()),
                               t.data().size()};
    return session.set_input(request->resource_handle(), request->index(), tensor);
  });
}

grpc::Status ExecutionContextService::Compute(grpc::ServerContext* context,
                                              const wire::ComputeRequest* request,
                                              google::protobuf::Empty*) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    return session.compute(request->resource_handle());
  });
}

grpc::Status ExecutionContextService::ComputeSingle(grpc::ServerContext* context,
                                                    const wire::ComputeRequest* request,
                                                    google::protobuf::Empty*) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    return session.compute_single(request->resource_handle());
  });
}

grpc::Status ExecutionContextService::GetOutput(grpc::ServerContext* context,
                                                const wire::GetOutputRequest* request,
                                                wire::GetOutputResult* result) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    return session.read_output(
        request->resource_handle(), request->index(), false,
        [&](const nnwasm_output& out) { result->set_data(out.data, out.size); });
  });
}

grpc::Status ExecutionContextService::GetOutputSingle(grpc::ServerContext* context,
                                                      const wire::GetOutputRequest* request,
                                                      wire::GetOutputResult* result) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    return session.read_output(
        request->resource_handle(), request->index(), true,
        [&](const nnwasm_output& out) { result->set_data(out.data, out.size); });
  });
}

grpc::Status ExecutionContextService::FiniSingle(grpc::ServerContext* context,
                                                 const wire::FiniSingleRequest* request,
                                                 google::protobuf::Empty*) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    return session.fini_single(request->resource_handle());
  });
}

}  // namespace nnwasm::rpc
