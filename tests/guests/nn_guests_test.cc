// WASI-NN through the nnwasm binary with the test backend plugins: the ABI conformance guest
// (both modules, every function, every error path) and the CLI's model and backend options.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/process.h"

namespace fs = std::filesystem;
using nnwasm::test::guest_path;
using nnwasm::test::nnwasm_binary;
using nnwasm::test::run_process;
using nnwasm::test::test_plugin_dir;

namespace {
std::string write_model(const std::string& name, const std::string& text) {
  fs::path path = fs::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}
}  // namespace

TEST(NnGuests, ConformanceSuitePasses) {
  std::string model = write_model("nnwasm_affine_3_1.model", "AFFINE 3 1");
  auto r = run_process({nnwasm_binary(), "run", "--nn-backend-dir", test_plugin_dir(),
                        "--nn-preload", "lin:openvino:cpu:" + model, guest_path("nn_conformance")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("all wasi-nn checks passed"), std::string::npos) << r.out;
  // Each failure printed one explanatory line; spot-check a few of them.
  EXPECT_NE(r.err.find("wasi-nn set_input:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no model named 'nope'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no backend handles encoding tensorflow"), std::string::npos) << r.err;
}

TEST(NnGuests, AComputePastTheTimeoutIsCancelled) {
  // "spin": the test backend's compute waits up to 10 s for the host to cancel it.
  std::string model = write_model("nnwasm_affine_spin.model", "AFFINE 3 1 spin");
  const auto start = std::chrono::steady_clock::now();
  auto r = run_process({nnwasm_binary(), "run", "--nn-backend-dir", test_plugin_dir(),
                        "--nn-compute-timeout", "0.05", "--nn-preload", "lin:openvino:cpu:" + model,
                        guest_path("nn_conformance")});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("model 'lin' (affine on cpu): compute failed (runtime_error): compute "
                       "cancelled by the host"),
            std::string::npos)
      << r.err;
  auto bad = run_process(
      {nnwasm_binary(), "run", "--nn-compute-timeout", "-1", guest_path("nn_conformance")});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

TEST(NnGuests, MissingPreloadFileIsModelNotFound) {
  auto r =
      run_process({nnwasm_binary(), "run", "--nn-backend-dir", test_plugin_dir(), "--nn-preload",
                   "lin:openvino:cpu:/nonexistent/model", guest_path("nn_conformance")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot open model file '/nonexistent/model'"), std::string::npos) << r.err;
}

TEST(NnGuests, APreloadThatIsAFifoIsModelNotFoundNotAHang) {
  const std::string fifo =
      (std::filesystem::temp_directory_path() / ("nnwasm_fifo_" + std::to_string(getpid())))
          .string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  auto r = run_process({nnwasm_binary(), "run", "--nn-backend-dir", test_plugin_dir(),
                        "--nn-preload", "lin:openvino:cpu:" + fifo, guest_path("nn_conformance")});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  std::filesystem::remove(fifo);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not a regular file (a FIFO"), std::string::npos) << r.err;
}

TEST(NnGuests, AGuestsModelNameIsEscapedAndCutInTheHostsMessages) {
  const std::string evil = "evil\x1b[2J\nFAKE LOG LINE" + std::string(100000, 'x');
  auto r = run_process({nnwasm_binary(), "run", guest_path("llm-stream"), evil, "Hi", "{}"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err.substr(0, 400);
  EXPECT_EQ(r.err.find("\nFAKE LOG LINE"), std::string::npos) << r.err.substr(0, 400);
  EXPECT_NE(r.err.find("no model named 'evil\\x1b[2J\\x0aFAKE LOG LINE"), std::string::npos)
      << r.err.substr(0, 400);
  EXPECT_LT(r.err.size(), 4000u);
}

TEST(NnGuests, ATruncatedPluginIsSkippedAndNeverHidesTheGoodOneLaterInThePath) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("nnwasm_badplugin_" + std::to_string(getpid()));
  fs::create_directories(dir);
  // The first 40% of the real affine plugin, under its name, in a directory searched first.
  const fs::path good = fs::path(test_plugin_dir()) / "libnnwasm-affine.so";
  {
    std::ifstream in(good, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir / "libnnwasm-affine.so", std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size() * 2 / 5));
    std::ofstream(dir / "libnnwasm-empty.so");  // empty: not even an ELF header
  }
  auto list = run_process({nnwasm_binary(), "backends", "--nn-backend-dir", dir.string(),
                           "--nn-backend-dir", test_plugin_dir()});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.err.find((dir / "libnnwasm-affine.so").string() + " skipped: it is truncated"),
            std::string::npos)
      << list.err;
  EXPECT_NE(list.err.find("libnnwasm-empty.so skipped: it is not an ELF shared library"),
            std::string::npos)
      << list.err;
  EXPECT_NE(list.out.find("affine"), std::string::npos) << list.out;
  std::string model = write_model("nnwasm_affine_3_1.model", "AFFINE 3 1");
  auto r = run_process({nnwasm_binary(), "run", "--nn-backend-dir", dir.string(),
                        "--nn-backend-dir", test_plugin_dir(), "--nn-preload",
                        "lin:openvino:cpu:" + model, guest_path("nn_conformance")});
  fs::remove_all(dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("all wasi-nn checks passed"), std::string::npos) << r.out;
}

TEST(NnCli, MalformedPreloadIsAUsageError) {
  auto r = run_process(
      {nnwasm_binary(), "run", "--nn-preload", "x:bogus:cpu:/m", guest_path("hello_streams")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown encoding 'bogus'"), std::string::npos) << r.err;
  r = run_process(
      {nnwasm_binary(), "run", "--nn-preload", "onlyname", guest_path("hello_streams")});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(NnCli, NegativeZeroOrOverflowingCountsAndSizesAreUsageErrors) {
  for (const char* flag :
       {"--nn-max-graphs", "--nn-max-contexts", "--nn-max-tensor-bytes", "--nn-max-model-bytes"}) {
    for (const char* value : {"-1", "-5", "0", "1e9", "99999999999999999999999"}) {
      for (const char* command : {"run", "serve"}) {
        std::vector<std::string> argv = {nnwasm_binary(), command, flag, value};
        if (std::string(command) == "serve") {
          argv.insert(argv.end(), {"--nn-rpc-uri", "unix:///nonexistent/x.sock"});
        } else {
          argv.push_back(guest_path("hello_streams"));
        }
        auto r = run_process(argv);
        EXPECT_EQ(r.exit_code, 2) << command << " " << flag << " " << value << ": " << r.err;
        EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
      }
    }
  }
  auto ok = run_process(
      {nnwasm_binary(), "run", "--nn-max-tensor-bytes", "1048576", guest_path("hello_streams")});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(NnCli, BackendsListsPluginsAndExplainsTheChoice) {
  auto list = run_process({nnwasm_binary(), "backends", "--nn-backend-dir", test_plugin_dir()});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("affine"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("scale"), std::string::npos);
  EXPECT_NE(list.out.find("ABI version 1, this nnwasm uses 2; rebuild it"), std::string::npos)
      << list.out;

  std::string model = write_model("nnwasm_scale.model", "SCALE 2 0");
  auto explain = run_process(
      {nnwasm_binary(), "backends", "--nn-backend-dir", test_plugin_dir(), "--explain", model});
  EXPECT_EQ(explain.exit_code, 0) << explain.err;
  EXPECT_NE(explain.out.find("affine: the model bytes lack its magic (manifest; not loaded)"),
            std::string::npos)
      << explain.out;
  EXPECT_NE(explain.out.find("winner: scale on cpu"), std::string::npos) << explain.out;
  // The sniffed format, and the winner's description of the model (backend.h graph_io).
  EXPECT_NE(explain.out.find("sniff 100 (SCALE text)"), std::string::npos) << explain.out;
  EXPECT_NE(explain.out.find("inputs:\n  0 'x' f32 [?]\noutputs:\n  0 'y' f32 [?]\n"),
            std::string::npos)
      << explain.out;

  auto strict = run_process({nnwasm_binary(), "backends", "--nn-backend-dir", test_plugin_dir(),
                             "--nn-strict-target", "--target", "gpu", "--explain", model});
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.out.find("no gpu device"), std::string::npos) << strict.out;
}

TEST(NnCli, BackendPathFromTheEnvironment) {
  setenv("NNWASM_BACKEND_PATH", test_plugin_dir().c_str(), 1);
  auto list = run_process({nnwasm_binary(), "backends"});
  unsetenv("NNWASM_BACKEND_PATH");
  EXPECT_NE(list.out.find("affine"), std::string::npos) << list.out;
}

TEST(NnGuests, WasmtimeGraphDirSpellingNamesTheModelAfterTheDir) {
  fs::path dir = fs::temp_directory_path() / "nnwasm_graphdir" / "lin";
  fs::create_directories(dir);
  std::ofstream(dir / "model.affine") << "AFFINE 3 1";
  auto r = run_process({nnwasm_binary(), "run", "--nn-backend-dir", test_plugin_dir(), "--nn-graph",
                        "openvino::" + dir.string(), guest_path("nn_conformance")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  fs::remove_all(dir.parent_path());
}

// A guest that holds every file descriptor the process may open (its files are the host's)
// gets a load error that names what ran out, not "install its plugin"; once it closes them, the
// next load works (no plugin was marked broken meanwhile).
TEST(NnGuests, ALoadWithoutFileDescriptorsLeftNamesTheCauseAndLaterLoadsWork) {
  const std::string models = NNWASM_MODEL_DIR;
  for (const char* isolate : {"none", "guest"}) {
    auto r =
        run_process({"/bin/sh", "-c",
                     "ulimit -n 64 && exec \"$0\" run --nn-isolate=" + std::string(isolate) +
                         " --dir \"$1\"::/models \"$2\" bytes-after-fds /models/digits.onnx 64",
                     nnwasm_binary(), models, guest_path("nn_cycle")});
    EXPECT_EQ(r.exit_code, 0) << isolate << ": " << r.out << r.err;
    EXPECT_NE(r.out.find("load with no file descriptor left: error 5"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("Too many open files: the process has no file descriptor left"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("install its plugin"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("load after closing them: ok"), std::string::npos) << r.out;
  }
}
