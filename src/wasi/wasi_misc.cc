// Wasi::Impl's args/environ, clock, random, process, scheduling and socket functions.

#include <sched.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstring>

#include "wasi/wasi_impl.h"

namespace nnwasm::wasi {
namespace {

// Writes `strings` as argv/environ: `ptrs` gets one guest pointer per string, `buf` the
// NUL-terminated strings back to back.
Errno write_string_list(GuestMemory& memory, const std::vector<std::string>& strings, uint32_t ptrs,
                        uint32_t buf) {
  uint64_t total = 0;
  for (const std::string& s : strings) total += s.size() + 1;
  if (!memory.contains(ptrs, uint64_t{strings.size()} * 4) || !memory.contains(buf, total)) {
    return Errno::kFault;
  }
  uint32_t at = buf;
  for (size_t i = 0; i < strings.size(); ++i) {
    const std::string& s = strings[i];
    (void)memory.write(ptrs + static_cast<uint32_t>(i * 4), at);
    (void)memory.write_bytes(at, s.c_str(), s.size() + 1);
    at += static_cast<uint32_t>(s.size() + 1);
  }
  return Errno::kSuccess;
}

Errno write_list_sizes(GuestMemory& memory, const std::vector<std::string>& strings,
                       uint32_t count_out, uint32_t size_out) {
  uint64_t total = 0;
  for (const std::string& s : strings) total += s.size() + 1;
  if (total > UINT32_MAX) return Errno::kOverflow;
  if (!memory.contains(count_out, 4) || !memory.contains(size_out, 4)) return Errno::kFault;
  (void)memory.write(count_out, static_cast<uint32_t>(strings.size()));
  (void)memory.write(size_out, static_cast<uint32_t>(total));
  return Errno::kSuccess;
}

bool host_clock(uint32_t clock_id, clockid_t* out) noexcept {
  switch (clock_id) {
    case kClockRealtime:
      *out = CLOCK_REALTIME;
      return true;
    case kClockMonotonic:
      *out = CLOCK_MONOTONIC;
      return true;
    case kClockProcessCputime:
      *out = CLOCK_PROCESS_CPUTIME_ID;
      return true;
    case kClockThreadCputime:
      *out = CLOCK_THREAD_CPUTIME_ID;
      return true;
    default:
      return false;
  }
}

uint64_t to_ns(const struct timespec& ts) noexcept {
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

int32_t Wasi::Impl::args_get(HostCall& call, uint32_t argv, uint32_t argv_buf) {
  return ret(write_string_list(call.memory(), config.args, argv, argv_buf));
}

int32_t Wasi::Impl::args_sizes_get(HostCall& call, uint32_t argc_out, uint32_t buf_size_out) {
  return ret(write_list_sizes(call.memory(), config.args, argc_out, buf_size_out));
}

int32_t Wasi::Impl::environ_get(HostCall& call, uint32_t environ, uint32_t environ_buf) {
  return ret(write_string_list(call.memory(), config.env, environ, environ_buf));
}

int32_t Wasi::Impl::environ_sizes_get(HostCall& call, uint32_t count_out, uint32_t buf_size_out) {
  return ret(write_list_sizes(call.memory(), config.env, count_out, buf_size_out));
}

int32_t Wasi::Impl::clock_res_get(HostCall& call, uint32_t clock_id, uint32_t out) {
  clockid_t clock;
  if (!host_clock(clock_id, &clock)) return ret(Errno::kInval);
  struct timespec ts;
  if (::clock_getres(clock, &ts) != 0) return ret(last_host_errno());
  return ret(call.memory().write(out, to_ns(ts)) ? Errno::kSuccess : Errno::kFault);
}

int32_t Wasi::Impl::clock_time_get(HostCall& call, uint32_t clock_id, uint64_t /*precision*/,
                                   uint32_t out) {
  clockid_t clock;
  if (!host_clock(clock_id, &clock)) return ret(Errno::kInval);
  struct timespec ts;
  if (::clock_gettime(clock, &ts) != 0) return ret(last_host_errno());
  return ret(call.memory().write(out, to_ns(ts)) ? Errno::kSuccess : Errno::kFault);
}

int32_t Wasi::Impl::random_get(HostCall& call, uint32_t buf, uint32_t len) {
  auto bytes = call.memory().slice(buf, len);
  if (!bytes) return ret(Errno::kFault);
  size_t filled = 0;
  while (filled < bytes->size()) {
    ssize_t n = ::getrandom(bytes->data() + filled, bytes->size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ret(last_host_errno());
    }
    filled += static_cast<size_t>(n);
  }
  return ret(Errno::kSuccess);
}

void Wasi::Impl::proc_exit(HostCall& call, uint32_t code) {
  call.exit(static_cast<int32_t>(code));
}

int32_t Wasi::Impl::proc_raise(HostCall&, uint32_t) {
  return ret(Errno::kNosys);
}

int32_t Wasi::Impl::sched_yield(HostCall&) {
  ::sched_yield();
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::sock_accept(HostCall& call, uint32_t fd, uint32_t flags, uint32_t fd_out) {
  FdEntry* e;
  if (Errno err = socket_lookup(fd, rights::kSockAccept, &e); err != Errno::kSuccess) {
    return ret(err);
  }
  if ((flags & ~uint32_t{fdflags::kNonblock}) != 0) return ret(Errno::kInval);
  if (!call.memory().contains(fd_out, sizeof(uint32_t))) return ret(Errno::kFault);
  int accept_flags = SOCK_CLOEXEC | ((flags & fdflags::kNonblock) ? SOCK_NONBLOCK : 0);
  int host;
  do {
    host = ::accept4(e->host_fd(), nullptr, nullptr, accept_flags);
  } while (host < 0 && errno == EINTR);
  if (host < 0) return ret(last_host_errno());
  UniqueFd connection(host);
  // A connection gets the socket rights its listener passes on.
  const Rights connection_rights{rights::kSocket & e->rights().inheriting, 0};
  auto accepted = std::make_unique<FdEntry>(connection.get(), true, connection_rights);
  connection.release();
  uint32_t guest_fd;
  Errno err = fds.insert(std::move(accepted), &guest_fd);
  if (err != Errno::kSuccess) return ret(err);  // the entry closes the connection
  (void)call.memory().write(fd_out, guest_fd);
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::sock_recv(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                              uint32_t ri_flags, uint32_t datalen_out, uint32_t roflags_out) {
  FdEntry* e;
  if (Errno err = socket_lookup(fd, rights::kFdRead, &e); err != Errno::kSuccess) {
    return ret(err);
  }
  if ((ri_flags & ~uint32_t{kRiRecvPeek | kRiRecvWaitall}) != 0) return ret(Errno::kInval);
  GuestMemory& memory = call.memory();
  if (!memory.contains(datalen_out, 4) || !memory.contains(roflags_out, 2)) {
    return ret(Errno::kFault);
  }
  Errno err = gather_iovecs(memory, iovs, iovs_len, &iov_scratch);
  if (err != Errno::kSuccess) return ret(err);
  struct msghdr message;
  std::memset(&message, 0, sizeof message);
  message.msg_iov = iov_scratch.data();
  message.msg_iovlen = iov_scratch.size();
  int flags =
      ((ri_flags & kRiRecvPeek) ? MSG_PEEK : 0) | ((ri_flags & kRiRecvWaitall) ? MSG_WAITALL : 0);
  ssize_t n;
  do {
    n = ::recvmsg(e->host_fd(), &message, flags);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ret(last_host_errno());
  uint16_t roflags = (message.msg_flags & MSG_TRUNC) ? kRoRecvDataTruncated : 0;
  (void)memory.write(datalen_out, static_cast<uint32_t>(n));
  (void)memory.write(roflags_out, roflags);
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::sock_send(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                              uint32_t si_flags, uint32_t datalen_out) {
  FdEntry* e;
  if (Errno err = socket_lookup(fd, rights::kFdWrite, &e); err != Errno::kSuccess) {
    return ret(err);
  }
  if (si_flags != 0) return ret(Errno::kInval);  // preview1 defines no siflags
  GuestMemory& memory = call.memory();
  if (!memory.contains(datalen_out, 4)) return ret(Errno::kFault);
  Errno err = gather_iovecs(memory, iovs, iovs_len, &iov_scratch);
  if (err != Errno::kSuccess) return ret(err);
  struct msghdr message;
  std::memset(&message, 0, sizeof message);
  message.msg_iov = iov_scratch.data();
  message.msg_iovlen = iov_scratch.size();
  ssize_t n;
  do {
    n = ::sendmsg(e->host_fd(), &message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ret(last_host_errno());
  (void)memory.write(datalen_out, static_cast<uint32_t>(n));
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::sock_shutdown(HostCall&, uint32_t fd, uint32_t how) {
  FdEntry* e;
  if (Errno err = socket_lookup(fd, rights::kSockShutdown, &e); err != Errno::kSuccess) {
    return ret(err);
  }
  int host_how;
  switch (how) {
    case kSdRd:
      host_how = SHUT_RD;
      break;
    case kSdWr:
      host_how = SHUT_WR;
      break;
    case kSdRd | kSdWr:
      host_how = SHUT_RDWR;
      break;
    default:
      return ret(Errno::kInval);
  }
  return ret(::shutdown(e->host_fd(), host_how) == 0 ? Errno::kSuccess : last_host_errno());
}

}  // namespace nnwasm::wasi
