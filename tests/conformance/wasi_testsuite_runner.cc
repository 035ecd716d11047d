// Runs the official WASI preview1 test suite (WebAssembly/wasi-testsuite, prebuilt) through the
// nnwasm binary, as its specification says: each NAME.wasm with the args, env, root preopen,
// expected exit code and stdout of NAME.json, `*.cleanup` artifacts removed before and after.
// Prints one line per failing test with the reason and a closing "N passed, M failed" line.
//
// usage: wasi_testsuite_runner NNWASM SUITE_DIR [FILTER]
//   SUITE_DIR holds tests/<language>/testsuite/wasm32-wasip1/*.wasm; FILTER keeps the tests whose
//   name contains it.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "support/process.h"

namespace fs = std::filesystem;

namespace {

constexpr int kTimeoutSeconds = 120;  // per test; sanitizer builds are slow to start
constexpr size_t kStderrTail = 600;   // bytes of the guest's stderr shown for a failure

// One test as its JSON file describes it (every field optional, defaults as the spec says).
struct TestCase {
  std::string label;  // "<language>/<name>"
  fs::path module;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  fs::path root;  // empty: no preopen
  int exit_code = 0;
  bool check_stdout = false;
  std::string stdout_text;
};

TestCase read_test(const fs::path& module, const std::string& language) {
  TestCase test;
  test.label = language + "/" + module.stem().string();
  test.module = module;
  fs::path spec_path = fs::path(module).replace_extension(".json");
  if (!fs::exists(spec_path)) return test;
  std::ifstream in(spec_path);
  nlohmann::json spec = nlohmann::json::parse(in);
  if (spec.contains("args")) test.args = spec["args"].get<std::vector<std::string>>();
  if (spec.contains("env")) {
    for (const auto& [key, value] : spec["env"].items()) {
      test.env.emplace_back(key, value.get<std::string>());
    }
  }
  if (spec.contains("root")) test.root = module.parent_path() / spec["root"].get<std::string>();
  if (spec.contains("exit_code")) test.exit_code = spec["exit_code"].get<int>();
  if (spec.contains("stdout")) {
    test.check_stdout = true;
    test.stdout_text = spec["stdout"].get<std::string>();
  }
  return test;
}

// Deletes every `*.cleanup` file or folder below `root`, never following symlinks.
void remove_cleanup_artifacts(const fs::path& root) {
  if (root.empty() || !fs::is_directory(root)) return;
  std::vector<fs::path> doomed;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink()) continue;
    if (it->path().extension() == ".cleanup") {
      doomed.push_back(it->path());
      if (it->is_directory()) it.disable_recursion_pending();
    }
  }
  for (const fs::path& path : doomed) fs::remove_all(path, ec);
}

std::string tail(const std::string& text, size_t n) {
  std::string t;
  if (text.size() > n) t = "...";
  t.append(text, text.size() > n ? text.size() - n : 0);
  std::replace(t.begin(), t.end(), '\n', ' ');
  return t;
}

// The first line where `got` and `want` differ, shown as "line N: got '...', expected '...'".
std::string first_difference(const std::string& got, const std::string& want) {
  size_t at = 0;
  int line = 1;
  while (at < got.size() && at < want.size() && got[at] == want[at]) {
    if (got[at] == '\n') ++line;
    ++at;
  }
  size_t start = got.rfind('\n', at == 0 ? 0 : at - 1);
  start = start == std::string::npos ? 0 : start + 1;
  auto line_of = [start](const std::string& s) {
    if (start >= s.size()) return std::string("<end of output>");
    return "'" + s.substr(start, s.find('\n', start) - start) + "'";
  };
  return "stdout line " + std::to_string(line) + ": got " + line_of(got) + ", expected " +
         line_of(want);
}

// Runs one test; returns an empty string when it passes, else why it failed.
std::string run_test(const std::string& nnwasm, const TestCase& test) {
  std::vector<std::string> argv = {nnwasm, "run"};
  if (!test.root.empty()) {
    argv.push_back("--dir");
    argv.push_back(test.root.string() + "::/");
  }
  for (const auto& [key, value] : test.env) {
    argv.push_back("--env");
    argv.push_back(key + "=" + value);
  }
  argv.push_back(test.module.string());
  argv.insert(argv.end(), test.args.begin(), test.args.end());

  remove_cleanup_artifacts(test.root);
  nnwasm::test::ProcessResult r =
      nnwasm::test::run_process(argv, {}, test.module.parent_path().string(), kTimeoutSeconds);
  remove_cleanup_artifacts(test.root);

  std::string reason;
  if (r.timed_out) {
    reason = "timed out after " + std::to_string(kTimeoutSeconds) + " s";
  } else if (r.exit_code != test.exit_code) {
    reason =
        "exit code " + std::to_string(r.exit_code) + ", expected " + std::to_string(test.exit_code);
  } else if (test.check_stdout && r.out != test.stdout_text) {
    reason = first_difference(r.out, test.stdout_text);
  }
  if (!reason.empty() && !r.err.empty()) reason += "; stderr: " + tail(r.err, kStderrTail);
  return reason;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s NNWASM SUITE_DIR [FILTER]\n", argv[0]);
    return 2;
  }
  // Absolute: each test runs in its own folder.
  const std::string nnwasm = fs::absolute(argv[1]).string();
  const fs::path suite = fs::absolute(argv[2]) / "tests";
  const std::string filter = argc == 4 ? argv[3] : "";

  std::vector<TestCase> tests;
  std::error_code ec;
  for (const auto& language : fs::directory_iterator(suite, ec)) {
    fs::path dir = language.path() / "testsuite" / "wasm32-wasip1";
    if (!fs::is_directory(dir)) continue;
    for (const auto& file : fs::directory_iterator(dir)) {
      if (file.path().extension() != ".wasm") continue;
      if (file.path().stem().string().find(filter) == std::string::npos) continue;
      try {
        tests.push_back(read_test(file.path(), language.path().filename().string()));
      } catch (const std::exception& e) {
        std::printf("FAIL %s: bad test specification: %s\n", file.path().c_str(), e.what());
        return 1;
      }
    }
  }
  if (tests.empty()) {
    std::printf("no tests found under %s (unpack wasi-testsuite-p1.tar.zst there)\n",
                suite.c_str());
    return 1;
  }
  std::sort(tests.begin(), tests.end(),
            [](const TestCase& a, const TestCase& b) { return a.label < b.label; });

  int passed = 0, failed = 0;
  for (const TestCase& test : tests) {
    std::string reason = run_test(nnwasm, test);
    if (reason.empty()) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAIL %s: %s\n", test.label.c_str(), reason.c_str());
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
