// PathResolver: every escape (.., absolute paths, symlinks to /etc, chains leading out, loops)
// is refused and every legal path inside resolves, with openat2 and with the manual walk.
#include "wasi/path_resolver.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "support/temp_tree.h"

namespace nnwasm::wasi {
namespace {

using Mode = PathResolver::Mode;

class PathResolverTest : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    // ROOT/outside.txt, ROOT/outside_dir/ and ROOT/sandbox/ (the directory fd under test).
    tree.write("outside.txt", "secret");
    tree.mkdir("outside_dir");
    tree.mkdir("sandbox/sub/deeper");
    tree.write("sandbox/file.txt", "hello");
    tree.write("sandbox/sub/inner.txt", "inner");
    tree.symlink("/etc", "sandbox/link_etc");
    tree.symlink("/etc/passwd", "sandbox/link_abs_file");
    tree.symlink("chain_b", "sandbox/chain_a");  // chain_a -> chain_b -> ../outside.txt
    tree.symlink("../outside.txt", "sandbox/chain_b");
    tree.symlink("up_b", "sandbox/sub/up_a");  // sub/up_a -> up_b -> ../../outside.txt
    tree.symlink("../../outside.txt", "sandbox/sub/up_b");
    tree.symlink("..", "sandbox/link_dotdot");
    tree.symlink("../outside_dir", "sandbox/link_outside_dir");
    tree.symlink("sub/inner.txt", "sandbox/link_in");
    tree.symlink("sub", "sandbox/link_sub");
    tree.symlink("sub/../file.txt", "sandbox/link_up_ok");
    tree.symlink("../file.txt", "sandbox/sub/link_parent_file");
    tree.symlink("loop2", "sandbox/loop1");
    tree.symlink("loop1", "sandbox/loop2");
    tree.symlink("created_inside", "sandbox/dangling_in");
    tree.symlink("../created_outside", "sandbox/dangling_out");
    dirfd = tree.open_dir("sandbox");
    ASSERT_GE(dirfd, 0);
    if (GetParam() == Mode::kOpenat2 && !PathResolver(Mode::kOpenat2).uses_openat2()) {
      GTEST_SKIP() << "openat2 unavailable";
    }
  }
  void TearDown() override {
    if (dirfd >= 0) ::close(dirfd);
  }

  // Opens `path` read-only and returns its contents ("" plus a test failure when it fails).
  std::string read(const std::string& path, bool follow = true) {
    UniqueFd fd;
    Errno e = resolver.open(dirfd, path, O_RDONLY, 0, follow, &fd);
    EXPECT_EQ(e, Errno::kSuccess) << path;
    if (e != Errno::kSuccess) return "";
    char buf[64];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

  Errno open_errno(const std::string& path, int flags = O_RDONLY, bool follow = true) {
    UniqueFd fd;
    Errno e = resolver.open(dirfd, path, flags, 0644, follow, &fd);
    EXPECT_EQ(fd.valid(), e == Errno::kSuccess) << path;
    return e;
  }

  nnwasm::test::TempTree tree;
  PathResolver resolver{GetParam()};
  int dirfd = -1;
};

TEST_P(PathResolverTest, UsesTheRequestedMechanism) {
  EXPECT_EQ(resolver.uses_openat2(), GetParam() == Mode::kOpenat2);
}

TEST_P(PathResolverTest, LegalPathsResolve) {
  EXPECT_EQ(read("file.txt"), "hello");
  EXPECT_EQ(read("sub/inner.txt"), "inner");
  EXPECT_EQ(read("sub/../file.txt"), "hello");
  EXPECT_EQ(read("./sub/./inner.txt"), "inner");
  EXPECT_EQ(read("sub//deeper/../../file.txt"), "hello");
  EXPECT_EQ(read("link_in"), "inner");
  EXPECT_EQ(read("link_sub/inner.txt"), "inner");
  EXPECT_EQ(read("link_sub/../file.txt"), "hello");
  EXPECT_EQ(read("link_up_ok"), "hello");
  EXPECT_EQ(read("sub/link_parent_file"), "hello");
  EXPECT_EQ(open_errno(".", O_RDONLY | O_DIRECTORY), Errno::kSuccess);
  EXPECT_EQ(open_errno("sub/", O_RDONLY | O_DIRECTORY), Errno::kSuccess);
  EXPECT_EQ(open_errno("sub/deeper/..", O_RDONLY | O_DIRECTORY), Errno::kSuccess);
  EXPECT_EQ(open_errno("link_sub/", O_RDONLY, false), Errno::kSuccess);  // '/' follows
}

TEST_P(PathResolverTest, DotDotAndAbsolutePathsAreNotCapable) {
  for (const char* path : {"..", "../outside.txt", "sub/../../outside.txt", "sub/deeper/../../..",
                           "sub/deeper/../../../outside.txt", "/etc/passwd", "/", "//etc",
                           "link_sub/../../outside.txt", "./../sandbox/file.txt"}) {
    EXPECT_EQ(open_errno(path), Errno::kNotcapable) << path;
  }
}

TEST_P(PathResolverTest, SymlinksLeadingOutAreNotCapable) {
  for (const char* path : {"link_etc", "link_etc/passwd", "link_abs_file", "chain_a", "chain_b",
                           "sub/up_a", "sub/up_b", "link_dotdot", "link_dotdot/outside.txt",
                           "link_outside_dir", "link_outside_dir/", "link_sub/up_a"}) {
    EXPECT_EQ(open_errno(path), Errno::kNotcapable) << path;
  }
  EXPECT_EQ(open_errno("link_etc/passwd", O_PATH), Errno::kNotcapable);
  EXPECT_EQ(open_errno("link_etc/", O_RDONLY | O_DIRECTORY, false), Errno::kNotcapable);
}

TEST_P(PathResolverTest, CreatingThroughALinkStaysInside) {
  EXPECT_EQ(open_errno("dangling_out", O_WRONLY | O_CREAT), Errno::kNotcapable);
  EXPECT_FALSE(tree.exists("created_outside"));
  EXPECT_EQ(open_errno("../created_outside", O_WRONLY | O_CREAT), Errno::kNotcapable);
  EXPECT_FALSE(tree.exists("created_outside"));
  EXPECT_EQ(open_errno("link_outside_dir/new.txt", O_WRONLY | O_CREAT), Errno::kNotcapable);
  EXPECT_FALSE(tree.exists("outside_dir/new.txt"));
  EXPECT_EQ(open_errno("chain_a", O_WRONLY | O_TRUNC), Errno::kNotcapable);
  // A dangling link inside is followed and creates its target inside.
  EXPECT_EQ(open_errno("dangling_in", O_WRONLY | O_CREAT), Errno::kSuccess);
  EXPECT_TRUE(tree.exists("sandbox/created_inside"));
  // O_EXCL never follows a final symlink.
  EXPECT_EQ(open_errno("dangling_in", O_WRONLY | O_CREAT | O_EXCL), Errno::kExist);
  EXPECT_EQ(tree.read("outside.txt"), "secret");
}

TEST_P(PathResolverTest, FinalSymlinkWithoutFollow) {
  EXPECT_EQ(open_errno("link_in", O_RDONLY, false), Errno::kLoop);
  EXPECT_EQ(open_errno("link_etc", O_RDONLY, false), Errno::kLoop);
  UniqueFd fd;
  ASSERT_EQ(resolver.open(dirfd, "link_etc", O_PATH, 0, false, &fd), Errno::kSuccess);
  struct stat st;
  ASSERT_EQ(::fstat(fd.get(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // Intermediate symlinks are still resolved safely.
  EXPECT_EQ(open_errno("link_sub/inner.txt", O_RDONLY, false), Errno::kSuccess);
  EXPECT_EQ(open_errno("link_etc/passwd", O_RDONLY, false), Errno::kNotcapable);
}

TEST_P(PathResolverTest, LoopsAndLongChains) {
  EXPECT_EQ(open_errno("loop1"), Errno::kLoop);
  std::string previous = "file.txt";
  for (int i = 0; i < 30; ++i) {
    std::string name = "hop" + std::to_string(i);
    tree.symlink(previous, "sandbox/" + name);
    previous = name;
  }
  EXPECT_EQ(read(previous), "hello");
  for (int i = 30; i < 45; ++i) {
    std::string name = "hop" + std::to_string(i);
    tree.symlink(previous, "sandbox/" + name);
    previous = name;
  }
  EXPECT_EQ(open_errno(previous), Errno::kLoop);
}

TEST_P(PathResolverTest, MalformedPaths) {
  EXPECT_EQ(open_errno(""), Errno::kNoent);
  EXPECT_EQ(open_errno(std::string("file.txt\0/../../outside.txt", 27)), Errno::kInval);
  EXPECT_EQ(open_errno("missing/file"), Errno::kNoent);
  EXPECT_EQ(open_errno("file.txt/x"), Errno::kNotdir);
  EXPECT_EQ(open_errno("file.txt/"), Errno::kNotdir);
}

TEST_P(PathResolverTest, ParentOfLegalPaths) {
  struct stat sub_st;
  ASSERT_EQ(::stat((tree / "sandbox/sub").c_str(), &sub_st), 0);
  struct stat sandbox_st;
  ASSERT_EQ(::stat((tree / "sandbox").c_str(), &sandbox_st), 0);
  struct Case {
    const char* path;
    const struct stat* dir;
    const char* name;
    bool trailing_slash;
  };
  for (const Case& c :
       {Case{"sub/inner.txt", &sub_st, "inner.txt", false},
        Case{"link_sub/inner.txt", &sub_st, "inner.txt", false},
        Case{"newname", &sandbox_st, "newname", false},
        Case{"sub/deeper/../x", &sub_st, "x", false}, Case{"sub/newdir//", &sub_st, "newdir", true},
        Case{"link_etc", &sandbox_st, "link_etc", false}, Case{"sub/.", &sub_st, ".", false}}) {
    ParentDir parent;
    ASSERT_EQ(resolver.open_parent(dirfd, c.path, Errno::kExist, &parent), Errno::kSuccess)
        << c.path;
    struct stat st;
    ASSERT_EQ(::fstat(parent.dir.get(), &st), 0);
    EXPECT_EQ(st.st_ino, c.dir->st_ino) << c.path;
    EXPECT_EQ(parent.name, c.name) << c.path;
    EXPECT_EQ(parent.trailing_slash, c.trailing_slash) << c.path;
  }
}

TEST_P(PathResolverTest, ParentOfEscapes) {
  for (const char* path : {"..", "../x", "../outside.txt", "/x", "/etc/passwd", "link_etc/newdir",
                           "link_dotdot/x", "chain_a/x", "sub/../../x", "link_outside_dir/new.txt",
                           "sub/deeper/../../..", "link_dotdot/.."}) {
    ParentDir parent;
    EXPECT_EQ(resolver.open_parent(dirfd, path, Errno::kExist, &parent), Errno::kNotcapable)
        << path;
    EXPECT_FALSE(parent.dir.valid());
  }
  // A final ".." that stays inside reports the caller's error for an existing directory.
  ParentDir parent;
  EXPECT_EQ(resolver.open_parent(dirfd, "sub/..", Errno::kExist, &parent), Errno::kExist);
  EXPECT_EQ(resolver.open_parent(dirfd, "sub/deeper/../..", Errno::kBusy, &parent), Errno::kBusy);
  EXPECT_EQ(resolver.open_parent(dirfd, "", Errno::kExist, &parent), Errno::kNoent);
}

TEST_P(PathResolverTest, ParentDirActsOnlyOnTheLastName) {
  // The classic attack: make a directory through a symlink that points outside.
  ParentDir parent;
  ASSERT_EQ(resolver.open_parent(dirfd, "link_outside_dir", Errno::kExist, &parent),
            Errno::kSuccess);
  EXPECT_NE(::mkdirat(parent.dir.get(), parent.name.c_str(), 0777), 0);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_FALSE(tree.exists("outside_dir/link_outside_dir"));
  ASSERT_EQ(resolver.open_parent(dirfd, "link_etc", Errno::kExist, &parent), Errno::kSuccess);
  ASSERT_EQ(::unlinkat(parent.dir.get(), parent.name.c_str(), 0), 0);  // removes the link only
  EXPECT_FALSE(tree.exists("sandbox/link_etc"));
  EXPECT_TRUE(std::filesystem::exists("/etc"));
}

INSTANTIATE_TEST_SUITE_P(Modes, PathResolverTest, ::testing::Values(Mode::kOpenat2, Mode::kManual),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return info.param == Mode::kOpenat2 ? "Openat2" : "Manual";
                         });

TEST(PathResolverEnv, EnvironmentSelectsTheManualWalk) {
  ::setenv("NNWASM_WASI_NO_OPENAT2", "1", 1);
  PathResolver manual;
  ::unsetenv("NNWASM_WASI_NO_OPENAT2");
  PathResolver automatic;
  EXPECT_FALSE(manual.uses_openat2());
  EXPECT_FALSE(PathResolver(PathResolver::Mode::kManual).uses_openat2());
  // kAuto without the variable tries openat2 (it drops to manual only after ENOSYS).
  nnwasm::test::TempTree tree;
  tree.write("f", "x");
  int dirfd = tree.open_dir("");
  ASSERT_GE(dirfd, 0);
  UniqueFd fd;
  EXPECT_EQ(automatic.open(dirfd, "f", O_RDONLY, 0, true, &fd), Errno::kSuccess);
  EXPECT_EQ(manual.open(dirfd, "../x", O_RDONLY, 0, true, &fd), Errno::kNotcapable);
  ::close(dirfd);
}

TEST(PathResolverCheck, GuestPathChecks) {
  EXPECT_EQ(check_guest_path(""), Errno::kNoent);
  EXPECT_EQ(check_guest_path("/a"), Errno::kNotcapable);
  EXPECT_EQ(check_guest_path(std::string_view("a\0b", 3)), Errno::kInval);
  EXPECT_EQ(check_guest_path("a/b"), Errno::kSuccess);
}

}  // namespace
}  // namespace nnwasm::wasi
