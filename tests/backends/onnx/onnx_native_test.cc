// Tests that compare the onnx backend plugin with ONNX Runtime's C++ API called directly (digits
// held-out set), run one graph's contexts on threads at once, and close and reopen the plugin.
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "plugin_helpers.h"

namespace nnwasm::onnx_test {
namespace {

constexpr uint32_t kFeatures = 64, kClasses = 10;

struct Digits {
  std::vector<float> x;    // [n, 64]
  std::vector<uint8_t> y;  // [n]
  uint32_t n = 0;
};

Digits load_digits() {
  Digits d;
  const auto xb = read_file(model_path("digits_test_x.bin"));
  d.y = read_file(model_path("digits_test_y.bin"));
  d.n = static_cast<uint32_t>(d.y.size());
  EXPECT_EQ(xb.size(), size_t{d.n} * kFeatures * sizeof(float));
  d.x.resize(xb.size() / sizeof(float));
  std::memcpy(d.x.data(), xb.data(), xb.size());
  return d;
}

uint8_t argmax(const float* logits) {
  return static_cast<uint8_t>(std::max_element(logits, logits + kClasses) - logits);
}

// Predictions and logits of ONNX Runtime itself, one batch of all samples.
std::vector<float> native_logits(const Digits& d) {
  Ort::InitApi(OrtGetApiBase()->GetApi(ORT_API_VERSION));
  Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "native-reference");
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(1);
  Ort::Session session(env, model_path("digits.onnx").c_str(), so);
  auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  const int64_t shape[] = {d.n, kFeatures};
  auto input =
      Ort::Value::CreateTensor<float>(memory, const_cast<float*>(d.x.data()), d.x.size(), shape, 2);
  const char* in_names[] = {"input"};
  const char* out_names[] = {"logits"};
  auto out = session.Run(Ort::RunOptions{nullptr}, in_names, &input, 1, out_names, 1);
  const float* p = out[0].GetTensorData<float>();
  return {p, p + size_t{d.n} * kClasses};
}

TEST(OnnxNative, DigitsPredictionsMatchOnnxRuntimeCalledDirectly) {
  const Digits d = load_digits();
  ASSERT_GT(d.n, 100u);
  const std::vector<float> native = native_logits(d);

  Graph graph;
  load_bytes("digits.onnx", graph);
  Context ctx;
  make_context(graph, ctx);
  // One sample at a time, as a guest classifying images does.
  uint32_t correct = 0;
  const std::vector<uint32_t> one = {1, kFeatures};
  for (uint32_t i = 0; i < d.n; ++i) {
    const nnwasm_tensor t{one.data(), 2, NNWASM_TENSOR_F32,
                          reinterpret_cast<const uint8_t*>(d.x.data() + size_t{i} * kFeatures),
                          kFeatures * sizeof(float)};
    ASSERT_EQ(backend()->set_input(ctx.c, 0, &t), NNWASM_SUCCESS) << last_error();
    ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();
    const auto logits = output<float>(ctx, 0);
    ASSERT_EQ(logits.size(), kClasses);
    const uint8_t predicted = argmax(logits.data());
    ASSERT_EQ(predicted, argmax(native.data() + size_t{i} * kClasses)) << "sample " << i;
    for (uint32_t k = 0; k < kClasses; ++k)
      EXPECT_NEAR(logits[k], native[size_t{i} * kClasses + k], 1e-4f) << i << "," << k;
    correct += predicted == d.y[i];
  }
  // The model is a real classifier: well above chance on the held-out set.
  EXPECT_GT(static_cast<double>(correct) / d.n, 0.9);

  // The whole set as one batch gives the same predictions.
  const std::vector<uint32_t> all = {d.n, kFeatures};
  const auto t = tensor(NNWASM_TENSOR_F32, all, d.x);
  ASSERT_EQ(backend()->set_input(ctx.c, 0, &t), NNWASM_SUCCESS) << last_error();
  ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();
  const auto logits = output<float>(ctx, 0);
  ASSERT_EQ(logits.size(), native.size());
  for (uint32_t i = 0; i < d.n; ++i)
    EXPECT_EQ(argmax(logits.data() + size_t{i} * kClasses),
              argmax(native.data() + size_t{i} * kClasses))
        << i;
}

TEST(OnnxConcurrency, ContextsOfOneGraphComputeOnThreadsAtOnce) {
  const Digits d = load_digits();
  const std::vector<float> native = native_logits(d);
  Graph graph;
  load_bytes("digits.onnx", graph);
  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0), failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      nnwasm_context* ctx = nullptr;
      if (backend()->context_create(graph.g, nullptr, &ctx) != NNWASM_SUCCESS) {
        ++failures[t];
        return;
      }
      const std::vector<uint32_t> one = {1, kFeatures};
      for (uint32_t i = t; i < d.n; i += kThreads) {
        const nnwasm_tensor in{one.data(), 2, NNWASM_TENSOR_F32,
                               reinterpret_cast<const uint8_t*>(d.x.data() + size_t{i} * kFeatures),
                               kFeatures * sizeof(float)};
        nnwasm_output out{};
        if (backend()->set_input(ctx, 0, &in) != NNWASM_SUCCESS ||
            backend()->compute(ctx) != NNWASM_SUCCESS ||
            backend()->get_output(ctx, 0, &out) != NNWASM_SUCCESS ||
            out.size != kClasses * sizeof(float)) {
          ++failures[t];
          continue;
        }
        float logits[kClasses];
        std::memcpy(logits, out.data, sizeof logits);
        mismatches[t] += argmax(logits) != argmax(native.data() + size_t{i} * kClasses);
      }
      backend()->context_free(ctx);
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
    EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  }
}

// What nnwasm does with a plugin: open, use, free every graph, close (and really unloaded);
// three times. Exits with 0 on success or the number of the step that failed.
[[noreturn]] void open_use_close_rounds() {
  const auto bytes = read_file(model_path("add_mul.onnx"));
  for (int round = 0; round < 3; ++round) {
    void* h = dlopen(NNWASM_ONNX_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) std::_Exit(10);
    auto entry = reinterpret_cast<nnwasm_backend_entry_fn>(dlsym(h, NNWASM_BACKEND_ENTRY_SYMBOL));
    const nnwasm_backend* b = entry ? entry(nullptr) : nullptr;
    if (b == nullptr) std::_Exit(11);
    const nnwasm_bytes builder{bytes.data(), bytes.size()};
    const nnwasm_load_options o{sizeof o, NNWASM_ENCODING_ONNX, NNWASM_TARGET_CPU, 0, nullptr, 0,
                                nullptr};
    nnwasm_graph* g = nullptr;
    nnwasm_context* c = nullptr;
    if (b->load(&builder, 1, &o, &g) != NNWASM_SUCCESS ||
        b->context_create(g, nullptr, &c) != NNWASM_SUCCESS)
      std::_Exit(12);
    const std::vector<float> a = {1, 2, 3, 4, 5, 6};
    const std::vector<uint32_t> dims = {2, 3};
    const auto t = tensor(NNWASM_TENSOR_F32, dims, a);
    nnwasm_output out{};
    if (b->set_input(c, 0, &t) != NNWASM_SUCCESS || b->set_input(c, 1, &t) != NNWASM_SUCCESS ||
        b->compute(c) != NNWASM_SUCCESS || b->get_output(c, 1, &out) != NNWASM_SUCCESS)
      std::_Exit(13);
    if (out.size != 24 || reinterpret_cast<const float*>(out.data)[5] != 36.0f) std::_Exit(14);
    // A failing call leaves a thread-local message; it must not pin the plugin in memory.
    if (b->set_input(c, 99, &t) != NNWASM_INVALID_ARGUMENT || b->last_error()[0] == '\0')
      std::_Exit(15);
    b->context_free(c);
    b->graph_free(g);
    if (dlclose(h) != 0) std::_Exit(16);
    if (dlopen(NNWASM_ONNX_PLUGIN, RTLD_NOW | RTLD_NOLOAD) != nullptr) std::_Exit(17);
  }
  std::exit(0);
}

// Runs in a fresh process (threadsafe death-test style), where the plugin is not yet held open
// by the other tests, so that dlclose really unloads it (ONNX Runtime itself stays loaded here
// because this test program links it for the native reference).
TEST(OnnxLifetime, PluginClosesAndReopensCleanly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(open_use_close_rounds(), testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace nnwasm::onnx_test
