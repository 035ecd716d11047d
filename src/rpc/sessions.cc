// NNRPC sessions: lookup by metadata, random ids, one log line per session start and end.
#include "rpc/sessions.h"

#include <spdlog/spdlog.h>

#include "wire.h"

namespace nnwasm::rpc {

namespace {

// Whether `given` equals `secret`, in a time that depends only on their lengths: a client that
// times its refusals learns nothing about how much of the token it has right.
bool same_secret(std::string_view given, std::string_view secret) {
  unsigned char differ = given.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i) {
    differ |= static_cast<unsigned char>(given[i] ^ secret[i % secret.size()]);
  }
  return differ == 0;
}

}  // namespace

SessionRegistry::SessionRegistry(nn::NnRuntime& runtime)
    : runtime_(runtime), shared_(std::make_shared<nn::Session>(runtime)) {}

std::shared_ptr<nn::Session> SessionRegistry::find(grpc::ServerContextBase& context,
                                                   grpc::Status* status) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kSessionKey);
  if (it == metadata.end()) return shared_;
  const std::string_view id(it->second.data(), it->second.size());
  std::lock_guard lock(mutex_);
  auto session = sessions_.find(id);
  if (session == sessions_.end()) {
    // The client tells the two causes apart (it knows whether its session stream still runs).
    context.AddTrailingMetadata(kNoSessionKey, "1");
    *status = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                           "no session " + std::string(id) + " on server " + server_name_ +
                               " (it ended, the server restarted, or a load balancer sent the "
                               "call to another server than the session's)");
    return nullptr;
  }
  return session->second.session;
}

std::string SessionRegistry::open(const std::string& client, std::string_view route) {
  // 128 bits from the kernel: an id is the only key to a session, so it must not be guessable.
  const std::string id = random_id();
  auto session = std::make_shared<nn::Session>(runtime_);
  size_t open;
  {
    std::lock_guard lock(mutex_);
    sessions_[id] = {std::move(session), client};
    open = sessions_.size();
  }
  // The route is the client's text: only its first 64 plain characters reach the log.
  std::string shown_route;
  for (char c : route.substr(0, 64)) shown_route += (c > ' ' && c < 127) ? c : '?';
  spdlog::info("session {} started ({}; route {}; {} open)", id,
               client.empty() ? "no name" : client, route.empty() ? "none" : shown_route, open);
  return id;
}

void SessionRegistry::close(const std::string& id) {
  Entry entry;
  size_t open;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    entry = std::move(it->second);
    sessions_.erase(it);
    open = sessions_.size();
  }
  spdlog::info("session {} ended: freed {} graph(s) and {} context(s); {} open", id,
               entry.session->graph_count(), entry.session->context_count(), open);
  // The session (and what it holds) goes with the last call still using it.
}

bool SessionRegistry::authorized(const grpc::ServerContextBase& context,
                                 grpc::Status* status) const {
  if (token_.empty()) return true;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kAuthorizationKey);
  const bool ok = it != metadata.end() &&
                  same_secret(std::string_view(it->second.data(), it->second.size()), token_);
  if (!ok) {
    *status = grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                           "this nnwasm server needs a token: pass --nn-rpc-token-file FILE with "
                           "the server's token");
  }
  return ok;
}

bool SessionRegistry::accepting(grpc::ServerContextBase& context, grpc::Status* status) const {
  if (!authorized(context, status)) return false;
  std::lock_guard lock(mutex_);
  return !draining_ || refuse_draining(context, status);
}

bool SessionRegistry::refuse_draining(grpc::ServerContextBase& context,
                                      grpc::Status* status) const {
  context.AddTrailingMetadata(kDrainingKey, "1");
  *status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the nnwasm server " + server_name_ +
                                                            " is shutting down; use another one");
  return false;
}

bool SessionRegistry::enter(grpc::ServerContextBase& context, grpc::Status* status) {
  if (!authorized(context, status)) return false;
  std::lock_guard lock(mutex_);
  if (draining_) return refuse_draining(context, status);
  ++in_flight_;
  return true;
}

void SessionRegistry::leave() {
  std::lock_guard lock(mutex_);
  if (--in_flight_ == 0) idle_.notify_all();
}

int SessionRegistry::drain(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  draining_ = true;
  idle_.wait_for(lock, limit, [&] { return in_flight_ == 0; });
  return in_flight_;
}

size_t SessionRegistry::reap_idle(std::chrono::steady_clock::duration idle) {
  const size_t freed = shared_->finalize_idle(idle);
  if (freed > 0) {
    spdlog::info("shared session: finalized {} context(s) unused for {} s", freed,
                 std::chrono::duration_cast<std::chrono::seconds>(idle).count());
  }
  return freed;
}

size_t SessionRegistry::open_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace nnwasm::rpc
