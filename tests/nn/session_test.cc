// Session: handle numbering, quotas with messages naming their flag, unload semantics, named
// model sharing across sessions, and cleanup that closes the plugin when the last session goes.
#include "nn/session.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

TEST_F(SessionTest, AfterUnloadANamedModelTakesTheNewConfig) {
  std::filesystem::path model = std::filesystem::temp_directory_path() / "nnwasm_session_config";
  std::ofstream(model) << "AFFINE 3 0";
  NamedModel named;
  ASSERT_TRUE(nnwasm::frontend::parse_preload("c:openvino:cpu:" + model.string(), &named).is_ok());
  runtime.models.add(named);
  Session session(runtime), other(runtime);
  uint32_t g1, g2, g3, g4;
  ASSERT_TRUE(session.load_by_name("c", "{\"a\":1}", &g1).is_ok());
  // Within a session a name keeps its graph: a later config is ignored...
  ASSERT_TRUE(session.load_by_name("c", "{\"a\":2}", &g2).is_ok());
  EXPECT_EQ(g1, g2);
  // ...until the guest unloads it; then the new config gets its own graph.
  ASSERT_TRUE(session.unload(g1).is_ok());
  ASSERT_TRUE(session.load_by_name("c", "{\"a\":2}", &g3).is_ok());
  std::shared_ptr<Graph> first, second;
  ASSERT_TRUE(runtime.models.get("c", "{\"a\":1}", &first).is_ok());
  ASSERT_TRUE(runtime.models.get("c", "{\"a\":2}", &second).is_ok());
  EXPECT_NE(first.get(), second.get());
  // The same config in another session shares the loaded graph.
  ASSERT_TRUE(other.load_by_name("c", "{\"a\":2}", &g4).is_ok());
  EXPECT_EQ(second.use_count(), 1 + 2);  // `second` + one per session: the registry keeps
                                         // only the first config's graph
  EXPECT_EQ(first.use_count(), 1 + 1);   // registry + `first`
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
