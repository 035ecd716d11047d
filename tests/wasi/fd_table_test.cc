// FdTable: lowest-free allocation, closing (stdio host fds are never closed), renumbering, and
// directory streams positioned by cookie.
#include "wasi/fd_table.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <set>
#include <string>

#include "support/temp_tree.h"

namespace nnwasm::wasi {
namespace {

bool host_fd_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

int fresh_fd() {
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

TEST(FdTable, AllocatesTheLowestFreeFd) {
  FdTable table;
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_EQ(table.insert_at(i, std::make_unique<FdEntry>(fresh_fd(), true, Rights{})),
              Errno::kSuccess);
  }
  uint32_t fd = 99;
  ASSERT_EQ(table.insert(std::make_unique<FdEntry>(fresh_fd(), true, Rights{}), &fd),
            Errno::kSuccess);
  EXPECT_EQ(fd, 3u);
  ASSERT_EQ(table.close(1), Errno::kSuccess);
  ASSERT_EQ(table.insert(std::make_unique<FdEntry>(fresh_fd(), true, Rights{}), &fd),
            Errno::kSuccess);
  EXPECT_EQ(fd, 1u);
  ASSERT_EQ(table.insert(std::make_unique<FdEntry>(fresh_fd(), true, Rights{}), &fd),
            Errno::kSuccess);
  EXPECT_EQ(fd, 4u);
  EXPECT_EQ(table.open_count(), 5u);
  EXPECT_EQ(table.insert_at(4, std::make_unique<FdEntry>(fresh_fd(), true, Rights{})),
            Errno::kBadf);
  EXPECT_EQ(
      table.insert_at(FdTable::kMaxFds, std::make_unique<FdEntry>(fresh_fd(), true, Rights{})),
      Errno::kBadf);
}

TEST(FdTable, CloseReleasesOwnedHostFdsOnly) {
  int stdio_like = fresh_fd();
  int owned = fresh_fd();
  {
    FdTable table;
    ASSERT_EQ(table.insert_at(0, std::make_unique<FdEntry>(stdio_like, false, Rights{})),
              Errno::kSuccess);
    uint32_t fd;
    ASSERT_EQ(table.insert(std::make_unique<FdEntry>(owned, true, Rights{}), &fd), Errno::kSuccess);
    EXPECT_EQ(table.close(0), Errno::kSuccess);
    EXPECT_TRUE(host_fd_open(stdio_like));
    EXPECT_EQ(table.get(0), nullptr);
    EXPECT_EQ(table.close(0), Errno::kBadf);
    EXPECT_EQ(table.close(12345), Errno::kBadf);
    EXPECT_EQ(table.close(fd), Errno::kSuccess);
    EXPECT_FALSE(host_fd_open(owned));
    ASSERT_EQ(table.insert_at(2, std::make_unique<FdEntry>(stdio_like, false, Rights{})),
              Errno::kSuccess);
  }
  EXPECT_TRUE(host_fd_open(stdio_like));  // the table's destruction leaves it alone too
  ::close(stdio_like);
}

TEST(FdTable, Renumber) {
  FdTable table;
  int a = fresh_fd();
  int b = fresh_fd();
  ASSERT_EQ(table.insert_at(3, std::make_unique<FdEntry>(a, true, Rights{})), Errno::kSuccess);
  ASSERT_EQ(table.insert_at(4, std::make_unique<FdEntry>(b, true, Rights{})), Errno::kSuccess);
  EXPECT_EQ(table.renumber(3, 5), Errno::kBadf);  // the target must be open
  EXPECT_EQ(table.renumber(7, 4), Errno::kBadf);
  EXPECT_EQ(table.renumber(3, 3), Errno::kSuccess);
  EXPECT_EQ(table.renumber(4, 3), Errno::kSuccess);
  EXPECT_FALSE(host_fd_open(a));
  ASSERT_NE(table.get(3), nullptr);
  EXPECT_EQ(table.get(3)->host_fd(), b);
  EXPECT_EQ(table.get(4), nullptr);
  EXPECT_EQ(table.open_count(), 1u);
}

TEST(FdTable, PreopenName) {
  FdEntry entry(fresh_fd(), true, Rights{});
  EXPECT_FALSE(entry.is_preopen());
  entry.set_preopen("/sandbox");
  EXPECT_TRUE(entry.is_preopen());
  EXPECT_EQ(entry.preopen_name(), "/sandbox");
}

std::set<std::string> read_names(DIR* dir, FdEntry& entry, uint64_t* cookie_after_first) {
  std::set<std::string> names;
  bool first = true;
  while (struct dirent* d = ::readdir(dir)) {
    entry.set_dir_cookie(static_cast<uint64_t>(d->d_off));
    if (first && cookie_after_first != nullptr) *cookie_after_first = d->d_off;
    first = false;
    names.insert(d->d_name);
  }
  return names;
}

TEST(FdTable, DirectoryStreamFollowsCookies) {
  nnwasm::test::TempTree tree;
  tree.write("a", "");
  tree.write("b", "");
  tree.mkdir("c");
  FdEntry entry(tree.open_dir(""), true, Rights{});
  ASSERT_GE(entry.host_fd(), 0);
  DIR* dir = nullptr;
  ASSERT_EQ(entry.dir_stream_at(kDircookieStart, &dir), Errno::kSuccess);
  uint64_t second = 0;
  std::set<std::string> all = read_names(dir, entry, &second);
  EXPECT_EQ(all, (std::set<std::string>{".", "..", "a", "b", "c"}));
  // Cookie 0 rewinds; a cookie from an entry resumes after that entry.
  ASSERT_EQ(entry.dir_stream_at(kDircookieStart, &dir), Errno::kSuccess);
  EXPECT_EQ(read_names(dir, entry, nullptr), all);
  ASSERT_EQ(entry.dir_stream_at(second, &dir), Errno::kSuccess);
  EXPECT_EQ(read_names(dir, entry, nullptr).size(), all.size() - 1);
  // The stream is independent of the fd's own offset.
  EXPECT_EQ(::lseek(entry.host_fd(), 0, SEEK_CUR), 0);
}

TEST(FdTable, DirectoryStreamOnAFileFails) {
  nnwasm::test::TempTree tree;
  tree.write("f", "x");
  FdEntry entry(::open((tree / "f").c_str(), O_RDONLY | O_CLOEXEC), true, Rights{});
  DIR* dir = nullptr;
  EXPECT_EQ(entry.dir_stream_at(0, &dir), Errno::kNotdir);
}

}  // namespace
}  // namespace nnwasm::wasi
