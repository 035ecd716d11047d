// Guest: tries to leave the preopened directory named by argv[1] (`..`, absolute paths, a
// symlink to /etc, a symlink chain ending outside, renames/unlinks/links of `../x`, mkdir
// through a symlink). Every attempt must fail with ENOTCAPABLE or EPERM; prints "ok: <what>
// (<errno name>)" for each. The harness checks that nothing outside the sandbox changed.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#include "guest_check.h"

static const char* errno_name(int e) {
  switch (e) {
    case 0:
      return "no error";
    case ENOTCAPABLE:
      return "ENOTCAPABLE";
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case EACCES:
      return "EACCES";
    case ELOOP:
      return "ELOOP";
    case EEXIST:
      return "EEXIST";
    default:
      return strerror(e);
  }
}

// `result` is the call's return value (-1 on failure) and `e` the errno it left.
static void expect_denied(int failed, int e, const char* what) {
  char line[256];
  if (!failed) guest_fail(what, "succeeded");
  if (e != ENOTCAPABLE && e != EPERM) {
    snprintf(line, sizeof line, "expected ENOTCAPABLE or EPERM, got %s", errno_name(e));
    guest_fail(what, line);
  }
  snprintf(line, sizeof line, "%s (%s)", what, errno_name(e));
  guest_ok(line);
}

#define DENIED(call, what)               \
  do {                                   \
    errno = 0;                           \
    int failed_ = (call) < 0;            \
    expect_denied(failed_, errno, what); \
  } while (0)

// The preopened fd whose name is `dir` ("/sandbox", "sandbox", "./sandbox" all match).
static int find_preopen(const char* dir) {
  while (*dir == '.' && dir[1] == '/') dir += 2;
  while (*dir == '/') ++dir;
  int first = -1;
  for (int fd = 3; fd < 64; ++fd) {
    __wasi_prestat_t prestat;
    if (__wasi_fd_prestat_get(fd, &prestat) != 0) break;
    char name[512];
    size_t len = prestat.u.dir.pr_name_len;
    if (len >= sizeof name) continue;
    if (__wasi_fd_prestat_dir_name(fd, (uint8_t*)name, len) != 0) continue;
    name[len] = '\0';
    const char* n = name;
    while (*n == '.' && n[1] == '/') n += 2;
    while (*n == '/') ++n;
    if (first < 0) first = fd;
    if (strcmp(n, dir) == 0) return fd;
  }
  return first;
}

// Raw path_open on the preopen (no wasi-libc path handling): 0 or the WASI errno.
static int raw_open(int dirfd, const char* path, __wasi_lookupflags_t lookup,
                    __wasi_oflags_t oflags, __wasi_fd_t* out) {
  __wasi_rights_t rights = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE;
  return __wasi_path_open(dirfd, lookup, path, oflags, rights, rights, 0, out);
}

static void expect_raw_denied(int err, const char* what) {
  expect_denied(err != 0, err, what);
}

static void cleanup(void) {
  const char* names[] = {"etc_link", "chain1",   "chain2", "dangle", "victim",
                         "up",       "tmp_link", "stolen", "hard",   "abs_dangle"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) unlink(guest_at(names[i]));
}

int main(int argc, char** argv) {
  if (argc < 2) guest_fail("usage", "wasi_escape <dir>");
  snprintf(guest_base, sizeof guest_base, "%s", argv[1]);
  cleanup();
  int pre = find_preopen(argv[1]);
  REQUIRE(pre >= 3, "find the preopened directory");
  __wasi_fd_t fd;

  // `..` and absolute paths.
  DENIED(open(guest_at("../outside.txt"), O_RDONLY), "open ../outside.txt");
  DENIED(open(guest_at("../outside.txt"), O_WRONLY | O_TRUNC), "truncate ../outside.txt");
  DENIED(open(guest_at("../new_outside.txt"), O_WRONLY | O_CREAT, 0644),
         "create ../new_outside.txt");
  DENIED(open(guest_at("../outside_dir/new.txt"), O_WRONLY | O_CREAT, 0644),
         "create ../outside_dir/new.txt");
  struct stat st;
  DENIED(stat(guest_at("../outside.txt"), &st), "stat ../outside.txt");
  expect_raw_denied(raw_open(pre, "../outside.txt", 0, 0, &fd), "raw path_open ../outside.txt");
  expect_raw_denied(raw_open(pre, "/etc/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, &fd),
                    "raw path_open /etc/passwd");
  expect_raw_denied(raw_open(pre, "/", 0, __WASI_OFLAGS_DIRECTORY, &fd), "raw path_open /");
  expect_raw_denied(raw_open(pre, "..", 0, __WASI_OFLAGS_DIRECTORY, &fd), "raw path_open ..");

  // A symlink to an absolute path is refused (it could never resolve inside the sandbox); one
  // that climbs out to /etc may be created (the target is just a string) but never followed.
  DENIED(symlink("/etc", guest_at("abs_link")), "create a symlink to /etc");
  CHECK(symlink("../../../../../../../../../../../../etc", guest_at("etc_link")) == 0,
        "create a symlink climbing out to /etc");
  DENIED(open(guest_at("etc_link/passwd"), O_RDONLY), "open etc_link/passwd");
  DENIED(stat(guest_at("etc_link/passwd"), &st), "stat etc_link/passwd");
  expect_raw_denied(raw_open(pre, "etc_link/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, 0, &fd),
                    "raw path_open etc_link/passwd");
  DENIED(mkdir(guest_at("etc_link/nnwasm_escape"), 0755), "mkdir through the /etc symlink");

  // A chain of symlinks whose last hop leaves the sandbox.
  CHECK(symlink("chain2", guest_at("chain1")) == 0 &&
            symlink("../outside.txt", guest_at("chain2")) == 0,
        "create a symlink chain ending outside");
  DENIED(open(guest_at("chain1"), O_RDONLY), "open through the chain");
  DENIED(open(guest_at("chain1"), O_WRONLY | O_APPEND), "append through the chain");
  DENIED(truncate(guest_at("chain1"), 0), "truncate through the chain");
  CHECK(symlink("../escaped.txt", guest_at("dangle")) == 0,
        "create a dangling symlink to ../escaped.txt");
  DENIED(open(guest_at("dangle"), O_WRONLY | O_CREAT, 0644), "create through the dangling symlink");
  DENIED(symlink("/tmp/nnwasm_escaped.txt", guest_at("abs_dangle")),
         "create a dangling symlink to an absolute path");

  // Renames, unlinks, links and rmdir naming `..`.
  int victim = open(guest_at("victim"), O_WRONLY | O_CREAT, 0644);
  REQUIRE(victim >= 0, "create victim");
  close(victim);
  DENIED(rename(guest_at("victim"), guest_at("../moved.txt")), "rename victim to ../moved.txt");
  DENIED(rename(guest_at("../outside.txt"), guest_at("stolen")),
         "rename ../outside.txt into the sandbox");
  DENIED(unlink(guest_at("../outside.txt")), "unlink ../outside.txt");
  DENIED(link(guest_at("../outside.txt"), guest_at("hard")), "hard link ../outside.txt");
  DENIED(link(guest_at("victim"), guest_at("../hard.txt")), "hard link to ../hard.txt");
  DENIED(rmdir(guest_at("../outside_dir")), "rmdir ../outside_dir");
  DENIED(rmdir(guest_at("..")), "rmdir ..");
  DENIED(symlink("victim", guest_at("../planted_link")), "symlink at ../planted_link");
  char buf[64];
  DENIED(readlink(guest_at("../outside.txt"), buf, sizeof buf), "readlink ../outside.txt");

  // mkdir / create through a symlink to the parent directory.
  CHECK(symlink("..", guest_at("up")) == 0, "create a symlink to ..");
  DENIED(mkdir(guest_at("up/evil_dir"), 0755), "mkdir through the symlink to ..");
  DENIED(open(guest_at("up/evil.txt"), O_WRONLY | O_CREAT, 0644),
         "create through the symlink to ..");
  DENIED(open(guest_at("up/outside.txt"), O_RDONLY), "read through the symlink to ..");
  DENIED(unlink(guest_at("up/outside.txt")), "unlink through the symlink to ..");
  DENIED(rename(guest_at("victim"), guest_at("up/moved.txt")), "rename through the symlink to ..");
  CHECK(symlink("../../../../../../../../../../../../tmp", guest_at("tmp_link")) == 0,
        "create a symlink climbing out to /tmp");
  DENIED(mkdir(guest_at("tmp_link/nnwasm_evil_dir"), 0755), "mkdir through the symlink to /tmp");

  // Still usable inside afterwards, and the links themselves can be removed.
  int inside = open(guest_at("victim"), O_RDONLY);
  CHECK(inside >= 0, "files inside stay reachable");
  close(inside);
  cleanup();
  CHECK(lstat(guest_at("etc_link"), &st) != 0 && errno == ENOENT, "cleanup removed the links");
  return 0;
}
