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
