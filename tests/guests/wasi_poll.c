// Guest: sleeping (nanosleep, raw poll_oneoff with relative and absolute clocks) lasts at least
// as long as asked by the monotonic clock, and poll_oneoff reports stdin (a pipe or /dev/null)
// readable and stdout writable.
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "guest_check.h"

static uint64_t now_ns(void) {
  __wasi_timestamp_t t = 0;
  if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) != 0) guest_fail("clock", "failed");
  return t;
}

static void clock_sub(__wasi_subscription_t* s, uint64_t userdata, __wasi_clockid_t id,
                      uint64_t timeout, __wasi_subclockflags_t flags) {
  memset(s, 0, sizeof *s);
  s->userdata = userdata;
  s->u.tag = __WASI_EVENTTYPE_CLOCK;
  s->u.u.clock.id = id;
  s->u.u.clock.timeout = timeout;
  s->u.u.clock.flags = flags;
}

int main(void) {
  const uint64_t ms = 1000000;
  uint64_t start = now_ns();
  struct timespec req = {0, 50 * 1000000};
  CHECK(nanosleep(&req, NULL) == 0, "nanosleep 50ms returns");
  CHECK(now_ns() - start >= 50 * ms, "nanosleep 50ms lasts at least 50ms");

  __wasi_subscription_t subs[3];
  __wasi_event_t events[3];
  __wasi_size_t n = 0;
  clock_sub(&subs[0], 1234, __WASI_CLOCKID_MONOTONIC, 50 * ms, 0);
  start = now_ns();
  CHECK(__wasi_poll_oneoff(subs, events, 1, &n) == 0, "poll_oneoff on a 50ms clock");
  CHECK(now_ns() - start >= 50 * ms, "relative clock subscription lasts at least 50ms");
  CHECK(n == 1 && events[0].userdata == 1234 && events[0].error == 0 &&
            events[0].type == __WASI_EVENTTYPE_CLOCK,
        "clock event reported with its userdata");

  start = now_ns();
  clock_sub(&subs[0], 5, __WASI_CLOCKID_MONOTONIC, start + 30 * ms,
            __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
  CHECK(__wasi_poll_oneoff(subs, events, 1, &n) == 0 && n == 1 && events[0].userdata == 5,
        "absolute monotonic clock subscription");
  CHECK(now_ns() >= start + 30 * ms, "absolute deadline reached before returning");
  struct timespec deadline;
  REQUIRE(clock_gettime(CLOCK_MONOTONIC, &deadline) == 0, "clock_gettime");
  start = now_ns();
  deadline.tv_nsec += 20 * 1000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_nsec -= 1000000000;
    deadline.tv_sec += 1;
  }
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == 0 &&
            now_ns() - start >= 15 * ms,
        "clock_nanosleep with TIMER_ABSTIME");

  // stdin readiness: the harness gives a pipe with data (or /dev/null, readable at EOF).
  clock_sub(&subs[0], 1, __WASI_CLOCKID_MONOTONIC, 5000 * ms, 0);
  memset(&subs[1], 0, sizeof subs[1]);
  subs[1].userdata = 2;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[1].u.u.fd_read.file_descriptor = 0;
  start = now_ns();
  CHECK(__wasi_poll_oneoff(subs, events, 2, &n) == 0, "poll_oneoff on stdin and a 5s clock");
  int stdin_ready = 0;
  for (__wasi_size_t i = 0; i < n; ++i) {
    if (events[i].userdata == 2 && events[i].type == __WASI_EVENTTYPE_FD_READ &&
        events[i].error == 0) {
      stdin_ready = 1;
    }
  }
  CHECK(stdin_ready && now_ns() - start < 4000 * ms, "stdin reported readable without waiting");

  struct pollfd fds[2] = {{0, POLLIN, 0}, {1, POLLOUT, 0}};
  int ready = poll(fds, 2, 5000);
  CHECK(ready == 2 && (fds[0].revents & (POLLIN | POLLHUP)) && (fds[1].revents & POLLOUT),
        "poll() sees stdin readable and stdout writable");
  char buf[64];
  CHECK(read(0, buf, sizeof buf) >= 0, "stdin can be read after readiness");

  memset(&subs[0], 0, sizeof subs[0]);
  subs[0].userdata = 9;
  subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[0].u.u.fd_read.file_descriptor = 1000;
  CHECK(__wasi_poll_oneoff(subs, events, 1, &n) == 0 && n == 1 &&
            events[0].error == __WASI_ERRNO_BADF,
        "a bad fd is reported as an EBADF event");
  return 0;
}
