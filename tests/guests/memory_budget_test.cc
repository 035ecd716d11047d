// The memory budget through the nnwasm binary: per instance (--nn-max-memory), per process
// (--nn-max-process-memory) and per device, with the test plugin that reports a GPU of 1000
// bytes (tests/nn/plugins, gpu/): a model that does not fit on it runs on the CPU with a warning,
// or is too_large under --nn-strict-target. Guest: tests/guests/nn_isolation.c.
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

class MemoryBudget : public ::testing::Test {
 protected:
  // A model of exactly 600 bytes: "<MAGIC> 2 1" padded with spaces (y = 2x + 1).
  std::string model(const std::string& name, const std::string& magic) {
    std::string text = magic + " 2 1";
    text.resize(600, ' ');
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }

  ProcessResult run(std::vector<std::string> options, const std::vector<std::string>& guest) {
    std::vector<std::string> argv{nnwasm_binary(), "run", "--dir", dir.root().string() + "::/m"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(guest_path("nn_isolation"));
    argv.insert(argv.end(), guest.begin(), guest.end());
    return run_process(argv, {}, {}, 120);
  }

  nnwasm::test::TempTree dir;
};

TEST_F(MemoryBudget, AModelWithoutRoomOnTheGpuRunsOnTheCpuWithAWarning) {
  const std::string gpu = test_plugin_dir() + "/gpu";
  ProcessResult r =
      run({"--nn-backend-dir", gpu, "--nn-preload", "a:openvino:gpu:" + model("a", "GPUAFFINE"),
           "--nn-preload", "b:openvino:gpu:" + model("b", "GPUAFFINE")},
          {"named", "a", "b"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("a: load=0 compute=0 y=5\nb: load=0 compute=0 y=5\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("backend 'gpuaffine': gpu 0 (test gpu): 600 bytes of 1000 bytes in use "
                       "has no room for model 'b' (600 bytes); running on cpu"),
            std::string::npos)
      << r.err;
}

TEST_F(MemoryBudget, UnderStrictTargetAModelWithoutRoomOnTheGpuIsTooLarge) {
  const std::string gpu = test_plugin_dir() + "/gpu";
  ProcessResult r = run({"--nn-backend-dir", gpu, "--nn-strict-target", "--nn-preload",
                         "a:openvino:gpu:" + model("a", "GPUAFFINE"), "--nn-preload",
                         "b:openvino:gpu:" + model("b", "GPUAFFINE")},
                        {"named", "a", "b"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("a: load=0 compute=0 y=5\nb: load=7 "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("model 'b' needs about 600 bytes on gpu 0 (test gpu): 600 bytes of 1000 "
                       "bytes in use; --nn-strict-target forbids the fallback to the cpu"),
            std::string::npos)
      << r.err;
}

TEST_F(MemoryBudget, AnInstancesModelsFromGuestBytesStayWithinMaxMemory) {
  model("one", "AFFINE");
  model("two", "AFFINE");
  ProcessResult r = run({"--nn-backend-dir", test_plugin_dir(), "--nn-max-memory", "1000"},
                        {"load", "/m/one", "/m/two"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("/m/one: load=0 compute=0 y=5\n/m/two: load=7 "), std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("guest model needs about 600 bytes, and 600 bytes of --nn-max-memory 1000 "
                       "bytes are in use; free some (unload, finalize) or raise --nn-max-memory"),
            std::string::npos)
      << r.err;
}

TEST_F(MemoryBudget, NamedModelsTogetherStayWithinMaxProcessMemory) {
  ProcessResult r = run({"--nn-backend-dir", test_plugin_dir(), "--nn-max-process-memory", "1000",
                         "--nn-preload", "a:openvino:cpu:" + model("a", "AFFINE"), "--nn-preload",
                         "b:openvino:cpu:" + model("b", "AFFINE")},
                        {"named", "a", "b"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("a: load=0 compute=0 y=5\nb: load=7 "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("raise --nn-max-process-memory"), std::string::npos) << r.err;
}

TEST_F(MemoryBudget, BadBudgetsAreUsageErrors) {
  for (const char* flag : {"--nn-max-memory", "--nn-max-process-memory"}) {
    for (const char* value : {"-1", "0", "12abc", "99999999999999999999999"}) {
      ProcessResult r = run({flag, value}, {"load", "/m/none"});
      EXPECT_EQ(r.exit_code, 2) << flag << " " << value << "\n" << r.err;
      EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
    }
  }
}

}  // namespace

namespace {

// An ONNX context's tensors count: each context of a dynamic-shape model holds its input
// (12 MB here) and the output ONNX Runtime allocates for it (12 MB), so two fit in 50 MB and the
// third's set_input is too_large, naming the limit. Without the count, all eight took 192 MB.
TEST(MemoryBudgetOnnx, ContextTensorsCountAgainstMaxMemory) {
  auto r =
      run_process({nnwasm_binary(), "run", "--nn-isolate=none", "--nn-max-memory", "50000000",
                   "--dir", std::string(NNWASM_MODEL_DIR) + "::/models", guest_path("nn_cycle"),
                   "contexts", "/models/dynamic.onnx", "1000000", "3", "8"},
                  {}, {}, 120);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("contexts: 2 of 8, then set_input error 7"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("of --nn-max-memory"), std::string::npos) << r.err;
  // With room for all eight (8 x 24 MB), all run.
  auto roomy =
      run_process({nnwasm_binary(), "run", "--nn-isolate=none", "--nn-max-memory", "250000000",
                   "--dir", std::string(NNWASM_MODEL_DIR) + "::/models", guest_path("nn_cycle"),
                   "contexts", "/models/dynamic.onnx", "1000000", "3", "8"},
                  {}, {}, 120);
  EXPECT_NE(roomy.out.find("contexts: 8 of 8"), std::string::npos) << roomy.out << roomy.err;
}

}  // namespace
