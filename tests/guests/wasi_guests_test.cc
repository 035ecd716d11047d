// Runs the WASI guests through the nnwasm binary: files in a preopen, sandbox escapes, clocks
// and randomness, poll_oneoff, stdin. Each guest checks itself; here we check exit codes, the
// `ok:` lines, and that nothing outside the sandbox changed.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "support/process.h"

namespace fs = std::filesystem;
using nnwasm::test::guest_path;
using nnwasm::test::nnwasm_binary;
using nnwasm::test::run_process;

namespace {

// A temporary tree: ROOT/sandbox (preopened), ROOT/outside.txt and ROOT/outside_dir (not).
class SandboxTree : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = "nnwasm_wasi_";
    name.append(std::to_string(getpid())).append("_");
    name.append(::testing::UnitTest::GetInstance()->current_test_info()->name());
    root = fs::temp_directory_path() / name;
    fs::remove_all(root);
    fs::create_directories(root / "sandbox");
    fs::create_directories(root / "outside_dir");
    std::ofstream(root / "outside.txt") << "secret";
  }
  void TearDown() override { fs::remove_all(root); }

  std::string sandbox() const { return (root / "sandbox").string(); }

  // Everything under ROOT except the sandbox, with file contents.
  std::set<std::string> outside_state() const {
    std::set<std::string> state;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      fs::path rel = entry.path().lexically_relative(root);  // never through a symlink
      if (*rel.begin() == "sandbox") continue;
      std::string item = rel.string();
      if (entry.is_regular_file()) {
        std::ifstream in(entry.path());
        item.append("=").append(std::istreambuf_iterator<char>(in), {});
      }
      state.insert(item);
    }
    return state;
  }

  fs::path root;
};

size_t count_ok_lines(const std::string& out) {
  size_t count = 0;
  for (size_t pos = out.find("ok: "); pos != std::string::npos; pos = out.find("ok: ", pos + 1)) {
    if (pos == 0 || out[pos - 1] == '\n') ++count;
  }
  return count;
}

}  // namespace

TEST_F(SandboxTree, FileOperationsInsideAPreopen) {
  auto r = run_process({nnwasm_binary(), "run", "--dir", sandbox() + "::/sandbox",
                        guest_path("wasi_files"), "/sandbox"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GE(count_ok_lines(r.out), 10u) << r.out;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos);
}

TEST_F(SandboxTree, EveryPreopenSpellingWorks) {
  const std::vector<std::vector<std::string>> spellings = {
      {"--dir", sandbox() + "::/sandbox"},                         // Wasmtime
      {"--dir", std::string("/sandbox:").append(sandbox())},       // WasmEdge
      {"--map-dir", std::string("/sandbox::").append(sandbox())},  // WAMR
  };
  for (const auto& spelling : spellings) {
    std::vector<std::string> argv = {nnwasm_binary(), "run"};
    argv.insert(argv.end(), spelling.begin(), spelling.end());
    argv.insert(argv.end(), {guest_path("wasi_files"), "/sandbox"});
    auto r = run_process(argv);
    EXPECT_EQ(r.exit_code, 0) << spelling[0] << " " << spelling[1] << ": " << r.err;
  }
  // --dir DIR: same name inside and out (relative to the working directory).
  auto r =
      run_process({nnwasm_binary(), "run", "--dir", "sandbox", guest_path("wasi_files"), "sandbox"},
                  "", root.string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(SandboxTree, EscapesFailAndTouchNothingOutside) {
  std::set<std::string> before = outside_state();
  auto r = run_process({nnwasm_binary(), "run", "--dir", sandbox() + "::/sandbox",
                        guest_path("wasi_escape"), "/sandbox"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GE(count_ok_lines(r.out), 5u) << r.out;
  EXPECT_EQ(outside_state(), before);
}

TEST_F(SandboxTree, MissingPreopenDirectoryIsAClearError) {
  auto r = run_process({nnwasm_binary(), "run", "--dir", (root / "nope").string() + "::/x",
                        guest_path("hello_streams")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find((root / "nope").string()), std::string::npos) << r.err;
}

TEST(WasiGuests, ClocksAndRandom) {
  auto r = run_process({nnwasm_binary(), guest_path("wasi_clock_random")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GE(count_ok_lines(r.out), 3u) << r.out;
}

TEST(WasiGuests, PollSleepsAndReportsReadiness) {
  auto r = run_process({nnwasm_binary(), guest_path("wasi_poll")}, "some input\n");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GE(count_ok_lines(r.out), 2u) << r.out;
}

TEST(WasiGuests, StdinIsEchoedByteExact) {
  std::string input;
  for (int i = 0; i < 200000; ++i) input += static_cast<char>((i * 131) % 256);
  auto r = run_process({nnwasm_binary(), guest_path("wasi_stdin_echo")}, input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), input.size());
  EXPECT_TRUE(r.out == input);
}

TEST_F(SandboxTree, PreviewZeroGuestSeesItsOwnLayouts) {
  // The guest imports wasi_unstable and checks whence numbering, the 56-byte filestat and the
  // preview0 subscription itself; its exit code names the first failed check.
  auto r = run_process(
      {nnwasm_binary(), "run", "--dir", sandbox() + "::/sandbox", guest_path("preview0_layouts")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  std::ifstream written(root / "sandbox" / "v0.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(written), {}), "0123456789");
}

TEST(WasiGuests, UnusableTcplistenAddressIsAClearError) {
  auto r =
      run_process({nnwasm_binary(), "run", "--tcplisten", "nowhere", guest_path("hello_streams")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--tcplisten 'nowhere': expected HOST:PORT"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");  // the guest never started
}
