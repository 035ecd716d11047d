// NNRPC behind real load balancers: Debian's nginx and HAProxy, each running the configuration
// shipped in deploy/ (paths and port replaced), in front of two `nnwasm serve` on unix sockets.
// Runs stay on one server and spread over both; a killed server's runs move to the other; a run
// whose server dies mid-way fails naming it; a draining server's new runs go elsewhere; WasmEdge-
// style clients (no routing key) are kept on one server by their connection; a balancer without
// affinity is named as the cause with the fix; the token passes through; session streams outlive
// a short proxy timeout.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "nnwasm_rpc.grpc.pb.h"
#include "rpc/rpc_test_support.h"
#include "support/process.h"
#include "support/server_process.h"
#include "wasi_ephemeral_nn.grpc.pb.h"

namespace {

namespace fs = std::filesystem;
namespace wire = wasi_ephemeral_nn;
namespace v1 = nnwasm::rpc::v1;
using nnwasm::test::eventually;
using nnwasm::test::guest_path;
using nnwasm::test::model_path;
using nnwasm::test::nnwasm_binary;
using nnwasm::test::ProcessResult;
using nnwasm::test::run_process;
using nnwasm::test::ServerProcess;

// A loopback port nothing listens on now.
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

bool accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return ok;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void replace_all(std::string* text, const std::string& from, const std::string& to) {
  for (size_t at = text->find(from); at != std::string::npos; at = text->find(from, at)) {
    text->replace(at, from.size(), to);
    at += to.size();
  }
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A guest's output without its timing lines ("per-inference time: ..."), which differ per run.
std::string without_times(const std::string& out) {
  std::string kept;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" time: ") == std::string::npos) kept += line + "\n";
  }
  return kept;
}

const char kGreedy[] = R"({"n-predict":24,"temp":0})";
const char kEndless[] = R"({"n-predict":-1,"ctx-size":4096,"temp":0})";

// The balancer: "nginx" or "haproxy".
class BalancerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    nnwasm::test::no_leak_checks_in_children();
    dir = fs::temp_directory_path() /
          ("nnwasm_lb_" + std::to_string(getpid()) + "_" +
           std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
           std::to_string(counter++));
    fs::create_directories(dir);
    // nginx's workers (nobody or www-data) reach the sockets through it.
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    std::ofstream(dir / "lin.model") << "AFFINE 3 1";
    servers[0] = serve("a");
    servers[1] = serve("b");
  }
  void TearDown() override {
    // SIGTERM: nginx's master then ends its workers (SIGKILL would leave them holding the pipes).
    if (balancer) balancer->stop(SIGTERM);
    balancer.reset();
    for (auto& server : servers) server.reset();
    fs::remove_all(dir);
  }

  std::unique_ptr<ServerProcess> serve(const std::string& name,
                                       std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--nn-rpc-socket-mode", "0666"});  // nginx's workers
    return nnwasm::test::serve_test_models("unix://" + socket(name), dir / "lin.model", extra);
  }
  std::string socket(const std::string& name) const { return (dir / (name + ".sock")).string(); }

  // Starts the balancer with deploy/'s configuration; `edit` may change its text first.
  void start_balancer(void (*edit)(std::string*) = nullptr) {
    port = free_port();
    const bool nginx = GetParam() == "nginx";
    std::string config =
        read_file(fs::path(NNWASM_SOURCE_DIR) / "deploy" / (nginx ? "nginx.conf" : "haproxy.cfg"));
    ASSERT_FALSE(config.empty());
    replace_all(&config, "/run/nnwasm/a.sock", socket("a"));
    replace_all(&config, "/run/nnwasm/b.sock", socket("b"));
    replace_all(&config, nginx ? "127.0.0.1:8443" : "127.0.0.1:8444",
                "127.0.0.1:" + std::to_string(port));
    if (edit != nullptr) edit(&config);
    const fs::path prefix = dir / "balancer";
    fs::create_directories(prefix);
    const fs::path file = prefix / (nginx ? "nginx.conf" : "haproxy.cfg");
    std::ofstream(file) << config;
    std::vector<std::string> argv =
        nginx ? std::vector<std::string>{"/usr/sbin/nginx", "-p", prefix.string() + "/", "-c",
                                         file.string(),     "-g", "daemon off;"}
              : std::vector<std::string>{"/usr/sbin/haproxy", "-f", file.string(), "-db"};
    balancer = std::make_unique<ServerProcess>(argv, "");
    ASSERT_TRUE(eventually([&] { return accepts(port); })) << balancer->output();
  }
  std::string uri() const { return "127.0.0.1:" + std::to_string(port); }

  std::vector<std::string> llm_stream(const std::string& metadata) const {
    return {nnwasm_binary(),          "run",     "--nn-rpc-uri",     uri(),
            guest_path("llm-stream"), "default", "Once upon a time", metadata};
  }
  std::vector<std::string> digits() const {
    return {nnwasm_binary(),
            "run",
            "--dir",
            std::string(NNWASM_MODEL_DIR) + "::/models",
            "--nn-rpc-uri",
            uri(),
            guest_path("digits"),
            "/models"};
  }
  size_t sessions_on(int server) const {
    return count(servers[server]->output(), " started (nnwasm rpc backend");
  }
  // Which server holds the one session opened so far (-1: none yet).
  int holder() const {
    for (int i = 0; i < 2; ++i)
      if (sessions_on(i) > 0) return i;
    return -1;
  }

  // What the guests print when run locally (the references).
  static const ProcessResult& local_stream() {
    static const ProcessResult r =
        run_process({nnwasm_binary(), "run", "--nn-preload",
                     "default:GGML:AUTO:" + model_path("tiny-llama.gguf"), guest_path("llm-stream"),
                     "default", "Once upon a time", kGreedy});
    return r;
  }
  static const ProcessResult& local_digits() {
    static const ProcessResult r =
        run_process({nnwasm_binary(), "run", "--dir", std::string(NNWASM_MODEL_DIR) + "::/models",
                     "--nn-preload", "digits:onnx:auto:" + model_path("digits.onnx"),
                     guest_path("digits"), "/models"});
    return r;
  }

  static inline int counter = 0;
  fs::path dir;
  std::unique_ptr<ServerProcess> servers[2];
  std::unique_ptr<ServerProcess> balancer;
  int port = 0;
};

TEST_P(BalancerTest, RunsStayOnOneServerAndSpreadOverBoth) {
  start_balancer();
  ASSERT_EQ(local_stream().exit_code, 0) << local_stream().err;
  ASSERT_EQ(local_digits().exit_code, 0) << local_digits().err;
  // 8 streaming runs and 8 digits runs, 4 at a time.
  ProcessResult results[16];
  for (int wave = 0; wave < 4; ++wave) {
    std::vector<std::thread> runs;
    for (int i = wave * 4; i < wave * 4 + 4; ++i) {
      runs.emplace_back(
          [&, i] { results[i] = run_process(i % 2 ? digits() : llm_stream(kGreedy)); });
    }
    for (std::thread& t : runs) t.join();
  }
  for (int i = 0; i < 16; ++i) {
    ASSERT_EQ(results[i].exit_code, 0) << "run " << i << ": " << results[i].err;
    EXPECT_EQ(without_times(results[i].out),
              without_times(i % 2 ? local_digits().out : local_stream().out))
        << "run " << i;
  }
  // Each run opened one session, on one server; both servers were used.
  ASSERT_TRUE(eventually([&] { return sessions_on(0) + sessions_on(1) == 16; }))
      << servers[0]->output() << servers[1]->output();
  EXPECT_GT(sessions_on(0), 0u) << servers[0]->output();
  EXPECT_GT(sessions_on(1), 0u) << servers[1]->output();
}

TEST_P(BalancerTest, AServerKilledBetweenRunsSendsTheNextRunsToTheOther) {
  start_balancer();
  servers[0]->stop(SIGKILL);
  for (int i = 0; i < 4; ++i) {
    ProcessResult r = run_process(i % 2 ? digits() : llm_stream(kGreedy));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(without_times(r.out), without_times(i % 2 ? local_digits().out : local_stream().out));
  }
  EXPECT_EQ(sessions_on(1), 4u) << servers[1]->output();
}

TEST_P(BalancerTest, AServerKilledDuringARunFailsThatRunNamingItAndTheNextRunWorks) {
  start_balancer();
  ServerProcess run(llm_stream(kEndless), "");
  ASSERT_TRUE(eventually([&] { return run.output().size() > 20; })) << run.output();
  const int held = holder();
  ASSERT_GE(held, 0);
  servers[held]->stop(SIGKILL);
  EXPECT_NE(run.stop(0, 30), 0);
  // The error names the balancer the client knows and the server that held its session.
  EXPECT_NE(run.output().find("lost nnwasm server at " + uri() +
                              " (this run's session is on unix://" + socket(held ? "b" : "a")),
            std::string::npos)
      << run.output();
  ProcessResult next = run_process(llm_stream(kGreedy));
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(next.out, local_stream().out);
}

TEST_P(BalancerTest, ADrainingServersNewRunsGoToTheOther) {
  for (int i = 0; i < 2; ++i) {  // replaced by servers that drain longer
    servers[i].reset();
    servers[i] = serve(i == 0 ? "a" : "b", {"--nn-rpc-drain", "60"});
  }
  start_balancer();
  // A long run keeps its server draining after SIGTERM.
  ServerProcess busy(llm_stream(kEndless), "");
  ASSERT_TRUE(eventually([&] { return busy.output().size() > 20; })) << busy.output();
  const int draining = holder();
  ASSERT_GE(draining, 0);
  ASSERT_EQ(kill(servers[draining]->pid(), SIGTERM), 0);
  ASSERT_TRUE(eventually([&] {
    return servers[draining]->output().find("draining") != std::string::npos;
  })) << servers[draining]->output();
  // New runs are refused there and draw other keys until they reach the other server.
  for (int i = 0; i < 6; ++i) {
    ProcessResult r = run_process(llm_stream(kGreedy));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, local_stream().out);
  }
  EXPECT_EQ(sessions_on(1 - draining), 6u) << servers[1 - draining]->output();
  busy.stop(SIGKILL);
}

// The token passes through the balancer to the servers, which check it.
TEST_P(BalancerTest, TheServersTokenPassesThroughTheBalancer) {
  std::ofstream(dir / "token") << "s3cret-token\n";
  for (int i = 0; i < 2; ++i) {  // replaced by servers that need the token
    servers[i].reset();
    servers[i] = serve(i == 0 ? "a" : "b", {"--nn-rpc-token-file", (dir / "token").string()});
  }
  start_balancer();
  ProcessResult without = run_process(llm_stream(kGreedy));
  EXPECT_NE(without.exit_code, 0);
  EXPECT_NE(without.err.find("needs a token: pass --nn-rpc-token-file FILE"), std::string::npos)
      << without.err;
  std::vector<std::string> with = llm_stream(kGreedy);
  with.insert(with.begin() + 2, {"--nn-rpc-token-file", (dir / "token").string()});
  ProcessResult r = run_process(with);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, local_stream().out);
}

// WasmEdge's client: one channel, no routing key, no session; its graph and context handles live
// in one server's shared session, so all its calls must reach that server.
TEST_P(BalancerTest, WasmEdgeStyleClientsWithoutAKeyStayOnTheirServer) {
  start_balancer();
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int k = 0; k < 4; ++k) {
    clients.emplace_back([&, k] {
      grpc::ChannelArguments args;
      args.SetInt("nnwasm.test.client", k);  // a connection of its own
      auto channel = grpc::CreateCustomChannel(uri(), grpc::InsecureChannelCredentials(), args);
      auto graph = wire::Graph::NewStub(channel);
      auto resource = wire::GraphResource::NewStub(channel);
      auto context = wire::GraphExecutionContextResource::NewStub(channel);
      for (int round = 0; round < 10; ++round) {
        grpc::ClientContext c1, c2, c3, c4, c5;
        wire::LoadByNameRequest load;
        load.set_name("lin");
        wire::LoadByNameResult loaded;
        wire::InitExecutionContextRequest init;
        wire::InitExecutionContextResult ctx;
        wire::SetInputRequest input;
        google::protobuf::Empty empty;
        wire::ComputeRequest compute;
        wire::GetOutputRequest get;
        wire::GetOutputResult out;
        const float x[2] = {1.0f + static_cast<float>(k), 2.0f};
        bool ok = graph->LoadByName(&c1, load, &loaded).ok();
        init.set_resource_handle(loaded.graph_handle());
        ok = ok && resource->InitExecutionContext(&c2, init, &ctx).ok();
        input.set_resource_handle(ctx.ctx_handle());
        input.mutable_tensor()->add_dimensions(2);
        input.mutable_tensor()->set_ty(static_cast<wire::TensorType>(1));
        input.mutable_tensor()->set_data(x, sizeof x);
        ok = ok && context->SetInput(&c3, input, &empty).ok();
        compute.set_resource_handle(ctx.ctx_handle());
        ok = ok && context->Compute(&c4, compute, &empty).ok();
        get.set_resource_handle(ctx.ctx_handle());
        ok = ok && context->GetOutput(&c5, get, &out).ok();
        float y[2] = {0, 0};
        if (ok && out.data().size() == sizeof y) std::memcpy(y, out.data().data(), sizeof y);
        if (!ok || y[0] != 3 * x[0] + 1 || y[1] != 3 * x[1] + 1) ++failures;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(failures, 0) << servers[0]->output() << servers[1]->output();
}

// The balancer without the hash: each call goes to the next server. The client names the cause
// and the fix instead of a bare "no session".
TEST_P(BalancerTest, ABalancerWithoutAffinityIsNamedAsTheCauseWithTheFix) {
  start_balancer([](std::string* config) {
    replace_all(config, "hash $nnwasm_route consistent;", "");  // nginx: round robin
    replace_all(config, "balance hash var(txn.nnwasm_route)", "balance roundrobin");
  });
  bool named = false;
  std::string errors;
  for (int i = 0; i < 4 && !named; ++i) {
    ProcessResult r = run_process(llm_stream(kGreedy));
    errors += r.err;
    named = r.exit_code != 0 &&
            r.err.find("a load balancer in front of " + uri() +
                       " sent a call of this run to another nnwasm server than the one holding "
                       "its session (this run's session is on unix://") != std::string::npos &&
            r.err.find("hash on the `nnwasm-route` header") != std::string::npos;
  }
  EXPECT_TRUE(named) << errors;
}

INSTANTIATE_TEST_SUITE_P(Debian, BalancerTest, ::testing::Values("nginx", "haproxy"),
                         [](const auto& info) { return info.param; });

// A session stream through a proxy whose read timeout is shorter than the session's idle time
// lives on, kept busy by the server's heartbeats.
TEST(BalancerHeartbeat, ASessionOutlivesTheProxysReadTimeout) {
  nnwasm::test::no_leak_checks_in_children();
  const fs::path dir = fs::temp_directory_path() / ("nnwasm_lb_beat_" + std::to_string(getpid()));
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  std::ofstream(dir / "lin.model") << "AFFINE 3 1";
  ServerProcess server(
      {nnwasm_binary(), "serve", "--nn-rpc-uri", "unix://" + (dir / "a.sock").string(),
       "--nn-rpc-socket-mode", "0666", "--nn-backend-dir", nnwasm::test::test_plugin_dir(),
       "--nn-preload", "lin:openvino:cpu:" + (dir / "lin.model").string(), "--nn-rpc-heartbeat",
       "0.5"},
      "listening on");
  ASSERT_TRUE(server.ready()) << server.output();
  std::string config = read_file(fs::path(NNWASM_SOURCE_DIR) / "deploy" / "nginx.conf");
  const int port = free_port();
  replace_all(&config, "/run/nnwasm/a.sock", (dir / "a.sock").string());
  replace_all(&config, "server unix:/run/nnwasm/b.sock max_fails=1 fail_timeout=10s;", "");
  replace_all(&config, "127.0.0.1:8443", "127.0.0.1:" + std::to_string(port));
  replace_all(&config, "grpc_read_timeout 1h;", "grpc_read_timeout 2s;");
  fs::create_directories(dir / "nginx");
  std::ofstream(dir / "nginx" / "nginx.conf") << config;
  ServerProcess nginx({"/usr/sbin/nginx", "-p", (dir / "nginx").string() + "/", "-c",
                       (dir / "nginx" / "nginx.conf").string(), "-g", "daemon off;"},
                      "");
  struct StopGently {  // nginx's master ends its workers on SIGTERM, not on SIGKILL
    ServerProcess& process;
    ~StopGently() { process.stop(SIGTERM); }
  } stop_nginx{nginx};
  ASSERT_TRUE(eventually([&] { return accepts(port); })) << nginx.output();

  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto nnwasm = v1::Nnwasm::NewStub(channel);
  grpc::ClientContext session_call;
  session_call.AddMetadata("nnwasm-route", "0123456789abcdef0123456789abcdef");
  auto reader = nnwasm->OpenSession(&session_call, v1::OpenSessionRequest());
  v1::SessionEvent event;
  ASSERT_TRUE(reader->Read(&event));
  const std::string id = event.session_id();
  ASSERT_FALSE(id.empty());
  EXPECT_NE(event.server().find((dir / "a.sock").string()), std::string::npos) << event.server();
  // 4 s: twice nginx's read timeout; the heartbeats arrive meanwhile.
  int beats = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (std::chrono::steady_clock::now() < until && reader->Read(&event)) ++beats;
  EXPECT_GE(beats, 4);
  grpc::ClientContext c;
  c.AddMetadata("nnwasm-session", id);
  wire::LoadByNameRequest load;
  load.set_name("lin");
  wire::LoadByNameResult loaded;
  const grpc::Status status = wire::Graph::NewStub(channel)->LoadByName(&c, load, &loaded);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(count(server.output(), "ended: freed"), 0u) << server.output();
  session_call.TryCancel();
  reader->Finish();
  fs::remove_all(dir);
}

}  // namespace
