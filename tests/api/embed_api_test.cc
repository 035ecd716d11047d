// The embedding C API through libnnwasm.so alone: running WASI commands with args, env, stdio
// and preopens, exit codes and traps, calling exports with values, WASI-NN with a named model
// shared by two instances, and errors as values for bad input.
#include "nnwasm/nnwasm.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/process.h"

namespace {

using nnwasm::test::guest_path;

// Everything written to a temporary file, read back after the guest ran.
class CapturedFile {
 public:
  CapturedFile() : file_(std::tmpfile()) {}
  ~CapturedFile() { std::fclose(file_); }
  int fd() const { return fileno(file_); }
  std::string text() const {
    std::string out;
    std::rewind(file_);
    for (int c; (c = std::fgetc(file_)) != EOF;) out.push_back(static_cast<char>(c));
    return out;
  }

 private:
  FILE* file_;
};

std::string take_message(nnwasm_error* error) {
  std::string message = error != nullptr ? nnwasm_error_message(error) : "";
  nnwasm_error_delete(error);
  return message;
}

class EmbedApi : public ::testing::Test {
 protected:
  void SetUp() override {
    nnwasm_runtime_config* config = nnwasm_runtime_config_new();
    ASSERT_NE(config, nullptr);
    const std::string preload =
        "digits:onnx:auto:" + std::string(NNWASM_MODEL_DIR) + "/digits.onnx";
    ASSERT_EQ(take_message(nnwasm_runtime_config_add_preload(config, preload.c_str())), "");
    ASSERT_EQ(take_message(nnwasm_runtime_new(config, &runtime)), "");
    nnwasm_runtime_config_delete(config);
  }
  void TearDown() override { nnwasm_runtime_delete(runtime); }

  nnwasm_module* compile(const std::string& guest) {
    nnwasm_module* module = nullptr;
    EXPECT_EQ(take_message(nnwasm_module_from_file(runtime, guest_path(guest).c_str(), &module)),
              "");
    return module;
  }

  // Runs `guest` with `args` (argv[0] first), stdout captured; returns the result.
  nnwasm_run_result run(nnwasm_module* module, std::initializer_list<const char*> args,
                        const CapturedFile& out, nnwasm_instance** kept = nullptr) {
    nnwasm_instance_config* config = nnwasm_instance_config_new();
    for (const char* arg : args) nnwasm_instance_config_add_arg(config, arg);
    nnwasm_instance_config_add_env(config, "GREETING", "hello there");
    nnwasm_instance_config_add_preopen(config, NNWASM_MODEL_DIR, "/models");
    nnwasm_instance_config_set_stdio(config, -1, out.fd(), out.fd());
    nnwasm_instance* instance = nullptr;
    EXPECT_EQ(take_message(nnwasm_instance_new(runtime, module, config, &instance)), "");
    nnwasm_instance_config_delete(config);
    nnwasm_run_result result{};
    if (instance != nullptr) {
      EXPECT_EQ(take_message(nnwasm_instance_run(instance, &result)), "");
      result.trap_message = "";  // only valid while the instance lives
      if (kept != nullptr) {
        *kept = instance;
      } else {
        nnwasm_instance_delete(instance);
      }
    }
    return result;
  }

  nnwasm_runtime* runtime = nullptr;
};

TEST_F(EmbedApi, RunsACommandWithArgsEnvAndStdio) {
  nnwasm_module* module = compile("args_env");
  ASSERT_NE(module, nullptr);
  CapturedFile out;
  nnwasm_run_result result = run(module, {"prog", "first", "--second"}, out);
  EXPECT_EQ(result.kind, NNWASM_RUN_RETURNED);
  EXPECT_EQ(result.exit_code, 0);
  std::string text = out.text();
  EXPECT_NE(text.find("argv[0]=prog\n"), std::string::npos) << text;
  EXPECT_NE(text.find("argv[2]=--second\n"), std::string::npos) << text;
  EXPECT_NE(text.find("env:GREETING=hello there\n"), std::string::npos) << text;
  nnwasm_module_delete(module);
}

TEST_F(EmbedApi, ExitCodesAndTrapsAreResults) {
  nnwasm_module* exit_module = compile("exit_code");
  CapturedFile out;
  nnwasm_run_result exited = run(exit_module, {"exit_code", "42"}, out);
  EXPECT_EQ(exited.kind, NNWASM_RUN_EXITED);
  EXPECT_EQ(exited.exit_code, 42);
  nnwasm_module_delete(exit_module);

  nnwasm_module* trap_module = compile("trap");
  nnwasm_instance* instance = nullptr;
  CapturedFile trap_out;
  run(trap_module, {"trap"}, trap_out, &instance);
  ASSERT_NE(instance, nullptr);
  nnwasm_run_result trapped{};
  ASSERT_EQ(take_message(nnwasm_instance_run(instance, &trapped)), "");
  EXPECT_EQ(trapped.kind, NNWASM_RUN_TRAPPED);
  EXPECT_EQ(trapped.exit_code, 1);
  EXPECT_NE(std::string(trapped.trap_message).find("unreachable"), std::string::npos);
  nnwasm_instance_delete(instance);
  nnwasm_module_delete(trap_module);
}

TEST_F(EmbedApi, CallsExportsWithValues) {
  nnwasm_module* module = compile("exports_with_values");
  nnwasm_instance_config* config = nnwasm_instance_config_new();
  nnwasm_instance* instance = nullptr;
  ASSERT_EQ(take_message(nnwasm_instance_new(runtime, module, config, &instance)), "");
  nnwasm_instance_config_delete(config);
  nnwasm_module_delete(module);  // the instance keeps what it needs

  nnwasm_val args[1] = {};
  args[0].kind = NNWASM_I64;
  args[0].of.i64 = 0x123456789abcdef0;
  nnwasm_val results[2] = {};
  size_t count = 0;
  nnwasm_run_result result{};
  ASSERT_EQ(
      take_message(nnwasm_instance_call(instance, "split", args, 1, results, 2, &count, &result)),
      "");
  EXPECT_EQ(result.kind, NNWASM_RUN_RETURNED);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(results[0].kind, NNWASM_I32);
  EXPECT_EQ(results[0].of.i32, static_cast<int32_t>(0x9abcdef0u));
  EXPECT_EQ(results[1].of.i64, 0x12345678);
  // Too little room for the results, wrong argument types, unknown exports: errors, and no
  // call happens.
  EXPECT_NE(
      take_message(nnwasm_instance_call(instance, "split", args, 1, results, 1, &count, &result))
          .find("returns 2 results, room for 1"),
      std::string::npos);
  args[0].kind = NNWASM_F32;
  EXPECT_NE(
      take_message(nnwasm_instance_call(instance, "split", args, 1, results, 2, &count, &result))
          .find("called with arguments (f32)"),
      std::string::npos);
  EXPECT_NE(
      take_message(nnwasm_instance_call(instance, "nope", nullptr, 0, nullptr, 0, &count, &result))
          .find("no exported function 'nope'"),
      std::string::npos);
  nnwasm_instance_delete(instance);
}

TEST_F(EmbedApi, InstancesShareTheRuntimesNamedModel) {
  nnwasm_module* module = compile("digits");
  for (int i = 0; i < 2; ++i) {
    CapturedFile out;
    nnwasm_run_result result = run(module, {"digits", "/models"}, out);
    EXPECT_EQ(result.exit_code, 0) << out.text();
    EXPECT_NE(out.text().find("digits: 523/540 correct"), std::string::npos) << out.text();
  }
  nnwasm_module_delete(module);
}

TEST_F(EmbedApi, BadInputIsAnErrorWithAMessage) {
  nnwasm_module* module = nullptr;
  const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_NE(take_message(nnwasm_module_new(runtime, junk, sizeof junk, "junk.wasm", &module))
                .find("junk.wasm: invalid module"),
            std::string::npos);
  EXPECT_EQ(module, nullptr);
  EXPECT_NE(take_message(nnwasm_module_from_file(runtime, "/no/such.wasm", &module))
                .find("/no/such.wasm"),
            std::string::npos);
  EXPECT_NE(take_message(nnwasm_module_new(nullptr, junk, 1, "x", &module)), "");

  module = compile("missing_import");
  nnwasm_instance_config* config = nnwasm_instance_config_new();
  nnwasm_instance* instance = nullptr;
  EXPECT_NE(take_message(nnwasm_instance_new(runtime, module, config, &instance))
                .find("'env'.'not_provided'"),
            std::string::npos);
  EXPECT_EQ(instance, nullptr);
  nnwasm_instance_config_add_preopen(config, "/no/such/dir", "/x");
  nnwasm_module_delete(module);
  module = compile("hello");
  EXPECT_NE(
      take_message(nnwasm_instance_new(runtime, module, config, &instance)).find("/no/such/dir"),
      std::string::npos);
  nnwasm_instance_config_delete(config);
  nnwasm_module_delete(module);

  nnwasm_runtime_config* runtime_config = nnwasm_runtime_config_new();
  EXPECT_NE(take_message(nnwasm_runtime_config_add_preload(runtime_config, "x:onnx:warp:/m")), "");
  EXPECT_NE(take_message(nnwasm_runtime_new(nullptr, nullptr)), "");
  nnwasm_runtime_config_delete(runtime_config);
  nnwasm_error_delete(nullptr);  // like free(NULL)
}

}  // namespace
