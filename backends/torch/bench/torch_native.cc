// Native baseline for bench/run.py: TorchScript models through libtorch's C++ API directly, as
// the plugin runs them (eval mode, InferenceMode, the plugin's default thread count).
// usage: torch_native_bench digits MODEL_DIR [REPS]  one digits sample per inference (as the
//                                                      demo guest does), best of REPS passes
//        torch_native_bench conv MODEL_DIR [N]       conv.pt on a 1x3x224x224 input, N timed
//                                                      inferences after 3 warm-up runs
// Prints "per-inference time: X us".
#include <ATen/Parallel.h>
#include <sched.h>
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

double now_us() {
  return std::chrono::duration<double, std::micro>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int digits(const std::string& dir, int reps) {
  std::ifstream in(dir + "/digits_test_x.bin", std::ios::binary);
  std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
  std::vector<float> x(bytes.size() / sizeof(float));
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(x.data()));
  const size_t n = x.size() / 64;
  torch::jit::Module module = torch::jit::load(dir + "/digits.pt");
  module.eval();
  double best_us = 1e30;
  long checksum = 0;
  for (int r = 0; r < reps; ++r) {
    const double start = now_us();
    for (size_t i = 0; i < n; ++i) {
      c10::InferenceMode guard;
      at::Tensor input = torch::from_blob(x.data() + i * 64, {1, 64}, torch::kFloat);
      at::Tensor logits = module.forward({input}).toTensor().contiguous();
      checksum += logits.argmax(1).item<int64_t>();
    }
    best_us = std::min(best_us, (now_us() - start) / static_cast<double>(n));
  }
  std::printf("per-inference time: %.2f us (checksum %ld)\n", best_us, checksum);
  return 0;
}

int conv(const std::string& dir, int n) {
  torch::jit::Module module = torch::jit::load(dir + "/conv.pt");
  module.eval();
  std::vector<float> x(3 * 224 * 224);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 251) / 251.0f;
  float sum = 0;
  auto once = [&] {
    c10::InferenceMode guard;
    at::Tensor input = torch::from_blob(x.data(), {1, 3, 224, 224}, torch::kFloat);
    at::Tensor out = module.forward({input}).toTensor().contiguous();
    sum += out.data_ptr<float>()[0];
  };
  for (int i = 0; i < 3; ++i) once();
  const double start = now_us();
  for (int i = 0; i < n; ++i) once();
  std::printf("per-inference time: %.2f us (checksum %.4f)\n", (now_us() - start) / n, sum);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s digits|conv MODEL_DIR [REPS|N]\n", argv[0]);
    return 2;
  }
  cpu_set_t cpus;
  sched_getaffinity(0, sizeof cpus, &cpus);
  at::set_num_threads(CPU_COUNT(&cpus));  // as the plugin does at entry
  const std::string mode = argv[1];
  if (mode == "digits") return digits(argv[2], argc > 3 ? std::atoi(argv[3]) : 5);
  if (mode == "conv") return conv(argv[2], argc > 3 ? std::atoi(argv[3]) : 50);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
