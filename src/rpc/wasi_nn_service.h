// WasmEdge's NNRPC services (proto/wasi_ephemeral_nn.proto) over the NN core: Graph,
// GraphResource and GraphExecutionContextResource, each call on the caller's session.
#pragma once

#include "rpc/sessions.h"
#include "wasi_ephemeral_nn.grpc.pb.h"

namespace nnwasm::rpc {

namespace wire = ::wasi_ephemeral_nn;

// The grpc::Status for an NnStatus (UNKNOWN + errno trailer when it failed).
grpc::Status reply(grpc::ServerContextBase* context, const nn::NnStatus& status);

// Runs `call` (nn::Session& -> NnStatus) on the caller's session and replies with its status.
// Counted as in flight (SessionRegistry::drain waits for it).
template <typename Call>
grpc::Status on_session(SessionRegistry& sessions, grpc::ServerContextBase* context, Call&& call) {
  grpc::Status status;
  if (!sessions.enter(*context, &status)) return status;
  struct Leave {
    SessionRegistry& sessions;
    ~Leave() { sessions.leave(); }
  } leave{sessions};
  std::shared_ptr<nn::Session> session = sessions.find(*context, &status);
  if (!session) return status;
  return reply(context, call(*session));
}

class GraphService final : public wire::Graph::Service {
 public:
  explicit GraphService(SessionRegistry& sessions) : sessions_(sessions) {}
  grpc::Status LoadByName(grpc::ServerContext* context, const wire::LoadByNameRequest* request,
                          wire::LoadByNameResult* result) override;
  grpc::Status LoadByNameWithConfig(grpc::ServerContext* context,
                                    const wire::LoadByNameWithConfigRequest* request,
                                    wire::LoadByNameWithConfigResult* result) override;

 private:
  SessionRegistry& sessions_;
};

class GraphResourceService final : public wire::GraphResource::Service {
 public:
  explicit GraphResourceService(SessionRegistry& sessions) : sessions_(sessions) {}
  grpc::Status InitExecutionContext(grpc::ServerContext* context,
                                    const wire::InitExecutionContextRequest* request,
                                    wire::InitExecutionContextResult* result) override;

 private:
  SessionRegistry& sessions_;
};

class ExecutionContextService final : public wire::GraphExecutionContextResource::Service {
 public:
  explicit ExecutionContextService(SessionRegistry& sessions) : sessions_(sessions) {}
  grpc::Status SetInput(grpc::ServerContext* context, const wire::SetInputRequest* request,
                        google::protobuf::Empty* result) override;
  grpc::Status Compute(grpc::ServerContext* context, const wire::ComputeRequest* request,
                       google::protobuf::Empty* result) override;
  grpc::Status ComputeSingle(grpc::ServerContext* context, const wire::ComputeRequest* request,
                             google::protobuf::Empty* result) override;
  grpc::Status GetOutput(grpc::ServerContext* context, const wire::GetOutputRequest* request,
                         wire::GetOutputResult* result) override;
  grpc::Status GetOutputSingle(grpc::ServerContext* context, const wire::GetOutputRequest* request,
                               wire::GetOutputResult* result) override;
  grpc::Status FiniSingle(grpc::ServerContext* context, const wire::FiniSingleRequest* request,
                          google::protobuf::Empty* result) override;

 private:
  SessionRegistry& sessions_;
};

}  // namespace nnwasm::rpc
