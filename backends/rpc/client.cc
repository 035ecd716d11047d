// The servers of the rpc backend: channels, nnwasm extensions or not, sessions, and loading a
// graph on one of them (by name, round robin among those that have it; or from guest bytes).
#include <grpc/grpc.h>
#include <unistd.h>

#include <chrono>

#include "rpc_backend.h"
#include "wire.h"

namespace nnwasm::rpc_backend {

namespace {

using Clock = std::chrono::system_clock;

std::string seconds(std::chrono::milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return text;
}

std::vector<std::shared_ptr<Server>> g_servers;
// Servers the core names per load (nnwasm_load_options.server_uri: its backend process), apart
// from the round robin of rpc.uri. One per URI: the core starts each backend process on a new
// socket, so a URI never outlives its server.
std::map<std::string, std::shared_ptr<Server>, std::less<>> g_named_servers;
long g_timeout_ms = 5000;
std::mutex g_servers_mutex;
std::atomic<size_t> g_next{0};  // round robin

// Retries for the calls that change nothing on the server, through gRPC's service config. Not
// ListModels: a draining server refuses it with UNAVAILABLE, and the client then tries another
// routing key at once (ensure_ready). No client-side health checking: behind a load balancer the
// health stream reaches whichever server the balancer picks for it, not the run's.
constexpr char kServiceConfig[] = R"({"methodConfig": [{
  "name": [{"service": "wasi_ephemeral_nn.GraphExecutionContextResource", "method": "GetOutput"},
           {"service": "wasi_ephemeral_nn.GraphExecutionContextResource",
            "method": "GetOutputSingle"},
           {"service": "nnwasm.rpc.v1.Nnwasm", "method": "GetOutputTyped"}],
  "retryPolicy": {"maxAttempts": 3, "initialBackoff": "0.05s", "maxBackoff": "0.5s",
                  "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]}}]})";

// Routing keys a client tries while the servers it reaches drain: behind a balancer with two
// servers, one draining, 8 keys all reach it with a chance of 1 in 256.
constexpr int kRouteTries = 8;

// Keepalive pings to nnwasm servers (which accept one per 5 s, server.cc): a server that stops
// answering (frozen, cut off) fails the calls in flight within this plus --nn-rpc-timeout
// instead of never. Not to other servers: gRPC's default server policy answers pings more often
// than every 5 minutes with GOAWAY (too_many_pings).
constexpr int kKeepaliveMs = 10000;

}  // namespace

Server::Server(std::string uri, std::chrono::milliseconds connect_timeout,
               const std::string& tls_ca, std::string token, bool named)
    : uri_(std::move(uri)),
      timeout_(connect_timeout),
      tls_ca_(tls_ca),
      authorization_(token.empty() ? std::string() : "Bearer " + token),
      named_(named),
      route_(rpc::random_id()) {
  open_channel(false);
}

void Server::open_channel(bool nnwasm_server) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);  // outputs may be larger than gRPC's 4 MiB default
  args.SetMaxSendMessageSize(-1);
  args.SetServiceConfigJSON(kServiceConfig);
  if (nnwasm_server) {
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveMs);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(timeout_.count()));
    // A client that only reads a long Generate sends no data: without this gRPC would hold the
    // keepalive ping back after two pings.
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!tls_ca_.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = tls_ca_;
    credentials = grpc::SslCredentials(ssl);
  }
  channel_ = grpc::CreateCustomChannel(uri_, credentials, args);
  graph_ = wire::Graph::NewStub(channel_);
  resource_ = wire::GraphResource::NewStub(channel_);
  context_ = wire::GraphExecutionContextResource::NewStub(channel_);
  nnwasm_ = v1::Nnwasm::NewStub(channel_);
}

Server::~Server() {
  if (session_reader_) {
    session_call_->TryCancel();
    if (session_thread_.joinable()) session_thread_.join();
  }
}

void Server::ensure_ready() {
  std::lock_guard lock(ready_mutex_);
  if (ready_) return;
  if (!connect()) throw unreachable();
  for (int tries = 1; !try_ready(); ++tries) {
    if (tries == kRouteTries) {
      throw Error{NNWASM_RUNTIME_ERROR,
                  "nnwasm server at " + uri_ + " is shutting down (draining), and so was every " +
                      "server that " + std::to_string(kRouteTries) +
                      " routing keys reached behind it, if it is a load balancer; use another one"};
    }
    route_ = rpc::random_id();  // behind a balancer: perhaps another server
  }
  ready_ = true;
}

bool Server::try_ready() {
  grpc::ClientContext c;
  prepare(&c, true);
  google::protobuf::Empty empty;
  v1::ModelList list;
  const grpc::Status status = nnwasm_->ListModels(&c, empty, &list);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      rpc::has_trailer(c, rpc::kDrainingKey)) {
    return false;
  }
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) check(c, status, "connect");
  // Only UNIMPLEMENTED means a server without the extensions; UNAVAILABLE is one shutting down.
  if (!status.ok() && status.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
    throw Error{NNWASM_RUNTIME_ERROR, "nnwasm server at " + uri_ + " cannot take work now (" +
                                          status.error_message() + ")"};
  }
  extended_ = status.ok();
  if (!extended_) {
    plugin_support::log(nullptr, NNWASM_LOG_WARN,
                        "rpc: server %s has no nnwasm extensions (a WasmEdge server?): loading "
                        "from guest bytes, unload and finalize_execution_context are not "
                        "available there, and its handles are shared by all its clients",
                        uri_.c_str());
    return true;
  }
  if (!keepalive_) {
    open_channel(true);  // with keepalive pings
    keepalive_ = true;
    if (!connect()) throw unreachable();
  }
  return open_session();
}

Error Server::unreachable() const {
  return Error{NNWASM_RUNTIME_ERROR,
               "cannot reach nnwasm server at " + uri_ +
                   ": the connection was refused or not answered within " + seconds(timeout_) +
                   " (--nn-rpc-timeout" +
                   (!tls_ca_.empty() ? "; is its TLS certificate signed by --nn-rpc-tls-ca?"
                                     : "; if it uses TLS, pass --nn-rpc-tls-ca") +
                   "); start one with `nnwasm serve "
                   "--nn-rpc-uri " +
                   uri_ + " --nn-preload ...`"};
}

bool Server::connect() {
  // Not WaitForConnected: a refused connection is TRANSIENT_FAILURE at once, and says so now
  // rather than after the whole timeout of gRPC's reconnection backoff.
  const auto deadline = Clock::now() + timeout_;
  grpc_connectivity_state state = channel_->GetState(true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) return false;
    if (!channel_->WaitForStateChange(state, deadline)) return false;
    state = channel_->GetState(true);
  }
  return true;
}

bool Server::open_session() {
  v1::OpenSessionRequest request;
  request.set_client("nnwasm rpc backend, pid " + std::to_string(getpid()));
  // A fresh call context each attempt: gRPC contexts are single-use.
  session_call_ = std::make_unique<grpc::ClientContext>();
  session_call_->AddMetadata(rpc::kRouteKey, route_);
  if (!authorization_.empty()) session_call_->AddMetadata(rpc::kAuthorizationKey, authorization_);
  session_reader_ = nnwasm_->OpenSession(session_call_.get(), request);
  v1::SessionEvent event;
  if (!session_reader_->Read(&event) || event.session_id().empty()) {
    const grpc::Status status = session_reader_->Finish();
    const bool draining = status.error_code() == grpc::StatusCode::UNAVAILABLE &&
                          rpc::has_trailer(*session_call_, rpc::kDrainingKey);
    session_reader_.reset();
    session_call_.reset();
    if (draining) return false;
    throw Error{NNWASM_RUNTIME_ERROR,
                "server " + uri_ + " did not open a session: " + status.error_message()};
  }
  session_id_ = event.session_id();
  session_server_ = event.server();
  // The session lives while this call is open: the thread waits for its end (heartbeats
  // between).
  session_thread_ = std::thread([this] {
    v1::SessionEvent more;
    while (session_reader_->Read(&more)) {
    }
    session_reader_->Finish();
    session_lost_ = true;
  });
  return true;
}

void Server::prepare(grpc::ClientContext* context, bool quick) const {
  context->AddMetadata(rpc::kRouteKey, route_);
  if (!session_id_.empty()) context->AddMetadata(rpc::kSessionKey, session_id_);
  if (!authorization_.empty()) context->AddMetadata(rpc::kAuthorizationKey, authorization_);
  if (quick) context->set_deadline(Clock::now() + timeout_);
}

std::string Server::session_server() const {
  return session_server_.empty() ? std::string()
                                 : " (this run's session is on " + session_server_ + ")";
}

std::string Server::no_session_cause(const grpc::Status& status) const {
  if (session_lost_) {
    return "the nnwasm server that held this run's session" + session_server() +
           " went away, and the one that answered through " + uri_ + " does not have it (" +
           status.error_message() + "); run the guest again";
  }
  return "a load balancer in front of " + uri_ +
         " sent a call of this run to another nnwasm server than the one holding its session" +
         session_server() +
         ": it balances each call on its own. Configure it to hash on the `nnwasm-route` "
         "header (nnwasm's deploy/nginx.conf and deploy/haproxy.cfg; README, \"Behind a load "
         "balancer\"). The server said: " +
         status.error_message();
}

void Server::check(const grpc::ClientContext& context, const grpc::Status& status,
                   const char* what) const {
  if (status.ok()) return;
  if (rpc::has_errno(context)) {
    throw Error{rpc::code_of(context, status),
                (named_ ? std::string() : "server " + uri_ + ": ") + status.error_message()};
  }
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
      rpc::has_trailer(context, rpc::kNoSessionKey)) {
    throw Error{NNWASM_RUNTIME_ERROR, std::string(what) + ": " + no_session_cause(status)};
  }
  // The connection or the stream broke: UNAVAILABLE directly; through a proxy also a reset
  // stream (INTERNAL, "RST_STREAM") or a removed one (UNKNOWN without a WASI-NN code).
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::INTERNAL ||
      status.error_code() == grpc::StatusCode::UNKNOWN) {
    throw Error{NNWASM_RUNTIME_ERROR, std::string(what) + ": lost nnwasm server at " + uri_ +
                                          session_server() + " (" + status.error_message() + ")"};
  }
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    throw Error{NNWASM_RUNTIME_ERROR, std::string(what) + ": server " + uri_ +
                                          " refused the call: " + status.error_message()};
  }
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    throw Error{NNWASM_UNSUPPORTED_OPERATION, std::string(what) + ": server " + uri_ +
                                                  " cannot do this (" + status.error_message() +
                                                  "); a WasmEdge server has no such call"};
  }
  throw Error{NNWASM_RUNTIME_ERROR, std::string(what) + ": server " + uri_ + ": gRPC status " +
                                        std::to_string(status.error_code()) + ": " +
                                        status.error_message()};
}

std::vector<std::shared_ptr<Server>>& servers() {
  return g_servers;
}

void configure_servers() {
  // Our own reference on gRPC, dropped in close_servers with a blocking shutdown: otherwise the
  // last channel's end starts gRPC's cleanup on a thread of its own that may still run at exit.
  grpc_init();
  using plugin_support::option;
  const char* uris = option("rpc.uri");
  const char* timeout = option("rpc.timeout_ms");
  std::lock_guard lock(g_servers_mutex);
  g_servers.clear();
  g_named_servers.clear();
  const long ms = timeout != nullptr ? std::max(10L, std::atol(timeout)) : 5000L;
  g_timeout_ms = ms;
  if (uris == nullptr) return;
  // A CA or token file that cannot be read makes the plugin unusable, with the reason logged.
  std::string tls_ca, token, error;
  if (const char* ca = option("rpc.tls_ca");
      ca != nullptr && !rpc::read_text_file(ca, &tls_ca, &error)) {
    throw Error{NNWASM_RUNTIME_ERROR, "--nn-rpc-tls-ca: " + error};
  }
  if (const char* file = option("rpc.token_file");
      file != nullptr && !rpc::read_token_file(file, &token, &error)) {
    throw Error{NNWASM_RUNTIME_ERROR, "--nn-rpc-token-file: " + error};
  }
  std::string_view rest(uris);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view uri = rest.substr(0, comma);
    if (!uri.empty()) {
      g_servers.push_back(
          std::make_shared<Server>(std::string(uri), std::chrono::milliseconds(ms), tls_ca, token));
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
}

void close_servers() {
  {
    std::lock_guard lock(g_servers_mutex);
    g_servers.clear();
    g_named_servers.clear();
  }
  grpc_shutdown_blocking();
}

Graph::~Graph() {
  if (!server || !server->extended()) return;
  grpc::ClientContext c;
  server->prepare(&c, true);
  v1::UnloadRequest request;
  request.set_graph_handle(handle);
  google::protobuf::Empty empty;
  server->nnwasm().Unload(&c, request, &empty);  // a server that went away freed it already
}

namespace {

// Tries `attempt(server)` on each server in round-robin order, after connecting it; the first
// graph it returns wins. Servers that cannot be reached are skipped and named in `unreachable`.
// The server the core named for this load, or null when it left the choice to us.
std::shared_ptr<Server> named_server(const nnwasm_load_options& options) {
  if (!NNWASM_HAS_FIELD(&options, nnwasm_load_options, server_uri) ||
      options.server_uri == nullptr) {
    return nullptr;
  }
  std::lock_guard lock(g_servers_mutex);
  std::shared_ptr<Server>& server = g_named_servers[options.server_uri];
  if (!server) {
    server = std::make_shared<Server>(options.server_uri, std::chrono::milliseconds(g_timeout_ms),
                                      std::string(), std::string(), true);
  }
  return server;
}

// Tries `attempt(server)` on the server the core named, or else on each server of rpc.uri in
// round-robin order, after connecting it; the first graph it returns wins. Servers that cannot
// be reached are skipped and named in `unreachable`.
template <typename Attempt>
std::shared_ptr<Graph> on_some_server(const nnwasm_load_options& options, Attempt&& attempt,
                                      std::string* unreachable) {
  if (std::shared_ptr<Server> server = named_server(options)) {
    server->ensure_ready();  // a backend process that cannot be reached is an error as it is
    return attempt(server);
  }
  const std::vector<std::shared_ptr<Server>> list = servers();
  const size_t start = g_next++;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::shared_ptr<Server>& server = list[(start + i) % list.size()];
    try {
      server->ensure_ready();
    } catch (const Error& e) {
      unreachable->append(unreachable->empty() ? "" : "; ").append(e.message);
      continue;
    }
    if (std::shared_ptr<Graph> graph = attempt(server)) return graph;
  }
  return nullptr;
}

std::shared_ptr<Graph> graph_on(const std::shared_ptr<Server>& server, uint32_t handle,
                                std::string name) {
  auto graph = std::make_shared<Graph>();
  graph->server = server;
  graph->handle = handle;
  graph->name = std::move(name) + " on " + server->uri();
  return graph;
}

}  // namespace

std::shared_ptr<Graph> load_by_name(std::string_view name, const nnwasm_load_options& options) {
  if (servers().empty() && !named_server(options))
    throw Error{NNWASM_NOT_FOUND, "no NNRPC server configured (--nn-rpc-uri)"};
  const std::string config = options.config_json != nullptr
                                 ? std::string(options.config_json, options.config_len)
                                 : std::string();
  std::string unreachable;
  auto attempt = [&](const std::shared_ptr<Server>& server) -> std::shared_ptr<Graph> {
    grpc::ClientContext c;
    server->prepare(&c, false);
    grpc::Status status;
    uint32_t handle = 0;
    if (config.empty()) {
      wire::LoadByNameRequest request;
      request.set_name(std::string(name));
      wire::LoadByNameResult result;
      status = server->graph().LoadByName(&c, request, &result);
      handle = result.graph_handle();
    } else {
      wire::LoadByNameWithConfigRequest request;
      request.set_name(std::string(name));
      request.set_config(config);
      wire::LoadByNameWithConfigResult result;
      status = server->graph().LoadByNameWithConfig(&c, request, &result);
      handle = result.graph_handle();
    }
    if (!status.ok() && rpc::has_errno(c) && rpc::code_of(c, status) == NNWASM_NOT_FOUND) {
      return nullptr;  // not on this server
    }
    if (!status.ok() && !rpc::has_errno(c) && !rpc::has_trailer(c, rpc::kNoSessionKey)) {
      // gone since it was last reached: try another
      unreachable.append(unreachable.empty() ? "" : "; ")
          .append(server->uri())
          .append(": ")
          .append(status.error_message());
      return nullptr;
    }
    server->check(c, status, "load_by_name");
    return graph_on(server, handle, "model '" + std::string(name) + "'");
  };
  if (auto graph = on_some_server(options, attempt, &unreachable)) return graph;
  if (!unreachable.empty()) throw Error{NNWASM_RUNTIME_ERROR, unreachable};
  throw Error{NNWASM_NOT_FOUND, "no NNRPC server has a model named '" + std::string(name) + "'"};
}

std::shared_ptr<Graph> load_bytes(const nnwasm_bytes& model, const nnwasm_load_options& options) {
  std::string unreachable;
  auto attempt = [&](const std::shared_ptr<Server>& server) -> std::shared_ptr<Graph> {
    if (!server->extended()) return nullptr;
    grpc::ClientContext c;
    server->prepare(&c, false);
    v1::LoadResult result;
    auto writer = server->nnwasm().Load(&c, &result);
    v1::LoadChunk chunk;
    chunk.set_encoding(options.encoding);
    // The server picks the device of its model, unless it is the core's backend process, which
    // loads on the device the core chose.
    const bool named = NNWASM_HAS_FIELD(&options, nnwasm_load_options, server_uri) &&
                       options.server_uri != nullptr;
    chunk.set_target(named ? options.target : uint32_t{NNWASM_TARGET_AUTO});
    chunk.add_builder_sizes(model.size);
    write_chunks(*writer, chunk, model.data, model.size);
    server->check(c, writer->Finish(), "load");
    return graph_on(server, result.graph_handle(), "guest model");
  };
  if (auto graph = on_some_server(options, attempt, &unreachable)) return graph;
  throw Error{NNWASM_UNSUPPORTED_OPERATION,
              "no NNRPC server here can load a model from guest bytes (WasmEdge servers cannot)" +
                  (unreachable.empty() ? std::string() : ": " + unreachable)};
}

}  // namespace nnwasm::rpc_backend
