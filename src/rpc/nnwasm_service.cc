// nnwasm's NNRPC extensions over the NN core.
#include "rpc/nnwasm_service.h"

#include <spdlog/spdlog.h>

#include <limits>
#include <vector>

#include "rpc/wasi_nn_service.h"
#include "wire.h"

namespace nnwasm::rpc {

// One open session: writes its id, then a heartbeat now and then (proxies end streams idle for
// their read timeout), and stays open until the client ends the call (or goes away) or the server
// shuts down; then the session is closed.
class NnwasmService::SessionStream final : public grpc::ServerWriteReactor<v1::SessionEvent> {
 public:
  // A `refusal` other than OK ends the call at once with it.
  SessionStream(NnwasmService& service, std::string id, const grpc::Status& refusal)
      : service_(service), id_(std::move(id)) {
    if (!refusal.ok()) {
      ended_ = true;
      Finish(refusal);
      return;
    }
    event_.set_session_id(id_);
    event_.set_server(service_.sessions_.server_name());
    writing_ = true;
    StartWrite(&event_);
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard lock(write_mutex_);
      writing_ = false;
    }
    if (!ok) end();
  }
  void OnCancel() override { end(); }
  void OnDone() override {
    {
      std::lock_guard lock(service_.streams_mutex_);
      service_.streams_.erase(this);
    }
    delete this;
  }

  // An empty event, unless one is still being written (a slow client needs no more).
  void heartbeat() {
    std::lock_guard lock(write_mutex_);
    if (writing_ || ended_) return;
    writing_ = true;
    event_.Clear();
    StartWrite(&event_);
  }

  void end() {
    {
      // Under the lock: a heartbeat never starts a write after Finish.
      std::lock_guard lock(write_mutex_);
      if (ended_) return;
      ended_ = true;
    }
    service_.sessions_.close(id_);
    Finish(grpc::Status::OK);
  }

 private:
  NnwasmService& service_;
  const std::string id_;
  v1::SessionEvent event_;
  // Recursive: gRPC may run OnWriteDone inside StartWrite, on this thread.
  std::recursive_mutex write_mutex_;
  bool writing_ = false;  // a write is in flight (gRPC allows one at a time)
  bool ended_ = false;
};

NnwasmService::NnwasmService(SessionRegistry& sessions, nn::NnRuntime& runtime, std::string version,
                             uint32_t max_sessions)
    : sessions_(sessions),
      runtime_(runtime),
      version_(std::move(version)),
      max_sessions_(max_sessions) {}

NnwasmService::~NnwasmService() = default;

grpc::ServerWriteReactor<v1::SessionEvent>* NnwasmService::OpenSession(
    grpc::CallbackServerContext* context, const v1::OpenSessionRequest* request) {
  std::lock_guard lock(streams_mutex_);
  if (grpc::Status refused; !sessions_.accepting(*context, &refused)) {
    return new SessionStream(*this, "", refused);
  }
  if (ending_) {
    return new SessionStream(
        *this, "", grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down"));
  }
  if (sessions_.open_count() >= max_sessions_) {
    return new SessionStream(
        *this, "",
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     "the server has " + std::to_string(max_sessions_) +
                         " sessions open, its limit (--nn-rpc-max-sessions); try another server"));
  }
  const std::string client = request->client() + " from " + context->peer();
  const auto& metadata = context->client_metadata();
  const auto route = metadata.find(kRouteKey);
  const std::string_view route_key =
      route == metadata.end() ? std::string_view()
                              : std::string_view(route->second.data(), route->second.size());
  auto* stream = new SessionStream(*this, sessions_.open(client, route_key), grpc::Status::OK);
  streams_.insert(stream);
  return stream;
}

void NnwasmService::heartbeat() {
  std::lock_guard lock(streams_mutex_);
  for (SessionStream* stream : streams_) stream->heartbeat();
}

void NnwasmService::end_sessions() {
  // Recursive: a stream's OnDone may run inside its Finish, on this thread.
  std::lock_guard lock(streams_mutex_);
  ending_ = true;
  const std::vector<SessionStream*> open(streams_.begin(), streams_.end());
  for (SessionStream* stream : open) stream->end();
}

namespace {

// The data of a client-streamed upload (Load, SetInputStream) whose first chunk, read already,
// declared `total` bytes: admitted against the session's and the server's memory budgets before
// any byte is taken (`upload` holds that until the caller lets go), received into one buffer of
// that size (never doubled), and exactly as long as declared.
template <typename Chunk>
nn::NnStatus receive(nn::Session& session, grpc::ServerReader<Chunk>* reader, Chunk* chunk,
                     uint64_t total, const char* call, const char* what, nn::Reservation* upload,
                     std::vector<uint8_t>* bytes) {
  if (nn::NnStatus admitted = session.admit_upload(total, upload); !admitted.is_ok()) {
    admitted.message = std::string(call) + ": " + admitted.message;
    return admitted;
  }
  bytes->reserve(total);
  do {
    if (chunk->data().size() > total - bytes->size()) {
      return nn::nn_error(NNWASM_INVALID_ARGUMENT,
                          std::string(call) + ": more " + what + " bytes than declared");
    }
    bytes->insert(bytes->end(), chunk->data().begin(), chunk->data().end());
  } while (reader->Read(chunk));
  if (bytes->size() != total) {
    return nn::nn_error(NNWASM_INVALID_ARGUMENT, std::string(call) + ": the " + what +
                                                     " stream ended after " +
                                                     std::to_string(bytes->size()) + " of " +
                                                     std::to_string(total) + " bytes");
  }
  return nn::NnStatus::ok();
}

}  // namespace

grpc::Status NnwasmService::SetInputStream(grpc::ServerContext* context,
                                           grpc::ServerReader<v1::SetInputChunk>* reader,
                                           google::protobuf::Empty*) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    v1::SetInputChunk chunk;
    if (!reader->Read(&chunk)) {
      return nn::nn_error(NNWASM_INVALID_ARGUMENT, "set_input: no tensor header");
    }
    if (chunk.size() > runtime_.quotas.max_tensor_bytes) {
      return nn::nn_error(NNWASM_TOO_LARGE, "set_input: a tensor of " +
                                                std::to_string(chunk.size()) +
                                                " bytes exceeds the server's limit of " +
                                                std::to_string(runtime_.quotas.max_tensor_bytes) +
                                                "; raise --nn-max-tensor-bytes of nnwasm serve");
    }
    if (nn::element_size(chunk.type()) == 0) {
      return nn::nn_error(NNWASM_INVALID_ARGUMENT,
                          "set_input: unknown tensor type " + std::to_string(chunk.type()) +
                              " (0 f16, 1 f32, 2 f64, 3 u8, 4 i32, 5 i64)");
    }
    const uint32_t ctx = chunk.ctx_handle(), index = chunk.index(), type = chunk.type();
    const std::vector<uint32_t> dims(chunk.dimensions().begin(), chunk.dimensions().end());
    nn::Reservation upload;
    std::vector<uint8_t> bytes;
    if (nn::NnStatus received =
            receive(session, reader, &chunk, chunk.size(), "set_input", "tensor", &upload, &bytes);
        !received.is_ok()) {
      return received;
    }
    const nnwasm_tensor tensor{dims.data(), static_cast<uint32_t>(dims.size()), type, bytes.data(),
                               bytes.size()};
    return session.set_input(ctx, index, tensor);
  });
}

grpc::Status NnwasmService::Load(grpc::ServerContext* context,
                                 grpc::ServerReader<v1::LoadChunk>* reader,
                                 v1::LoadResult* result) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    v1::LoadChunk chunk;
    if (!reader->Read(&chunk) || chunk.builder_sizes_size() == 0) {  // header
      return nn::nn_error(NNWASM_INVALID_ARGUMENT, "load: no model header (builder sizes)");
    }
    constexpr int kMaxBuilders = 64;  // models are one file, or a few (weights beside a graph)
    if (chunk.builder_sizes_size() > kMaxBuilders) {
      return nn::nn_error(NNWASM_INVALID_ARGUMENT,
                          "load: " + std::to_string(chunk.builder_sizes_size()) +
                              " graph builders; at most " + std::to_string(kMaxBuilders));
    }
    // The declared size is checked before anything is allocated.
    uint64_t total = 0;
    for (uint64_t size : chunk.builder_sizes()) {
      if (__builtin_add_overflow(total, size, &total)) total = std::numeric_limits<uint64_t>::max();
    }
    if (total > runtime_.quotas.max_model_bytes) {
      return nn::nn_error(NNWASM_TOO_LARGE, "load: model of " + std::to_string(total) +
                                                " bytes exceeds the server's limit of " +
                                                std::to_string(runtime_.quotas.max_model_bytes) +
                                                "; raise --nn-max-model-bytes of nnwasm serve");
    }
    const uint32_t encoding = chunk.encoding(), target = chunk.target();
    std::vector<uint64_t> sizes(chunk.builder_sizes().begin(), chunk.builder_sizes().end());
    nn::Reservation upload;
    std::vector<uint8_t> bytes;
    if (nn::NnStatus received =
            receive(session, reader, &chunk, total, "load", "model", &upload, &bytes);
        !received.is_ok()) {
      return received;
    }
    std::vector<nnwasm_bytes> builders;
    size_t at = 0;
    for (uint64_t size : sizes) {
      builders.push_back({bytes.data() + at, size});
      at += size;
    }
    upload.reset();  // the load admits the model itself
    uint32_t graph = 0;
    nn::NnStatus status = session.load(builders, encoding, target, &graph);
    result->set_graph_handle(graph);
    return status;
  });
}

grpc::Status NnwasmService::Unload(grpc::ServerContext* context, const v1::UnloadRequest* request,
                                   google::protobuf::Empty*) {
  return on_session(sessions_, context,
                    [&](nn::Session& session) { return session.unload(request->graph_handle()); });
}

grpc::Status NnwasmService::FinalizeExecutionContext(grpc::ServerContext* context,
                                                     const v1::FinalizeRequest* request,
                                                     google::protobuf::Empty*) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    return session.finalize_execution_context(request->ctx_handle());
  });
}

grpc::Status NnwasmService::ListModels(grpc::ServerContext* context, const google::protobuf::Empty*,
                                       v1::ModelList* result) {
  // A draining server says so here, the first call of a client's run (which then tries another
  // routing key, and so another server behind a balancer).
  if (grpc::Status refused; !sessions_.accepting(*context, &refused)) return refused;
  for (const nn::NamedModel& model : runtime_.models.list()) {
    v1::Model* m = result->add_models();
    m->set_name(model.name);
    m->set_encoding(nn::encoding_name(model.encoding));
    m->set_target(nn::target_name(model.target));
  }
  result->set_server_version(version_);
  return grpc::Status::OK;
}

grpc::Status NnwasmService::GetOutputTyped(grpc::ServerContext* context,
                                           const ::wasi_ephemeral_nn::GetOutputRequest* request,
                                           v1::TypedOutput* result) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    return session.read_output(request->resource_handle(), request->index(), false,
                               [&](const nnwasm_output& out) {
                                 result->set_data(out.data, out.size);
                                 result->set_type(out.type);
                                 for (uint32_t i = 0; i < out.rank && out.dims; ++i)
                                   result->add_dimensions(out.dims[i]);
                               });
  });
}

grpc::Status NnwasmService::Generate(grpc::ServerContext* context,
                                     const v1::GenerateRequest* request,
                                     grpc::ServerWriter<v1::GeneratePiece>* writer) {
  return on_session(sessions_, context, [&](nn::Session& session) {
    v1::GeneratePiece piece;
    size_t sent = 0;  // bytes of output 0 already sent as deltas
    return session.stream(
        request->ctx_handle(), [&] { return !context->IsCancelled(); },
        [&](uint32_t code, const nnwasm_output& out, const nnwasm_output& text,
            const nnwasm_output& stats) {
          piece.set_code(code);
          piece.set_piece(out.data, out.size);
          piece.set_stats(stats.data, stats.size);
          if (text.size < sent) sent = 0;  // the text started over: send it whole
          piece.set_text_delta(text.data + sent, text.size - sent);
          sent = text.size;
          return writer->Write(piece);  // false: the client went away
        });
  });
}

}  // namespace nnwasm::rpc
