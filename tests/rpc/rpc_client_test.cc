// The rpc backend through the real binaries: guests run with `nnwasm run --nn-rpc-uri` against
// `nnwasm serve` give what they give locally (the WASI-NN conformance guest, digits, LLM
// streaming); unreachable and killed servers, failover to the next one, a killed client's
// session freed, and a server without nnwasm's extensions (WasmEdge's shape).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "rpc/rpc_test_support.h"
#include "support/process.h"
#include "support/server_process.h"

namespace {

namespace fs = std::filesystem;
using nnwasm::test::eventually;
using nnwasm::test::guest_path;
using nnwasm::test::model_path;
using nnwasm::test::nnwasm_binary;
using nnwasm::test::run_process;
using nnwasm::test::ServerProcess;

class RpcClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nnwasm::test::no_leak_checks_in_children();
    dir = fs::temp_directory_path() /
          ("nnwasm_rpcc_" + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
    std::ofstream(dir / "lin.model") << "AFFINE 3 1";
  }
  void TearDown() override { fs::remove_all(dir); }

  // A server on dir/NAME.sock with the test plugins, "lin", "default" (tiny llama), "digits".
  std::unique_ptr<ServerProcess> serve(const std::string& name,
                                       std::vector<std::string> extra = {}) {
    return nnwasm::test::serve_test_models(uri(name), dir / "lin.model", extra);
  }
  std::string uri(const std::string& name) { return "unix://" + (dir / (name + ".sock")).string(); }

  std::vector<std::string> llm_stream(const std::string& uris, const std::string& metadata) {
    return {nnwasm_binary(),          "run",     "--nn-rpc-uri",     uris,
            guest_path("llm-stream"), "default", "Once upon a time", metadata};
  }

  fs::path dir;
};

const char kGreedy[] = R"({"n-predict":24,"temp":0})";

TEST_F(RpcClientTest, TheConformanceGuestSeesTheSameCodesAndBytesThroughAServer) {
  auto server = serve("a");
  // No test plugin on the client: models from guest bytes are loaded on the server too.
  auto r =
      run_process({nnwasm_binary(), "run", "--nn-rpc-uri", uri("a"), guest_path("nn_conformance")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("all wasi-nn checks passed"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("no model named 'nope'"), std::string::npos) << r.err;
}

TEST_F(RpcClientTest, DigitsAndLlmStreamingMatchLocalRuns) {
  auto server = serve("a");
  auto remote =
      run_process({nnwasm_binary(), "run", "--dir", std::string(NNWASM_MODEL_DIR) + "::/models",
                   "--nn-rpc-uri", uri("a"), guest_path("digits"), "/models"});
  auto local = run_process(
      {nnwasm_binary(), "run", "--dir", std::string(NNWASM_MODEL_DIR) + "::/models", "--nn-preload",
       "digits:onnx:auto:" + model_path("digits.onnx"), guest_path("digits"), "/models"});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  ASSERT_EQ(local.exit_code, 0) << local.err;
  auto accuracy = [](const std::string& out) { return out.substr(0, out.find('\n')); };
  EXPECT_EQ(accuracy(remote.out), accuracy(local.out));
  EXPECT_NE(remote.out.find("accuracy 0.9"), std::string::npos) << remote.out;
  auto predictions = [](const std::string& out) { return out.substr(out.find("predictions:")); };
  EXPECT_EQ(predictions(remote.out), predictions(local.out));

  auto streamed = run_process(llm_stream(uri("a"), kGreedy));
  auto alone = run_process({nnwasm_binary(), "run", "--nn-preload",
                            "default:GGML:AUTO:" + model_path("tiny-llama.gguf"),
                            guest_path("llm-stream"), "default", "Once upon a time", kGreedy});
  ASSERT_EQ(streamed.exit_code, 0) << streamed.err;
  EXPECT_EQ(streamed.out, alone.out);
  EXPECT_NE((streamed.out + streamed.err).find("output tokens: 24"), std::string::npos)
      << streamed.err;
}

TEST_F(RpcClientTest, AnUnreachableServerFailsQuicklyWithWhatToDo) {
  const auto start = std::chrono::steady_clock::now();
  auto r = run_process({nnwasm_binary(), "run", "--nn-rpc-uri", uri("nobody"), "--nn-rpc-timeout",
                        "2", guest_path("llm-stream"), "default", "Hi", "{}"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot reach nnwasm server at " + uri("nobody")), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("start one with `nnwasm serve --nn-rpc-uri " + uri("nobody")),
            std::string::npos)
      << r.err;
}

TEST_F(RpcClientTest, AKilledServerFailsTheStreamAndTheNextRunUsesAnotherServer) {
  auto a = serve("a");
  auto b = serve("b");
  // A long stream from a (the first URI), killed mid-way.
  ServerProcess client(llm_stream(uri("a"), R"({"n-predict":-1,"ctx-size":4096,"temp":0})"), "");
  ASSERT_TRUE(eventually([&] { return client.output().size() > 20; })) << client.output();
  a->stop(SIGKILL);
  const int code = client.stop(0, 30);  // signal 0: only wait for it to end
  EXPECT_NE(code, 0);
  EXPECT_NE(client.output().find("lost nnwasm server at " + uri("a")), std::string::npos)
      << client.output();
  // The next run with both URIs loads the name on the healthy one.
  auto r = run_process(llm_stream(uri("a") + "," + uri("b"), kGreedy));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE((r.out + r.err).find("output tokens: 24"), std::string::npos) << r.err;
}

TEST_F(RpcClientTest, ADrainingServerIsPassedOverByNewClients) {
  auto a = serve("a", {"--nn-rpc-drain", "30"});
  auto b = serve("b");
  // A long stream keeps a draining after SIGTERM; its health turns NOT_SERVING.
  ServerProcess busy(llm_stream(uri("a"), R"({"n-predict":-1,"ctx-size":4096,"temp":0})"), "");
  ASSERT_TRUE(eventually([&] { return busy.output().size() > 20; })) << busy.output();
  ASSERT_EQ(kill(a->pid(), SIGTERM), 0);
  ASSERT_TRUE(eventually([&] { return a->output().find("draining") != std::string::npos; }))
      << a->output();
  // A new client with a first in its list loads the name on b, and says why a was skipped.
  auto r = run_process(llm_stream(uri("a") + "," + uri("b"), kGreedy));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE((r.out + r.err).find("output tokens: 24"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("has no nnwasm extensions"), std::string::npos) << r.err;
  busy.stop(SIGKILL);
}

TEST_F(RpcClientTest, AFrozenServerFailsTheStreamWithinTheKeepaliveTime) {
  auto a = serve("a");
  std::vector<std::string> argv =
      llm_stream(uri("a"), R"({"n-predict":-1,"ctx-size":4096,"temp":0})");
  argv.insert(argv.begin() + 2, {"--nn-rpc-timeout", "1"});
  ServerProcess client(argv, "");
  ASSERT_TRUE(eventually([&] { return client.output().size() > 20; })) << client.output();
  ASSERT_EQ(kill(a->pid(), SIGSTOP), 0);  // alive, holding its sockets, answering nothing
  const auto stopped = std::chrono::steady_clock::now();
  const int code = client.stop(0, 40);
  const auto waited = std::chrono::steady_clock::now() - stopped;
  kill(a->pid(), SIGCONT);
  EXPECT_NE(code, 0);
  // 10 s between pings plus the 1 s ping timeout, and some slack for a loaded machine.
  EXPECT_LT(waited, std::chrono::seconds(25));
  EXPECT_NE(client.output().find("lost nnwasm server at " + uri("a")), std::string::npos)
      << client.output();
}

TEST_F(RpcClientTest, SessionsBeyondTheServersCapAreRefusedWithTheFlagToRaise) {
  auto a = serve("a", {"--nn-rpc-max-sessions", "1"});
  ServerProcess first(llm_stream(uri("a"), R"({"n-predict":-1,"ctx-size":4096,"temp":0})"), "");
  ASSERT_TRUE(eventually([&] { return first.output().size() > 20; })) << first.output();
  auto second = run_process(llm_stream(uri("a"), kGreedy));
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("did not open a session"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("--nn-rpc-max-sessions"), std::string::npos) << second.err;
  first.stop(SIGKILL);
  // Once the first client's session is freed, a new one is served.
  ASSERT_TRUE(eventually([&] {
    return a->output().find("ended: freed 1 graph(s) and 1 context(s); 0 open") !=
           std::string::npos;
  })) << a->output();
  auto third = run_process(llm_stream(uri("a"), kGreedy));
  EXPECT_EQ(third.exit_code, 0) << third.err;
}

TEST_F(RpcClientTest, AKilledClientsSessionIsFreedOnTheServer) {
  auto server = serve("a");
  ServerProcess client(llm_stream(uri("a"), R"({"n-predict":-1,"ctx-size":4096,"temp":0})"), "");
  ASSERT_TRUE(eventually([&] { return client.output().size() > 20; })) << client.output();
  client.stop(SIGKILL);
  EXPECT_TRUE(eventually([&] {
    return server->output().find("ended: freed 1 graph(s) and 1 context(s); 0 open") !=
           std::string::npos;
  })) << server->output();
}

TEST_F(RpcClientTest, AServerWithoutNnwasmExtensionsStillServesNamedModels) {
  auto server = serve("plain", {"--nn-rpc-plain"});
  auto r = run_process(llm_stream(uri("plain"), kGreedy));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE((r.out + r.err).find("output tokens: 24"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("has no nnwasm extensions (a WasmEdge server?)"), std::string::npos)
      << r.err;
  // Loading from guest bytes needs the extensions: a clear unsupported_operation.
  auto bytes = run_process(
      {nnwasm_binary(), "run", "--nn-rpc-uri", uri("plain"), guest_path("nn_conformance")});
  EXPECT_NE(bytes.exit_code, 0);
  EXPECT_NE(bytes.err.find("can load a model from guest bytes (WasmEdge servers cannot)"),
            std::string::npos)
      << bytes.err;
}

}  // namespace

namespace {

// The rpc plugin against the backend contract, its models loaded on a server from the bytes the
// checker sends: the whole contract holds across the network, streaming (through Generate)
// included.
TEST_F(RpcClientTest, TheRpcPluginPassesTheBackendContract) {
  auto server = serve("a");
  std::ofstream(dir / "affine.model") << "AFFINE 2 1";
  auto affine =
      run_process({NNWASM_BACKEND_CHECK, NNWASM_RPC_PLUGIN, (dir / "affine.model").string(), "0",
                   "--option", "rpc.uri=" + uri("a"), "--tensor", "0=f32:4"});
  EXPECT_EQ(affine.exit_code, 0) << affine.out << affine.err;
  auto llama = run_process({NNWASM_BACKEND_CHECK, NNWASM_RPC_PLUGIN, model_path("tiny-llama.gguf"),
                            "6", "--option", "rpc.uri=" + uri("a"), "--input",
                            R"(0=Once upon a time)", "--input", R"(1={"n-predict":8,"temp":0})"});
  EXPECT_EQ(llama.exit_code, 0) << llama.out << llama.err;
  // Without a server the plugin reports no device, so nnwasm never uses it.
  auto none = run_process({NNWASM_BACKEND_CHECK, NNWASM_RPC_PLUGIN, model_path("tiny-llama.gguf")});
  EXPECT_NE(none.out.find("FAIL: probe reports a device"), std::string::npos) << none.out;
}

}  // namespace

namespace {

// A self-signed certificate for localhost / 127.0.0.1, made with openssl at test time.
bool make_certificate(const fs::path& dir, const std::string& name) {
  auto r = run_process(
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
       "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout",
       (dir / (name + ".key")).string(), "-out", (dir / (name + ".pem")).string()});
  return r.exit_code == 0;
}

TEST_F(RpcClientTest, TlsWithTheRightCaWorksAndWithoutItFailsWithAHint) {
  ASSERT_TRUE(make_certificate(dir, "server"));
  ASSERT_TRUE(make_certificate(dir, "other"));
  ServerProcess server(
      {nnwasm_binary(), "serve", "--nn-rpc-uri", "127.0.0.1:0", "--nn-preload",
       "default:GGML:AUTO:" + model_path("tiny-llama.gguf"), "--nn-rpc-tls-cert",
       (dir / "server.pem").string(), "--nn-rpc-tls-key", (dir / "server.key").string()},
      "listening on");
  ASSERT_TRUE(server.ready()) << server.output();
  const std::string address = server.ready_line().substr(server.ready_line().rfind(' ') + 1);
  auto run = [&](std::vector<std::string> flags) {
    std::vector<std::string> argv = {nnwasm_binary(),    "run", "--nn-rpc-uri", address,
                                     "--nn-rpc-timeout", "2"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {guest_path("llm-stream"), "default", "Once upon a time", kGreedy});
    return run_process(argv);
  };
  auto good = run({"--nn-rpc-tls-ca", (dir / "server.pem").string()});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE((good.out + good.err).find("output tokens: 24"), std::string::npos) << good.err;
  auto plain = run({});
  EXPECT_NE(plain.exit_code, 0);
  EXPECT_NE(plain.err.find("if it uses TLS, pass --nn-rpc-tls-ca"), std::string::npos) << plain.err;
  auto wrong = run({"--nn-rpc-tls-ca", (dir / "other.pem").string()});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("is its TLS certificate signed by --nn-rpc-tls-ca?"), std::string::npos)
      << wrong.err;
}

TEST_F(RpcClientTest, AServerWithATokenRefusesClientsWithoutIt) {
  std::ofstream(dir / "token") << "s3cret-token\n";
  std::ofstream(dir / "wrong") << "guess";
  auto server = serve("a", {"--nn-rpc-token-file", (dir / "token").string()});
  auto without = run_process(llm_stream(uri("a"), kGreedy));
  EXPECT_NE(without.exit_code, 0);
  EXPECT_NE(without.err.find("needs a token: pass --nn-rpc-token-file FILE"), std::string::npos)
      << without.err;
  std::vector<std::string> wrong_argv = llm_stream(uri("a"), kGreedy);
  wrong_argv.insert(wrong_argv.begin() + 2, {"--nn-rpc-token-file", (dir / "wrong").string()});
  auto wrong = run_process(wrong_argv);
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("refused the call"), std::string::npos) << wrong.err;
  std::vector<std::string> right_argv = llm_stream(uri("a"), kGreedy);
  right_argv.insert(right_argv.begin() + 2, {"--nn-rpc-token-file", (dir / "token").string()});
  auto right = run_process(right_argv);
  EXPECT_EQ(right.exit_code, 0) << right.err;
}

}  // namespace

namespace {

// Many clients streaming from one named llama model at once: each has its own context (KV
// cache) on the server and gets the text it gets alone.
TEST_F(RpcClientTest, ManyConcurrentStreamsFromOneNamedModelAllGetTheirAloneText) {
  auto server = serve("a");
  const std::string meta = R"({"n-predict":8,"temp":0})";
  auto alone = run_process({nnwasm_binary(), "run", "--nn-preload",
                            "default:GGML:AUTO:" + model_path("tiny-llama.gguf"),
                            guest_path("llm-stream"), "default", "Once upon a time", meta});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  constexpr int kClients = 64;
  std::vector<nnwasm::test::ProcessResult> results(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = run_process(llm_stream(uri("a"), meta), "", "", 120); });
  }
  for (auto& t : threads) t.join();
  int same = 0;
  std::string first_difference;
  for (const auto& r : results) {
    const bool ok = r.exit_code == 0 && r.out == alone.out;
    same += ok;
    if (!ok && first_difference.empty()) {
      first_difference = "exit " + std::to_string(r.exit_code) +
                         (r.timed_out ? " (timed out)" : "") + "\nout: " + r.out +
                         "\nerr: " + r.err;
    }
  }
  EXPECT_EQ(same, kClients) << "alone: " << alone.out << "\n" << first_difference;
  EXPECT_TRUE(eventually([&] {
    return server->output().find("; 0 open") != std::string::npos &&
           server->output().rfind("; 0 open") > server->output().rfind("started");
  })) << "every session ended";
}

}  // namespace

namespace {

// Every way of generating (one compute, a stream, compute then stream, stream + fini_single +
// stream) prints byte-for-byte the same through a server (Generate) as locally.
TEST_F(RpcClientTest, EveryGenerationModeIsByteExactThroughAServer) {
  auto server = serve("a");
  const std::string meta = R"({"n-predict":12,"temp":0})";
  for (const char* mode : {"compute", "stream", "both", "restream"}) {
    auto local =
        run_process({nnwasm_binary(), "run", "--nn-preload",
                     "default:GGML:AUTO:" + model_path("tiny-llama.gguf"),
                     guest_path("llm_generate"), "default", mode, "Once upon a time", meta});
    auto remote =
        run_process({nnwasm_binary(), "run", "--nn-rpc-uri", uri("a"), guest_path("llm_generate"),
                     "default", mode, "Once upon a time", meta});
    ASSERT_EQ(local.exit_code, 0) << local.err;
    EXPECT_EQ(remote.exit_code, 0) << mode << ": " << remote.err;
    EXPECT_EQ(remote.out, local.out) << mode;
  }
}

}  // namespace
