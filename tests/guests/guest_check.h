// Self-checking helpers for the WASI test guests: one "ok: <what>" line per passed check on
// stdout; the first failure prints "FAIL: <what>: <detail>" to stderr and exits with status 1.
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void guest_fail(const char* what, const char* detail) {
  fflush(stdout);
  fprintf(stderr, "FAIL: %s: %s\n", what, detail);
  exit(1);
}

static inline void guest_ok(const char* what) {
  printf("ok: %s\n", what);
  fflush(stdout);
}

// Passes when `cond` holds; otherwise fails with the condition text and the current errno.
#define CHECK(cond, what)                                                                    \
  do {                                                                                       \
    errno = 0;                                                                               \
    if (cond) {                                                                              \
      guest_ok(what);                                                                        \
    } else {                                                                                 \
      char detail_[256];                                                                     \
      snprintf(detail_, sizeof detail_, "%s (errno %d: %s)", #cond, errno, strerror(errno)); \
      guest_fail(what, detail_);                                                             \
    }                                                                                        \
  } while (0)

// Like CHECK but silent on success (for setup steps).
#define REQUIRE(cond, what)                                                                  \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      char detail_[256];                                                                     \
      snprintf(detail_, sizeof detail_, "%s (errno %d: %s)", #cond, errno, strerror(errno)); \
      guest_fail(what, detail_);                                                             \
    }                                                                                        \
  } while (0)

// Paths inside the directory the harness passes as argv[1] (set guest_base first). Returns one
// of four rotating buffers, so up to four results can be used at once.
static char guest_base[512];

static inline const char* guest_at(const char* name) {
  static char paths[4][1024];
  static int next = 0;
  char* path = paths[next++ % 4];
  snprintf(path, sizeof paths[0], "%s/%s", guest_base, name);
  return path;
}
