// WasiFunctions: a test fixture that calls WASI host functions as the engine does (through
// the Linker's thunks, over a plain byte buffer as guest memory), with a preopened sandbox.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "support/temp_tree.h"
#include "wasi/wasi.h"
#include "wasi/wasi_types.h"

namespace nnwasm::wasi {

constexpr uint32_t kPath = 0x100;   // a path string
constexpr uint32_t kPath2 = 0x600;  // a second path string
constexpr uint32_t kIovs = 0x1000;  // iovec array
constexpr uint32_t kData = 0x2000;  // data buffers
constexpr uint32_t kOut = 0x8000;   // results written by the host
constexpr uint32_t kOut2 = 0x8100;
constexpr uint64_t kRw = rights::kFdRead | rights::kFdWrite | rights::kFdSeek | rights::kFdTell;

inline uint64_t monotonic_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

class WasiFunctions : public ::testing::Test {
 protected:
  void SetUp() override {
    tree.mkdir("sandbox");
    tree.write("outside.txt", "secret");
    ASSERT_EQ(::pipe2(out_pipe, O_CLOEXEC | O_NONBLOCK), 0);
    stdin_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    WasiConfig config;
    config.args = {"prog", "first arg"};
    config.env = {"KEY=value", "EMPTY="};
    config.preopens = {{"/sandbox", (tree / "sandbox").string()}};
    config.stdin_fd = stdin_fd;
    config.stdout_fd = out_pipe[1];
    config.stderr_fd = out_pipe[1];
    configure(config);
    wasi = std::make_unique<Wasi>(config);
    wasi->define_imports(linker);
  }
  // Lets a test suite change the configuration before the Wasi is made.
  virtual void configure(WasiConfig&) {}
  void TearDown() override {
    wasi.reset();
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    ::close(stdin_fd);
  }

  int32_t call(const std::string& name, std::vector<uint64_t> args,
               engine::HostCall::Outcome* outcome = nullptr, int32_t* exit_code = nullptr) {
    return call_in(module, name, std::move(args), outcome, exit_code);
  }
  // Calls `name` as imported from `import_module` (e.g. "wasi_unstable").
  int32_t call_in(const std::string& import_module, const std::string& name,
                  std::vector<uint64_t> args, engine::HostCall::Outcome* outcome = nullptr,
                  int32_t* exit_code = nullptr) {
    const engine::HostFunction* f = linker.find(import_module, name);
    EXPECT_NE(f, nullptr) << name;
    if (f == nullptr) return -1;
    EXPECT_EQ(f->type.params.size(), args.size()) << name;
    engine::HostCall host_call(memory);
    uint64_t results[1] = {0xdeadbeef};
    f->thunk(f->self, host_call, args.data(), results);
    if (outcome != nullptr) *outcome = host_call.outcome();
    if (exit_code != nullptr) *exit_code = host_call.exit_code();
    return static_cast<int32_t>(static_cast<uint32_t>(results[0]));
  }

  void put_bytes(uint32_t at, const std::string& s) {
    std::memcpy(mem.data() + at, s.data(), s.size());
  }
  void put_u32(uint32_t at, uint32_t v) { std::memcpy(mem.data() + at, &v, 4); }
  void put_u64(uint32_t at, uint64_t v) { std::memcpy(mem.data() + at, &v, 8); }
  uint32_t u32(uint32_t at) const {
    uint32_t v;
    std::memcpy(&v, mem.data() + at, 4);
    return v;
  }
  uint64_t u64(uint32_t at) const {
    uint64_t v;
    std::memcpy(&v, mem.data() + at, 8);
    return v;
  }
  std::string bytes(uint32_t at, size_t n) const {
    return std::string(reinterpret_cast<const char*>(mem.data() + at), n);
  }

  // path_open relative to the preopen (fd 3); the new fd, or -errno.
  int32_t open(const std::string& path, uint32_t oflags = 0, uint64_t rights_base = kRw,
               uint32_t dirflags = kLookupSymlinkFollow, uint32_t fdflags_value = 0) {
    return open_at(3, path, oflags, rights_base, rights::kAll, dirflags, fdflags_value);
  }
  // path_open relative to directory fd `dir`; the new fd, or -errno.
  int32_t open_at(uint32_t dir, const std::string& path, uint32_t oflags, uint64_t rights_base,
                  uint64_t rights_inheriting, uint32_t dirflags = kLookupSymlinkFollow,
                  uint32_t fdflags_value = 0) {
    put_bytes(kPath, path);
    int32_t e = call("path_open", {dir, dirflags, kPath, path.size(), oflags, rights_base,
                                   rights_inheriting, fdflags_value, kOut});
    return e == 0 ? static_cast<int32_t>(u32(kOut)) : -e;
  }
  int32_t path_call(const std::string& name, const std::string& path, uint32_t dir = 3) {
    put_bytes(kPath, path);
    return call(name, {dir, kPath, path.size()});
  }
  // The rights fd_fdstat_get reports for `fd` (both zero when it fails).
  Rights rights_of(uint32_t fd) {
    if (call("fd_fdstat_get", {fd, kOut2}) != 0) return {};
    return {u64(kOut2 + 8), u64(kOut2 + 16)};
  }
  // Writes iovecs for `parts` (copied to kData...) and returns their count.
  uint32_t put_iovecs(const std::vector<std::string>& parts) {
    uint32_t at = kData;
    for (size_t i = 0; i < parts.size(); ++i) {
      put_bytes(at, parts[i]);
      put_u32(kIovs + 8 * i, at);
      put_u32(kIovs + 8 * i + 4, parts[i].size());
      at += parts[i].size() + 16;
    }
    return parts.size();
  }
  std::string drain_stdout() {
    char buf[4096];
    ssize_t n = ::read(out_pipe[0], buf, sizeof buf);
    return n > 0 ? std::string(buf, n) : "";
  }

  std::string module = "wasi_snapshot_preview1";  // what call() imports from
  nnwasm::test::TempTree tree;
  std::vector<uint8_t> mem = std::vector<uint8_t>(65536);
  engine::GuestMemory memory{mem.data(), mem.size()};
  int out_pipe[2] = {-1, -1};
  int stdin_fd = -1;
  std::unique_ptr<Wasi> wasi;
  engine::Linker linker;
};

}  // namespace nnwasm::wasi
