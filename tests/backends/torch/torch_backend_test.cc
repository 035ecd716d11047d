// Tests of the torch backend plugin through the nnwasm plugin ABI: descriptor, probe, sniff,
// loading from bytes and files, targets, corrupt archives, input checks, output replacement,
// and closing/reopening the plugin.
#include <link.h>

#include <random>

#include "torch_helpers.h"

namespace nnwasm::torch_test {
namespace {

TEST(TorchDescriptor, MatchesAbiVersionAndDeclaresItself) {
  const nnwasm_backend* b = backend();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->abi_version, NNWASM_BACKEND_ABI_VERSION);
  EXPECT_EQ(b->struct_size, sizeof(nnwasm_backend));
  EXPECT_STREQ(b->name, "torch");
  EXPECT_TRUE(contains(b->version, "libtorch ")) << b->version;
  ASSERT_EQ(b->encoding_count, 1u);
  EXPECT_EQ(b->encodings[0], NNWASM_ENCODING_PYTORCH);
  EXPECT_EQ(b->flags & NNWASM_BACKEND_GRAPH_REENTRANT, NNWASM_BACKEND_GRAPH_REENTRANT);
  for (auto fn : {(void*)b->probe, (void*)b->sniff, (void*)b->load, (void*)b->load_file,
                  (void*)b->graph_free, (void*)b->graph_io_count, (void*)b->graph_io,
                  (void*)b->context_create, (void*)b->context_free, (void*)b->set_input,
                  (void*)b->compute, (void*)b->get_output, (void*)b->last_error})
    EXPECT_NE(fn, nullptr);
  EXPECT_EQ(b->compute_single, nullptr);
  EXPECT_EQ(b->get_output_single, nullptr);
  EXPECT_EQ(b->fini_single, nullptr);
}

TEST(TorchProbe, ListsTheCpuFirstThenCudaDevices) {
  uint32_t count = 0;
  ASSERT_EQ(backend()->probe(nullptr, 0, &count), NNWASM_SUCCESS);
  ASSERT_GE(count, 1u);
  std::vector<nnwasm_device> devices(count);
  uint32_t again = 0;
  ASSERT_EQ(backend()->probe(devices.data(), count, &again), NNWASM_SUCCESS);
  EXPECT_EQ(again, count);
  EXPECT_EQ(devices[0].target, NNWASM_TARGET_CPU);
  EXPECT_TRUE(contains(devices[0].name, "cpu")) << devices[0].name;
  for (uint32_t i = 1; i < count; ++i) {
    EXPECT_EQ(devices[i].target, NNWASM_TARGET_GPU);
    EXPECT_EQ(devices[i].index, static_cast<int32_t>(i - 1));
    EXPECT_TRUE(contains(devices[i].name, "cuda:" + std::to_string(i - 1))) << devices[i].name;
  }
}

uint32_t sniff(const uint8_t* data, size_t size) {
  nnwasm_sniff_result result{12345, 0, ""};
  EXPECT_EQ(backend()->sniff(data, size, &result), NNWASM_SUCCESS);
  EXPECT_LE(result.confidence, 100u);
  return result.confidence;
}

// A stored (uncompressed) zip archive with the given entries, as Python's zipfile writes one.
std::vector<uint8_t> make_zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::vector<uint8_t> zip, central;
  auto put16 = [](std::vector<uint8_t>& v, uint32_t x) {
    v.push_back(x & 0xff);
    v.push_back((x >> 8) & 0xff);
  };
  auto put32 = [&](std::vector<uint8_t>& v, uint32_t x) {
    put16(v, x & 0xffff);
    put16(v, x >> 16);
  };
  for (const auto& [name, body] : entries) {
    const uint32_t offset = static_cast<uint32_t>(zip.size());
    put32(zip, 0x04034b50);
    for (int i = 0; i < 5; ++i) put16(zip, 0);  // version, flags, method, time, date
    put32(zip, 0);                              // crc (not checked by sniff)
    put32(zip, static_cast<uint32_t>(body.size()));
    put32(zip, static_cast<uint32_t>(body.size()));
    put16(zip, static_cast<uint32_t>(name.size()));
    put16(zip, 0);
    zip.insert(zip.end(), name.begin(), name.end());
    zip.insert(zip.end(), body.begin(), body.end());
    put32(central, 0x02014b50);
    for (int i = 0; i < 6; ++i) put16(central, 0);
    put32(central, 0);
    put32(central, static_cast<uint32_t>(body.size()));
    put32(central, static_cast<uint32_t>(body.size()));
    put16(central, static_cast<uint32_t>(name.size()));
    for (int i = 0; i < 4; ++i) put16(central, 0);  // extra, comment, disk, internal attrs
    put32(central, 0);
    put32(central, offset);
    central.insert(central.end(), name.begin(), name.end());
  }
  const uint32_t cd_offset = static_cast<uint32_t>(zip.size());
  zip.insert(zip.end(), central.begin(), central.end());
  put32(zip, 0x06054b50);
  put16(zip, 0);
  put16(zip, 0);
  put16(zip, static_cast<uint32_t>(entries.size()));
  put16(zip, static_cast<uint32_t>(entries.size()));
  put32(zip, static_cast<uint32_t>(central.size()));
  put32(zip, cd_offset);
  put16(zip, 0);
  return zip;
}

TEST(TorchSniff, RecognizesTorchScriptArchives) {
  for (const char* name : {"digits.pt", "multi_io.pt", "conv.pt"}) {
    const auto bytes = read_file(model_path(name));
    EXPECT_EQ(sniff(bytes.data(), bytes.size()), 95u) << name;
  }
  EXPECT_EQ(sniff(make_zip({{"m/data.pkl", "x"}, {"m/code/__torch__.py", "y"}}).data(),
                  make_zip({{"m/data.pkl", "x"}, {"m/code/__torch__.py", "y"}}).size()),
            95u);
}

TEST(TorchSniff, OtherZipsScoreLowAndOtherFormatsZero) {
  const auto plain = make_zip({{"readme.txt", "hello"}, {"dir/a.bin", "1234"}});
  EXPECT_EQ(sniff(plain.data(), plain.size()), 10u);
  const auto pickle = make_zip({{"archive/data.pkl", "x"}, {"archive/version", "3"}});
  EXPECT_EQ(sniff(pickle.data(), pickle.size()), 30u);  // torch.save, not TorchScript
  const auto onnx = read_file(model_path("digits.onnx"));
  EXPECT_EQ(sniff(onnx.data(), onnx.size()), 0u);
  const uint8_t gguf[] = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                          0,   0,   0,   0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(sniff(gguf, sizeof gguf), 0u);
  EXPECT_EQ(sniff(nullptr, 0), 0u);
  std::vector<uint8_t> garbage(4096);
  std::mt19937 rng(1);
  for (auto& b : garbage) b = static_cast<uint8_t>(rng());
  EXPECT_EQ(sniff(garbage.data(), garbage.size()), 0u);
}

TEST(TorchSniff, NeverReadsPastTheDataOnTruncatedOrCorruptArchives) {
  const auto model = read_file(model_path("multi_io.pt"));
  for (size_t n = 0; n <= model.size(); n += (n < 200 || model.size() - n < 400) ? 1 : 97) {
    std::vector<uint8_t> prefix(model.begin(), model.begin() + n);  // exact size for ASan
    const uint32_t c = sniff(prefix.data(), prefix.size());
    if (n >= 30) {
      EXPECT_GE(c, 10u) << n;  // still a zip
    }
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 3000; ++i) {  // corrupt central directories and local headers
    auto bytes = model;
    for (int k = 0; k < 8; ++k) bytes[bytes.size() - 1 - rng() % 600] = static_cast<uint8_t>(rng());
    if (i % 2) bytes[30 + rng() % 60] = static_cast<uint8_t>(rng());
    bytes.resize(bytes.size() - rng() % 50);
    sniff(bytes.data(), bytes.size());
  }
}

TEST(TorchLoad, FromFileAndFromBytesGiveTheSameOutputs) {
  const std::string path = model_path("digits.pt");
  const char* paths[] = {path.c_str()};
  const auto opts = options();
  Graph from_file, from_bytes;
  ASSERT_EQ(backend()->load_file(paths, 1, &opts, &from_file.g), NNWASM_SUCCESS) << last_error();
  load_bytes("digits.pt", from_bytes);
  const auto x = digits_x();
  const std::vector<uint32_t> dims = {1, 64};
  const std::vector<float> sample(x.begin(), x.begin() + 64);
  const auto t = tensor(NNWASM_TENSOR_F32, dims, sample);
  std::vector<std::vector<uint8_t>> results;
  for (Graph* g : {&from_file, &from_bytes}) {
    Context ctx;
    make_context(*g, ctx);
    ASSERT_EQ(backend()->set_input(ctx.c, 0, &t), NNWASM_SUCCESS) << last_error();
    ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();
    results.push_back(output_bytes(ctx, 0));
    EXPECT_EQ(results.back().size(), 40u);
  }
  EXPECT_EQ(results[0], results[1]);
}

TEST(TorchLoad, MissingFileIsNotFound) {
  const char* paths[] = {"/nonexistent/model.pt"};
  const auto opts = options();
  Graph graph;
  EXPECT_EQ(backend()->load_file(paths, 1, &opts, &graph.g), NNWASM_MODEL_NOT_FOUND);
  EXPECT_TRUE(contains(last_error(), "/nonexistent/model.pt")) << last_error();
}

TEST(TorchLoad, CorruptArchivesFailWithLibtorchsMessage) {
  const auto bytes = read_file(model_path("digits.pt"));
  std::vector<std::vector<uint8_t>> corrupt;
  for (size_t keep : {bytes.size() / 10, bytes.size() / 2, bytes.size() - 100, bytes.size() - 1})
    corrupt.emplace_back(bytes.begin(), bytes.begin() + keep);  // truncated
  std::vector<uint8_t> garbage(1000);
  std::mt19937 rng(7);
  for (auto& b : garbage) b = static_cast<uint8_t>(rng());
  corrupt.push_back(garbage);
  corrupt.push_back(make_zip({{"readme.txt", "not a model"}}));  // a zip without the layout
  for (size_t i = 0; i < corrupt.size(); ++i) {
    const nnwasm_bytes builder{corrupt[i].data(), corrupt[i].size()};
    const auto opts = options();
    Graph graph;
    EXPECT_EQ(backend()->load(&builder, 1, &opts, &graph.g), NNWASM_RUNTIME_ERROR) << i;
    EXPECT_EQ(graph.g, nullptr);
    const std::string msg = last_error();
    EXPECT_TRUE(contains(msg, "torch: load: libtorch: ")) << i << ": " << msg;
    EXPECT_FALSE(contains(msg, "Exception raised from")) << "backtrace leaked: " << msg;
  }
}

TEST(TorchLoad, TargetsEncodingsBuilderCountsAndConfig) {
  const auto bytes = read_file(model_path("digits.pt"));
  const nnwasm_bytes builders[2] = {{bytes.data(), bytes.size()}, {bytes.data(), bytes.size()}};
  Graph graph;
  auto opts = options(NNWASM_TARGET_TPU);
  EXPECT_EQ(backend()->load(builders, 1, &opts, &graph.g), NNWASM_UNSUPPORTED_OPERATION);
  EXPECT_TRUE(contains(last_error(), "PyTorch backend has no TPU support")) << last_error();
  if (!has_cuda()) {  // asking for the GPU is refused with a reason, not crashed
    opts = options(NNWASM_TARGET_GPU);
    EXPECT_EQ(backend()->load(builders, 1, &opts, &graph.g), NNWASM_UNSUPPORTED_OPERATION);
    EXPECT_TRUE(contains(last_error(), "target gpu")) << last_error();
    EXPECT_TRUE(contains(last_error(), "CUDA")) << last_error();
  }
  EXPECT_EQ(graph.g, nullptr);
  opts = options(NNWASM_TARGET_AUTO);  // the core resolves auto before load (backend.h)
  EXPECT_EQ(backend()->load(builders, 1, &opts, &graph.g), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "execution target 3")) << last_error();
  EXPECT_EQ(graph.g, nullptr);

  opts = options();
  opts.encoding = NNWASM_ENCODING_ONNX;
  EXPECT_EQ(backend()->load(builders, 1, &opts, &graph.g), NNWASM_INVALID_ENCODING);
  opts = options();
  EXPECT_EQ(backend()->load(builders, 2, &opts, &graph.g), NNWASM_INVALID_ARGUMENT);
  EXPECT_EQ(backend()->load(builders, 0, &opts, &graph.g), NNWASM_INVALID_ARGUMENT);

  const std::string good = R"({"threads": 1, "n-gpu-layers": 9})", bad_json = "{nope",
                    bad_threads = R"({"threads": 0})";
  opts = options(NNWASM_TARGET_CPU, &good);
  ASSERT_EQ(backend()->load(builders, 1, &opts, &graph.g), NNWASM_SUCCESS) << last_error();
  backend()->graph_free(graph.g);
  graph.g = nullptr;
  opts = options(NNWASM_TARGET_CPU, &bad_json);
  EXPECT_EQ(backend()->load(builders, 1, &opts, &graph.g), NNWASM_INVALID_ENCODING);
  opts = options(NNWASM_TARGET_CPU, &bad_threads);
  EXPECT_EQ(backend()->load(builders, 1, &opts, &graph.g), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "\"threads\"")) << last_error();
  EXPECT_EQ(graph.g, nullptr);
}

const std::vector<uint32_t> k2x3 = {2, 3}, k3 = {3}, k4 = {4};

TEST(TorchInputs, WrongTypeSizeIndexAndMissingInputsAreRejected) {
  Graph graph;
  load_bytes("multi_io.pt", graph);
  Context ctx;
  make_context(graph, ctx);
  const std::vector<float> a(6, 1.0f);
  const std::vector<int64_t> b = {1, 2, 3};
  const std::vector<uint8_t> c = {1, 2, 3, 4};
  auto ta = tensor(NNWASM_TENSOR_F32, k2x3, a);
  ta.size -= 4;
  EXPECT_EQ(backend()->set_input(ctx.c, 0, &ta), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "'a' (index 0)")) << last_error();
  EXPECT_TRUE(contains(last_error(), "expected 24 bytes")) << last_error();
  EXPECT_TRUE(contains(last_error(), "given 20")) << last_error();
  auto tb = tensor(NNWASM_TENSOR_I64, k3, b);
  tb.type = NNWASM_TENSOR_I32;  // 3 x i32 is 12 bytes, not the 24 given
  EXPECT_EQ(backend()->set_input(ctx.c, 1, &tb), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "'b' (index 1)")) << last_error();
  tb.type = 9;
  EXPECT_EQ(backend()->set_input(ctx.c, 1, &tb), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "unknown tensor type 9")) << last_error();
  const auto tc = tensor(NNWASM_TENSOR_U8, k4, c);
  EXPECT_EQ(backend()->set_input(ctx.c, 3, &tc), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "input index 3 out of range")) << last_error();
  EXPECT_TRUE(contains(last_error(), "3 input(s)")) << last_error();

  EXPECT_EQ(backend()->compute(ctx.c), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "'a' (index 0) is not set")) << last_error();
  nnwasm_output out{};
  EXPECT_EQ(backend()->get_output(ctx.c, 0, &out), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "compute")) << last_error();

  // A type the model cannot take is libtorch's error at compute time (TorchScript has no dtypes
  // in its signatures): runtime_error with libtorch's message.
  Graph digits;
  load_bytes("digits.pt", digits);
  Context dctx;
  make_context(digits, dctx);
  const std::vector<int64_t> ints(64, 1);
  const std::vector<uint32_t> dims = {1, 64};
  const auto ti = tensor(NNWASM_TENSOR_I64, dims, ints);
  ASSERT_EQ(backend()->set_input(dctx.c, 0, &ti), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(backend()->compute(dctx.c), NNWASM_RUNTIME_ERROR);
  EXPECT_TRUE(contains(last_error(), "torch: compute: libtorch: ")) << last_error();
}

TEST(TorchOutputs, EachComputeReplacesThePreviousOutputs) {
  Graph graph;
  load_bytes("multi_io.pt", graph);
  Context ctx;
  make_context(graph, ctx);
  for (int64_t base : {1, 100, -7}) {
    std::vector<float> a(6);
    for (int i = 0; i < 6; ++i) a[i] = static_cast<float>(base + i);
    std::vector<int64_t> b = {base, base + 1, base + 2};
    std::vector<uint8_t> c = {static_cast<uint8_t>(base), 0, 1, 2};
    const auto ta = tensor(NNWASM_TENSOR_F32, k2x3, a), tb = tensor(NNWASM_TENSOR_I64, k3, b),
               tc = tensor(NNWASM_TENSOR_U8, k4, c);
    ASSERT_EQ(backend()->set_input(ctx.c, 0, &ta), NNWASM_SUCCESS) << last_error();
    ASSERT_EQ(backend()->set_input(ctx.c, 1, &tb), NNWASM_SUCCESS) << last_error();
    ASSERT_EQ(backend()->set_input(ctx.c, 2, &tc), NNWASM_SUCCESS) << last_error();
    b[0] = 999;  // the caller's buffer may change after set_input
    ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();
    EXPECT_EQ(output<int64_t>(ctx, 1),
              (std::vector<int64_t>{base * 3 - 1, (base + 1) * 3 - 1, (base + 2) * 3 - 1}));
    EXPECT_EQ(output<uint8_t>(ctx, 3)[0], static_cast<uint8_t>(static_cast<uint8_t>(base) + 7));
    EXPECT_EQ(output<double>(ctx, 2), (std::vector<double>{3.0 * base + 3, 3.0 * base + 12}));
    nnwasm_output out{};
    EXPECT_EQ(backend()->get_output(ctx.c, 6, &out), NNWASM_INVALID_ARGUMENT)
        << "outputs were appended, not replaced";
    EXPECT_TRUE(contains(last_error(), "output index 6 out of range")) << last_error();
    EXPECT_TRUE(contains(last_error(), "6 output(s)")) << last_error();
  }
}

TEST(TorchGraph, ContextOutlivesAFreedGraph) {
  Graph graph;
  load_bytes("digits.pt", graph);
  Context ctx;
  make_context(graph, ctx);
  backend()->graph_free(graph.g);
  graph.g = nullptr;
  const std::vector<float> x(64, 0.5f);
  const std::vector<uint32_t> dims = {1, 64};
  const auto t = tensor(NNWASM_TENSOR_F32, dims, x);
  ASSERT_EQ(backend()->set_input(ctx.c, 0, &t), NNWASM_SUCCESS) << last_error();
  ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(output<float>(ctx, 0).size(), 10u);
}

bool plugin_is_mapped() {
  void* h = dlopen(NNWASM_TORCH_PLUGIN, RTLD_NOW | RTLD_NOLOAD);
  if (h != nullptr) dlclose(h);
  return h != nullptr;
}

// nnwasm closes a plugin when its last graph is freed, but libtorch's process-wide state (op
// registry, thread pools, a CUDA context) does not survive an unload and reload, so the torch
// plugin is linked -z nodelete: dlclose leaves it mapped, and opening it again gives the same,
// working plugin.
TEST(TorchLifetime, PluginStaysLoadedAfterDlcloseAndReopensCleanly) {
  const nnwasm_backend* first = nullptr;
  for (int round = 0; round < 2; ++round) {
    void* handle = nullptr;
    const nnwasm_backend* b = open_plugin(NNWASM_TORCH_PLUGIN, &handle);
    ASSERT_NE(b, nullptr);
    if (round == 0) first = b;
    EXPECT_EQ(b, first) << "round " << round << ": the plugin was loaded anew";
    {
      Graph graph(b);
      load_bytes("digits.pt", graph);
      Context ctx(b);
      make_context(graph, ctx);
      const std::vector<float> x(64, 0.5f);
      const std::vector<uint32_t> dims = {1, 64};
      const auto t = tensor(NNWASM_TENSOR_F32, dims, x);
      ASSERT_EQ(b->set_input(ctx.c, 0, &t), NNWASM_SUCCESS) << last_error();
      ASSERT_EQ(b->compute(ctx.c), NNWASM_SUCCESS) << last_error();
    }
    ASSERT_EQ(dlclose(handle), 0);
    EXPECT_TRUE(plugin_is_mapped()) << "round " << round << ": dlclose unloaded libtorch's plugin";
  }
}

}  // namespace
}  // namespace nnwasm::torch_test
