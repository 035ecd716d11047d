// Wasi::Impl::poll_oneoff: clock subscriptions (relative and absolute) and fd read/write
// readiness, waited for with ppoll(2).

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "wasi/wasi_impl.h"

namespace nnwasm::wasi {
namespace {

constexpr uint32_t kMaxSubscriptions = 1u << 16;
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

struct Event {
  uint64_t userdata = 0;
  Errno error = Errno::kSuccess;
  uint8_t type = 0;
  uint64_t nbytes = 0;
  uint16_t flags = 0;
};

// Where a subscription's fields lie (the clock variant differs between the ABIs).
struct SubscriptionLayout {
  uint32_t size;
  uint32_t clock_id;
  uint32_t clock_timeout;
  uint32_t clock_flags;
};
constexpr SubscriptionLayout kPreview1Layout{
    layout::kSubscriptionSize, layout::kSubscriptionClockId, layout::kSubscriptionClockTimeout,
    layout::kSubscriptionClockFlags};
constexpr SubscriptionLayout kPreview0Layout{
    preview0::layout::kSubscriptionSize, preview0::layout::kSubscriptionClockId,
    preview0::layout::kSubscriptionClockTimeout, preview0::layout::kSubscriptionClockFlags};

struct ClockWait {
  uint64_t userdata;
  uint64_t deadline;  // CLOCK_MONOTONIC nanoseconds
};

struct FdWait {
  uint64_t userdata;
  uint8_t type;
  size_t pollfd_index;
};

uint64_t now_ns(clockid_t clock) noexcept {
  struct timespec ts;
  ::clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t saturating_add(uint64_t a, uint64_t b) noexcept {
  return a > kNever - b ? kNever : a + b;
}

template <class T>
T get(const uint8_t* base, uint32_t offset) noexcept {
  T value;
  std::memcpy(&value, base + offset, sizeof value);
  return value;
}

template <class T>
void put(uint8_t* base, uint32_t offset, T value) noexcept {
  std::memcpy(base + offset, &value, sizeof value);
}

// Bytes available to read from a ready fd (0 when unknown).
uint64_t readable_bytes(int fd) noexcept {
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    off_t at = ::lseek(fd, 0, SEEK_CUR);
    return at >= 0 && st.st_size > at ? static_cast<uint64_t>(st.st_size - at) : 0;
  }
  int available = 0;
  if (::ioctl(fd, FIONREAD, &available) == 0 && available > 0) {
    return static_cast<uint64_t>(available);
  }
  return 0;
}

}  // namespace

Errno Wasi::Impl::poll(HostCall& call, uint32_t in, uint32_t out, uint32_t nsubscriptions,
                       uint32_t nevents_out, Abi abi) {
  if (nsubscriptions == 0) return Errno::kInval;
  if (nsubscriptions > kMaxSubscriptions) return Errno::kNotsup;
  const SubscriptionLayout& sl = abi == Abi::kPreview0 ? kPreview0Layout : kPreview1Layout;
  GuestMemory& memory = call.memory();
  auto subs = memory.slice(in, uint64_t{nsubscriptions} * sl.size);
  if (!subs || !memory.contains(out, uint64_t{nsubscriptions} * layout::kEventSize) ||
      !memory.contains(nevents_out, sizeof(uint32_t))) {
    return Errno::kFault;
  }

  std::vector<Event> events;  // ready now (errors included)
  std::vector<ClockWait> clocks;
  std::vector<FdWait> fd_waits;
  std::vector<struct pollfd> pollfds;
  const uint64_t start = now_ns(CLOCK_MONOTONIC);
  for (uint32_t i = 0; i < nsubscriptions; ++i) {
    const uint8_t* sub = subs->data() + size_t{i} * sl.size;
    const uint64_t userdata = get<uint64_t>(sub, layout::kSubscriptionUserdata);
    const uint8_t tag = get<uint8_t>(sub, layout::kSubscriptionTag);
    if (tag == kEventClock) {
      const uint32_t id = get<uint32_t>(sub, sl.clock_id);
      const uint64_t timeout = get<uint64_t>(sub, sl.clock_timeout);
      const uint16_t flags = get<uint16_t>(sub, sl.clock_flags);
      uint64_t remaining;
      if (id == kClockRealtime || id == kClockMonotonic) {
        if (flags & kSubclockAbstime) {
          const uint64_t now = now_ns(id == kClockRealtime ? CLOCK_REALTIME : CLOCK_MONOTONIC);
          remaining = timeout > now ? timeout - now : 0;
        } else {
          remaining = timeout;
        }
        clocks.push_back({userdata, saturating_add(start, remaining)});
      } else {
        Errno error = (id == kClockProcessCputime || id == kClockThreadCputime) ? Errno::kNotsup
                                                                                : Errno::kInval;
        events.push_back({userdata, error, kEventClock, 0, 0});
      }
    } else if (tag == kEventFdRead || tag == kEventFdWrite) {
      const uint32_t fd = get<uint32_t>(sub, layout::kSubscriptionFd);
      // Subscribing needs poll_fd_readwrite plus the right to do what is waited for.
      const uint64_t needed =
          rights::kPollFdReadwrite | (tag == kEventFdRead ? rights::kFdRead : rights::kFdWrite);
      FdEntry* e;
      if (Errno err = lookup(fd, needed, &e); err != Errno::kSuccess) {
        events.push_back({userdata, err, tag, 0, 0});
        continue;
      }
      short wanted = tag == kEventFdRead ? POLLIN : POLLOUT;
      fd_waits.push_back({userdata, tag, pollfds.size()});
      pollfds.push_back({e->host_fd(), wanted, 0});
    } else {
      return Errno::kInval;
    }
  }

  while (true) {
    const uint64_t now = now_ns(CLOCK_MONOTONIC);
    uint64_t wait = kNever;
    if (!events.empty()) wait = 0;
    for (const ClockWait& c : clocks)
      wait = std::min(wait, c.deadline > now ? c.deadline - now : 0);
    struct timespec timeout;
    timeout.tv_sec = static_cast<time_t>(std::min<uint64_t>(wait / 1000000000ull, INT32_MAX));
    timeout.tv_nsec = static_cast<long>(wait % 1000000000ull);
    int ready =
        ::ppoll(pollfds.data(), pollfds.size(), wait == kNever ? nullptr : &timeout, nullptr);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return last_host_errno();
    }
    for (const FdWait& w : fd_waits) {
      const struct pollfd& p = pollfds[w.pollfd_index];
      if (p.revents == 0) continue;
      Event event{w.userdata, Errno::kSuccess, w.type, 0, 0};
      if (p.revents & POLLNVAL) {
        event.error = Errno::kBadf;
      } else if ((p.revents & POLLERR) && !(p.revents & (POLLIN | POLLOUT))) {
        event.error = w.type == kEventFdWrite ? Errno::kPipe : Errno::kIo;
      } else {
        if (p.revents & POLLHUP) event.flags |= kEventFdReadwriteHangup;
        if (w.type == kEventFdRead) event.nbytes = readable_bytes(p.fd);
      }
      events.push_back(event);
    }
    const uint64_t after = now_ns(CLOCK_MONOTONIC);
    for (const ClockWait& c : clocks) {
      if (c.deadline <= after) events.push_back({c.userdata, Errno::kSuccess, kEventClock, 0, 0});
    }
    if (!events.empty()) break;
    // Woken early (timer slack, spurious wakeup): wait for the rest.
  }

  uint32_t count = 0;
  for (const Event& event : events) {
    uint8_t bytes[layout::kEventSize] = {};
    put<uint64_t>(bytes, layout::kEventUserdata, event.userdata);
    put<uint16_t>(bytes, layout::kEventError, static_cast<uint16_t>(event.error));
    put<uint8_t>(bytes, layout::kEventType, event.type);
    put<uint64_t>(bytes, layout::kEventNbytes, event.nbytes);
    put<uint16_t>(bytes, layout::kEventFlags, event.flags);
    (void)memory.write_bytes(out + count * layout::kEventSize, bytes, sizeof bytes);
    ++count;
  }
  (void)memory.write(nevents_out, count);
  return Errno::kSuccess;
}

}  // namespace nnwasm::wasi
