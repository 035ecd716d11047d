// --nn-isolate through the nnwasm binary with the test "affine" backend, whose models can abort
// at load or fault at compute as a framework on a corrupt model does: the guest gets
// runtime_error with one line naming the signal, the host lives on, and the next load gets a new
// backend process. Guest: tests/guests/nn_isolation.c.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/process.h"
#include "support/temp_tree.h"

namespace fs = std::filesystem;
using nnwasm::test::guest_path;
using nnwasm::test::nnwasm_binary;
using nnwasm::test::ProcessResult;
using nnwasm::test::run_process;
using nnwasm::test::test_plugin_dir;

namespace {

#ifdef NNWASM_SANITIZE
// AddressSanitizer catches the fault, reports it and exits the backend process with status 1.
constexpr char kSegvFate[] = "exit status 1";
#else
constexpr char kSegvFate[] = "SIGSEGV (Segmentation fault)";
#endif

class Isolation : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir / "good") << "AFFINE 2 1";
    std::ofstream(dir / "good3") << "AFFINE 3 1";
    std::ofstream(dir / "abort") << "AFFINE 2 1 abort";
    std::ofstream(dir / "crash") << "AFFINE 2 1 crash";
  }

  // The guest loading /m/<each of files> from its bytes, with `options` before the guest.
  ProcessResult load(const std::vector<std::string>& options,
                     const std::vector<std::string>& files) {
    std::vector<std::string> argv{nnwasm_binary(),   "run",   "--nn-backend-dir",
                                  test_plugin_dir(), "--dir", dir.root().string() + "::/m"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {guest_path("nn_isolation"), "load"});
    for (const std::string& file : files) argv.push_back("/m/" + file);
    return run_process(argv, {}, {}, 120);
  }

  nnwasm::test::TempTree dir;
};

TEST_F(Isolation, AnAbortAtLoadIsARuntimeErrorNamingTheSignalAndTheNextLoadWorks) {
  ProcessResult r = load({}, {"good", "abort", "good3"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("/m/good: load=0 compute=0 y=5\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/m/abort: load=5 compute=0 y=0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/m/good3: load=0 compute=0 y=7\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("wasi-nn load: backend 'affine' crashed loading the model: SIGABRT "
                       "(Aborted); it ran in the backend process (--nn-isolate)"),
            std::string::npos)
      << r.err;
}

TEST_F(Isolation, AFaultInComputeIsARuntimeErrorAndLaterModelsRun) {
  ProcessResult r = load({}, {"crash", "good"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("/m/crash: load=0 compute=5 y=0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/m/good: load=0 compute=0 y=5\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(std::string("backend 'affine' crashed running the model: ") + kSegvFate),
            std::string::npos)
      << r.err;
}

TEST_F(Isolation, InProcessTheSameModelTakesTheHostDown) {
  // What --nn-isolate=none means for a framework that aborts: the host goes with it.
  ProcessResult r = load({"--nn-isolate=none"}, {"good", "abort"});
  EXPECT_EQ(r.exit_code, 128 + SIGABRT) << r.out << r.err;
  EXPECT_NE(r.out.find("/m/good: load=0 compute=0 y=5\n"), std::string::npos) << r.out;
}

TEST_F(Isolation, TheConformanceGuestPassesInEveryMode) {
  // Named models in this process (guest), in the backend process (all), or nothing isolated.
  for (const char* mode : {"none", "guest", "all"}) {
    ProcessResult r =
        run_process({nnwasm_binary(), "run", "--nn-backend-dir", test_plugin_dir(),
                     std::string("--nn-isolate=") + mode, "--nn-preload",
                     "lin:openvino:cpu:" + (dir / "good3").string(), guest_path("nn_conformance")},
                    {}, {}, 120);
    EXPECT_EQ(r.exit_code, 0) << mode << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("all wasi-nn checks passed"), std::string::npos) << mode << "\n" << r.out;
    EXPECT_NE(r.err.find("no backend handles encoding tensorflow"), std::string::npos) << r.err;
  }
}

TEST_F(Isolation, ABadModeIsAUsageError) {
  ProcessResult r = load({"--nn-isolate=some"}, {"good"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--nn-isolate"), std::string::npos) << r.err;
}

}  // namespace
