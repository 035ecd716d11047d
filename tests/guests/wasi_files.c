// Guest: file and directory operations inside the preopened directory named by argv[1]:
// create, write, read, seek/tell, pread/pwrite, append, truncate, stat, rename, unlink,
// mkdir/rmdir, readdir, symlink/readlink, fsync. Leaves the directory as it found it.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guest_check.h"

static void cleanup(void) {
  const char* files[] = {"a.txt", "b.txt", "link", "big.bin", "dir/x", "dir/y", "dir/zz"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) unlink(guest_at(files[i]));
  rmdir(guest_at("dir"));
}

static int read_all(const char* path, char* buf, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return (int)n;
}

int main(int argc, char** argv) {
  if (argc < 2) guest_fail("usage", "wasi_files <dir>");
  snprintf(guest_base, sizeof guest_base, "%s", argv[1]);
  cleanup();
  char buf[256];
  struct stat st;

  int fd = open(guest_at("a.txt"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  CHECK(fd >= 0, "create a file");
  CHECK(write(fd, "hello world", 11) == 11, "write");
  CHECK(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync and fdatasync");
  CHECK(close(fd) == 0, "close");
  CHECK(read_all(guest_at("a.txt"), buf, sizeof buf) == 11 && strcmp(buf, "hello world") == 0,
        "read back");

  fd = open(guest_at("a.txt"), O_RDWR);
  REQUIRE(fd >= 0, "open read-write");
  CHECK(lseek(fd, 6, SEEK_SET) == 6, "seek");
  CHECK(read(fd, buf, 5) == 5 && memcmp(buf, "world", 5) == 0, "read after seek");
  CHECK(lseek(fd, 0, SEEK_CUR) == 11, "tell");
  CHECK(lseek(fd, -3, SEEK_END) == 8, "seek from the end");
  CHECK(pwrite(fd, "W", 1, 6) == 1, "pwrite");
  CHECK(pread(fd, buf, 5, 6) == 5 && memcmp(buf, "World", 5) == 0, "pread");
  CHECK(lseek(fd, 0, SEEK_CUR) == 8, "pread/pwrite keep the offset");
  CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 11, "fstat");
  close(fd);

  fd = open(guest_at("a.txt"), O_WRONLY | O_APPEND);
  REQUIRE(fd >= 0, "open for append");
  CHECK(write(fd, "!", 1) == 1, "append write");
  close(fd);
  CHECK(read_all(guest_at("a.txt"), buf, sizeof buf) == 12 && strcmp(buf, "hello World!") == 0,
        "append lands at the end");

  fd = open(guest_at("a.txt"), O_RDWR);
  REQUIRE(fd >= 0, "reopen");
  CHECK(ftruncate(fd, 5) == 0, "ftruncate");
  CHECK(fstat(fd, &st) == 0 && st.st_size == 5, "size after ftruncate");
  struct timespec times[2] = {{1000000, 0}, {2000000, 0}};
  CHECK(futimens(fd, times) == 0, "futimens");
  close(fd);
  CHECK(stat(guest_at("a.txt"), &st) == 0 && st.st_size == 5 && st.st_mtim.tv_sec == 2000000,
        "stat sees size and mtime");
  CHECK(truncate(guest_at("a.txt"), 3) == 0 && stat(guest_at("a.txt"), &st) == 0 && st.st_size == 3,
        "truncate by path");

  CHECK(rename(guest_at("a.txt"), guest_at("b.txt")) == 0, "rename");
  CHECK(stat(guest_at("a.txt"), &st) != 0 && errno == ENOENT, "old name gone after rename");
  CHECK(read_all(guest_at("b.txt"), buf, sizeof buf) == 3 && strcmp(buf, "hel") == 0,
        "new name has the content");

  CHECK(symlink("b.txt", guest_at("link")) == 0, "symlink");
  ssize_t n = readlink(guest_at("link"), buf, sizeof buf);
  CHECK(n == 5 && memcmp(buf, "b.txt", 5) == 0, "readlink");
  CHECK(lstat(guest_at("link"), &st) == 0 && S_ISLNK(st.st_mode), "lstat sees a symlink");
  CHECK(read_all(guest_at("link"), buf, sizeof buf) == 3 && strcmp(buf, "hel") == 0,
        "open follows an in-sandbox symlink");
  CHECK(unlink(guest_at("link")) == 0 && stat(guest_at("b.txt"), &st) == 0,
        "unlink removes only the link");

  CHECK(mkdir(guest_at("dir"), 0755) == 0, "mkdir");
  CHECK(mkdir(guest_at("dir"), 0755) != 0 && errno == EEXIST, "mkdir twice is EEXIST");
  CHECK(stat(guest_at("dir"), &st) == 0 && S_ISDIR(st.st_mode), "stat a directory");
  const char* names[] = {"x", "y", "zz"};
  char path[1100];
  for (int i = 0; i < 3; ++i) {
    snprintf(path, sizeof path, "dir/%s", names[i]);
    fd = open(guest_at(path), O_CREAT | O_WRONLY, 0644);
    REQUIRE(fd >= 0, "create in subdirectory");
    close(fd);
  }
  DIR* dir = opendir(guest_at("dir"));
  CHECK(dir != NULL, "opendir");
  int seen[3] = {0, 0, 0};
  int others = 0;
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    int known = 0;
    for (int i = 0; i < 3; ++i) {
      if (strcmp(entry->d_name, names[i]) == 0) {
        ++seen[i];
        known = 1;
      }
    }
    if (!known) ++others;
  }
  CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && others == 0,
        "readdir sees exactly the created names");
  rewinddir(dir);
  int count = 0;
  while ((entry = readdir(dir)) != NULL) ++count;
  CHECK(count == 5, "rewinddir lists again");
  closedir(dir);
  CHECK(rmdir(guest_at("dir")) != 0 && errno == ENOTEMPTY, "rmdir of a non-empty directory fails");
  for (int i = 0; i < 3; ++i) {
    snprintf(path, sizeof path, "dir/%s", names[i]);
    REQUIRE(unlink(guest_at(path)) == 0, "unlink in subdirectory");
  }
  CHECK(rmdir(guest_at("dir")) == 0, "rmdir");
  CHECK(stat(guest_at("dir"), &st) != 0 && errno == ENOENT, "directory gone after rmdir");

  // A larger file, written and read back in chunks.
  static unsigned char big[100000];
  static unsigned char back[100000];
  for (size_t i = 0; i < sizeof big; ++i) big[i] = (unsigned char)(i * 131);
  fd = open(guest_at("big.bin"), O_CREAT | O_RDWR | O_TRUNC, 0644);
  REQUIRE(fd >= 0, "create big file");
  CHECK(write(fd, big, sizeof big) == (ssize_t)sizeof big, "write 100000 bytes");
  CHECK(lseek(fd, 0, SEEK_SET) == 0, "rewind big file");
  size_t got = 0;
  while (got < sizeof back) {
    ssize_t r = read(fd, back + got, 4096);
    if (r <= 0) break;
    got += (size_t)r;
  }
  CHECK(got == sizeof big && memcmp(big, back, sizeof big) == 0, "read 100000 bytes back");
  close(fd);

  CHECK(unlink(guest_at("b.txt")) == 0 && unlink(guest_at("big.bin")) == 0, "unlink");
  CHECK(open(guest_at("b.txt"), O_RDONLY) < 0 && errno == ENOENT, "unlinked file is gone");
  return 0;
}
