// Benchmark host: runs N guest instances on N threads in one process, all sharing one NnRuntime
// (so one copy of each named model), and prints the process's peak RSS. Compared by run.py
// against N=1 to show what an extra instance costs.
// usage: nnwasm_bench_instances N GUEST.wasm --nn-preload SPEC [GUEST ARGS...]
#include <fcntl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "nn/abi/wasi_nn.h"
#include "wasi/wasi.h"

namespace {

long status_kib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || std::strcmp(argv[3], "--nn-preload") != 0) {
    std::fprintf(stderr, "usage: %s N GUEST.wasm --nn-preload SPEC [GUEST ARGS...]\n", argv[0]);
    return 2;
  }
  using namespace nnwasm;
  const int instances = std::atoi(argv[1]);
  std::ifstream in(argv[2], std::ios::binary);
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  nn::BackendConfig backend_config;
  std::string exe_dir = std::string(argv[0]).substr(0, std::string(argv[0]).rfind('/'));
  backend_config.dirs = nn::BackendManager::default_dirs({exe_dir + "/../backends"}, "");
  nn::NnRuntime runtime(backend_config);
  nn::NamedModel model;
  if (!nn::parse_preload(argv[4], &model).is_ok()) return 2;
  runtime.models.add(model);
  engine::initialize_engine({});
  const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

  std::vector<std::thread> threads;
  std::vector<int> exit_codes(instances, -1);
  for (int i = 0; i < instances; ++i) {
    threads.emplace_back([&, i] {
      wasi::WasiConfig config;
      config.args.push_back("guest");
      for (int a = 5; a < argc; ++a) config.args.push_back(argv[a]);
      config.stdout_fd = devnull;
      wasi::Wasi wasi(config);
      nn::WasiNn wasi_nn(runtime);
      engine::Linker linker;
      wasi.define_imports(linker);
      wasi_nn.define_imports(linker);
      engine::Store store;
      store.compile(bytes, argv[2]);
      store.instantiate(linker);
      exit_codes[i] = store.call("_start").exit_code;
    });
  }
  for (auto& t : threads) t.join();
  for (int code : exit_codes) {
    if (code != 0) {
      std::fprintf(stderr, "an instance failed (exit %d)\n", code);
      return 1;
    }
  }
  std::printf("instances %d peak_rss_kib %ld\n", instances, status_kib("VmHWM:"));
  return 0;
}
