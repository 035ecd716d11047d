// The digits demo guest through the nnwasm binary (Wasm -> WASI-NN -> onnx plugin) against
// ONNX Runtime called directly: identical predictions and accuracy, for a named model and for a
// model loaded from guest bytes.
#include <onnxruntime_cxx_api.h>

#include <algorithm>

#include "plugin_helpers.h"
#include "support/process.h"

namespace nnwasm::onnx_test {
namespace {

// Native predictions, one sample at a time, as the guest does.
std::string native_predictions() {
  const auto xb = read_file(model_path("digits_test_x.bin"));
  const size_t n = xb.size() / (64 * sizeof(float));
  Ort::InitApi(OrtGetApiBase()->GetApi(ORT_API_VERSION));
  Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "native-reference");
  Ort::Session session(env, model_path("digits.onnx").c_str(), Ort::SessionOptions{});
  auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  const char* in_names[] = {"input"};
  const char* out_names[] = {"logits"};
  std::string predictions;
  for (size_t i = 0; i < n; ++i) {
    const int64_t shape[] = {1, 64};
    auto input = Ort::Value::CreateTensor<float>(
        memory, reinterpret_cast<float*>(const_cast<uint8_t*>(xb.data())) + i * 64, 64, shape, 2);
    auto out = session.Run(Ort::RunOptions{nullptr}, in_names, &input, 1, out_names, 1);
    const float* logits = out[0].GetTensorData<float>();
    predictions += static_cast<char>('0' + (std::max_element(logits, logits + 10) - logits));
  }
  return predictions;
}

}  // namespace

TEST(OnnxWasm, DigitsThroughWasmEqualNativeOnnxRuntime) {
  const std::string native = native_predictions();
  ASSERT_GT(native.size(), 100u);
  const std::string models = NNWASM_MODEL_DIR;
  const std::vector<std::vector<std::string>> runs = {
      {nnwasm::test::nnwasm_binary(), "run", "--dir", models + "::/models", "--nn-preload",
       "digits:onnx:auto:" + model_path("digits.onnx"), nnwasm::test::guest_path("digits"),
       "/models"},
      {nnwasm::test::nnwasm_binary(), "run", "--dir", models + "::/models",
       nnwasm::test::guest_path("digits"), "/models", "/models/digits.onnx"},
  };
  for (const auto& argv : runs) {
    expect_digits_run_matches(nnwasm::test::run_process(argv), native);
  }
}

}  // namespace nnwasm::onnx_test
