// The torch plugin against libtorch called directly (the only test file that includes torch
// headers): digits predictions on every held-out sample (and the ONNX backend's on digits.onnx),
// and every output of the mixed-dtype multi-output model byte for byte.
#include <torch/script.h>

#include <thread>

#include "torch_helpers.h"

namespace nnwasm::torch_test {

std::string native_digits_predictions() {
  const auto x = digits_x();
  torch::jit::Module module = torch::jit::load(model_path("digits.pt"));
  module.eval();
  std::string predictions;
  for (size_t i = 0; i < x.size() / 64; ++i) {
    c10::InferenceMode guard;
    at::Tensor input = torch::from_blob(const_cast<float*>(x.data()) + i * 64, {1, 64});
    at::Tensor logits = module.forward({input}).toTensor();
    predictions += static_cast<char>('0' + logits.argmax(1).item<int64_t>());
  }
  return predictions;
}

namespace {

// Predictions through a plugin's ABI on a new context of `graph`, one sample per compute.
std::string context_predictions(const nnwasm_backend* b, Graph& graph) {
  Context ctx(b);
  make_context(graph, ctx);
  const auto x = digits_x();
  const std::vector<uint32_t> dims = {1, 64};
  std::string predictions;
  for (size_t i = 0; i < x.size() / 64; ++i) {
    const std::vector<float> sample(x.begin() + i * 64, x.begin() + (i + 1) * 64);
    const auto t = tensor(NNWASM_TENSOR_F32, dims, sample);
    EXPECT_EQ(b->set_input(ctx.c, 0, &t), NNWASM_SUCCESS) << b->last_error();
    EXPECT_EQ(b->compute(ctx.c), NNWASM_SUCCESS) << b->last_error();
    const auto logits = output<float>(ctx, 0);
    if (logits.size() != 10) return "bad output size " + std::to_string(logits.size());
    predictions +=
        static_cast<char>('0' + (std::max_element(logits.begin(), logits.end()) - logits.begin()));
  }
  return predictions;
}

std::string plugin_predictions(const nnwasm_backend* b, const char* model, nnwasm_encoding enc) {
  Graph graph(b);
  load_bytes(model, graph, NNWASM_TARGET_CPU, enc);
  return context_predictions(b, graph);
}

TEST(TorchNative, DigitsThroughThePluginEqualNativeLibtorchAndTheOnnxBackend) {
  const std::string native = native_digits_predictions();
  ASSERT_EQ(native.size(), read_file(model_path("digits_test_y.bin")).size());
  ASSERT_GT(native.size(), 100u);
  EXPECT_EQ(plugin_predictions(backend(), "digits.pt", NNWASM_ENCODING_PYTORCH), native);
#ifdef NNWASM_ONNX_PLUGIN
  const nnwasm_backend* onnx = open_plugin(NNWASM_ONNX_PLUGIN);
  ASSERT_NE(onnx, nullptr);
  EXPECT_EQ(plugin_predictions(onnx, "digits.onnx", NNWASM_ENCODING_ONNX), native);
#else
  GTEST_SKIP() << "onnx backend not built: ONNX comparison skipped";
#endif
}

// The plugin declares NNWASM_BACKEND_GRAPH_REENTRANT: contexts of one graph compute at once.
TEST(TorchNative, ContextsOfOneGraphComputeInParallel) {
  const std::string native = native_digits_predictions();
  Graph graph;
  load_bytes("digits.pt", graph);
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results)
    threads.emplace_back([&graph, &r] { r = context_predictions(backend(), graph); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r, native);
}

at::Tensor as_tensor(const nnwasm_tensor& t, c10::ScalarType type) {
  std::vector<int64_t> shape(t.dims, t.dims + t.rank);
  return torch::from_blob(const_cast<uint8_t*>(t.data), shape, type).clone();
}

TEST(TorchNative, EveryMultiIoOutputIsByteIdenticalToNativeLibtorch) {
  Graph graph;
  load_bytes("multi_io.pt", graph);
  Context ctx;
  make_context(graph, ctx);
  torch::jit::Module module = torch::jit::load(model_path("multi_io.pt"));
  module.eval();
  const std::vector<uint32_t> k2x3 = {2, 3}, k3 = {3}, k4 = {4};
  const std::vector<c10::ScalarType> expected_types = {at::kFloat, at::kLong, at::kDouble,
                                                       at::kByte,  at::kInt,  at::kHalf};
  for (int round = 0; round < 3; ++round) {
    std::vector<float> a = {0.1f, -2.5f, 3.25f, 1e-3f, 7.0f, -0.0f};
    for (auto& v : a) v = v * static_cast<float>(round + 1) + 0.37f * static_cast<float>(round);
    const std::vector<int64_t> b = {int64_t{1} << 40, -3, round};
    const std::vector<uint8_t> c = {0, 1, 250, static_cast<uint8_t>(255 - round)};
    const nnwasm_tensor inputs[] = {tensor(NNWASM_TENSOR_F32, k2x3, a),
                                    tensor(NNWASM_TENSOR_I64, k3, b),
                                    tensor(NNWASM_TENSOR_U8, k4, c)};
    for (uint32_t i = 0; i < 3; ++i)
      ASSERT_EQ(backend()->set_input(ctx.c, i, &inputs[i]), NNWASM_SUCCESS) << last_error();
    ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();

    c10::InferenceMode guard;
    const auto result =
        module.forward({as_tensor(inputs[0], at::kFloat), as_tensor(inputs[1], at::kLong),
                        as_tensor(inputs[2], at::kByte)});
    const auto& elements = result.toTupleRef().elements();
    ASSERT_EQ(elements.size(), 6u);
    for (uint32_t i = 0; i < 6; ++i) {
      const at::Tensor t = elements[i].toTensor().contiguous();
      EXPECT_EQ(t.scalar_type(), expected_types[i]) << i;
      const auto* p = static_cast<const uint8_t*>(t.data_ptr());
      EXPECT_EQ(output_bytes(ctx, i), std::vector<uint8_t>(p, p + t.nbytes()))
          << "output " << i << " round " << round;
    }
  }
}

}  // namespace
}  // namespace nnwasm::torch_test
