// What the NNRPC tests share: paths of the generated models, and waiting for a condition.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"
#include "support/server_process.h"

namespace nnwasm::test {

// build/models/<name> (NNWASM_MODEL_DIR, set for the rpc tests by CMake).
inline std::string model_path(const std::string& name) {
  return std::string(NNWASM_MODEL_DIR) + "/" + name;
}

// Waits until `ok()` or about `seconds` passed; returns whether it became true.
template <typename Ok>
bool eventually(Ok&& ok, int seconds = 10) {
  for (int i = 0; i < seconds * 100; ++i) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// `nnwasm serve` on `uri` with the test plugins and three models: "lin" (`lin_model`, an affine
// test model), "default" (tiny llama) and "digits" (onnx); `extra` flags appended.
inline std::unique_ptr<ServerProcess> serve_test_models(const std::string& uri,
                                                        const std::filesystem::path& lin_model,
                                                        const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {
      nnwasm_binary(),    "serve",
      "--nn-rpc-uri",     uri,
      "--nn-backend-dir", test_plugin_dir(),
      "--nn-preload",     "lin:openvino:cpu:" + lin_model.string(),
      "--nn-preload",     "default:GGML:AUTO:" + model_path("tiny-llama.gguf"),
      "--nn-preload",     "digits:onnx:auto:" + model_path("digits.onnx")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto server = std::make_unique<ServerProcess>(argv, "listening on");
  EXPECT_TRUE(server->ready()) << server->output();
  return server;
}

}  // namespace nnwasm::test
