// Host for several guest instances in one process: runs N instances of one guest (compiled
// once) on N threads, all sharing one NnRuntime (so one copy of each named model), started
// together once all are instantiated. Prints the process's peak RSS (run.py compares N against
// 1 to show what an extra instance costs); with --print-output also each instance's stdout, for the
// tests that check instances sharing a model give the same results as one alone. usage:
// nnwasm_bench_instances N GUEST.wasm --nn-preload SPEC [--nn-backend-dir DIR]
//            [--nn-backend-option KEY=VALUE]... [--nn-compute-timeout-ms MS] [--print-output]
//            [--vary] [GUEST ARGS...]
// --print-output prints, per instance i: "=== instance i exit N", then all it wrote to stdout.
// --vary: a guest argument "a|b|c" is a for instance 0, b for 1, c for 2, a for 3 and so on
// (instances that generate different texts, or do different things, at the same time).
// Exit status: 0 when every instance exited 0, 1 otherwise, 2 for usage errors.
#include <fcntl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <latch>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "frontend/model_specs.h"
#include "frontend/plugin_dirs.h"
#include "host_support.h"
#include "instance/instance.h"

using nnwasm::bench::status_kib;

namespace {

// The i-th (mod count) of the '|'-separated alternatives in `arg`.
std::string alternative(const std::string& arg, int i) {
  std::vector<std::string> alternatives;
  std::istringstream in(arg);
  for (std::string a; std::getline(in, a, '|');) alternatives.push_back(a);
  return alternatives.empty() ? arg : alternatives[static_cast<size_t>(i) % alternatives.size()];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || std::strcmp(argv[3], "--nn-preload") != 0 || std::atoi(argv[1]) < 1) {
    std::fprintf(stderr,
                 "usage: %s N GUEST.wasm --nn-preload SPEC [--nn-backend-dir DIR] "
                 "[--nn-backend-option KEY=VALUE]... [--nn-compute-timeout-ms MS] "
                 "[--print-output] [--vary] [GUEST ARGS...]\n",
                 argv[0]);
    return 2;
  }
  using namespace nnwasm;
  const int instances = std::atoi(argv[1]);
  // By default the plugins built beside this program (build/bench -> build/backends).
  std::string backend_dir =
      std::string(argv[0]).substr(0, std::string(argv[0]).rfind('/')) + "/../backends";
  bool print_output = false, vary = false;
  uint32_t compute_timeout_ms = 0;
  nn::BackendConfig backend_config;
  int first_guest_arg = 5;
  for (; first_guest_arg < argc; ++first_guest_arg) {
    const char* arg = argv[first_guest_arg];
    const bool has_value = first_guest_arg + 1 < argc;
    if (std::strcmp(arg, "--nn-backend-dir") == 0 && has_value) {
      backend_dir = argv[++first_guest_arg];
    } else if (std::strcmp(arg, "--nn-backend-option") == 0 && has_value) {
      const std::string option = argv[++first_guest_arg];
      const size_t eq = option.find('=');
      if (eq == std::string::npos) return 2;
      backend_config.options[option.substr(0, eq)] = option.substr(eq + 1);
    } else if (std::strcmp(arg, "--nn-compute-timeout-ms") == 0 && has_value) {
      compute_timeout_ms =
          static_cast<uint32_t>(std::strtoul(argv[++first_guest_arg], nullptr, 10));
    } else if (std::strcmp(arg, "--print-output") == 0) {
      print_output = true;
    } else if (std::strcmp(arg, "--vary") == 0) {
      vary = true;
    } else {
      break;
    }
  }
  backend_config.dirs = frontend::plugin_dirs({backend_dir}, {});
  nn::NnRuntime runtime(backend_config);
  runtime.quotas.compute_timeout_ms = compute_timeout_ms;
  nn::NamedModel model;
  if (!frontend::parse_preload(argv[4], &model).is_ok()) return 2;
  runtime.models.add(model);
  // compiled once, instantiated N times
  const std::shared_ptr<const engine::Module> module = bench::compile_guest(argv[2]);
  if (!module) return 1;

  // Each instance's stdout: a temporary file read back at the end, or /dev/null.
  std::vector<FILE*> outputs(instances, nullptr);
  const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  std::vector<int> exit_codes(instances, -1);
  std::latch ready(instances);
  std::vector<std::thread> threads;
  for (int i = 0; i < instances; ++i) {
    if (print_output) outputs[i] = std::tmpfile();
    threads.emplace_back([&, i] {
      bool arrived = false;
      try {
        wasi::WasiConfig config;
        config.args.push_back("guest");
        for (int a = first_guest_arg; a < argc; ++a) {
          config.args.push_back(vary ? alternative(argv[a], i) : argv[a]);
        }
        config.stdout_fd = outputs[i] != nullptr ? fileno(outputs[i]) : devnull;
        Instance instance(module, runtime, std::move(config));
        arrived = true;
        ready.arrive_and_wait();  // all guests start together
        exit_codes[i] = instance.run().exit_code;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "instance %d: %s\n", i, e.what());
        if (!arrived) ready.count_down();  // never leave the others waiting
      }
    });
  }
  for (auto& t : threads) t.join();
  bool all_ok = true;
  for (int i = 0; i < instances; ++i) {
    if (exit_codes[i] != 0) {
      std::fprintf(stderr, "instance %d failed (exit %d)\n", i, exit_codes[i]);
      all_ok = false;
    }
    if (outputs[i] == nullptr) continue;
    std::printf("=== instance %d exit %d\n", i, exit_codes[i]);
    std::rewind(outputs[i]);
    for (int c; (c = std::fgetc(outputs[i])) != EOF;) std::putchar(c);
    std::fclose(outputs[i]);
  }
  if (!all_ok) return 1;
  std::printf("instances %d peak_rss_kib %ld\n", instances, status_kib("VmHWM:"));
  return 0;
}
