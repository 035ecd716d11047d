// Test host: runs two instances of one guest at the same time on two threads of one process,
// sharing one NnRuntime (so both use one loaded named model), like bench/instances.cc, but keeps
// each instance's stdout and prints it afterwards, for llama_wasm_test.cc to compare.
// usage: nnwasm_llama_two_instances BACKEND_DIR PRELOAD_SPEC GUEST.wasm [GUEST ARGS...]
// Prints, per instance i: "=== instance i exit N" then everything it wrote to stdout.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "nn/abi/wasi_nn.h"
#include "wasi/wasi.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s BACKEND_DIR PRELOAD_SPEC GUEST.wasm [ARGS...]\n", argv[0]);
    return 2;
  }
  using namespace nnwasm;
  constexpr int kInstances = 2;
  std::ifstream in(argv[3], std::ios::binary);
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  nn::BackendConfig backend_config;
  backend_config.dirs = {argv[1]};
  nn::NnRuntime runtime(backend_config);
  nn::NamedModel model;
  if (!nn::parse_preload(argv[2], &model).is_ok()) return 2;
  runtime.models.add(model);
  engine::initialize_engine({});

  std::vector<FILE*> outputs(kInstances);  // each instance's stdout, read back at the end
  std::vector<int> exit_codes(kInstances, -1);
  std::latch ready(kInstances);  // both guests start only when both are instantiated
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    outputs[i] = std::tmpfile();
    threads.emplace_back([&, i] {
      bool arrived = false;
      try {
        wasi::WasiConfig config;
        config.args.push_back("guest");
        for (int a = 4; a < argc; ++a) config.args.push_back(argv[a]);
        config.stdout_fd = fileno(outputs[i]);
        wasi::Wasi wasi(config);
        nn::WasiNn wasi_nn(runtime);
        engine::Linker linker;
        wasi.define_imports(linker);
        wasi_nn.define_imports(linker);
        engine::Store store;
        store.compile(bytes, argv[3]);
        store.instantiate(linker);
        arrived = true;
        ready.arrive_and_wait();
        exit_codes[i] = store.call("_start").exit_code;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "instance %d: %s\n", i, e.what());
        if (!arrived) ready.count_down();  // never leave the other instance waiting
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kInstances; ++i) {
    std::printf("=== instance %d exit %d\n", i, exit_codes[i]);
    std::rewind(outputs[i]);
    for (int c; (c = std::fgetc(outputs[i])) != EOF;) std::putchar(c);
    std::fclose(outputs[i]);
  }
  return 0;
}
