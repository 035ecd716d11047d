// RpcServer: the NN core served over gRPC - WasmEdge's NNRPC services, nnwasm's extensions and
// grpc.health.v1 - on unix sockets (created with a given mode, removed at the end) and TCP
// addresses, as `nnwasm serve` runs it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "nn/session.h"

namespace nnwasm::rpc {

struct ServeOptions {
  std::vector<std::string> uris;          // unix:///abs, unix:rel, HOST:PORT, [::1]:PORT
  mode_t socket_mode = 0600;              // --nn-rpc-socket-mode
  std::chrono::milliseconds drain{5000};  // in-flight calls get this long at shutdown
  std::string version;                    // ListModels' server_version
  bool plain = false;  // WasmEdge's services only, as its wasi_nn_rpcserver (for tests)
  // Contexts of the shared session (clients without a session) unused this long are finalized.
  std::chrono::milliseconds idle_timeout{600000};
  // Clients are pinged this often; one that does not answer is dropped (its session freed).
  std::chrono::milliseconds keepalive{30000};
  // Open session streams get an empty event this often: a proxy in front of the server (nginx's
  // grpc_read_timeout, HAProxy's timeout server) would otherwise end a stream idle that long.
  std::chrono::milliseconds heartbeat{15000};  // --nn-rpc-heartbeat
  // Caps for the whole server, whatever the clients do: calls running at once (each holds one
  // of gRPC's sync-server threads; beyond it gRPC answers RESOURCE_EXHAUSTED) and open sessions.
  uint32_t max_threads = 256;    // --nn-rpc-max-threads
  uint32_t max_sessions = 1024;  // --nn-rpc-max-sessions
  // TLS (both files, PEM) on every URI; and a bearer token every call must carry.
  std::string tls_cert_file, tls_key_file;
  std::string token_file;
};

class RpcServer {
 public:
  RpcServer(nn::NnRuntime& runtime, ServeOptions options);
  ~RpcServer();

  // Binds every URI and starts serving; "" on success, else what failed and what to do.
  std::string start();
  // The URIs served, with port 0 replaced by the port chosen.
  const std::vector<std::string>& listening() const;
  // Reports NOT_SERVING, ends the sessions, lets in-flight calls finish (up to the drain
  // time), and removes the socket files. Idempotent. Returns false when calls were still
  // running after the drain time and their cancellation (a framework call that does not
  // return): the server no longer listens, but the process can only end with _Exit.
  bool shutdown();
  size_t open_sessions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nnwasm::rpc
