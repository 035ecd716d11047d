// Tests of the onnx backend plugin through the nnwasm plugin ABI: descriptor, probe, sniff,
// loading, every tensor type, dynamic shapes, and each kind of rejected call.
#include <algorithm>
#include <random>

#include "plugin_helpers.h"

namespace nnwasm::onnx_test {
namespace {

const std::vector<uint32_t> k2x3 = {2, 3};

TEST(OnnxDescriptor, MatchesAbiVersionAndDeclaresItself) {
  const nnwasm_backend* b = backend();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->abi_version, NNWASM_BACKEND_ABI_VERSION);
  EXPECT_EQ(b->struct_size, sizeof(nnwasm_backend));
  EXPECT_STREQ(b->name, "onnx");
  EXPECT_TRUE(contains(b->version, "onnxruntime 1.29")) << b->version;
  ASSERT_EQ(b->encoding_count, 1u);
  EXPECT_EQ(b->encodings[0], NNWASM_ENCODING_ONNX);
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

TEST(OnnxProbe, ListsTheCpuFirstAndReportsTheTotal) {
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
    EXPECT_TRUE(contains(devices[i].name, "cuda:")) << devices[i].name;
  }
}

uint32_t sniff(const uint8_t* data, size_t size) {
  nnwasm_sniff_result result{12345, 0, ""};
  EXPECT_EQ(backend()->sniff(data, size, &result), NNWASM_SUCCESS);
  EXPECT_LE(result.confidence, 100u);
  return result.confidence;
}

TEST(OnnxSniff, RecognizesOnnxModels) {
  for (const char* name : {"digits.onnx", "add_mul.onnx", "types.onnx", "dynamic.onnx"}) {
    const auto bytes = read_file(model_path(name));
    EXPECT_EQ(sniff(bytes.data(), bytes.size()), 90u) << name;
  }
  // The first 64 bytes of a model are enough when the graph field starts within them.
  const auto digits = read_file(model_path("digits.onnx"));
  EXPECT_EQ(sniff(digits.data(), 64), 90u);
}

TEST(OnnxSniff, RejectsOtherFormatsAndGarbage) {
  const uint8_t gguf[] = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const uint8_t zip[] = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0};
  const uint8_t bad_ir[] = {0x08, 0x63, 0x3a, 0x02, 0x0a, 0x00};    // ir_version 99
  const uint8_t bad_wire[] = {0x08, 0x07, 0x38, 0x01, 0x3a, 0x00};  // field 7 as a varint
  EXPECT_EQ(sniff(gguf, sizeof gguf), 0u);
  EXPECT_EQ(sniff(zip, sizeof zip), 0u);
  EXPECT_EQ(sniff(bad_ir, sizeof bad_ir), 0u);
  EXPECT_EQ(sniff(bad_wire, sizeof bad_wire), 0u);
  EXPECT_EQ(sniff(nullptr, 0), 0u);
  const uint8_t one[] = {0x08};
  EXPECT_EQ(sniff(one, 1), 0u);
  std::vector<uint8_t> ones(4096, 0xff);
  EXPECT_EQ(sniff(ones.data(), ones.size()), 0u);
}

TEST(OnnxSniff, NeverReadsPastTheDataOnTruncatedOrRandomInput) {
  const auto model = read_file(model_path("add_mul.onnx"));
  for (size_t n = 0; n <= model.size(); ++n) {
    std::vector<uint8_t> prefix(model.begin(), model.begin() + n);  // exact size for ASan
    sniff(prefix.data(), prefix.size());
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> data(rng() % 48);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    if (!data.empty() && i % 2 == 0) data[0] = 0x08;  // get past the first check half the time
    sniff(data.data(), data.size());
  }
}

// Runs add_mul on a context and checks both outputs against A+B and A*B.
void check_add_mul(Context& ctx, float base) {
  std::vector<float> a(6), b(6);
  for (int i = 0; i < 6; ++i) {
    a[i] = base + static_cast<float>(i);
    b[i] = 0.5f * static_cast<float>(i) - 1.0f;
  }
  const auto ta = tensor(NNWASM_TENSOR_F32, k2x3, a), tb = tensor(NNWASM_TENSOR_F32, k2x3, b);
  ASSERT_EQ(backend()->set_input(ctx.c, 0, &ta), NNWASM_SUCCESS) << last_error();
  ASSERT_EQ(backend()->set_input(ctx.c, 1, &tb), NNWASM_SUCCESS) << last_error();
  ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();
  const auto sum = output<float>(ctx, 0), product = output<float>(ctx, 1);
  ASSERT_EQ(sum.size(), 6u);
  ASSERT_EQ(product.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_FLOAT_EQ(sum[i], a[i] + b[i]) << i;
    EXPECT_FLOAT_EQ(product[i], a[i] * b[i]) << i;
  }
}

TEST(OnnxLoad, FromBytesComputesEveryOutput) {
  Graph graph;
  load_bytes("add_mul.onnx", graph);
  Context ctx;
  make_context(graph, ctx);
  // Repeated computes with new data: outputs are replaced, written into the same buffers.
  const uint8_t* first = nullptr;
  for (float base : {1.0f, -7.5f, 100.0f}) {
    check_add_mul(ctx, base);
    nnwasm_output out{};
    ASSERT_EQ(backend()->get_output(ctx.c, 1, &out), NNWASM_SUCCESS);
    if (first == nullptr) first = out.data;
    EXPECT_EQ(out.data, first) << "output reallocated although no shape changed";
  }
}

TEST(OnnxLoad, FromFileComputesEveryOutput) {
  const std::string path = model_path("add_mul.onnx");
  const char* paths[] = {path.c_str()};
  const auto opts = options();
  Graph graph;
  ASSERT_EQ(backend()->load_file(paths, 1, &opts, &graph.g), NNWASM_SUCCESS) << last_error();
  Context ctx;
  make_context(graph, ctx);
  check_add_mul(ctx, 3.0f);
}

TEST(OnnxLoad, ConfigKeysAreAppliedAndUnknownKeysIgnored) {
  const auto bytes = read_file(model_path("add_mul.onnx"));
  const nnwasm_bytes builder{bytes.data(), bytes.size()};
  for (std::string config :
       {std::string(R"({"intra_op_num_threads": 1, "graph_optimization_level": "basic"})"),
        std::string(
            R"({"graph_optimization_level": 0, "allow_spinning": false, "n-gpu-layers": 99})"),
        std::string("{}")}) {
    const auto opts = options(NNWASM_TARGET_CPU, &config);
    Graph graph;
    ASSERT_EQ(backend()->load(&builder, 1, &opts, &graph.g), NNWASM_SUCCESS)
        << config << ": " << last_error();
    Context ctx;
    make_context(graph, ctx);
    check_add_mul(ctx, 2.0f);
  }
  struct Bad {
    std::string config;
    nnwasm_status status;
    const char* mentions;
  };
  for (const Bad& bad :
       {Bad{"{not json", NNWASM_INVALID_ENCODING, "JSON"},
        Bad{"[1,2]", NNWASM_INVALID_ARGUMENT, "object"},
        Bad{R"({"intra_op_num_threads": "two"})", NNWASM_INVALID_ARGUMENT, "intra_op_num_threads"},
        Bad{R"({"intra_op_num_threads": 0})", NNWASM_INVALID_ARGUMENT, "intra_op_num_threads"},
        Bad{R"({"graph_optimization_level": "max"})", NNWASM_INVALID_ARGUMENT,
            "graph_optimization_level"}}) {
    const auto opts = options(NNWASM_TARGET_CPU, &bad.config);
    Graph graph;
    EXPECT_EQ(backend()->load(&builder, 1, &opts, &graph.g), bad.status) << bad.config;
    EXPECT_EQ(graph.g, nullptr);
    EXPECT_TRUE(contains(last_error(), bad.mentions)) << last_error();
  }
}

TEST(OnnxLoad, CorruptModelBytesFailWithOnnxRuntimesMessage) {
  auto bytes = read_file(model_path("digits.onnx"));
  std::vector<std::vector<uint8_t>> corrupt;
  corrupt.emplace_back(bytes.begin(), bytes.begin() + bytes.size() / 2);  // truncated
  std::vector<uint8_t> garbage(1000);
  std::mt19937 rng(7);
  for (auto& b : garbage) b = static_cast<uint8_t>(rng());
  corrupt.push_back(garbage);
  auto flipped = bytes;  // valid protobuf prefix, then noise over the weights and nodes
  for (size_t i = 40; i < flipped.size(); i += 3) flipped[i] ^= 0x5a;
  corrupt.push_back(flipped);
  for (const auto& model : corrupt) {
    const nnwasm_bytes builder{model.data(), model.size()};
    const auto opts = options();
    Graph graph;
    const nnwasm_status s = backend()->load(&builder, 1, &opts, &graph.g);
    EXPECT_TRUE(s == NNWASM_RUNTIME_ERROR || s == NNWASM_INVALID_ENCODING) << s;
    EXPECT_EQ(graph.g, nullptr);
    EXPECT_TRUE(contains(last_error(), "onnxruntime:")) << last_error();
  }
}

TEST(OnnxLoad, MissingFileIsNotFound) {
  const char* paths[] = {"/nonexistent/model.onnx"};
  const auto opts = options();
  Graph graph;
  EXPECT_EQ(backend()->load_file(paths, 1, &opts, &graph.g), NNWASM_MODEL_NOT_FOUND);
  EXPECT_TRUE(contains(last_error(), "/nonexistent/model.onnx")) << last_error();
}

TEST(OnnxLoad, RejectsUnsupportedTargetsEncodingsAndBuilderCounts) {
  const auto bytes = read_file(model_path("add_mul.onnx"));
  const nnwasm_bytes builders[2] = {{bytes.data(), bytes.size()}, {bytes.data(), bytes.size()}};
  Graph graph;
  auto opts = options(NNWASM_TARGET_TPU);
  EXPECT_EQ(backend()->load(builders, 1, &opts, &graph.g), NNWASM_UNSUPPORTED_OPERATION);
  EXPECT_TRUE(contains(last_error(), "tpu")) << last_error();

  uint32_t devices = 0;
  backend()->probe(nullptr, 0, &devices);
  if (devices == 1) {  // no usable CUDA device: asking for the GPU is refused, not crashed
    opts = options(NNWASM_TARGET_GPU);
    EXPECT_EQ(backend()->load(builders, 1, &opts, &graph.g), NNWASM_UNSUPPORTED_OPERATION);
    EXPECT_TRUE(contains(last_error(), "gpu")) << last_error();
  }
  opts = options(NNWASM_TARGET_AUTO);  // the core resolves auto before load (backend.h)
  EXPECT_EQ(backend()->load(builders, 1, &opts, &graph.g), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "execution target 3")) << last_error();
  EXPECT_EQ(graph.g, nullptr);

  opts = options();
  opts.encoding = NNWASM_ENCODING_PYTORCH;
  EXPECT_EQ(backend()->load(builders, 1, &opts, &graph.g), NNWASM_INVALID_ENCODING);
  opts = options();
  EXPECT_EQ(backend()->load(builders, 2, &opts, &graph.g), NNWASM_INVALID_ARGUMENT);
  EXPECT_EQ(backend()->load(builders, 0, &opts, &graph.g), NNWASM_INVALID_ARGUMENT);
  EXPECT_EQ(graph.g, nullptr);
}

// f16 bit patterns: 1.0, -1.5, 0.5, 1024 doubled are 2.0, -3.0, 1.0, 2048.
const std::vector<uint16_t> kHalf = {0x3C00, 0xBE00, 0x3800, 0x6400};
const std::vector<uint16_t> kHalfDoubled = {0x4000, 0xC200, 0x3C00, 0x6800};

TEST(OnnxTypes, EveryWasiNnTensorTypeRoundTrips) {
  Graph graph;
  load_bytes("types.onnx", graph);
  Context ctx;
  make_context(graph, ctx);
  const std::vector<uint32_t> dims = {4};
  const std::vector<float> f32 = {1.5f, -2.0f, 0.0f, 1e30f};
  const std::vector<double> f64 = {1.25, -1e300, 3.0, 0.1};
  const std::vector<uint8_t> u8 = {0, 1, 127, 200};
  const std::vector<int32_t> i32 = {-5, 0, 1 << 29, -(1 << 29)};
  const std::vector<int64_t> i64 = {-1, int64_t{1} << 61, 7, -(int64_t{1} << 61)};
  const nnwasm_tensor inputs[] = {
      tensor(NNWASM_TENSOR_F16, dims, kHalf), tensor(NNWASM_TENSOR_F32, dims, f32),
      tensor(NNWASM_TENSOR_F64, dims, f64),   tensor(NNWASM_TENSOR_U8, dims, u8),
      tensor(NNWASM_TENSOR_I32, dims, i32),   tensor(NNWASM_TENSOR_I64, dims, i64)};
  for (uint32_t i = 0; i < 6; ++i)
    ASSERT_EQ(backend()->set_input(ctx.c, i, &inputs[i]), NNWASM_SUCCESS)
        << i << ": " << last_error();
  ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(output<uint16_t>(ctx, 0), kHalfDoubled);
  EXPECT_EQ(output<float>(ctx, 1), (std::vector<float>{3.0f, -4.0f, 0.0f, 2e30f}));
  EXPECT_EQ(output<double>(ctx, 2), (std::vector<double>{2.5, -2e300, 6.0, 0.2}));
  EXPECT_EQ(output<uint8_t>(ctx, 3), (std::vector<uint8_t>{0, 2, 254, 144}));  // 400 mod 256
  EXPECT_EQ(output<int32_t>(ctx, 4), (std::vector<int32_t>{-10, 0, 1 << 30, -(1 << 30)}));
  EXPECT_EQ(output<int64_t>(ctx, 5),
            (std::vector<int64_t>{-2, int64_t{1} << 62, 14, -(int64_t{1} << 62)}));

  // Every input refuses every other type, naming itself.
  const char* names[] = {"in_f16", "in_f32", "in_f64", "in_u8", "in_i32", "in_i64"};
  for (uint32_t i = 0; i < 6; ++i)
    for (uint32_t j = 0; j < 6; ++j) {
      if (i == j) continue;
      nnwasm_tensor wrong = inputs[j];
      EXPECT_EQ(backend()->set_input(ctx.c, i, &wrong), NNWASM_INVALID_ARGUMENT) << i << "<-" << j;
      EXPECT_TRUE(contains(last_error(),
                           std::string("'") + names[i] + "' (index " + std::to_string(i) + ")"))
          << last_error();
    }
}

TEST(OnnxTypes, Int64OutputOfArgMax) {
  Graph graph;
  load_bytes("i64_argmax.onnx", graph);
  Context ctx;
  make_context(graph, ctx);
  const std::vector<uint32_t> dims = {1, 5};
  for (int hot = 0; hot < 5; ++hot) {
    std::vector<float> x(5, -1.0f);
    x[hot] = 3.0f;
    const auto t = tensor(NNWASM_TENSOR_F32, dims, x);
    ASSERT_EQ(backend()->set_input(ctx.c, 0, &t), NNWASM_SUCCESS) << last_error();
    ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();
    EXPECT_EQ(output<int64_t>(ctx, 0), std::vector<int64_t>{hot});
  }
}

TEST(OnnxShapes, DynamicBatchDimensionAcceptsAnySize) {
  Graph graph;
  load_bytes("dynamic.onnx", graph);
  Context ctx;
  make_context(graph, ctx);
  for (uint32_t batch : {1u, 4u, 7u, 4u, 1u, 0u, 2u}) {
    std::vector<float> x(batch * 3);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) - 2.5f;
    const std::vector<uint32_t> dims = {batch, 3};
    const auto t = tensor(NNWASM_TENSOR_F32, dims, x);
    ASSERT_EQ(backend()->set_input(ctx.c, 0, &t), NNWASM_SUCCESS) << batch << ": " << last_error();
    ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << batch << ": " << last_error();
    const auto y = output<float>(ctx, 0);
    ASSERT_EQ(y.size(), x.size()) << batch;
    for (size_t i = 0; i < x.size(); ++i) EXPECT_FLOAT_EQ(y[i], 2 * x[i]);
  }
  // The fixed dimension is still checked, naming the symbolic one in the message.
  const std::vector<float> x(8);
  const std::vector<uint32_t> dims = {2, 4};
  const auto t = tensor(NNWASM_TENSOR_F32, dims, x);
  EXPECT_EQ(backend()->set_input(ctx.c, 0, &t), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "'X' (index 0)")) << last_error();
  EXPECT_TRUE(contains(last_error(), "[batch,3]")) << last_error();
}

// add_mul's input A with one thing wrong; the rejection names A, index 0, and both values.
TEST(OnnxInputs, WrongTypeRankDimAndSizeAreInvalidArguments) {
  Graph graph;
  load_bytes("add_mul.onnx", graph);
  Context ctx;
  make_context(graph, ctx);
  const std::vector<float> six(6), eight(8);
  const std::vector<double> six_f64(6);
  const std::vector<uint32_t> flat = {6}, wide = {2, 4}, rank3 = {1, 2, 3};
  struct Case {
    const char* what;
    nnwasm_tensor t;
    std::vector<const char*> mentions;
  };
  nnwasm_tensor short_data = tensor(NNWASM_TENSOR_F32, k2x3, six);
  short_data.size -= 4;
  nnwasm_tensor unknown_type = tensor(NNWASM_TENSOR_F32, k2x3, six);
  unknown_type.type = 9;
  const Case cases[] = {
      {"type", tensor(NNWASM_TENSOR_F64, k2x3, six_f64), {"element type", "f32", "f64"}},
      {"unknown type", unknown_type, {"unknown tensor type 9"}},
      {"rank", tensor(NNWASM_TENSOR_F32, flat, six), {"rank", "expected 2", "given 1"}},
      {"rank 3", tensor(NNWASM_TENSOR_F32, rank3, six), {"rank", "[2,3]", "[1,2,3]"}},
      {"dim", tensor(NNWASM_TENSOR_F32, wide, eight), {"dimension 1", "expected 3", "given 4"}},
      {"size", short_data, {"data size", "expected 24 bytes", "given 20"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(backend()->set_input(ctx.c, 0, &c.t), NNWASM_INVALID_ARGUMENT) << c.what;
    const std::string msg = last_error();
    // An unknown type is refused by the shared boundary before the input is looked at.
    if (std::string(c.what) != "unknown type") {
      EXPECT_TRUE(contains(msg, "'A' (index 0)")) << c.what << ": " << msg;
    }
    for (const char* m : c.mentions) EXPECT_TRUE(contains(msg, m)) << c.what << ": " << msg;
  }
  // A rejected set_input leaves no input behind: compute still reports A as missing.
  EXPECT_EQ(backend()->compute(ctx.c), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "'A'")) << last_error();
}

TEST(OnnxInputs, IndexOutOfRangeForInputsAndOutputs) {
  Graph graph;
  load_bytes("add_mul.onnx", graph);
  Context ctx;
  make_context(graph, ctx);
  const std::vector<float> six(6);
  const auto t = tensor(NNWASM_TENSOR_F32, k2x3, six);
  EXPECT_EQ(backend()->set_input(ctx.c, 2, &t), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "input index 2 out of range")) << last_error();
  EXPECT_TRUE(contains(last_error(), "2 input(s)")) << last_error();
  check_add_mul(ctx, 1.0f);
  nnwasm_output out{};
  EXPECT_EQ(backend()->get_output(ctx.c, 2, &out), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "output index 2 out of range")) << last_error();
  EXPECT_EQ(backend()->get_output(ctx.c, 0xffffffffu, &out), NNWASM_INVALID_ARGUMENT);
}

TEST(OnnxInputs, ComputeBeforeEveryInputIsSetNamesTheMissingOne) {
  Graph graph;
  load_bytes("add_mul.onnx", graph);
  Context ctx;
  make_context(graph, ctx);
  EXPECT_EQ(backend()->compute(ctx.c), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "'A' (index 0) is not set")) << last_error();
  const std::vector<float> six(6);
  const auto t = tensor(NNWASM_TENSOR_F32, k2x3, six);
  ASSERT_EQ(backend()->set_input(ctx.c, 0, &t), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(backend()->compute(ctx.c), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "'B' (index 1) is not set")) << last_error();
  nnwasm_output out{};
  EXPECT_EQ(backend()->get_output(ctx.c, 0, &out), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "compute")) << last_error();
}

TEST(OnnxInputs, InputDataIsCopiedSoTheCallersBufferMayChange) {
  Graph graph;
  load_bytes("add_mul.onnx", graph);
  Context ctx;
  make_context(graph, ctx);
  std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {1, 1, 1, 1, 1, 1};
  const auto ta = tensor(NNWASM_TENSOR_F32, k2x3, a), tb = tensor(NNWASM_TENSOR_F32, k2x3, b);
  ASSERT_EQ(backend()->set_input(ctx.c, 0, &ta), NNWASM_SUCCESS);
  ASSERT_EQ(backend()->set_input(ctx.c, 1, &tb), NNWASM_SUCCESS);
  std::fill(a.begin(), a.end(), -100.0f);  // the "guest memory" changes after the call
  ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(output<float>(ctx, 0), (std::vector<float>{2, 3, 4, 5, 6, 7}));
}

// NonZero(X: float[6]) -> Y: int64[1,n], whose output shape depends on the data. Built with
// onnx.helper (IR 7, opset 13); embedded because no generated model has data-dependent shapes.
const uint8_t kNonZeroModel[] = {
    0x08, 0x07, 0x3a, 0x3c, 0x0a, 0x0f, 0x0a, 0x01, 0x58, 0x12, 0x01, 0x59, 0x22, 0x07,
    0x4e, 0x6f, 0x6e, 0x5a, 0x65, 0x72, 0x6f, 0x12, 0x02, 0x6e, 0x7a, 0x5a, 0x0f, 0x0a,
    0x01, 0x58, 0x12, 0x0a, 0x0a, 0x08, 0x08, 0x01, 0x12, 0x04, 0x0a, 0x02, 0x08, 0x06,
    0x62, 0x14, 0x0a, 0x01, 0x59, 0x12, 0x0f, 0x0a, 0x0d, 0x08, 0x07, 0x12, 0x09, 0x0a,
    0x02, 0x08, 0x01, 0x0a, 0x03, 0x12, 0x01, 0x6e, 0x42, 0x04, 0x0a, 0x00, 0x10, 0x0d};

TEST(OnnxShapes, OutputsWhoseShapeDependsOnTheDataAreReplacedEachCompute) {
  const nnwasm_bytes builder{kNonZeroModel, sizeof kNonZeroModel};
  const auto opts = options();
  Graph graph;
  ASSERT_EQ(backend()->load(&builder, 1, &opts, &graph.g), NNWASM_SUCCESS) << last_error();
  Context ctx;
  make_context(graph, ctx);
  const std::vector<uint32_t> dims = {6};
  const std::vector<std::pair<std::vector<float>, std::vector<int64_t>>> cases = {
      {{1, 0, 2, 0, 0, 3}, {0, 2, 5}},          {{0, 0, 0, 0, 0, 1}, {5}},
      {{5, 5, 5, 5, 5, 5}, {0, 1, 2, 3, 4, 5}}, {{1, 0, 1, 0, 1, 0}, {0, 2, 4}},
      {{1, 0, 1, 0, 1, 0}, {0, 2, 4}},          {{0, 1, 0, 0, 0, 0}, {1}}};
  for (const auto& [x, expected] : cases) {
    const auto t = tensor(NNWASM_TENSOR_F32, dims, x);
    ASSERT_EQ(backend()->set_input(ctx.c, 0, &t), NNWASM_SUCCESS) << last_error();
    ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();
    EXPECT_EQ(output<int64_t>(ctx, 0), expected);
  }
}

TEST(OnnxGraph, ContextOutlivesAFreedGraph) {
  Graph graph;
  load_bytes("add_mul.onnx", graph);
  Context ctx;
  make_context(graph, ctx);
  backend()->graph_free(graph.g);
  graph.g = nullptr;
  check_add_mul(ctx, 5.0f);
}

}  // namespace
}  // namespace nnwasm::onnx_test
