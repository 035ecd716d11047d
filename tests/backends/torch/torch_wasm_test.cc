// The digits demo guest through the nnwasm binary (Wasm -> WASI-NN -> torch plugin) against
// libtorch called directly: identical predictions for a named pytorch model and for model bytes
// loaded by the guest (autodetect picks this backend); target gpu without CUDA falls back to
// the CPU with a warning, or fails under --nn-strict-target.
#include "support/process.h"
#include "torch_helpers.h"

namespace nnwasm::torch_test {
namespace {

std::vector<std::string> digits_run(const std::vector<std::string>& flags, bool bytes = false) {
  const std::string models = NNWASM_MODEL_DIR;
  std::vector<std::string> argv = {nnwasm::test::nnwasm_binary(), "run", "--dir",
                                   models + "::/models"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(nnwasm::test::guest_path("digits"));
  argv.push_back("/models");
  if (bytes) argv.push_back("/models/digits.pt");
  return argv;
}

TEST(TorchWasm, DigitsNamedAndFromGuestBytesEqualNativeLibtorch) {
  const std::string native = native_digits_predictions();
  ASSERT_GT(native.size(), 100u);
  const std::string preload = "digits:pytorch:cpu:" + model_path("digits.pt");
  expect_digits_run_matches(nnwasm::test::run_process(digits_run({"--nn-preload", preload})),
                            native);
  // Autodetect: the guest loads the archive's bytes; only the torch plugin recognises them.
  expect_digits_run_matches(nnwasm::test::run_process(digits_run({}, true)), native);
}

TEST(TorchWasm, GpuTargetFallsBackToCpuWithAWarningOrFailsUnderStrictTarget) {
  const std::string preload = "digits:pytorch:gpu:" + model_path("digits.pt");
  if (has_cuda()) {  // a CUDA machine: the GPU path is taken, strictly
    auto r = nnwasm::test::run_process(digits_run({"--nn-strict-target", "--nn-preload", preload}));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(output_field(r.out, "predictions: ").size(), native_digits_predictions().size());
    return;
  }
  const std::string native = native_digits_predictions();
  auto r = nnwasm::test::run_process(digits_run({"--nn-preload", preload}));
  expect_digits_run_matches(r, native);
  EXPECT_TRUE(contains(r.err, "no gpu device; running on cpu")) << r.err;
  EXPECT_TRUE(contains(r.err, "torch")) << r.err;

  r = nnwasm::test::run_process(digits_run({"--nn-strict-target", "--nn-preload", preload}));
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_TRUE(contains(r.err, "no gpu device")) << r.err;
  EXPECT_TRUE(contains(r.err, "--nn-strict-target forbids CPU fallback")) << r.err;
  EXPECT_TRUE(contains(r.err, "loading the model failed: error 6")) << r.err;  // unsupported
}

}  // namespace
}  // namespace nnwasm::torch_test
