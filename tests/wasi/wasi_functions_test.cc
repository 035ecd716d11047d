// The preview1 functions as the engine calls them (through the Linker's thunks, over a plain
// byte buffer as guest memory): signatures, marshalling, bad pointers, the sandbox, readdir,
// poll_oneoff and process functions.
#include "wasi/wasi.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "wasi_call_fixture.h"

namespace nnwasm::wasi {
namespace {

TEST_F(WasiFunctions, DefinesEveryPreview1FunctionWithItsSignature) {
  const std::map<std::string, std::string> expected = {
      {"args_get", "(i32, i32) -> (i32)"},
      {"args_sizes_get", "(i32, i32) -> (i32)"},
      {"environ_get", "(i32, i32) -> (i32)"},
      {"environ_sizes_get", "(i32, i32) -> (i32)"},
      {"clock_res_get", "(i32, i32) -> (i32)"},
      {"clock_time_get", "(i32, i64, i32) -> (i32)"},
      {"fd_advise", "(i32, i64, i64, i32) -> (i32)"},
      {"fd_allocate", "(i32, i64, i64) -> (i32)"},
      {"fd_close", "(i32) -> (i32)"},
      {"fd_datasync", "(i32) -> (i32)"},
      {"fd_fdstat_get", "(i32, i32) -> (i32)"},
      {"fd_fdstat_set_flags", "(i32, i32) -> (i32)"},
      {"fd_fdstat_set_rights", "(i32, i64, i64) -> (i32)"},
      {"fd_filestat_get", "(i32, i32) -> (i32)"},
      {"fd_filestat_set_size", "(i32, i64) -> (i32)"},
      {"fd_filestat_set_times", "(i32, i64, i64, i32) -> (i32)"},
      {"fd_pread", "(i32, i32, i32, i64, i32) -> (i32)"},
      {"fd_prestat_get", "(i32, i32) -> (i32)"},
      {"fd_prestat_dir_name", "(i32, i32, i32) -> (i32)"},
      {"fd_pwrite", "(i32, i32, i32, i64, i32) -> (i32)"},
      {"fd_read", "(i32, i32, i32, i32) -> (i32)"},
      {"fd_readdir", "(i32, i32, i32, i64, i32) -> (i32)"},
      {"fd_renumber", "(i32, i32) -> (i32)"},
      {"fd_seek", "(i32, i64, i32, i32) -> (i32)"},
      {"fd_sync", "(i32) -> (i32)"},
      {"fd_tell", "(i32, i32) -> (i32)"},
      {"fd_write", "(i32, i32, i32, i32) -> (i32)"},
      {"path_create_directory", "(i32, i32, i32) -> (i32)"},
      {"path_filestat_get", "(i32, i32, i32, i32, i32) -> (i32)"},
      {"path_filestat_set_times", "(i32, i32, i32, i32, i64, i64, i32) -> (i32)"},
      {"path_link", "(i32, i32, i32, i32, i32, i32, i32) -> (i32)"},
      {"path_open", "(i32, i32, i32, i32, i32, i64, i64, i32, i32) -> (i32)"},
      {"path_readlink", "(i32, i32, i32, i32, i32, i32) -> (i32)"},
      {"path_remove_directory", "(i32, i32, i32) -> (i32)"},
      {"path_rename", "(i32, i32, i32, i32, i32, i32) -> (i32)"},
      {"path_symlink", "(i32, i32, i32, i32, i32) -> (i32)"},
      {"path_unlink_file", "(i32, i32, i32) -> (i32)"},
      {"poll_oneoff", "(i32, i32, i32, i32) -> (i32)"},
      {"proc_exit", "(i32) -> ()"},
      {"proc_raise", "(i32) -> (i32)"},
      {"sched_yield", "() -> (i32)"},
      {"random_get", "(i32, i32) -> (i32)"},
      {"sock_accept", "(i32, i32, i32) -> (i32)"},
      {"sock_recv", "(i32, i32, i32, i32, i32, i32) -> (i32)"},
      {"sock_send", "(i32, i32, i32, i32, i32) -> (i32)"},
      {"sock_shutdown", "(i32, i32) -> (i32)"},
  };
  auto count_in = [&](const std::string& module) {
    return std::count_if(linker.functions().begin(), linker.functions().end(),
                         [&](const engine::HostFunction& f) { return f.module == module; });
  };
  EXPECT_EQ(count_in("wasi_snapshot_preview1"), static_cast<long>(expected.size()));
  // wasi_unstable (preview0) has the same functions and signatures, but no sock_accept.
  EXPECT_EQ(count_in("wasi_unstable"), static_cast<long>(expected.size()) - 1);
  EXPECT_EQ(linker.find("wasi_unstable", "sock_accept"), nullptr);
  for (const auto& [name, type] : expected) {
    const engine::HostFunction* f = linker.find("wasi_snapshot_preview1", name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->type.to_string(), type) << name;
    if (name == "sock_accept") continue;
    const engine::HostFunction* v0 = linker.find("wasi_unstable", name);
    ASSERT_NE(v0, nullptr) << name;
    EXPECT_EQ(v0->type.to_string(), type) << name;
  }
}

TEST_F(WasiFunctions, ArgsAndEnviron) {
  ASSERT_EQ(call("args_sizes_get", {kOut, kOut2}), 0);
  EXPECT_EQ(u32(kOut), 2u);
  EXPECT_EQ(u32(kOut2), 15u);  // "prog\0first arg\0"
  ASSERT_EQ(call("args_get", {kOut, kData}), 0);
  EXPECT_EQ(u32(kOut), kData);
  EXPECT_EQ(u32(kOut + 4), kData + 5);
  EXPECT_EQ(bytes(kData, 15), std::string("prog\0first arg\0", 15));
  ASSERT_EQ(call("environ_sizes_get", {kOut, kOut2}), 0);
  EXPECT_EQ(u32(kOut), 2u);
  EXPECT_EQ(u32(kOut2), 17u);
  ASSERT_EQ(call("environ_get", {kOut, kData}), 0);
  EXPECT_EQ(bytes(u32(kOut + 4), 7), std::string("EMPTY=\0", 7));
  EXPECT_EQ(call("args_get", {kOut, mem.size() - 3}), 21);
  EXPECT_EQ(call("args_sizes_get", {mem.size(), kOut}), 21);
}

TEST_F(WasiFunctions, WriteReadSeekAndStatAFile) {
  int32_t fd = open("f.txt", oflags::kCreat | oflags::kTrunc, rights::kRegularFile);
  ASSERT_GT(fd, 3);
  uint32_t n = put_iovecs({"hello ", "world"});
  ASSERT_EQ(call("fd_write", {uint32_t(fd), kIovs, n, kOut}), 0);
  EXPECT_EQ(u32(kOut), 11u);
  ASSERT_EQ(call("fd_tell", {uint32_t(fd), kOut}), 0);
  EXPECT_EQ(u64(kOut), 11u);
  ASSERT_EQ(call("fd_seek", {uint32_t(fd), uint64_t(int64_t{-5}), kWhenceCur, kOut}), 0);
  EXPECT_EQ(u64(kOut), 6u);
  ASSERT_EQ(call("fd_seek", {uint32_t(fd), 0, kWhenceSet, kOut}), 0);
  EXPECT_EQ(call("fd_seek", {uint32_t(fd), 0, 7, kOut}), 28);
  put_u32(kIovs, kData + 0x1000);
  put_u32(kIovs + 4, 4);
  put_u32(kIovs + 8, kData + 0x2000);
  put_u32(kIovs + 12, 100);
  ASSERT_EQ(call("fd_read", {uint32_t(fd), kIovs, 2, kOut}), 0);
  EXPECT_EQ(u32(kOut), 11u);
  EXPECT_EQ(bytes(kData + 0x1000, 4) + bytes(kData + 0x2000, 7), "hello world");
  put_u32(kIovs + 4, 5);
  ASSERT_EQ(call("fd_pread", {uint32_t(fd), kIovs, 1, 6, kOut}), 0);
  EXPECT_EQ(bytes(kData + 0x1000, u32(kOut)), "world");
  n = put_iovecs({"W"});
  ASSERT_EQ(call("fd_pwrite", {uint32_t(fd), kIovs, n, 6, kOut}), 0);
  EXPECT_EQ(tree.read("sandbox/f.txt"), "hello World");
  ASSERT_EQ(call("fd_filestat_get", {uint32_t(fd), kOut}), 0);
  EXPECT_EQ(mem[kOut + 16], uint8_t(Filetype::kRegularFile));
  EXPECT_EQ(u64(kOut + 32), 11u);
  EXPECT_EQ(u64(kOut + 24), 1u);  // nlink
  ASSERT_EQ(call("fd_filestat_set_size", {uint32_t(fd), 5}), 0);
  EXPECT_EQ(tree.read("sandbox/f.txt"), "hello");
  ASSERT_EQ(call("fd_filestat_set_times", {uint32_t(fd), 0, 7000000000ull, fstflags::kMtim}), 0);
  struct stat st;
  ASSERT_EQ(::stat((tree / "sandbox/f.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 7);
  EXPECT_EQ(
      call("fd_filestat_set_times", {uint32_t(fd), 0, 0, fstflags::kMtim | fstflags::kMtimNow}),
      28);
  EXPECT_EQ(call("fd_sync", {uint32_t(fd)}), 0);
  EXPECT_EQ(call("fd_datasync", {uint32_t(fd)}), 0);
  EXPECT_EQ(call("fd_advise", {uint32_t(fd), 0, 0, kAdviceSequential}), 0);
  EXPECT_EQ(call("fd_close", {uint32_t(fd)}), 0);
  EXPECT_EQ(call("fd_close", {uint32_t(fd)}), 8);
  // Append mode and a read-only fd.
  fd = open("f.txt", 0, rights::kFdWrite, kLookupSymlinkFollow, fdflags::kAppend);
  ASSERT_GT(fd, 3);
  n = put_iovecs({"!"});
  ASSERT_EQ(call("fd_write", {uint32_t(fd), kIovs, n, kOut}), 0);
  EXPECT_EQ(tree.read("sandbox/f.txt"), "hello!");
  ASSERT_EQ(call("fd_fdstat_get", {uint32_t(fd), kOut}), 0);
  EXPECT_EQ(mem[kOut], uint8_t(Filetype::kRegularFile));
  EXPECT_EQ(u32(kOut + 2) & 0xffff, fdflags::kAppend);
  fd = open("f.txt", 0, rights::kFdRead);
  ASSERT_GT(fd, 3);
  EXPECT_EQ(call("fd_write", {uint32_t(fd), kIovs, n, kOut}), 76);  // no fd_write right
}

TEST_F(WasiFunctions, BadPointersFaultWithoutSideEffects) {
  uint32_t n = put_iovecs({"good", "bad"});
  put_u32(kIovs + 8, mem.size() - 1);  // the second buffer runs past the end
  EXPECT_EQ(call("fd_write", {1, kIovs, n, kOut}), 21);
  EXPECT_EQ(drain_stdout(), "");  // not even the good iovec went out
  n = put_iovecs({"good"});
  EXPECT_EQ(call("fd_write", {1, kIovs, n, mem.size() - 2}), 21);
  EXPECT_EQ(drain_stdout(), "");
  EXPECT_EQ(call("fd_write", {1, mem.size() - 4, 1, kOut}), 21);
  EXPECT_EQ(call("fd_write", {1, kIovs, 1025, kOut}), 28);
  EXPECT_EQ(call("fd_write", {1, kIovs, n, kOut}), 0);
  EXPECT_EQ(drain_stdout(), "good");
  EXPECT_EQ(call("random_get", {mem.size() - 4, 8}), 21);
  EXPECT_EQ(call("clock_time_get", {kClockMonotonic, 0, mem.size() - 7}), 21);
  EXPECT_EQ(call("path_open", {3, 0, mem.size() - 2, 10, 0, kRw, kRw, 0, kOut}), 21);
  EXPECT_EQ(call("fd_prestat_dir_name", {3, mem.size() - 2, 8}), 21);
  EXPECT_EQ(call("fd_write", {77, kIovs, n, kOut}), 8);
}

TEST_F(WasiFunctions, SandboxEscapesAreNotCapable) {
  EXPECT_EQ(open("../outside.txt"), -76);
  EXPECT_EQ(open("/etc/passwd"), -76);
  EXPECT_EQ(open("sub/../../outside.txt"), -44);  // sub does not exist yet
  tree.mkdir("sandbox/sub");
  EXPECT_EQ(open("sub/../../outside.txt"), -76);
  // An absolute symlink target is refused; a relative one that leads out is stored as given,
  // but nothing resolves through it.
  put_bytes(kPath2, "/etc");
  put_bytes(kPath, "l");
  EXPECT_EQ(call("path_symlink", {kPath2, 4, 3, kPath, 1}), 76);
  const std::string up = "../../../../../../../../../../etc";
  put_bytes(kPath2, up);
  ASSERT_EQ(call("path_symlink", {kPath2, up.size(), 3, kPath, 1}), 0);
  ASSERT_EQ(call("path_readlink", {3, kPath, 1, kData, 64, kOut}), 0);
  EXPECT_EQ(bytes(kData, u32(kOut)), up);
  EXPECT_EQ(open("l/passwd"), -76);
  EXPECT_EQ(open("l/passwd", 0, kRw, 0), -76);
  EXPECT_EQ(path_call("path_create_directory", "l/nnwasm_escape"), 76);
  EXPECT_EQ(path_call("path_unlink_file", "../outside.txt"), 76);
  EXPECT_EQ(path_call("path_remove_directory", ".."), 76);
  EXPECT_EQ(path_call("path_create_directory", "../escape_dir"), 76);
  put_bytes(kPath, "l/passwd");
  EXPECT_EQ(call("path_filestat_get", {3, kLookupSymlinkFollow, kPath, 8, kOut}), 76);
  put_bytes(kPath, "l");
  EXPECT_EQ(call("path_filestat_set_times",
                 {3, kLookupSymlinkFollow, kPath, 1, 0, 0, fstflags::kMtimNow}),
            76);
  // A chain that ends outside, and a dangling link whose target is outside.
  put_bytes(kPath2, "c2");
  put_bytes(kPath, "c1");
  ASSERT_EQ(call("path_symlink", {kPath2, 2, 3, kPath, 2}), 0);
  put_bytes(kPath2, "../outside.txt");
  put_bytes(kPath, "c2");
  ASSERT_EQ(call("path_symlink", {kPath2, 14, 3, kPath, 2}), 0);
  EXPECT_EQ(open("c1"), -76);
  EXPECT_EQ(open("c1", oflags::kCreat | oflags::kTrunc), -76);
  put_bytes(kPath2, "../created.txt");
  put_bytes(kPath, "dangle");
  ASSERT_EQ(call("path_symlink", {kPath2, 14, 3, kPath, 6}), 0);
  EXPECT_EQ(open("dangle", oflags::kCreat), -76);
  EXPECT_EQ(open("dangle", 0, kRw, 0), -32);  // no follow: LOOP, like wasmtime
  // Renames and links out of or into the outside.
  ASSERT_GT(open("inside.txt", oflags::kCreat), 3);
  put_bytes(kPath, "inside.txt");
  put_bytes(kPath2, "../moved.txt");
  EXPECT_EQ(call("path_rename", {3, kPath, 10, 3, kPath2, 12}), 76);
  EXPECT_EQ(call("path_link", {3, 0, kPath, 10, 3, kPath2, 12}), 76);
  EXPECT_EQ(call("path_rename", {3, kPath2, 12, 3, kPath, 10}), 76);
  EXPECT_EQ(call("path_link", {3, kLookupSymlinkFollow, kPath2, 12, 3, kPath, 10}), 76);
  put_bytes(kPath, "c1");
  put_bytes(kPath2, "hard");
  EXPECT_EQ(call("path_link", {3, kLookupSymlinkFollow, kPath, 2, 3, kPath2, 4}), 76);
  EXPECT_FALSE(tree.exists("sandbox/hard"));

  EXPECT_EQ(tree.read("outside.txt"), "secret");
  EXPECT_FALSE(tree.exists("moved.txt"));
  EXPECT_FALSE(tree.exists("created.txt"));
  EXPECT_FALSE(tree.exists("escape_dir"));
  EXPECT_TRUE(tree.exists("sandbox/inside.txt"));
  EXPECT_FALSE(std::filesystem::exists("/etc/nnwasm_escape"));
}

TEST_F(WasiFunctions, PathOperationsInside) {
  EXPECT_EQ(path_call("path_create_directory", "d"), 0);
  EXPECT_EQ(path_call("path_create_directory", "d"), 20);
  EXPECT_EQ(path_call("path_create_directory", "d/e/"), 0);
  put_bytes(kPath, "d/e");
  ASSERT_EQ(call("path_filestat_get", {3, 0, kPath, 3, kOut}), 0);
  EXPECT_EQ(mem[kOut + 16], uint8_t(Filetype::kDirectory));
  EXPECT_EQ(path_call("path_remove_directory", "d"), 55);
  EXPECT_EQ(path_call("path_remove_directory", "d/e"), 0);
  ASSERT_GT(open("d/f", oflags::kCreat), 3);
  EXPECT_EQ(path_call("path_unlink_file", "d/f/"), 54);
  put_bytes(kPath, "d/f");
  put_bytes(kPath2, "g");
  ASSERT_EQ(call("path_rename", {3, kPath, 3, 3, kPath2, 1}), 0);
  EXPECT_TRUE(tree.exists("sandbox/g"));
  put_bytes(kPath, "g");
  put_bytes(kPath2, "h");
  ASSERT_EQ(call("path_link", {3, 0, kPath, 1, 3, kPath2, 1}), 0);
  put_bytes(kPath2, "d/sub/../../g");  // symlink target stored verbatim, resolves inside
  put_bytes(kPath, "s");
  ASSERT_EQ(call("path_symlink", {kPath2, 13, 3, kPath, 1}), 0);
  EXPECT_EQ(open("s"), -44);  // d/sub does not exist
  EXPECT_EQ(path_call("path_create_directory", "d/sub"), 0);
  EXPECT_GT(open("s"), 3);
  put_bytes(kPath, "s");
  ASSERT_EQ(call("path_filestat_get", {3, 0, kPath, 1, kOut}), 0);
  EXPECT_EQ(mem[kOut + 16], uint8_t(Filetype::kSymbolicLink));
  ASSERT_EQ(call("path_filestat_get", {3, kLookupSymlinkFollow, kPath, 1, kOut}), 0);
  EXPECT_EQ(mem[kOut + 16], uint8_t(Filetype::kRegularFile));
  EXPECT_EQ(u64(kOut + 24), 2u);  // g and h
  ASSERT_EQ(call("path_filestat_set_times",
                 {3, 0, kPath, 1, 5000000000ull, 6000000000ull, fstflags::kAtim | fstflags::kMtim}),
            0);
  struct stat st;
  ASSERT_EQ(::lstat((tree / "sandbox/s").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 6);
  EXPECT_EQ(path_call("path_unlink_file", "s"), 0);
  EXPECT_TRUE(tree.exists("sandbox/g"));
  EXPECT_EQ(path_call("path_unlink_file", "d"), 31);
  EXPECT_EQ(path_call("path_unlink_file", "missing"), 44);
  EXPECT_EQ(open("d", oflags::kDirectory, rights::kFdReaddir) > 3, true);
  EXPECT_EQ(open("g", oflags::kDirectory), -54);
  EXPECT_EQ(open("g", oflags::kCreat | oflags::kExcl), -20);
}

TEST_F(WasiFunctions, Prestat) {
  ASSERT_EQ(call("fd_prestat_get", {3, kOut}), 0);
  EXPECT_EQ(mem[kOut], 0);
  EXPECT_EQ(u32(kOut + 4), 8u);
  EXPECT_EQ(call("fd_prestat_dir_name", {3, kData, 4}), 37);
  ASSERT_EQ(call("fd_prestat_dir_name", {3, kData, 8}), 0);
  EXPECT_EQ(bytes(kData, 8), "/sandbox");
  EXPECT_EQ(call("fd_prestat_get", {4, kOut}), 8);
  EXPECT_EQ(call("fd_prestat_get", {1, kOut}), 8);
  ASSERT_EQ(call("fd_fdstat_get", {3, kOut}), 0);
  EXPECT_EQ(mem[kOut], uint8_t(Filetype::kDirectory));
  EXPECT_EQ(u64(kOut + 8), rights::kDirectory);
  EXPECT_EQ(u64(kOut + 16), rights::kDirectory | rights::kRegularFile);
}

TEST_F(WasiFunctions, ReaddirFillsTheBufferAndResumesAtCookies) {
  std::set<std::string> expected = {".", ".."};
  for (int i = 0; i < 40; ++i) {
    std::string name = "entry_with_a_longish_name_" + std::to_string(i);
    tree.write("sandbox/" + name, "");
    expected.insert(name);
  }
  for (uint32_t buffer_size : {4096u, 200u, 57u, 24u}) {
    std::set<std::string> seen;
    uint64_t cookie = 0;
    uint32_t size = buffer_size;
    for (int rounds = 0; rounds < 1000; ++rounds) {
      ASSERT_EQ(call("fd_readdir", {3, kData, size, cookie, kOut}), 0);
      const uint32_t used = u32(kOut);
      ASSERT_LE(used, size);
      uint32_t at = 0;
      bool progressed = false;
      while (at + 24 <= used) {
        const uint32_t namlen = u32(kData + at + 16);
        if (at + 24 + namlen > used) break;  // cut short: come back for it
        EXPECT_TRUE(seen.insert(bytes(kData + at + 24, namlen)).second);
        cookie = u64(kData + at);
        at += 24 + namlen;
        progressed = true;
      }
      if (used < size) break;      // the end of the directory
      if (!progressed) size *= 2;  // one entry did not fit: a bigger buffer
    }
    EXPECT_EQ(seen, expected) << "buffer " << buffer_size;
  }
}

TEST_F(WasiFunctions, PollOneoff) {
  auto clock_sub = [&](uint32_t at, uint64_t userdata, uint32_t id, uint64_t timeout,
                       uint16_t flags) {
    std::memset(mem.data() + at, 0, 48);
    put_u64(at, userdata);
    mem[at + 8] = kEventClock;
    put_u32(at + 16, id);
    put_u64(at + 24, timeout);
    std::memcpy(mem.data() + at + 40, &flags, 2);
  };
  auto fd_sub = [&](uint32_t at, uint64_t userdata, uint8_t type, uint32_t fd) {
    std::memset(mem.data() + at, 0, 48);
    put_u64(at, userdata);
    mem[at + 8] = type;
    put_u32(at + 16, fd);
  };
  clock_sub(kData, 42, kClockMonotonic, 30000000, 0);
  uint64_t start = monotonic_ns();
  ASSERT_EQ(call("poll_oneoff", {kData, kOut, 1, kOut2}), 0);
  EXPECT_GE(monotonic_ns() - start, 30000000u);
  EXPECT_EQ(u32(kOut2), 1u);
  EXPECT_EQ(u64(kOut), 42u);
  EXPECT_EQ(mem[kOut + 8], 0);
  EXPECT_EQ(mem[kOut + 10], kEventClock);

  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  uint64_t deadline = uint64_t(now.tv_sec) * 1000000000ull + now.tv_nsec + 20000000;
  clock_sub(kData, 7, kClockRealtime, deadline, kSubclockAbstime);
  start = monotonic_ns();
  ASSERT_EQ(call("poll_oneoff", {kData, kOut, 1, kOut2}), 0);
  EXPECT_GE(monotonic_ns() - start, 15000000u);
  EXPECT_EQ(u64(kOut), 7u);

  // stdin is /dev/null: readable at once, long before the 5 s timeout.
  clock_sub(kData, 1, kClockMonotonic, 5000000000ull, 0);
  fd_sub(kData + 48, 2, kEventFdRead, 0);
  fd_sub(kData + 96, 3, kEventFdWrite, 1);
  fd_sub(kData + 144, 4, kEventFdRead, 99);
  start = monotonic_ns();
  ASSERT_EQ(call("poll_oneoff", {kData, kOut, 4, kOut2}), 0);
  EXPECT_LT(monotonic_ns() - start, 2000000000u);
  std::map<uint64_t, uint16_t> errors;
  for (uint32_t i = 0; i < u32(kOut2); ++i) {
    errors[u64(kOut + 32 * i)] = mem[kOut + 32 * i + 8];
  }
  EXPECT_EQ(errors, (std::map<uint64_t, uint16_t>{{2, 0}, {3, 0}, {4, 8}}));

  EXPECT_EQ(call("poll_oneoff", {kData, kOut, 0, kOut2}), 28);
  EXPECT_EQ(call("poll_oneoff", {mem.size() - 40, kOut, 1, kOut2}), 21);
}

TEST_F(WasiFunctions, ClocksRandomAndProcess) {
  ASSERT_EQ(call("clock_time_get", {kClockRealtime, 1, kOut}), 0);
  EXPECT_GT(u64(kOut), 1600000000ull * 1000000000ull);
  ASSERT_EQ(call("clock_res_get", {kClockMonotonic, kOut}), 0);
  EXPECT_GT(u64(kOut), 0u);
  EXPECT_EQ(call("clock_time_get", {9, 1, kOut}), 28);
  std::memset(mem.data() + kData, 0, 64);
  ASSERT_EQ(call("random_get", {kData, 64}), 0);
  EXPECT_NE(bytes(kData, 64), std::string(64, '\0'));
  EXPECT_EQ(call("sched_yield", {}), 0);
  EXPECT_EQ(call("proc_raise", {6}), 52);
  engine::HostCall::Outcome outcome;
  int32_t code = 0;
  call("proc_exit", {3}, &outcome, &code);
  EXPECT_EQ(outcome, engine::HostCall::Outcome::Exit);
  EXPECT_EQ(code, 3);
  EXPECT_EQ(call("sock_shutdown", {3, kSdRd}), 57);  // a directory is not a socket
  EXPECT_EQ(call("sock_accept", {99, 0, kOut}), 8);
}

TEST_F(WasiFunctions, CloseAndRenumberNeverCloseStdio) {
  ASSERT_EQ(call("fd_close", {1}), 0);
  EXPECT_EQ(call("fd_fdstat_get", {1, kOut}), 8);
  EXPECT_NE(::fcntl(out_pipe[1], F_GETFD), -1);
  int32_t fd = open("x", oflags::kCreat);
  ASSERT_EQ(fd, 1);                           // the lowest free fd
  ASSERT_EQ(call("fd_renumber", {1, 2}), 0);  // stdout's old slot is gone, stderr replaced
  EXPECT_NE(::fcntl(out_pipe[1], F_GETFD), -1);
  uint32_t n = put_iovecs({"to file"});
  ASSERT_EQ(call("fd_write", {2, kIovs, n, kOut}), 0);
  EXPECT_EQ(tree.read("sandbox/x"), "to file");
  EXPECT_EQ(call("fd_renumber", {1, 2}), 8);
}

TEST_F(WasiFunctions, PreviewZeroLayoutsAndWhence) {
  module = "wasi_unstable";
  int32_t fd = open("v0.txt", oflags::kCreat, rights::kRegularFile);
  ASSERT_GT(fd, 3);
  uint32_t n = put_iovecs({"0123456789"});
  ASSERT_EQ(call("fd_write", {uint32_t(fd), kIovs, n, kOut}), 0);
  // whence: cur = 0, end = 1, set = 2.
  ASSERT_EQ(call("fd_seek", {uint32_t(fd), uint64_t(-3), preview0::kWhenceEnd, kOut}), 0);
  EXPECT_EQ(u64(kOut), 7u);
  ASSERT_EQ(call("fd_seek", {uint32_t(fd), 2, preview0::kWhenceSet, kOut}), 0);
  EXPECT_EQ(u64(kOut), 2u);
  ASSERT_EQ(call("fd_seek", {uint32_t(fd), 1, preview0::kWhenceCur, kOut}), 0);
  EXPECT_EQ(u64(kOut), 3u);
  // filestat: 56 bytes, nlink a u32 at 20, size at 24.
  std::memset(mem.data() + kOut, 0xee, 64);
  ASSERT_EQ(call("fd_filestat_get", {uint32_t(fd), kOut}), 0);
  EXPECT_EQ(mem[kOut + 16], uint8_t(Filetype::kRegularFile));
  EXPECT_EQ(u32(kOut + preview0::layout::kFilestatNlink), 1u);
  EXPECT_EQ(u64(kOut + preview0::layout::kFilestatSizeField), 10u);
  EXPECT_EQ(mem[kOut + 56], 0xee);  // nothing written past the preview0 struct
  put_bytes(kPath, "v0.txt");
  ASSERT_EQ(call("path_filestat_get", {3, 0, kPath, 6, kOut2}), 0);
  EXPECT_EQ(u64(kOut2 + preview0::layout::kFilestatSizeField), 10u);
  // The same calls through preview1 keep preview1's layout and numbering.
  ASSERT_EQ(call_in("wasi_snapshot_preview1", "fd_filestat_get", {uint32_t(fd), kOut}), 0);
  EXPECT_EQ(u64(kOut + layout::kFilestatSizeField), 10u);
  ASSERT_EQ(call_in("wasi_snapshot_preview1", "fd_seek", {uint32_t(fd), 2, kWhenceSet, kOut}), 0);
  EXPECT_EQ(u64(kOut), 2u);
  // poll_oneoff: the clock variant starts with a u64 identifier.
  std::memset(mem.data() + kData, 0, preview0::layout::kSubscriptionSize);
  put_u64(kData + layout::kSubscriptionUserdata, 42);
  mem[kData + layout::kSubscriptionTag] = kEventClock;
  put_u64(kData + 16, 0x77);  // identifier: a preview1 reading takes it as the clock id
  put_u32(kData + preview0::layout::kSubscriptionClockId, kClockMonotonic);
  put_u64(kData + preview0::layout::kSubscriptionClockTimeout, 1000);
  ASSERT_EQ(call("poll_oneoff", {kData, kOut, 1, kOut2}), 0);
  ASSERT_EQ(u32(kOut2), 1u);
  EXPECT_EQ(u64(kOut + layout::kEventUserdata), 42u);
  EXPECT_EQ(mem[kOut + layout::kEventError], 0);
  EXPECT_EQ(mem[kOut + layout::kEventType], kEventClock);
}

}  // namespace
}  // namespace nnwasm::wasi
