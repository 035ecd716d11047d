// llama.cpp on corrupt GGUF files, through the nnwasm binary: under --nn-isolate the framework's
// abort (a vocabulary with a duplicate token trips a GGML_ASSERT) or fault (the file truncated
// under a streaming guest: SIGBUS in the mmapped weights) ends the backend process, and the
// guest gets runtime_error with one line naming the signal. Guest: tests/guests/nn_isolation.c.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "llama_helpers.h"
#include "support/process.h"
#include "support/temp_tree.h"

namespace nnwasm::llama_test {
namespace {

namespace fs = std::filesystem;
using nnwasm::test::guest_path;
using nnwasm::test::nnwasm_binary;
using nnwasm::test::ProcessResult;
using nnwasm::test::run_process;

class LlamaIsolation : public ::testing::Test {
 protected:
  // tiny-llama.gguf with the token "<0x01>" renamed "<0x00>": two identical tokens.
  fs::path write_duplicate_token_model() {
    std::vector<uint8_t> bytes = read_file(tiny_model());
    const std::string token = std::string("\x06\0\0\0\0\0\0\0", 8) + "<0x01>";
    auto at = std::search(bytes.begin(), bytes.end(), token.begin(), token.end());
    EXPECT_NE(at, bytes.end()) << "the tokenizer has no <0x01> token";
    if (at != bytes.end()) at[8 + 4] = '0';
    const fs::path path = dir / "duplicate-token.gguf";
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  nnwasm::test::TempTree dir;
};

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(LlamaIsolation, ADuplicateTokenAbortsOnlyTheBackendProcessAndTheNextModelLoads) {
  write_duplicate_token_model();
  fs::copy_file(tiny_model(), dir / "tiny.gguf");
  ProcessResult r =
      run_process({nnwasm_binary(), "run", "--dir", dir.root().string() + "::/m",
                   guest_path("nn_isolation"), "load", "/m/duplicate-token.gguf", "/m/tiny.gguf"},
                  {}, {}, 120);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("/m/duplicate-token.gguf: load=5 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/m/tiny.gguf: load=0 "), std::string::npos) << r.out;
  EXPECT_EQ(count(r.err, "backend 'llama' crashed loading the model: SIGABRT (Aborted)"), 1u)
      << r.err;
}

TEST_F(LlamaIsolation, APreloadedCorruptModelUnderIsolateAllFailsTheLoadNotTheHost) {
  const fs::path model = write_duplicate_token_model();
  ProcessResult r = run_process({nnwasm_binary(), "run", "--nn-isolate=all", "--nn-preload",
                                 "default:GGML:CPU:" + model.string(), guest_path("llm_generate"),
                                 "default", "compute", "Once upon a time"},
                                {}, {}, 120);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // the guest's own failure exit, not SIGABRT
  EXPECT_NE(r.err.find("backend 'llama' crashed loading the model: SIGABRT"), std::string::npos)
      << r.err;
}

TEST_F(LlamaIsolation, AModelTruncatedUnderAStreamingGuestEndsItsStreamNotTheHost) {
  const fs::path model = dir / "tiny.gguf";
  fs::copy_file(tiny_model(), model);
  // The guest streams one token, says so (ready), and waits for go: the file is cut meanwhile.
  std::thread truncate([&] {
    for (int i = 0; i < 12000 && !fs::exists(dir / "ready"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    fs::resize_file(model, 4096);
    std::ofstream(dir / "go") << "go";
  });
  ProcessResult r =
      run_process({nnwasm_binary(), "run", "--nn-isolate=all", "--nn-preload",
                   "default:GGML:CPU:" + model.string(), "--dir", dir.root().string() + "::/m",
                   guest_path("nn_isolation"), "stream", "default", "/m"},
                  {}, {}, 180);
  truncate.join();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("step 0: 0\n"), std::string::npos) << r.out;
  // Pieces the backend process generated ahead before the cut still arrive; then runtime_error.
  EXPECT_TRUE(std::regex_search(r.out, std::regex("step [0-9]+: 5\n$"))) << r.out;
#ifdef NNWASM_SANITIZE
  const std::string fate = "exit status 1";  // AddressSanitizer's report of the fault, then exit
#else
  const std::string fate = "SIGBUS";
#endif
  EXPECT_NE(r.err.find("backend 'llama' crashed running the model: " + fate), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace nnwasm::llama_test
