// The sessions of an NNRPC server: one shared by every call without `nnwasm-session` metadata
// (WasmEdge clients carry no identity, and WasmEdge's own server shares everything the same
// way), and one per OpenSession of an nnwasm client, freed when that call ends.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "nn/session.h"

namespace nnwasm::rpc {

class SessionRegistry {
 public:
  explicit SessionRegistry(nn::NnRuntime& runtime);

  // How this server names itself in messages and in the sessions it opens ("unix:///... (pid
  // 42 on host)"): a client behind a load balancer learns which server holds its session.
  void set_server_name(std::string name) { server_name_ = std::move(name); }
  const std::string& server_name() const { return server_name_; }

  // The session a call acts on; nullptr with `status` set (FAILED_PRECONDITION, trailer
  // kNoSessionKey) when its id is unknown: a session that ended, a guess, or a call that a load
  // balancer sent to another server than the session's.
  std::shared_ptr<nn::Session> find(grpc::ServerContextBase& context, grpc::Status* status);

  // A new session for `client` (free text for the log; `route`: the client's routing key, for
  // the log too); returns its id, unguessable.
  std::string open(const std::string& client, std::string_view route);
  // Ends a session: its graphs and contexts are freed once no call uses them any more.
  void close(const std::string& id);

  size_t open_count() const;
  // Finalizes the shared session's contexts unused for `idle` (WasmEdge clients never finalize;
  // our sessions are freed whole when they end). Returns how many.
  size_t reap_idle(std::chrono::steady_clock::duration idle);

  // Every call must then carry `authorization: Bearer <token>` (PERMISSION_DENIED otherwise).
  void require_token(std::string token) { token_ = "Bearer " + std::move(token); }
  // Whether the call may go on: its token is right; `status` says why not.
  bool authorized(const grpc::ServerContextBase& context, grpc::Status* status) const;

  // Whether the server takes a new call: authorized() and not draining (else UNAVAILABLE with
  // the trailer kDrainingKey, so that a client tries another routing key).
  bool accepting(grpc::ServerContextBase& context, grpc::Status* status) const;

  // Calls are counted while they run (on_session): after drain() starts, new ones are refused
  // (see accepting()); it returns when none is left or `limit` passed.
  bool enter(grpc::ServerContextBase& context, grpc::Status* status);
  void leave();
  // Waits (up to `limit`) until no call is in flight, refusing new ones from now; returns how
  // many are still running (stuck in a framework call, say).
  int drain(std::chrono::milliseconds limit);

 private:
  // Sets the draining refusal in `status` (and its trailer); returns false.
  bool refuse_draining(grpc::ServerContextBase& context, grpc::Status* status) const;

  struct Entry {
    std::shared_ptr<nn::Session> session;
    std::string client;
  };
  nn::NnRuntime& runtime_;
  mutable std::mutex mutex_;
  std::shared_ptr<nn::Session> shared_;
  std::map<std::string, Entry, std::less<>> sessions_;
  std::condition_variable idle_;
  int in_flight_ = 0;  // guarded by mutex_
  std::string token_;  // "Bearer ..." or empty: no token needed
  bool draining_ = false;
  std::string server_name_;
};

}  // namespace nnwasm::rpc
