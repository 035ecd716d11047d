// What compiling once saves: N instances of one guest made one after another, each compiling
// the module itself (as every `nnwasm run` does) vs all instantiating one compiled Module.
// Prints the median microseconds per instance for both.
// usage: nnwasm_bench_instantiate GUEST.wasm [N]   (N default 20)
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "instance/instance.h"

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double microseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s GUEST.wasm [N]\n", argv[0]);
    return 2;
  }
  using namespace nnwasm;
  const int n = argc > 2 ? std::max(1, std::atoi(argv[2])) : 20;
  std::ifstream in(argv[1], std::ios::binary);
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  engine::initialize_engine({});
  nn::NnRuntime runtime(nn::BackendConfig{});
  const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  auto config = [&] {
    wasi::WasiConfig c;
    c.args = {"guest"};
    c.stdout_fd = devnull;
    return c;
  };
  try {
    std::vector<double> compile_each, instantiate_shared;
    for (int i = 0; i < n; ++i) {
      auto start = std::chrono::steady_clock::now();
      Instance instance(engine::Module::compile(bytes, argv[1]), runtime, config());
      compile_each.push_back(microseconds_since(start));
    }
    auto shared = engine::Module::compile(bytes, argv[1]);
    Instance first(shared, runtime, config());  // compiles it
    for (int i = 0; i < n; ++i) {
      auto start = std::chrono::steady_clock::now();
      Instance instance(shared, runtime, config());
      instantiate_shared.push_back(microseconds_since(start));
    }
    std::printf("instances %d compile_instantiate_us %.1f instantiate_us %.1f\n", n,
                median(compile_each), median(instantiate_shared));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
