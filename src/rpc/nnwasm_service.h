// nnwasm's NNRPC extensions (proto/nnwasm_rpc.proto): sessions, load from bytes, unload,
// finalize, the model list, typed outputs and streamed generation. OpenSession is served with
// gRPC's callback API, so an open session holds no server thread.
#pragma once

#include <mutex>
#include <set>
#include <string>

#include "nnwasm_rpc.grpc.pb.h"
#include "rpc/sessions.h"

namespace nnwasm::rpc {

namespace v1 = ::nnwasm::rpc::v1;

class NnwasmService final : public v1::Nnwasm::WithCallbackMethod_OpenSession<v1::Nnwasm::Service> {
 public:
  // At most `max_sessions` sessions open at once (OpenSession: RESOURCE_EXHAUSTED beyond).
  NnwasmService(SessionRegistry& sessions, nn::NnRuntime& runtime, std::string version,
                uint32_t max_sessions);
  ~NnwasmService() override;

  grpc::ServerWriteReactor<v1::SessionEvent>* OpenSession(
      grpc::CallbackServerContext* context, const v1::OpenSessionRequest* request) override;
  grpc::Status Load(grpc::ServerContext* context, grpc::ServerReader<v1::LoadChunk>* reader,
                    v1::LoadResult* result) override;
  grpc::Status SetInputStream(grpc::ServerContext* context,
                              grpc::ServerReader<v1::SetInputChunk>* reader,
                              google::protobuf::Empty* result) override;
  grpc::Status Unload(grpc::ServerContext* context, const v1::UnloadRequest* request,
                      google::protobuf::Empty* result) override;
  grpc::Status FinalizeExecutionContext(grpc::ServerContext* context,
                                        const v1::FinalizeRequest* request,
                                        google::protobuf::Empty* result) override;
  grpc::Status ListModels(grpc::ServerContext* context, const google::protobuf::Empty* request,
                          v1::ModelList* result) override;
  grpc::Status GetOutputTyped(grpc::ServerContext* context,
                              const ::wasi_ephemeral_nn::GetOutputRequest* request,
                              v1::TypedOutput* result) override;
  grpc::Status Generate(grpc::ServerContext* context, const v1::GenerateRequest* request,
                        grpc::ServerWriter<v1::GeneratePiece>* writer) override;

  // Sends each open session stream an empty event (proxies end streams idle too long).
  void heartbeat();
  // Ends every open session stream (the server is shutting down).
  void end_sessions();

 private:
  class SessionStream;
  friend class SessionStream;

  SessionRegistry& sessions_;
  nn::NnRuntime& runtime_;
  std::string version_;
  uint32_t max_sessions_;
  std::recursive_mutex streams_mutex_;
  std::set<SessionStream*> streams_;
  bool ending_ = false;
};

}  // namespace nnwasm::rpc
