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

#include "nn/session.h"

namespace nnwasm::rpc {

class SessionRegistry {
 public:
  explicit SessionRegistry(nn::NnRuntime& runtime);

  // The session a call acts on; nullptr with `status` set when its id is unknown (a session
  // that ended, or a guess).
  std::shared_ptr<nn::Session> find(const grpc::ServerContextBase& context, grpc::Status* status);

  // A new session for `client` (free text for the log); returns its id, unguessable.
  std::string open(const std::string& client);
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

  // Calls are counted while they run (on_session): after drain() starts, new ones are refused
  // (UNAVAILABLE); it returns when none is left or `limit` passed. Checks authorized() too.
  bool enter(const grpc::ServerContextBase& context, grpc::Status* status);
  void leave();
  void drain(std::chrono::milliseconds limit);

 private:
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
};

}  // namespace nnwasm::rpc
