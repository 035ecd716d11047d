// Soak: many instance life cycles (create, load, infer, unload, destroy) in one process through
// the soak host (bench/soak.cc): open file descriptors end where they started after the warm-up,
// and RSS grows by less than 8 KiB a cycle (heap noise; a leaked ONNX Runtime session, llama
// context or instance is far more) (the 10,000-cycle figures are bench/run.py's). In the sanitizer
// build the runs are shorter, and LeakSanitizer fails the host at exit for anything leaked.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "support/process.h"

using nnwasm::test::guest_path;
using nnwasm::test::ProcessResult;
using nnwasm::test::run_process;

namespace {

#ifdef NNWASM_SANITIZE
constexpr long kScale = 10;  // instrumented cycles are ~20x slower; ASan's quarantine holds RSS
#else
constexpr long kScale = 1;
#endif

struct SoakFigures {
  long cycles = 0, warmup = 0, rss_start = 0, rss_end = 0, fds_start = 0, fds_end = 0;
};

SoakFigures parse(const std::string& out) {
  SoakFigures f;
  std::istringstream in(out);
  std::string key;
  while (in >> key) {
    long* slot = key == "cycles"          ? &f.cycles
                 : key == "warmup"        ? &f.warmup
                 : key == "rss_kib_start" ? &f.rss_start
                 : key == "rss_kib_end"   ? &f.rss_end
                 : key == "fds_start"     ? &f.fds_start
                 : key == "fds_end"       ? &f.fds_end
                                          : nullptr;
    if (slot != nullptr) in >> *slot;
  }
  return f;
}

void expect_flat(const ProcessResult& r, long cycles) {
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const SoakFigures f = parse(r.out);
  ASSERT_EQ(f.cycles, cycles) << r.out;
  EXPECT_EQ(f.fds_end, f.fds_start) << r.out;
#ifndef NNWASM_SANITIZE
  const double kib_per_cycle =
      static_cast<double>(f.rss_end - f.rss_start) / static_cast<double>(f.cycles - f.warmup);
  EXPECT_LT(kib_per_cycle, 8.0) << r.out;
#endif
  std::printf("%s", r.out.c_str());
}

TEST(Soak, InstancesLoadingAnOnnxModelFromGuestBytesLeaveNothingBehind) {
  const long cycles = 1500 / kScale;
  ProcessResult r =
      run_process({NNWASM_SOAK, std::to_string(cycles), guest_path("nn_cycle"), "--dir",
                   std::string(NNWASM_MODEL_DIR) + "::/m", "bytes", "/m/digits.onnx", "64"},
                  {}, {}, 600);
  expect_flat(r, cycles);
}

TEST(Soak, InstancesStreamingFromANamedLlamaModelLeaveNothingBehind) {
  const long cycles = 1500 / kScale;  // the allocator settles within a few hundred cycles
  ProcessResult r =
      run_process({NNWASM_SOAK, std::to_string(cycles), guest_path("nn_cycle"), "--nn-preload",
                   "default:GGML:CPU:" + std::string(NNWASM_MODEL_DIR) + "/tiny-llama.gguf", "llm",
                   "default", R"({"ctx-size":64,"temp":0})", "4"},
                  {}, {}, 600);
  expect_flat(r, cycles);
}

}  // namespace
