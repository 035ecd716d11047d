// Native baseline for bench/run.py: the digits model through ONNX Runtime's C++ API directly,
// one sample per inference (as the demo guest does), with the plugin's default thread count.
// usage: onnx_digits_native MODEL_DIR [REPS]; prints "per-inference time: X us" (best pass).
#include <onnxruntime_cxx_api.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR [REPS]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  std::ifstream in(dir + "/digits_test_x.bin", std::ios::binary);
  std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
  std::vector<float> x(bytes.size() / sizeof(float));
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(x.data()));
  const size_t n = x.size() / 64;

  Ort::InitApi(OrtGetApiBase()->GetApi(ORT_API_VERSION));  // ORT_API_MANUAL_INIT is set
  cpu_set_t cpus;
  sched_getaffinity(0, sizeof cpus, &cpus);
  Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "digits-native");
  Ort::SessionOptions options;
  options.SetIntraOpNumThreads(CPU_COUNT(&cpus));
  Ort::Session session(env, (dir + "/digits.onnx").c_str(), options);
  auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  const char* in_names[] = {"input"};
  const char* out_names[] = {"logits"};
  const int64_t shape[] = {1, 64};

  double best_us = 1e30;
  int checksum = 0;
  for (int r = 0; r < reps; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < n; ++i) {
      auto input = Ort::Value::CreateTensor<float>(memory, x.data() + i * 64, 64, shape, 2);
      auto out = session.Run(Ort::RunOptions{nullptr}, in_names, &input, 1, out_names, 1);
      const float* logits = out[0].GetTensorData<float>();
      checksum += static_cast<int>(std::max_element(logits, logits + 10) - logits);
    }
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                    .count() /
                static_cast<double>(n);
    best_us = std::min(best_us, us);
  }
  std::printf("per-inference time: %.2f us (checksum %d)\n", best_us, checksum);
  return 0;
}
