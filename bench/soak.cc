// Soak host: CYCLES instances of one guest (compiled once) created, run and destroyed one after
// another in one process, all on one NnRuntime - what a server running guests for days does.
// Prints the process's RSS and open file descriptors after the warm-up cycles and at the end,
// so that growth per cycle shows (bench/run.py; tests/guests/soak_test.cc bounds it):
//   cycles N warmup W rss_kib_start A rss_kib_end B fds_start C fds_end D
// The RSS figures are the lowest after any cycle of the first and of the last tenth of the
// measured cycles: the allocator's swings between cycles (+-15 MB with a llama context's 64 MiB
// of buffers) cancel out, while a leak raises that floor.
// usage: nnwasm_soak CYCLES GUEST.wasm [--nn-preload SPEC] [--nn-backend-dir DIR]
//            [--dir HOST::GUEST] [GUEST ARGS...]
// Exit status: 0 when every cycle's guest exited 0, 1 at the first that did not, 2 for usage.
#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "frontend/model_specs.h"
#include "frontend/plugin_dirs.h"
#include "host_support.h"
#include "instance/instance.h"

namespace {

using nnwasm::bench::open_fds;
using nnwasm::bench::status_kib;

int usage(const char* self) {
  std::fprintf(stderr,
               "usage: %s CYCLES GUEST.wasm [--nn-preload SPEC] [--nn-backend-dir DIR] "
               "[--dir HOST::GUEST] [GUEST ARGS...]\n",
               self);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || std::atol(argv[1]) < 1) return usage(argv[0]);
  using namespace nnwasm;
  const long cycles = std::atol(argv[1]);
  // By default the plugins built beside this program's build tree (build/<dir> -> build/backends).
  std::string backend_dir =
      std::string(argv[0]).substr(0, std::string(argv[0]).rfind('/')) + "/../backends";
  std::vector<nn::NamedModel> models;
  std::vector<wasi::Preopen> preopens;
  int first_guest_arg = 3;
  for (; first_guest_arg + 1 < argc; first_guest_arg += 2) {
    const std::string option = argv[first_guest_arg], value = argv[first_guest_arg + 1];
    if (option == "--nn-preload") {
      nn::NamedModel model;
      if (!frontend::parse_preload(value, &model).is_ok()) return usage(argv[0]);
      models.push_back(std::move(model));
    } else if (option == "--nn-backend-dir") {
      backend_dir = value;
    } else if (option == "--dir") {
      const size_t sep = value.find("::");
      if (sep == std::string::npos) return usage(argv[0]);
      preopens.push_back({value.substr(sep + 2), value.substr(0, sep)});
    } else {
      break;
    }
  }
  nn::BackendConfig backend_config;
  backend_config.dirs = frontend::plugin_dirs({backend_dir}, {});
  nn::NnRuntime runtime(backend_config);
  for (nn::NamedModel& model : models) runtime.models.add(std::move(model));
  const std::shared_ptr<const engine::Module> module = bench::compile_guest(argv[2]);
  if (!module) return 1;
  const int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  // Warm-up: plugins opened, pools and caches filled; growth after it is what leaks.
  const long warmup = std::min(cycles / 5, 500L);
  const long window = std::max((cycles - warmup) / 10, 1L);
  long rss_start = -1, rss_end = -1, fds_start = 0;
  auto lowest = [](long* floor) {
    const long rss = status_kib("VmRSS:");
    if (*floor < 0 || rss < *floor) *floor = rss;
  };
  for (long cycle = 0; cycle < cycles; ++cycle) {
    if (cycle == warmup) fds_start = open_fds();
    if (cycle >= warmup && cycle < warmup + window) lowest(&rss_start);
    int exit_code = -1;
    try {
      wasi::WasiConfig config;
      config.args.push_back("guest");
      for (int a = first_guest_arg; a < argc; ++a) config.args.push_back(argv[a]);
      config.preopens = preopens;
      config.stdout_fd = devnull;
      Instance instance(module, runtime, std::move(config));
      exit_code = instance.run().exit_code;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cycle %ld: %s\n", cycle, e.what());
    }
    if (exit_code != 0) {
      std::fprintf(stderr, "cycle %ld: the guest failed (exit %d)\n", cycle, exit_code);
      return 1;
    }
    if (cycle >= cycles - window) lowest(&rss_end);
  }
  std::printf("cycles %ld warmup %ld rss_kib_start %ld rss_kib_end %ld fds_start %ld fds_end %ld\n",
              cycles, warmup, rss_start, rss_end, fds_start, open_fds());
  return 0;
}
