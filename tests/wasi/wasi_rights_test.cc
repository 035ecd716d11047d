// The preview1 rights model: what a preopen holds and passes on, what path_open grants, that
// fd_fdstat_set_rights only narrows, and that every call checks the right it needs.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <string>
#include <vector>

#include "wasi_call_fixture.h"

namespace nnwasm::wasi {
namespace {

constexpr int32_t kNotcapable = static_cast<int32_t>(Errno::kNotcapable);

class WasiRights : public WasiFunctions {
 protected:
  // A file in the sandbox opened with `base` rights (asserting it opens).
  uint32_t file_with(uint64_t base, const std::string& name = "f") {
    tree.write("sandbox/" + name, "0123456789");
    int32_t fd = open_at(3, name, 0, base, 0);
    EXPECT_GT(fd, 3) << "path_open errno " << -fd;
    return static_cast<uint32_t>(fd);
  }
  // A subdirectory of the sandbox opened with every directory right but `missing`.
  uint32_t dir_without(uint64_t missing) {
    if (!tree.exists("sandbox/d")) tree.mkdir("sandbox/d");
    int32_t fd = open_at(3, "d", oflags::kDirectory, rights::kDirectory & ~missing,
                         rights::kDirectory | rights::kRegularFile);
    EXPECT_GT(fd, 3) << "path_open errno " << -fd;
    return static_cast<uint32_t>(fd);
  }
};

TEST_F(WasiRights, PreopenHoldsDirectoryRightsAndPassesOnFileRights) {
  Rights preopen = rights_of(3);
  EXPECT_EQ(preopen.base, rights::kDirectory);
  EXPECT_EQ(preopen.inheriting, rights::kDirectory | rights::kRegularFile);
  // Nothing in a directory's base rights makes path_open ask the host for write access.
  EXPECT_EQ(preopen.base & (rights::kFdRead | rights::kFdWrite | rights::kFdSeek |
                            rights::kFdFilestatSetSize | rights::kFdDatasync),
            0u);
}

TEST_F(WasiRights, DirectoryOpensWithThePreopensRightsButNotForWriting) {
  // What Rust's std does with its preopened "/": reopen "." with the same rights.
  Rights preopen = rights_of(3);
  int32_t fd = open_at(3, ".", oflags::kDirectory, preopen.base, preopen.inheriting);
  ASSERT_GT(fd, 3) << "errno " << -fd;
  EXPECT_EQ(rights_of(fd).base, preopen.base);
  EXPECT_EQ(open_at(3, ".", oflags::kDirectory, rights::kFdRead, 0) > 3, true);
  EXPECT_EQ(open_at(3, ".", oflags::kDirectory, rights::kFdRead | rights::kFdWrite, 0),
            -static_cast<int32_t>(Errno::kIsdir));
}

TEST_F(WasiRights, OpenedFdsGetOnlyRightsThatApplyToThem) {
  uint32_t file = file_with(rights::kAll);
  EXPECT_EQ(rights_of(file).base, rights::kRegularFile);  // no path_* or sock_* rights
  tree.mkdir("sandbox/sub");
  int32_t dir = open_at(3, "sub", oflags::kDirectory, rights::kDirectory | rights::kFdSeek, 0);
  ASSERT_GT(dir, 3);
  EXPECT_EQ(rights_of(dir).base, rights::kDirectory);  // fd_seek does not apply to a directory
}

TEST_F(WasiRights, NewFdsGetNoMoreThanTheDirectoryPassesOn) {
  Rights preopen = rights_of(3);
  ASSERT_EQ(call("fd_fdstat_set_rights",
                 {3, preopen.base, preopen.inheriting & ~uint64_t{rights::kFdWrite}}),
            0);
  uint32_t fd = file_with(rights::kFdRead | rights::kFdWrite);
  EXPECT_EQ(rights_of(fd).base, rights::kFdRead);
  uint32_t n = put_iovecs({"x"});
  EXPECT_EQ(call("fd_write", {fd, kIovs, n, kOut}), kNotcapable);
  EXPECT_EQ(tree.read("sandbox/f"), "0123456789");
  // The narrowed inheriting rights pass on to directories opened through the preopen.
  tree.mkdir("sandbox/sub");
  int32_t sub = open_at(3, "sub", oflags::kDirectory, rights::kDirectory, rights::kAll);
  ASSERT_GT(sub, 3);
  EXPECT_EQ(rights_of(sub).inheriting & rights::kFdWrite, 0u);
}

TEST_F(WasiRights, SetRightsOnlyNarrows) {
  uint32_t fd = file_with(kRw);
  ASSERT_EQ(call("fd_fdstat_set_rights", {fd, rights::kFdSeek | rights::kFdTell, 0}), 0);
  EXPECT_EQ(rights_of(fd).base, rights::kFdSeek | rights::kFdTell);
  uint32_t n = put_iovecs({"0123"});
  EXPECT_EQ(call("fd_read", {fd, kIovs, n, kOut}), kNotcapable);
  EXPECT_EQ(call("fd_fdstat_set_rights", {fd, kRw, 0}), kNotcapable);
  EXPECT_EQ(call("fd_fdstat_set_rights", {fd, rights::kFdSeek, 1ull << 40}), kNotcapable);
  EXPECT_EQ(rights_of(fd).base, rights::kFdSeek | rights::kFdTell);  // unchanged by failures
  EXPECT_EQ(call("fd_fdstat_set_rights", {99, 0, 0}), static_cast<int32_t>(Errno::kBadf));
}

TEST_F(WasiRights, EveryFdCallChecksItsRight) {
  struct Case {
    const char* function;
    uint64_t right;
    std::vector<uint64_t> args;  // after the fd
  };
  const std::vector<Case> cases = {
      {"fd_read", rights::kFdRead, {kIovs, 1, kOut}},
      {"fd_write", rights::kFdWrite, {kIovs, 1, kOut}},
      {"fd_pread", rights::kFdRead, {kIovs, 1, 0, kOut}},
      {"fd_pread", rights::kFdSeek, {kIovs, 1, 0, kOut}},
      {"fd_pwrite", rights::kFdWrite, {kIovs, 1, 0, kOut}},
      {"fd_pwrite", rights::kFdSeek, {kIovs, 1, 0, kOut}},
      {"fd_seek", rights::kFdSeek, {1, kWhenceSet, kOut}},
      {"fd_advise", rights::kFdAdvise, {0, 1, kAdviceNormal}},
      {"fd_allocate", rights::kFdAllocate, {0, 1}},
      {"fd_datasync", rights::kFdDatasync, {}},
      {"fd_sync", rights::kFdSync, {}},
      {"fd_fdstat_set_flags", rights::kFdFdstatSetFlags, {0}},
      {"fd_filestat_get", rights::kFdFilestatGet, {kOut}},
      {"fd_filestat_set_size", rights::kFdFilestatSetSize, {3}},
      {"fd_filestat_set_times", rights::kFdFilestatSetTimes, {0, 0, fstflags::kMtimNow}},
  };
  put_iovecs({"ab"});
  for (const Case& c : cases) {
    uint32_t fd = file_with(rights::kRegularFile & ~c.right, "file");
    std::vector<uint64_t> args = {fd};
    args.insert(args.end(), c.args.begin(), c.args.end());
    EXPECT_EQ(call(c.function, args), kNotcapable) << c.function << " without right " << c.right;
    EXPECT_EQ(tree.read("sandbox/file"), "0123456789") << c.function;
    // With every right the same call goes through.
    uint32_t full = file_with(rights::kRegularFile, "file");
    args[0] = full;
    EXPECT_EQ(call(c.function, args), 0) << c.function;
    call("fd_close", {fd});
    call("fd_close", {full});
  }
}

TEST_F(WasiRights, TellNeedsTellOrSeekAndMovingNeedsSeek) {
  uint32_t fd = file_with(rights::kFdTell);
  EXPECT_EQ(call("fd_tell", {fd, kOut}), 0);
  EXPECT_EQ(call("fd_seek", {fd, 0, kWhenceCur, kOut}), 0);
  EXPECT_EQ(call("fd_seek", {fd, 1, kWhenceSet, kOut}), kNotcapable);
  uint32_t seek_only = file_with(rights::kFdSeek, "g");
  EXPECT_EQ(call("fd_tell", {seek_only, kOut}), 0);  // fd_seek implies fd_tell
  uint32_t neither = file_with(rights::kFdRead, "h");
  EXPECT_EQ(call("fd_tell", {neither, kOut}), kNotcapable);
}

TEST_F(WasiRights, EveryPathCallChecksItsRight) {
  tree.mkdir("sandbox/d");
  tree.write("sandbox/d/file", "x");
  tree.symlink("file", "sandbox/d/link");
  tree.mkdir("sandbox/d/empty");
  auto expect_refused = [&](uint64_t right, const std::string& what, auto&& attempt) {
    uint32_t dir = dir_without(right);
    EXPECT_EQ(attempt(dir), kNotcapable) << what;
    call("fd_close", {dir});
  };
  expect_refused(rights::kPathCreateDirectory, "mkdir",
                 [&](uint32_t d) { return path_call("path_create_directory", "new", d); });
  expect_refused(rights::kPathUnlinkFile, "unlink",
                 [&](uint32_t d) { return path_call("path_unlink_file", "file", d); });
  expect_refused(rights::kPathRemoveDirectory, "rmdir",
                 [&](uint32_t d) { return path_call("path_remove_directory", "empty", d); });
  expect_refused(rights::kPathOpen, "open",
                 [&](uint32_t d) { return -open_at(d, "file", 0, kRw, 0); });
  expect_refused(rights::kPathCreateFile, "create",
                 [&](uint32_t d) { return -open_at(d, "new", oflags::kCreat, kRw, 0); });
  expect_refused(rights::kPathFilestatSetSize, "truncate",
                 [&](uint32_t d) { return -open_at(d, "file", oflags::kTrunc, kRw, 0); });
  expect_refused(rights::kPathFilestatGet, "stat", [&](uint32_t d) {
    put_bytes(kPath, "file");
    return call("path_filestat_get", {d, 0, kPath, 4, kOut});
  });
  expect_refused(rights::kPathFilestatSetTimes, "utimens", [&](uint32_t d) {
    put_bytes(kPath, "file");
    return call("path_filestat_set_times", {d, 0, kPath, 4, 0, 0, fstflags::kMtimNow});
  });
  expect_refused(rights::kPathReadlink, "readlink", [&](uint32_t d) {
    put_bytes(kPath, "link");
    return call("path_readlink", {d, kPath, 4, kData, 64, kOut});
  });
  expect_refused(rights::kPathSymlink, "symlink", [&](uint32_t d) {
    put_bytes(kPath, "file");
    put_bytes(kPath2, "link2");
    return call("path_symlink", {kPath, 4, d, kPath2, 5});
  });
  expect_refused(rights::kFdReaddir, "readdir", [&](uint32_t d) {
    return call("fd_readdir", {d, kData, 256, 0, kOut});
  });
  for (uint64_t right : {rights::kPathRenameSource, rights::kPathRenameTarget,
                         rights::kPathLinkSource, rights::kPathLinkTarget}) {
    const bool rename = right == rights::kPathRenameSource || right == rights::kPathRenameTarget;
    const bool source = right == rights::kPathRenameSource || right == rights::kPathLinkSource;
    expect_refused(right, rename ? "rename" : "link", [&](uint32_t d) {
      put_bytes(kPath, "file");
      put_bytes(kPath2, "moved");
      const uint64_t from = source ? d : 3, to = source ? 3 : d;
      if (rename) return call("path_rename", {from, kPath, 4, to, kPath2, 5});
      return call("path_link", {from, 0, kPath, 4, to, kPath2, 5});
    });
  }
  EXPECT_TRUE(tree.exists("sandbox/d/file"));
  EXPECT_FALSE(tree.exists("sandbox/new"));
  EXPECT_FALSE(tree.exists("sandbox/moved"));
  EXPECT_EQ(tree.read("sandbox/d/file"), "x");
}

TEST_F(WasiRights, PathCallsOnAFileAreNotdir) {
  uint32_t file = file_with(rights::kRegularFile);
  EXPECT_EQ(open_at(file, "x", oflags::kCreat, 0, 0), -static_cast<int32_t>(Errno::kNotdir));
  EXPECT_EQ(path_call("path_create_directory", "x", file), static_cast<int32_t>(Errno::kNotdir));
}

TEST_F(WasiRights, RenumberMovesRightsWithTheFd) {
  uint32_t narrow = file_with(rights::kFdRead, "a");
  uint32_t wide = file_with(kRw, "b");
  ASSERT_EQ(call("fd_renumber", {narrow, wide}), 0);
  EXPECT_EQ(rights_of(wide).base, rights::kFdRead);
}

TEST_F(WasiRights, PollNeedsTheRightItWaitsFor) {
  uint32_t fd = file_with(rights::kFdRead | rights::kPollFdReadwrite);
  // One fd_write subscription on an fd without fd_write.
  std::memset(mem.data() + kData, 0, layout::kSubscriptionSize);
  put_u64(kData + layout::kSubscriptionUserdata, 7);
  mem[kData + layout::kSubscriptionTag] = kEventFdWrite;
  put_u32(kData + layout::kSubscriptionFd, fd);
  ASSERT_EQ(call("poll_oneoff", {kData, kOut, 1, kOut2}), 0);
  ASSERT_EQ(u32(kOut2), 1u);
  EXPECT_EQ(u64(kOut + layout::kEventUserdata), 7u);
  uint16_t error;
  std::memcpy(&error, mem.data() + kOut + layout::kEventError, 2);
  EXPECT_EQ(error, static_cast<uint16_t>(Errno::kNotcapable));
}

TEST_F(WasiRights, StdioIsAStreamTheGuestCannotReconfigure) {
  EXPECT_EQ(rights_of(0).base, rights::kStdin);
  EXPECT_EQ(rights_of(1).base, rights::kStdout);
  EXPECT_EQ(rights_of(1).inheriting, 0u);
  // The open file descriptions are the host's: no flags changed, no truncation, no seeking.
  const int stdin_flags = ::fcntl(stdin_fd, F_GETFL);
  EXPECT_EQ(call("fd_fdstat_set_flags", {0, fdflags::kNonblock}), kNotcapable);
  EXPECT_EQ(::fcntl(stdin_fd, F_GETFL), stdin_flags);
  EXPECT_EQ(call("fd_filestat_set_size", {1, 0}), kNotcapable);
  EXPECT_EQ(call("fd_seek", {1, 0, kWhenceSet, kOut}), kNotcapable);
  uint32_t n = put_iovecs({"still writable"});
  EXPECT_EQ(call("fd_write", {1, kIovs, n, kOut}), 0);
  EXPECT_EQ(drain_stdout(), "still writable");
}

TEST_F(WasiRights, OpeningForStatOnlyNeverBlocksOnAFifo) {
  ASSERT_EQ(::mkfifo((tree / "sandbox/fifo").c_str(), 0600), 0);
  // Without read or write rights the fd is path-only: opening a FIFO with no writer returns.
  int32_t fd = open_at(3, "fifo", 0, rights::kFdFilestatGet, 0);
  ASSERT_GT(fd, 3) << "errno " << -fd;
  ASSERT_EQ(call("fd_filestat_get", {uint32_t(fd), kOut}), 0);
  EXPECT_EQ(mem[kOut + layout::kFilestatFiletype], uint8_t(Filetype::kUnknown));
}

}  // namespace
}  // namespace nnwasm::wasi
