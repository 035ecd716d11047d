// Runs guests through the nnwasm binary: output streams, args/env, exit codes, traps, memory
// growth, stdin, and clear errors for malformed modules and bad imports.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "support/process.h"

using nnwasm::test::guest_path;
using nnwasm::test::nnwasm_binary;
using nnwasm::test::run_process;

namespace {
std::string temp_file(const std::string& name, const std::string& content) {
  std::filesystem::path path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}
}  // namespace

TEST(RuntimeGuests, StdoutAndStderrAreSeparate) {
  auto r = run_process({nnwasm_binary(), "run", guest_path("hello_streams")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello stdout\n");
  EXPECT_EQ(r.err, "hello stderr\n");
}

TEST(RuntimeGuests, ShorthandWithoutRunWorks) {
  auto r = run_process({nnwasm_binary(), guest_path("hello_streams")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello stdout\n");
}

TEST(RuntimeGuests, ArgsAndEnvReachTheGuest) {
  auto r = run_process({nnwasm_binary(), "run", "--env", "ALPHA=1", "--env", "BETA=two words",
                        guest_path("args_env"), "first", "--second", "-x"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("argc=4\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("argv[0]=args_env.wasm\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("argv[1]=first\n"), std::string::npos);
  EXPECT_NE(r.out.find("argv[2]=--second\n"), std::string::npos);
  EXPECT_NE(r.out.find("argv[3]=-x\n"), std::string::npos);
  EXPECT_NE(r.out.find("envc=2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("env:ALPHA=1\n"), std::string::npos);
  EXPECT_NE(r.out.find("env:BETA=two words\n"), std::string::npos);
}

TEST(RuntimeGuests, HostEnvironmentIsNotLeaked) {
  auto r = run_process({nnwasm_binary(), guest_path("args_env")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("envc=0\n"), std::string::npos) << r.out;
}

TEST(RuntimeGuests, Argv0CanBeOverridden) {
  auto r = run_process({nnwasm_binary(), "run", "--argv0", "prog", guest_path("args_env")});
  EXPECT_NE(r.out.find("argv[0]=prog\n"), std::string::npos) << r.out;
}

TEST(RuntimeGuests, ProcExitCodeBecomesTheExitCode) {
  for (int code : {0, 3, 42, 255}) {
    auto r = run_process({nnwasm_binary(), guest_path("exit_code"), std::to_string(code)});
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_EQ(r.out, "exiting with " + std::to_string(code) + "\n");
    EXPECT_EQ(r.err, "");
  }
}

TEST(RuntimeGuests, TrapGivesExitCodeOneAndOneLine) {
  auto r = run_process({nnwasm_binary(), guest_path("trap")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "before trap\n");
  EXPECT_NE(r.err.find("wasm trap: unreachable"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("crash_here"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(RuntimeGuests, OutOfBoundsLoadTraps) {
  auto r = run_process({nnwasm_binary(), guest_path("out_of_bounds")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("memory access out of bounds"), std::string::npos) << r.err;
}

TEST(RuntimeGuests, OutOfBoundsLoadTrapsWithoutTrapHandler) {
  auto r = run_process({nnwasm_binary(), "run", "--no-trap-handler", guest_path("out_of_bounds")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("memory access out of bounds"), std::string::npos) << r.err;
}

TEST(RuntimeGuests, HostSeesGrownMemory) {
  auto r = run_process({nnwasm_binary(), guest_path("memory_grow")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("written from grown memory\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("grew from"), std::string::npos);
}

TEST(RuntimeGuests, EveryTieringModeRunsTheSameGuest) {
  for (const char* mode : {"eager", "optimizing", "baseline", "dynamic"}) {
    auto r = run_process({nnwasm_binary(), "run", "--tiering", mode, guest_path("args_env"), "x"});
    EXPECT_EQ(r.exit_code, 0) << mode << ": " << r.err;
    EXPECT_NE(r.out.find("argv[1]=x\n"), std::string::npos) << mode;
  }
}

TEST(RuntimeErrors, MissingFileIsNamed) {
  auto r = run_process({nnwasm_binary(), "/nonexistent/dir/prog.wasm"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent/dir/prog.wasm: cannot open"), std::string::npos) << r.err;
}

TEST(RuntimeErrors, NonWasmFileIsRejectedWithTheReason) {
  std::string path = temp_file("nnwasm_not_wasm.wasm", "#!/bin/sh\necho hi\n");
  auto r = run_process({nnwasm_binary(), path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(path + ": invalid module: not a WebAssembly binary"), std::string::npos)
      << r.err;
}

TEST(RuntimeErrors, TruncatedModuleIsRejectedByTheValidator) {
  std::ifstream in(guest_path("hello_streams"), std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  ASSERT_GT(bytes.size(), 1000u);
  std::string path = temp_file("nnwasm_truncated.wasm", bytes.substr(0, bytes.size() - 300));
  auto r = run_process({nnwasm_binary(), path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(path + ": invalid module:"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(RuntimeErrors, MissingImportsAreEachNamed) {
  auto r = run_process({nnwasm_binary(), guest_path("missing_import")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot link module"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'env'.'not_provided': unknown import"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'wasi_snapshot_preview1'.'no_such_function': unknown import"),
            std::string::npos)
      << r.err;
}

TEST(RuntimeErrors, WrongImportSignatureShowsBothTypes) {
  auto r = run_process({nnwasm_binary(), guest_path("bad_signature")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'wasi_snapshot_preview1'.'fd_write': signature mismatch: module expects "
                       "(i32) -> (i32), host provides (i32, i32, i32, i32) -> (i32)"),
            std::string::npos)
      << r.err;
}

TEST(RuntimeErrors, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run_process({nnwasm_binary(), "run"}).exit_code, 2);
  EXPECT_EQ(run_process({nnwasm_binary(), "run", "--no-such-flag", "x.wasm"}).exit_code, 2);
  EXPECT_EQ(run_process({nnwasm_binary(), "run", "--map-dir", "onlyone", "x.wasm"}).exit_code, 2);
}

TEST(RuntimeCli, VersionAndHelp) {
  auto v = run_process({nnwasm_binary(), "--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("nnwasm "), std::string::npos) << v.out;
  auto h = run_process({nnwasm_binary(), "run", "--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("--dir"), std::string::npos) << h.out;
  EXPECT_NE(h.out.find("--env"), std::string::npos);
}

TEST(RuntimeGuests, PostMvpFeaturesWork) {
  auto r = run_process({nnwasm_binary(), guest_path("wasm_features")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}
