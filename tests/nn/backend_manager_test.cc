// Plugin mechanism and selection with real test plugins: two plugins with the same symbols,
// sniffing, explicit encodings, 5/6 resolution, refcounted close, late discovery, broken
// plugins, and the gpu fallback / strict policy.
#include "nn/backend_manager.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "nn/model_registry.h"
#include "nn/plugin_manifest.h"
#include "support/process.h"

namespace fs = std::filesystem;
using namespace nnwasm::nn;

namespace {

std::vector<uint8_t> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}

BackendConfig config_for(const std::string& dir) {
  BackendConfig config;
  config.dirs = {dir};
  return config;
}

NnStatus load_text(BackendManager& manager, const std::string& text, uint32_t encoding,
                   uint32_t target, std::shared_ptr<Graph>* graph) {
  std::vector<uint8_t> bytes = bytes_of(text);
  nnwasm_bytes builder{bytes.data(), bytes.size()};
  return load_graph(manager, {&builder, 1}, encoding, target, {}, "test model", graph);
}

// A private plugin dir holding copies of chosen test plugins.
class PluginDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          (std::string("nnwasm_plugins_") +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  // Copies test plugin `name`, found in `subdir` of the test plugin dir.
  void add(const std::string& name, const std::string& subdir = "") {
    const std::string file = "libnnwasm-" + name + ".so";
    fs::copy_file(fs::path(nnwasm::test::test_plugin_dir()) / subdir / file, dir / file);
  }
  fs::path dir;
};

}  // namespace

TEST(ResolveEncoding, FiveAndSixAreDecidedByContent) {
  const uint8_t gguf[] = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
  const uint8_t onnx[] = {0x08, 0x07, 0x3a, 0x00};
  for (uint32_t ambiguous : {5u, 6u}) {
    EXPECT_EQ(resolve_ambiguous_encoding(ambiguous, gguf), uint32_t{NNWASM_ENCODING_GGML});
    EXPECT_EQ(resolve_ambiguous_encoding(ambiguous, onnx), uint32_t{NNWASM_ENCODING_AUTODETECT});
  }
  EXPECT_EQ(resolve_ambiguous_encoding(NNWASM_ENCODING_ONNX, gguf), uint32_t{NNWASM_ENCODING_ONNX});
}

TEST_F(PluginDir, TwoPluginsWithTheSameSymbolsCoexist) {
  add("affine");
  add("scale");
  BackendManager manager(config_for(dir.string()));
  std::shared_ptr<Graph> a, b;
  ASSERT_TRUE(
      load_text(manager, "AFFINE 2 1", NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_CPU, &a).is_ok());
  ASSERT_TRUE(
      load_text(manager, "SCALE 3 0", NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_CPU, &b).is_ok());
  EXPECT_STREQ(a->backend().name, "affine");
  EXPECT_STREQ(b->backend().name, "scale");
  EXPECT_NE(&a->backend(), &b->backend());
}

TEST_F(PluginDir, PluginClosesWhenItsLastGraphGoes) {
  add("affine");
  BackendManager manager(config_for(dir.string()));
  auto plugins = manager.plugins();
  ASSERT_EQ(plugins.size(), 1u);
  EXPECT_FALSE(plugins[0]->is_open());
  std::shared_ptr<Graph> first, second;
  ASSERT_TRUE(
      load_text(manager, "AFFINE 1 0", NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_CPU, &first)
          .is_ok());
  ASSERT_TRUE(
      load_text(manager, "AFFINE 1 0", NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_CPU, &second)
          .is_ok());
  EXPECT_TRUE(plugins[0]->is_open());
  first.reset();
  EXPECT_TRUE(plugins[0]->is_open());
  second.reset();
  EXPECT_FALSE(plugins[0]->is_open());
}

TEST_F(PluginDir, KeepAliveKeepsThePluginOpen) {
  add("affine");
  BackendConfig config = config_for(dir.string());
  config.keep_alive = true;
  BackendManager manager(config);
  std::shared_ptr<Graph> graph;
  ASSERT_TRUE(
      load_text(manager, "AFFINE 1 0", NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_CPU, &graph)
          .is_ok());
  graph.reset();
  EXPECT_TRUE(manager.plugins()[0]->is_open());
}

TEST_F(PluginDir, PluginAddedAtRunTimeIsFound) {
  BackendManager manager(config_for(dir.string()));
  std::shared_ptr<Graph> graph;
  NnStatus before =
      load_text(manager, "AFFINE 1 0", NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_CPU, &graph);
  EXPECT_EQ(before.code, uint32_t{NNWASM_INVALID_ENCODING});
  EXPECT_NE(before.message.find("NNWASM_BACKEND_PATH"), std::string::npos) << before.message;
  add("affine");
  EXPECT_TRUE(
      load_text(manager, "AFFINE 1 0", NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_CPU, &graph)
          .is_ok());
}

TEST_F(PluginDir, BrokenAndWrongAbiPluginsAreSkipped) {
  add("affine");
  add("oldabi");
  std::ofstream(dir / "libnnwasm-garbage.so") << "not an ELF file";
  BackendManager manager(config_for(dir.string()));
  std::string explanation;
  Selection selection;
  NnStatus status = manager.select(NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_CPU,
                                   bytes_of("AFFINE 1 0"), &selection, &explanation);
  ASSERT_TRUE(status.is_ok()) << status.message;
  EXPECT_STREQ(selection.plugin->backend().name, "affine");
  EXPECT_NE(explanation.find("ABI version 1, this nnwasm uses 2; rebuild it"), std::string::npos)
      << explanation;
  EXPECT_NE(explanation.find("libnnwasm-garbage.so"), std::string::npos) << explanation;
}

TEST_F(PluginDir, ExplicitEncodingSelectsPluginsThatHandleIt) {
  add("affine");
  BackendManager manager(config_for(dir.string()));
  std::shared_ptr<Graph> graph;
  EXPECT_TRUE(load_text(manager, "AFFINE 1 0", NNWASM_ENCODING_OPENVINO, NNWASM_TARGET_CPU, &graph)
                  .is_ok());
  NnStatus status =
      load_text(manager, "AFFINE 1 0", NNWASM_ENCODING_ONNX, NNWASM_TARGET_CPU, &graph);
  EXPECT_EQ(status.code, uint32_t{NNWASM_NOT_FOUND});
  EXPECT_NE(status.message.find("no backend handles encoding onnx"), std::string::npos)
      << status.message;
}

TEST_F(PluginDir, BackendOrderOverridesTheRanking) {
  add("affine");
  add("scale");
  BackendConfig config = config_for(dir.string());
  // Both handle openvino; without an order the first found wins ties, with one the order does.
  config.order = {"scale"};
  BackendManager manager(config);
  Selection selection;
  ASSERT_TRUE(manager.select(NNWASM_ENCODING_OPENVINO, NNWASM_TARGET_CPU, {}, &selection).is_ok());
  EXPECT_STREQ(selection.plugin->backend().name, "scale");
}

TEST_F(PluginDir, GpuFallsBackToCpuUnlessStrict) {
  add("affine");
  BackendManager lenient(config_for(dir.string()));
  Selection selection;
  ASSERT_TRUE(
      lenient
          .select(NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_GPU, bytes_of("AFFINE 1 0"), &selection)
          .is_ok());
  EXPECT_EQ(selection.target, uint32_t{NNWASM_TARGET_CPU});

  BackendConfig config = config_for(dir.string());
  config.strict_target = true;
  BackendManager strict(config);
  NnStatus status = strict.select(NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_GPU,
                                  bytes_of("AFFINE 1 0"), &selection);
  EXPECT_EQ(status.code, uint32_t{NNWASM_UNSUPPORTED_OPERATION});
  EXPECT_NE(status.message.find("--nn-strict-target"), std::string::npos) << status.message;
}

TEST_F(PluginDir, CorruptModelGivesTheBackendsMessage) {
  add("affine");
  BackendManager manager(config_for(dir.string()));
  std::shared_ptr<Graph> graph;
  NnStatus status =
      load_text(manager, "AFFINE x", NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_CPU, &graph);
  EXPECT_EQ(status.code, uint32_t{NNWASM_INVALID_ENCODING});
  EXPECT_NE(status.message.find("corrupt model"), std::string::npos) << status.message;
  EXPECT_NE(status.message.find("affine"), std::string::npos) << status.message;
}

TEST_F(PluginDir, ManifestKeepsPluginsThatCannotHandleAnEncodingClosed) {
  add("affine");  // has a manifest: encodings=0
  add("scale");   // has none: must be opened to learn what it handles
  BackendManager manager(config_for(dir.string()));
  std::string explanation;
  Selection selection;
  NnStatus status =
      manager.select(NNWASM_ENCODING_ONNX, NNWASM_TARGET_CPU, {}, &selection, &explanation);
  EXPECT_EQ(status.code, uint32_t{NNWASM_NOT_FOUND});
  auto plugins = manager.plugins();
  ASSERT_EQ(plugins.size(), 2u);
  EXPECT_FALSE(plugins[0]->was_opened()) << "affine was loaded although its manifest says no";
  EXPECT_TRUE(plugins[1]->was_opened());
  EXPECT_NE(explanation.find("affine: does not handle encoding onnx (manifest; not loaded)"),
            std::string::npos)
      << explanation;
  // The encoding it does handle still selects it.
  ASSERT_TRUE(manager.select(NNWASM_ENCODING_OPENVINO, NNWASM_TARGET_CPU, {}, &selection).is_ok());
  EXPECT_TRUE(plugins[0]->was_opened());
}

TEST_F(PluginDir, AutodetectLoadsOnlyPluginsWhoseMagicTheBytesStartWith) {
  add("affine");  // magic "AFFINE"
  add("scale");   // no manifest: always asked to sniff
  BackendManager manager(config_for(dir.string()));
  const std::vector<uint8_t> model = bytes_of("SCALE 2 1");
  std::string explanation;
  Selection selection;
  ASSERT_TRUE(
      manager.select(NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_CPU, model, &selection, &explanation)
          .is_ok())
      << explanation;
  auto plugins = manager.plugins();
  EXPECT_FALSE(plugins[0]->was_opened()) << explanation;
  EXPECT_NE(explanation.find("affine: the model bytes lack its magic"), std::string::npos)
      << explanation;
  EXPECT_NE(explanation.find("winner: scale"), std::string::npos) << explanation;
}

TEST(PluginManifest, ReadFromTheFileWithoutLoadingIt) {
  const std::string plugins = nnwasm::test::test_plugin_dir();
  auto affine = read_plugin_manifest(plugins + "/libnnwasm-affine.so");
  ASSERT_TRUE(affine.has_value());
  EXPECT_EQ(affine->abi, 2u);
  EXPECT_TRUE(affine->resolves_names);
  EXPECT_EQ(affine->name, "affine");
  EXPECT_EQ(affine->encodings, std::vector<uint32_t>{NNWASM_ENCODING_OPENVINO});
  EXPECT_EQ(affine->magics, std::vector<std::string>{"AFFINE"});
  auto oldabi = read_plugin_manifest(plugins + "/libnnwasm-oldabi.so");
  ASSERT_TRUE(oldabi.has_value());
  EXPECT_EQ(oldabi->abi, 1u);
  EXPECT_FALSE(read_plugin_manifest(plugins + "/libnnwasm-scale.so").has_value());
  EXPECT_FALSE(read_plugin_manifest("/nonexistent.so").has_value());
  EXPECT_FALSE(read_plugin_manifest("/etc/hostname").has_value());  // not ELF
}

// A plugin file that cannot be opened for want of file descriptors is not a broken plugin: the
// check says so apart (in a child whose descriptor limit leaves it none).
TEST(PluginManifest, AFileCheckWithoutFileDescriptorsSaysSoApart) {
  const std::string plugin = nnwasm::test::test_plugin_dir() + "/libnnwasm-affine.so";
  bool out_of_fds = false;
  EXPECT_EQ(plugin_file_problem(plugin, &out_of_fds), "");
  EXPECT_FALSE(out_of_fds);
  EXPECT_NE(plugin_file_problem("/nonexistent.so", &out_of_fds), "");
  EXPECT_FALSE(out_of_fds);  // a missing file is the file's problem
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // open() takes the lowest free descriptor: a limit at it leaves none.
    int lowest_free = 0;
    while (fcntl(lowest_free, F_GETFD) != -1) ++lowest_free;
    const rlimit limit{static_cast<rlim_t>(lowest_free), static_cast<rlim_t>(lowest_free)};
    bool flagged = false;
    const std::string why =
        setrlimit(RLIMIT_NOFILE, &limit) == 0 ? plugin_file_problem(plugin, &flagged) : "";
    _exit(flagged && why.find("no file descriptor left") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(PluginManifest, ParsesTheTextStrictly) {
  auto m = parse_plugin_manifest("nnwasm-backend abi=1 name=torch encodings=1,3");
  EXPECT_FALSE(m.has_value() && m->resolves_names);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->encodings, (std::vector<uint32_t>{1, 3}));
  EXPECT_FALSE(parse_plugin_manifest("nnwasm-backend name=x encodings=1").has_value());  // no abi
  EXPECT_FALSE(parse_plugin_manifest("nnwasm-backend abi=1 name=x").has_value());
  EXPECT_FALSE(parse_plugin_manifest("nnwasm-backend abi=1 name=x encodings=1,").has_value());
  EXPECT_FALSE(parse_plugin_manifest("nnwasm-backend abi=one name=x encodings=1").has_value());
  EXPECT_FALSE(parse_plugin_manifest("something else").has_value());
  auto gguf = parse_plugin_manifest("nnwasm-backend abi=1 name=l encodings=6 magic=47475546,5a");
  ASSERT_TRUE(gguf.has_value());
  EXPECT_EQ(gguf->magics, (std::vector<std::string>{"GGUF", "Z"}));
  EXPECT_TRUE(gguf->may_recognise("GGUF\x03"));
  EXPECT_FALSE(gguf->may_recognise("PK\x03\x04"));
  EXPECT_FALSE(gguf->may_recognise("GG"));
  EXPECT_FALSE(
      parse_plugin_manifest("nnwasm-backend abi=1 name=l encodings=6 magic=4").has_value());
  EXPECT_FALSE(
      parse_plugin_manifest("nnwasm-backend abi=1 name=l encodings=6 magic=zz").has_value());
}

TEST(PluginManifest, EveryBuiltBackendsManifestMatchesItsDescriptor) {
  BackendManager manager(config_for(NNWASM_BUILT_BACKEND_DIR));
  auto plugins = manager.plugins();
  ASSERT_FALSE(plugins.empty()) << "no backend plugin in " << NNWASM_BUILT_BACKEND_DIR;
  for (const auto& plugin : plugins) {
    const PluginManifest* manifest = plugin->manifest();
    ASSERT_NE(manifest, nullptr) << plugin->path() << " has no manifest";
    std::string error;
    const PluginInfo* info = plugin->info(&error);
    ASSERT_NE(info, nullptr) << error;
    EXPECT_EQ(manifest->abi, NNWASM_BACKEND_ABI_VERSION) << plugin->path();
    EXPECT_EQ(manifest->name, info->name) << plugin->path();
    EXPECT_EQ(manifest->encodings, info->encodings) << plugin->path();
  }
}

TEST_F(PluginDir, ASelectionOpensEachPluginOnce) {
  add("affine");
  BackendManager manager(config_for(dir.string()));
  auto plugins = manager.plugins();
  ASSERT_EQ(plugins.size(), 1u);
  std::shared_ptr<Graph> graph;
  // Learning its info, sniffing and loading: one dlopen, for autodetect and explicit encodings.
  ASSERT_TRUE(
      load_text(manager, "AFFINE 1 0", NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_CPU, &graph)
          .is_ok());
  EXPECT_EQ(plugins[0]->times_opened(), 1u);
  graph.reset();
  EXPECT_FALSE(plugins[0]->is_open());
  ASSERT_TRUE(load_text(manager, "AFFINE 1 0", NNWASM_ENCODING_OPENVINO, NNWASM_TARGET_CPU, &graph)
                  .is_ok());
  EXPECT_EQ(plugins[0]->times_opened(), 2u);  // closed in between, so opened once more
}

TEST_F(PluginDir, AManifestThatDisagreesWithTheDescriptorMakesThePluginUnusable) {
  add("liar", "liar");
  BackendManager manager(config_for(dir.string()));
  std::shared_ptr<Graph> graph;
  NnStatus status = load_text(manager, "LIAR 1 0", NNWASM_ENCODING_ONNX, NNWASM_TARGET_CPU, &graph);
  EXPECT_FALSE(status.is_ok());
  std::string explanation;
  Selection selection;
  std::vector<uint8_t> head = bytes_of("LIAR 1 0");
  manager.select(NNWASM_ENCODING_OPENVINO, NNWASM_TARGET_CPU, head, &selection, &explanation);
  EXPECT_NE(explanation.find("its manifest does not match its descriptor (encodings 0,1 vs 0)"),
            std::string::npos)
      << explanation;
  EXPECT_EQ(selection.plugin, nullptr);
}
