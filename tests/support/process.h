// Test support: runs a command with optional stdin and captures its exit code, stdout, stderr.
#pragma once

#include <string>
#include <vector>

namespace nnwasm::test {

struct ProcessResult {
  int exit_code = -1;      // the exit status, or 128 + signal when killed by a signal
  std::string out;         // everything written to stdout
  std::string err;         // everything written to stderr
  bool timed_out = false;  // killed (SIGKILL) after `timeout_s`
};

// Runs argv[0] (searched in PATH) with `input` on stdin; an empty `cwd` keeps the current one.
// With `timeout_s` > 0 the process is killed when it runs longer than that.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                          const std::string& cwd = {}, int timeout_s = 0);

// In a forked child: exec argv (searched in PATH); exits 127 when that fails.
[[noreturn]] void exec_argv(const std::vector<std::string>& argv);

// Under ASan only: children started from now on run without LeakSanitizer. Its exit-time tracer
// crashes now and then (SIGSEGV inside the tracer, "Tracer caught signal 11") in client
// processes that used gRPC, whatever they leak or not; ASan's other checks stay on, and leak
// checking of nnwasm serve stays on in rpc_server_test.
void no_leak_checks_in_children();

// Paths baked in by CMake.
std::string nnwasm_binary();
std::string guest_path(const std::string& name);  // build/guests/<name>.wasm
std::string test_plugin_dir();                    // build/tests/plugins (test backends)

}  // namespace nnwasm::test
