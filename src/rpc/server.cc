// RpcServer: gRPC server setup, unix socket files, health and draining.
#include "rpc/server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <future>
#include <thread>

#include "rpc/nnwasm_service.h"
#include "rpc/wasi_nn_service.h"
#include "wire.h"

namespace nnwasm::rpc {

namespace {

// Whether a server already answers on the unix socket at `path`.
bool socket_in_use(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) return false;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool in_use = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return in_use;
}

// Prepares the path of a unix: URI: a stale socket from a server that died is removed; a live
// one, or anything that is not a socket, is an error.
std::string prepare_socket_path(const std::string& uri, const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return {};
  if (!S_ISSOCK(st.st_mode)) {
    return uri + ": " + path + " exists and is not a socket; choose another path";
  }
  if (socket_in_use(path)) {
    return uri + ": another server is listening there; stop it or choose another path";
  }
  unlink(path.c_str());
  return {};
}

}  // namespace

// The largest message the server takes: WasmEdge's own limit (gRPC's default, 4 MiB) and an
// envelope. gRPC refuses a longer one from its length prefix, before reading it, whoever sends
// it; bigger tensors and models arrive in chunks (SetInputStream, Load), each call admitted
// (token, memory budget) on its first chunk.
constexpr int kMaxMessage = (4 << 20) + (64 << 10);

struct RpcServer::Impl {
  Impl(nn::NnRuntime& runtime, ServeOptions opts)
      : options(std::move(opts)),
        sessions(runtime),
        graph(sessions),
        resource(sessions),
        context(sessions),
        nnwasm(sessions, runtime, options.version, options.max_sessions) {}

  ServeOptions options;
  SessionRegistry sessions;
  GraphService graph;
  GraphResourceService resource;
  ExecutionContextService context;
  NnwasmService nnwasm;
  std::unique_ptr<grpc::Server> server;
  std::vector<std::string> listening;
  std::vector<std::string> socket_paths;  // removed at shutdown
  bool stopped = false;
  std::thread reaper;  // finalizes idle shared contexts until shutdown
  std::mutex reaper_mutex;
  std::condition_variable reaper_wake;
  bool reaper_stop = false;
};

RpcServer::RpcServer(nn::NnRuntime& runtime, ServeOptions options)
    : impl_(std::make_unique<Impl>(runtime, std::move(options))) {}

RpcServer::~RpcServer() {
  shutdown();
}

std::string RpcServer::start() {
  Impl& s = *impl_;
  if (s.options.uris.empty()) return "no URI to listen on: pass --nn-rpc-uri URI";
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!s.options.tls_cert_file.empty() || !s.options.tls_key_file.empty()) {
    if (s.options.tls_cert_file.empty() || s.options.tls_key_file.empty()) {
      return "TLS needs both --nn-rpc-tls-cert and --nn-rpc-tls-key";
    }
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    std::string error;
    if (!read_text_file(s.options.tls_key_file, &pair.private_key, &error) ||
        !read_text_file(s.options.tls_cert_file, &pair.cert_chain, &error)) {
      return error;
    }
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back(std::move(pair));
    credentials = grpc::SslServerCredentials(ssl);
  }
  if (!s.options.token_file.empty()) {
    std::string token, error;
    if (!read_token_file(s.options.token_file, &token, &error)) return error;
    s.sessions.require_token(token);
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  std::vector<int> ports(s.options.uris.size(), 0);  // gRPC writes each bound port here
  for (size_t i = 0; i < s.options.uris.size(); ++i) {
    const std::string& uri = s.options.uris[i];
    if (uri.rfind("tcp://", 0) == 0) {
      return uri + ": gRPC spells TCP addresses HOST:PORT (e.g. 127.0.0.1:50051), not tcp://";
    }
    const std::string path = unix_socket_path(uri);
    if (!path.empty()) {
      if (std::string error = prepare_socket_path(uri, path); !error.empty()) return error;
      s.socket_paths.push_back(path);
    }
    builder.AddListeningPort(uri, credentials, &ports[i]);
  }
  builder.SetMaxReceiveMessageSize(kMaxMessage);
  // Keepalive: a client that is killed or cut off stops answering pings, its connection and
  // session stream end, and its session is freed. Our clients ping every 10 s (backends/rpc);
  // accepting one per 5 s leaves room for timer jitter before gRPC counts a ping strike.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(s.options.keepalive.count()));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.SetMaxSendMessageSize(-1);
  grpc::ResourceQuota quota("nnwasm-serve");
  quota.SetMaxThreads(static_cast<int>(std::min<uint32_t>(s.options.max_threads, INT_MAX)));
  builder.SetResourceQuota(quota);
  builder.RegisterService(&s.graph);
  builder.RegisterService(&s.resource);
  builder.RegisterService(&s.context);
  if (!s.options.plain) builder.RegisterService(&s.nnwasm);
  s.server = builder.BuildAndStart();
  if (!s.server) {
    return "cannot listen on " + s.options.uris.front() +
           (s.options.uris.size() > 1 ? " (or one of the others)" : "") +
           ": the address is in use, not permitted, or malformed (unix:///abs/path, "
           "unix:rel/path, HOST:PORT, [::1]:PORT)";
  }
  for (size_t i = 0; i < s.options.uris.size(); ++i) {
    const std::string& uri = s.options.uris[i];
    const bool tcp = unix_socket_path(uri).empty();
    std::string shown = uri;
    if (tcp && ports[i] == 0) {
      shutdown();
      return "cannot listen on " + uri + ": the address is in use or cannot be bound";
    }
    if (tcp && uri.size() > 2 && uri.compare(uri.size() - 2, 2, ":0") == 0) {
      shown = uri.substr(0, uri.size() - 1) + std::to_string(ports[i]);  // the port chosen
    }
    s.listening.push_back(shown);
  }
  for (const std::string& path : s.socket_paths) {
    if (chmod(path.c_str(), s.options.socket_mode) != 0) {
      spdlog::warn("cannot set mode {:o} on {}: {}", s.options.socket_mode, path,
                   std::strerror(errno));
    }
  }
  // Named in messages and session events: behind a load balancer, a client learns which server
  // holds its session.
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  s.sessions.set_server_name(s.listening.front() + " (pid " + std::to_string(getpid()) + " on " +
                             host + ")");
  s.server->GetHealthCheckService()->SetServingStatus(true);
  const auto idle = s.options.idle_timeout;
  const auto heartbeat = s.options.heartbeat;
  s.reaper = std::thread([&s, idle, heartbeat] {
    using std::chrono::milliseconds;
    const auto period = std::min(
        std::clamp<milliseconds>(idle / 4, milliseconds(10), milliseconds(30000)), heartbeat);
    auto last_beat = std::chrono::steady_clock::now();
    std::unique_lock lock(s.reaper_mutex);
    while (!s.reaper_wake.wait_for(lock, period, [&] { return s.reaper_stop; })) {
      lock.unlock();
      s.sessions.reap_idle(idle);
      if (const auto now = std::chrono::steady_clock::now(); now - last_beat >= heartbeat) {
        s.nnwasm.heartbeat();
        last_beat = now;
      }
      lock.lock();
    }
  });
  return {};
}

const std::vector<std::string>& RpcServer::listening() const {
  return impl_->listening;
}

bool RpcServer::shutdown() {
  Impl& s = *impl_;
  if (s.stopped || !s.server) return true;
  s.stopped = true;
  s.server->GetHealthCheckService()->SetServingStatus(false);
  spdlog::info("serve: NOT_SERVING, draining the calls in flight for up to {} ms (--nn-rpc-drain)",
               s.options.drain.count());
  const auto start = std::chrono::steady_clock::now();
  // New calls are refused from here; the ones in flight get up to the drain time. gRPC's own
  // Shutdown(deadline) would also wait that long for idle connected clients to hang up.
  s.sessions.drain(s.options.drain);
  const auto drained = std::chrono::steady_clock::now();
  s.nnwasm.end_sessions();
  // gRPC's Shutdown cancels what still runs, then waits for every handler to return. A handler
  // held by a framework call (a grammar that samples for minutes, a compute that cannot be
  // cancelled) would hold it for as long: it runs on a thread of its own, given up on after a
  // moment (the caller then ends the process: see shutdown()'s contract).
  auto closed = std::make_shared<std::promise<void>>();
  std::future<void> closing = closed->get_future();
  std::thread closer([server = s.server.get(), closed] {
    server->Shutdown(std::chrono::system_clock::now());
    server->Wait();
    closed->set_value();
  });
  const bool stuck = closing.wait_for(std::chrono::seconds(2)) != std::future_status::ready;
  if (stuck) {
    closer.detach();
  } else {
    closer.join();
  }
  {
    std::lock_guard lock(s.reaper_mutex);
    s.reaper_stop = true;
  }
  s.reaper_wake.notify_all();
  if (s.reaper.joinable()) s.reaper.join();
  for (const std::string& path : s.socket_paths) unlink(path.c_str());
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  if (stuck) {
    spdlog::warn(
        "serve: stopped with {} call(s) still inside a backend after the drain time and their "
        "cancellation; not waiting for them",
        s.sessions.drain(std::chrono::milliseconds(0)));
    return false;
  }
  spdlog::info("serve: stopped (calls drained in {} ms, then {} ms to close)", ms(drained - start),
               ms(std::chrono::steady_clock::now() - drained));
  return true;
}

size_t RpcServer::open_sessions() const {
  return impl_->sessions.open_count();
}

}  // namespace nnwasm::rpc
