// Session: handle numbering, quotas with messages naming their flag, unload semantics, named
// model sharing across sessions, and cleanup that closes the plugin when the last session goes.
#include "nn/session.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "frontend/model_specs.h"
#include "support/process.h"

using namespace nnwasm::nn;

namespace {

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : runtime(config()) {}
  static BackendConfig config() {
    BackendConfig c;
    c.dirs = {nnwasm::test::test_plugin_dir()};
    return c;
  }
  NnStatus load(Session& session, uint32_t* graph) {
    static const std::string model = "AFFINE 2 1";
    nnwasm_bytes builder{reinterpret_cast<const uint8_t*>(model.data()), model.size()};
    return session.load({&builder, 1}, 5, NNWASM_TARGET_CPU, graph);
  }
  std::shared_ptr<BackendPlugin> affine_plugin() {
    for (auto& p : runtime.backends.plugins()) {
      if (p->path().find("libnnwasm-affine.so") != std::string::npos) return p;
    }
    return nullptr;
  }
  NnRuntime runtime;
};

}  // namespace

TEST_F(SessionTest, HandlesStartAtZeroAndAreNeverReused) {
  Session session(runtime);
  uint32_t a = 99, b = 99, c = 99;
  ASSERT_TRUE(load(session, &a).is_ok());
  ASSERT_TRUE(load(session, &b).is_ok());
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 1u);
  ASSERT_TRUE(session.unload(a).is_ok());
  ASSERT_TRUE(load(session, &c).is_ok());
  EXPECT_EQ(c, 2u);
}

TEST_F(SessionTest, GraphQuotaNamesItsFlag) {
  runtime.quotas.max_graphs = 2;
  Session session(runtime);
  uint32_t g;
  ASSERT_TRUE(load(session, &g).is_ok());
  ASSERT_TRUE(load(session, &g).is_ok());
  NnStatus third = load(session, &g);
  EXPECT_EQ(third.code, uint32_t{NNWASM_TOO_LARGE});
  EXPECT_NE(third.message.find("--nn-max-graphs"), std::string::npos) << third.message;
}

TEST_F(SessionTest, ContextAndTensorQuotasNameTheirFlags) {
  runtime.quotas.max_contexts = 1;
  runtime.quotas.max_tensor_bytes = 8;
  Session session(runtime);
  uint32_t g, c;
  ASSERT_TRUE(load(session, &g).is_ok());
  ASSERT_TRUE(session.init_execution_context(g, &c).is_ok());
  NnStatus second = session.init_execution_context(g, &c);
  EXPECT_EQ(second.code, uint32_t{NNWASM_TOO_LARGE});
  EXPECT_NE(second.message.find("--nn-max-contexts"), std::string::npos);
  float data[4] = {};
  uint32_t dims[1] = {4};
  nnwasm_tensor t{dims, 1, NNWASM_TENSOR_F32, reinterpret_cast<const uint8_t*>(data), sizeof data};
  NnStatus big = session.set_input(0, 0, t);
  EXPECT_EQ(big.code, uint32_t{NNWASM_TOO_LARGE});
  EXPECT_NE(big.message.find("--nn-max-tensor-bytes"), std::string::npos);
}

TEST_F(SessionTest, ModelQuotaNamesItsFlag) {
  runtime.quotas.max_model_bytes = 4;
  Session session(runtime);
  uint32_t g;
  NnStatus status = load(session, &g);
  EXPECT_EQ(status.code, uint32_t{NNWASM_TOO_LARGE});
  EXPECT_NE(status.message.find("--nn-max-model-bytes"), std::string::npos);
}

TEST_F(SessionTest, DestroyingTheSessionFreesEverythingAndClosesThePlugin) {
  {
    Session session(runtime);
    uint32_t g, c;
    ASSERT_TRUE(load(session, &g).is_ok());
    ASSERT_TRUE(session.init_execution_context(g, &c).is_ok());
    ASSERT_TRUE(affine_plugin()->is_open());
  }
  EXPECT_FALSE(affine_plugin()->is_open());
}

TEST_F(SessionTest, NamedModelIsLoadedOnceAndSharedAcrossSessions) {
  std::filesystem::path model = std::filesystem::temp_directory_path() / "nnwasm_session_model";
  std::ofstream(model) << "AFFINE 3 0";
  NamedModel named;
  ASSERT_TRUE(nnwasm::frontend::parse_preload("m:openvino:cpu:" + model.string(), &named).is_ok());
  runtime.models.add(named);
  Session first(runtime), second(runtime);
  uint32_t g1, g2;
  ASSERT_TRUE(first.load_by_name("m", {}, &g1).is_ok());
  ASSERT_TRUE(second.load_by_name("m", {}, &g2).is_ok());
  std::shared_ptr<Graph> shared;
  ASSERT_TRUE(runtime.models.get("m", {}, &shared).is_ok());
  EXPECT_EQ(shared.use_count(), 2 + 2);  // registry + `shared` + one per session
  // Unloading in one session drops only its handle.
  ASSERT_TRUE(first.unload(g1).is_ok());
  uint32_t c;
  EXPECT_TRUE(second.init_execution_context(g2, &c).is_ok());
  EXPECT_EQ(first.load_by_name("nope", {}, &g1).code, uint32_t{NNWASM_NOT_FOUND});
}

TEST_F(SessionTest, AnotherConfigForALoadedNameGetsAGraphOfItsOwn) {
  std::filesystem::path model = std::filesystem::temp_directory_path() / "nnwasm_session_config";
  std::ofstream(model) << "AFFINE 3 0";
  NamedModel named;
  ASSERT_TRUE(nnwasm::frontend::parse_preload("c:openvino:cpu:" + model.string(), &named).is_ok());
  runtime.models.add(named);
  Session session(runtime), other(runtime);
  uint32_t g1, g2, g3, g4, g5;
  ASSERT_TRUE(session.load_by_name("c", "{\"a\":1}", &g1).is_ok());
  // The same config again: the same handle.
  ASSERT_TRUE(session.load_by_name("c", "{\"a\":1}", &g2).is_ok());
  EXPECT_EQ(g1, g2);
  // Another config: a graph of that config (as WasmEdge), not the first one silently.
  ASSERT_TRUE(session.load_by_name("c", "{\"a\":2}", &g3).is_ok());
  EXPECT_NE(g1, g3);
  std::shared_ptr<Graph> first, second;
  ASSERT_TRUE(runtime.models.get("c", "{\"a\":1}", &first).is_ok());
  ASSERT_TRUE(runtime.models.get("c", "{\"a\":2}", &second).is_ok());
  EXPECT_NE(first.get(), second.get());
  // The same config in another session shares the loaded graph.
  ASSERT_TRUE(other.load_by_name("c", "{\"a\":2}", &g4).is_ok());
  EXPECT_EQ(second.use_count(), 1 + 2);     // `second` + one per session: the registry keeps
                                            // only the first config's graph
  EXPECT_EQ(first.use_count(), 1 + 1 + 1);  // registry + `first` + the session's g1
  // No config, a blank one and "{}" are one config.
  ASSERT_TRUE(other.load_by_name("c", "", &g4).is_ok());
  ASSERT_TRUE(other.load_by_name("c", " { } ", &g5).is_ok());
  EXPECT_EQ(g4, g5);
  EXPECT_EQ(ModelRegistry::config_key("{}"), "");
  EXPECT_EQ(ModelRegistry::config_key("\t\n"), "");
  EXPECT_EQ(ModelRegistry::config_key("{\"a\":1}"), "{\"a\":1}");
  EXPECT_EQ(ModelRegistry::config_key("{"), "{");
}

// set_input + compute + get_output of one f32 value through the session; the result or NaN.
float compute_one(Session& session, uint32_t graph, float x, NnStatus* status = nullptr) {
  uint32_t c;
  if (!session.init_execution_context(graph, &c).is_ok()) return NAN;
  const uint32_t dims[1] = {1};
  const nnwasm_tensor t{dims, 1, NNWASM_TENSOR_F32, reinterpret_cast<const uint8_t*>(&x), 4};
  NnStatus s = session.set_input(c, 0, t);
  if (s.is_ok()) s = session.compute(c);
  nnwasm_output out{};
  if (s.is_ok()) s = session.get_output(c, 0, &out);
  if (status != nullptr) *status = s;
  float y = NAN;
  if (s.is_ok() && out.size == 4 && out.type == NNWASM_TENSOR_F32 && out.rank == 1 &&
      out.dims[0] == 1) {
    std::memcpy(&y, out.data, 4);
  }
  return y;
}

TEST_F(SessionTest, NamesTheRegistryLacksGoToBackendsThatResolveNames) {
  Session session(runtime);
  uint32_t g;
  // libnnwasm-affine.so's load_by_name knows "affine:SCALE:BIAS" (its manifest says names=1).
  ASSERT_TRUE(session.load_by_name("affine:3:1", {}, &g).is_ok());
  EXPECT_EQ(compute_one(session, g, 2.0f), 7.0f);
  NnStatus unknown = session.load_by_name("affine:x", {}, &g);
  EXPECT_EQ(unknown.code, uint32_t{NNWASM_INVALID_ARGUMENT}) << unknown.message;
  EXPECT_NE(unknown.message.find("expected affine:SCALE:BIAS"), std::string::npos)
      << unknown.message;
  NnStatus nobody = session.load_by_name("someone-else:1:2", {}, &g);
  EXPECT_EQ(nobody.code, uint32_t{NNWASM_NOT_FOUND});
  EXPECT_NE(nobody.message.find("--nn-preload"), std::string::npos) << nobody.message;
}

TEST_F(SessionTest, OutputsCarryTheirTypeAndDims) {
  Session session(runtime);
  uint32_t g;
  ASSERT_TRUE(load(session, &g).is_ok());
  EXPECT_EQ(compute_one(session, g, 1.5f), 4.0f);  // 2x + 1, with type f32 and dims [1]
}

TEST_F(SessionTest, AComputePastTheTimeoutIsCancelledThroughTheHostCallback) {
  runtime.quotas.compute_timeout_ms = 50;
  Session session(runtime);
  static const std::string spin = "AFFINE 2 1 spin";  // waits (up to 10 s) to be cancelled
  nnwasm_bytes builder{reinterpret_cast<const uint8_t*>(spin.data()), spin.size()};
  uint32_t g;
  ASSERT_TRUE(session.load({&builder, 1}, 0, NNWASM_TARGET_CPU, &g).is_ok());
  NnStatus status;
  const auto start = std::chrono::steady_clock::now();
  compute_one(session, g, 1.0f, &status);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(status.code, uint32_t{NNWASM_RUNTIME_ERROR});
  EXPECT_NE(status.message.find("cancelled by the host"), std::string::npos) << status.message;
  // Without a deadline the same model computes (after its 10 s bound: use a short model).
  runtime.quotas.compute_timeout_ms = 0;
  ASSERT_TRUE(load(session, &g).is_ok());
  EXPECT_EQ(compute_one(session, g, 1.0f), 3.0f);
}

TEST_F(SessionTest, AClosedPluginWasShutDownFirst) {
  const auto log = std::filesystem::temp_directory_path() /
                   ("nnwasm_shutdown_" + std::to_string(getpid()) + ".log");
  std::filesystem::remove(log);
  setenv("NNWASM_TEST_SHUTDOWN_LOG", log.c_str(), 1);
  {
    Session session(runtime);
    uint32_t g;
    ASSERT_TRUE(load(session, &g).is_ok());
  }
  unsetenv("NNWASM_TEST_SHUTDOWN_LOG");
  EXPECT_FALSE(affine_plugin()->is_open());
  // Every test plugin the selection opened is shut down before it is closed.
  std::ifstream in(log);
  std::string text{std::istreambuf_iterator<char>(in), {}};
  EXPECT_NE(text.find("shutdown affine\n"), std::string::npos) << text;
  std::filesystem::remove(log);
}

TEST(ParsePreload, AcceptsPeersSpellingsAndRejectsTheRest) {
  NamedModel m;
  ASSERT_TRUE(nnwasm::frontend::parse_preload("default:GGML:AUTO:/m/a.gguf:/m/b.gguf", &m).is_ok());
  EXPECT_EQ(m.name, "default");
  EXPECT_EQ(m.encoding, uint32_t{NNWASM_ENCODING_GGML});
  EXPECT_EQ(m.target, uint32_t{NNWASM_TARGET_AUTO});
  EXPECT_EQ(m.paths.size(), 2u);
  EXPECT_FALSE(nnwasm::frontend::parse_preload("x:onnx:cpu", &m).is_ok());
  EXPECT_FALSE(nnwasm::frontend::parse_preload("x:onnx:warp:/m", &m).is_ok());
  EXPECT_FALSE(nnwasm::frontend::parse_preload(":onnx:cpu:/m", &m).is_ok());
  ASSERT_TRUE(nnwasm::frontend::parse_graph_dir("onnx::/models/mobilenet", &m).is_ok());
  EXPECT_EQ(m.name, "mobilenet");
  EXPECT_EQ(m.encoding, uint32_t{NNWASM_ENCODING_ONNX});
  EXPECT_FALSE(nnwasm::frontend::parse_graph_dir("onnx:/models", &m).is_ok());
}
