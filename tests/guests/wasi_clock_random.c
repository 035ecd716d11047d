// Guest: clocks (realtime plausible, monotonic never going back, resolutions sane) and
// randomness (getentropy and random_get fill buffers, two draws differ).
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "guest_check.h"

static int64_t ns(const struct timespec* ts) {
  return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int all_zero(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return 0;
  }
  return 1;
}

int main(void) {
  struct timespec ts;
  CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0, "clock_gettime(CLOCK_REALTIME)");
  CHECK(ts.tv_sec > 1577836800 && ts.tv_sec < 4102444800, "realtime is after 2020 and before 2100");

  struct timespec prev;
  REQUIRE(clock_gettime(CLOCK_MONOTONIC, &prev) == 0, "clock_gettime(CLOCK_MONOTONIC)");
  int64_t first = ns(&prev);
  int backwards = 0;
  for (int i = 0; i < 10000; ++i) {
    struct timespec now;
    REQUIRE(clock_gettime(CLOCK_MONOTONIC, &now) == 0, "clock_gettime(CLOCK_MONOTONIC)");
    if (ns(&now) < ns(&prev)) ++backwards;
    prev = now;
  }
  CHECK(backwards == 0, "monotonic clock never goes backwards");
  CHECK(ns(&prev) >= first && first > 0, "monotonic clock is positive and advancing");

  struct timespec res;
  CHECK(clock_getres(CLOCK_REALTIME, &res) == 0 && ns(&res) > 0 && ns(&res) <= 1000000000,
        "clock_getres(CLOCK_REALTIME)");
  CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns(&res) > 0 && ns(&res) <= 1000000000,
        "clock_getres(CLOCK_MONOTONIC)");
  __wasi_timestamp_t t = 0;
  CHECK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) == 0 && t > 0, "raw clock_time_get");
  CHECK(__wasi_clock_time_get(99, 1, &t) == __WASI_ERRNO_INVAL, "unknown clock id is EINVAL");

  unsigned char a[64];
  unsigned char b[64];
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  CHECK(getentropy(a, sizeof a) == 0 && !all_zero(a, sizeof a), "getentropy fills the buffer");
  CHECK(getentropy(b, sizeof b) == 0 && memcmp(a, b, sizeof a) != 0, "two draws differ");
  static unsigned char big[100000];
  CHECK(__wasi_random_get(big, sizeof big) == 0 && !all_zero(big + sizeof big - 64, 64),
        "random_get fills a large buffer to the end");
  return 0;
}
