// Wasi: setup (stdio and preopened directories), define_imports binding every preview1 function,
// and the marshalling helpers shared by the wasi*.cc files.

#include "wasi/wasi.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

#include "wasi/tcp_listener.h"
#include "wasi/wasi_impl.h"

namespace nnwasm::wasi {
namespace {

constexpr std::string_view kPreview1 = "wasi_snapshot_preview1";
constexpr std::string_view kPreview0 = "wasi_unstable";

// WASI's answer to a host function that threw (the engine's guest boundary catches it): an
// errno, ENOMEM for bad_alloc and EIO otherwise; the guest goes on.
uint32_t wasi_errno_on_failure(void*, const std::string&, const char*, bool out_of_memory) {
  return static_cast<uint32_t>(ret(out_of_memory ? Errno::kNomem : Errno::kIo));
}

template <auto Method, class C>
engine::HostFunction bind_wasi(std::string_view module, std::string_view name, C* self) {
  return engine::bind_method<Method>(module, name, self, &wasi_errno_on_failure);
}

}  // namespace

Wasi::Impl::Impl(WasiConfig config_in) : config(std::move(config_in)) {
  iov_scratch.reserve(kMaxIovecs);
  const int stdio[3] = {config.stdin_fd, config.stdout_fd, config.stderr_fd};
  for (uint32_t i = 0; i < 3; ++i) {
    if (stdio[i] < 0) continue;
    const Rights stdio_rights{i == 0 ? rights::kStdin : rights::kStdout, 0};
    fds.insert_at(i, std::make_unique<FdEntry>(stdio[i], false, stdio_rights));
  }
  // A preopen holds every directory right, and passes on every directory and file right.
  constexpr Rights kPreopenRights{rights::kDirectory, rights::kDirectory | rights::kRegularFile};
  uint32_t next = 3;
  for (const Preopen& preopen : config.preopens) {
    int fd = ::open(preopen.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      throw WasiError("cannot open directory '" + preopen.host_path + "' to preopen as '" +
                      preopen.guest_path + "': " + std::strerror(errno));
    }
    auto entry = std::make_unique<FdEntry>(fd, true, kPreopenRights);
    entry->set_preopen(preopen.guest_path);
    if (fds.insert_at(next++, std::move(entry)) != Errno::kSuccess) {
      throw WasiError("too many preopened directories");
    }
  }
  // A listener accepts; the connections it gives hold the socket rights.
  constexpr Rights kListenerRights{rights::kListeningSocket, rights::kSocket};
  for (const std::string& address : config.tcp_listen) {
    std::string error;
    UniqueFd listener = listen_tcp(address, &error);
    if (!listener.valid()) throw WasiError(error);
    auto entry = std::make_unique<FdEntry>(listener.get(), true, kListenerRights);
    listener.release();
    if (fds.insert_at(next++, std::move(entry)) != Errno::kSuccess) {
      throw WasiError("too many preopened sockets");
    }
  }
}

std::vector<std::pair<uint32_t, std::string>> Wasi::listening_sockets() const {
  std::vector<std::pair<uint32_t, std::string>> sockets;
  const uint32_t first = 3 + static_cast<uint32_t>(impl_->config.preopens.size());
  for (uint32_t i = 0; i < impl_->config.tcp_listen.size(); ++i) {
    const FdEntry* e = impl_->entry(first + i);
    if (e != nullptr) sockets.emplace_back(first + i, bound_address(e->host_fd()));
  }
  return sockets;
}

Wasi::Wasi(WasiConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Wasi::~Wasi() = default;

void Wasi::define_imports(engine::Linker& linker) {
  Impl* self = impl_.get();
  // Every function both modules share, bound once per module; preview0 has no sock_accept.
  for (std::string_view module : {kPreview1, kPreview0}) {
#define NNWASM_WASI_BIND(name) linker.define(bind_wasi<&Impl::name>(module, #name, self))
    NNWASM_WASI_BIND(args_get);
    NNWASM_WASI_BIND(args_sizes_get);
    NNWASM_WASI_BIND(environ_get);
    NNWASM_WASI_BIND(environ_sizes_get);
    NNWASM_WASI_BIND(clock_res_get);
    NNWASM_WASI_BIND(clock_time_get);
    NNWASM_WASI_BIND(fd_advise);
    NNWASM_WASI_BIND(fd_allocate);
    NNWASM_WASI_BIND(fd_close);
    NNWASM_WASI_BIND(fd_datasync);
    NNWASM_WASI_BIND(fd_fdstat_get);
    NNWASM_WASI_BIND(fd_fdstat_set_flags);
    NNWASM_WASI_BIND(fd_fdstat_set_rights);
    NNWASM_WASI_BIND(fd_filestat_set_size);
    NNWASM_WASI_BIND(fd_filestat_set_times);
    NNWASM_WASI_BIND(fd_pread);
    NNWASM_WASI_BIND(fd_prestat_get);
    NNWASM_WASI_BIND(fd_prestat_dir_name);
    NNWASM_WASI_BIND(fd_pwrite);
    NNWASM_WASI_BIND(fd_read);
    NNWASM_WASI_BIND(fd_readdir);
    NNWASM_WASI_BIND(fd_renumber);
    NNWASM_WASI_BIND(fd_sync);
    NNWASM_WASI_BIND(fd_tell);
    NNWASM_WASI_BIND(fd_write);
    NNWASM_WASI_BIND(path_create_directory);
    NNWASM_WASI_BIND(path_filestat_set_times);
    NNWASM_WASI_BIND(path_link);
    NNWASM_WASI_BIND(path_open);
    NNWASM_WASI_BIND(path_readlink);
    NNWASM_WASI_BIND(path_remove_directory);
    NNWASM_WASI_BIND(path_rename);
    NNWASM_WASI_BIND(path_symlink);
    NNWASM_WASI_BIND(path_unlink_file);
    NNWASM_WASI_BIND(proc_raise);
    NNWASM_WASI_BIND(sched_yield);
    NNWASM_WASI_BIND(random_get);
    NNWASM_WASI_BIND(sock_recv);
    NNWASM_WASI_BIND(sock_send);
    NNWASM_WASI_BIND(sock_shutdown);
#undef NNWASM_WASI_BIND
    // proc_exit has no result: were it to throw, the guest would trap.
    linker.define(engine::bind_method<&Impl::proc_exit>(module, "proc_exit", self));
  }
#define NNWASM_WASI_BIND_AS(module, name, method) \
  linker.define(bind_wasi<&Impl::method>(module, name, self))
  NNWASM_WASI_BIND_AS(kPreview1, "fd_seek", fd_seek);
  NNWASM_WASI_BIND_AS(kPreview1, "fd_filestat_get", fd_filestat_get);
  NNWASM_WASI_BIND_AS(kPreview1, "path_filestat_get", path_filestat_get);
  NNWASM_WASI_BIND_AS(kPreview1, "poll_oneoff", poll_oneoff);
  NNWASM_WASI_BIND_AS(kPreview1, "sock_accept", sock_accept);
  NNWASM_WASI_BIND_AS(kPreview0, "fd_seek", fd_seek_preview0);
  NNWASM_WASI_BIND_AS(kPreview0, "fd_filestat_get", fd_filestat_get_preview0);
  NNWASM_WASI_BIND_AS(kPreview0, "path_filestat_get", path_filestat_get_preview0);
  NNWASM_WASI_BIND_AS(kPreview0, "poll_oneoff", poll_oneoff_preview0);
#undef NNWASM_WASI_BIND_AS
}

Errno gather_iovecs(const GuestMemory& memory, uint32_t iovs, uint32_t count,
                    std::vector<struct iovec>* out) {
  if (count > kMaxIovecs) return Errno::kInval;
  auto array = memory.slice(iovs, uint64_t{count} * layout::kIovecSize);
  if (!array) return Errno::kFault;
  out->clear();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t buf;
    uint32_t len;
    std::memcpy(&buf, array->data() + i * layout::kIovecSize + layout::kIovecBuf, 4);
    std::memcpy(&len, array->data() + i * layout::kIovecSize + layout::kIovecLen, 4);
    auto bytes = memory.slice(buf, len);
    if (!bytes) return Errno::kFault;
    out->push_back({bytes->data(), bytes->size()});
  }
  return Errno::kSuccess;
}

Errno read_guest_string(const GuestMemory& memory, uint32_t ptr, uint32_t len, std::string* out) {
  auto bytes = memory.slice(ptr, len);
  if (!bytes) return Errno::kFault;
  out->assign(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  return Errno::kSuccess;
}

Filetype filetype_of(mode_t mode, int fd) noexcept {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return Filetype::kRegularFile;
    case S_IFDIR:
      return Filetype::kDirectory;
    case S_IFLNK:
      return Filetype::kSymbolicLink;
    case S_IFCHR:
      return Filetype::kCharacterDevice;
    case S_IFBLK:
      return Filetype::kBlockDevice;
    case S_IFSOCK: {
      int type = 0;
      socklen_t length = sizeof type;
      if (fd >= 0 && ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 &&
          type == SOCK_DGRAM) {
        return Filetype::kSocketDgram;
      }
      return Filetype::kSocketStream;
    }
    default:
      return Filetype::kUnknown;  // FIFOs have no preview1 filetype
  }
}

uint64_t applicable_rights(int host_fd) noexcept {
  struct stat st;
  if (::fstat(host_fd, &st) != 0) return 0;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG:
      return rights::kRegularFile;
    case S_IFDIR:
      return rights::kDirectory;
    case S_IFCHR:
      return ::isatty(host_fd) ? rights::kTty : rights::kOther;
    case S_IFSOCK: {
      int listening = 0;
      socklen_t length = sizeof listening;
      if (::getsockopt(host_fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 &&
          listening != 0) {
        return rights::kListeningSocket;
      }
      return rights::kSocket;
    }
    default:
      return rights::kOther;
  }
}

Errno Wasi::Impl::socket_lookup(uint32_t fd, uint64_t required, FdEntry** out) const noexcept {
  FdEntry* e = fds.get(fd);
  if (e == nullptr) return Errno::kBadf;
  struct stat st;
  if (::fstat(e->host_fd(), &st) != 0) return last_host_errno();
  if (!S_ISSOCK(st.st_mode)) return Errno::kNotsock;
  if (!e->has(required)) return Errno::kNotcapable;
  *out = e;
  return Errno::kSuccess;
}

namespace {

uint64_t nanoseconds(const struct timespec& ts) noexcept {
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

template <class T>
void put(uint8_t* base, uint32_t offset, T value) noexcept {
  std::memcpy(base + offset, &value, sizeof value);
}

}  // namespace

Errno write_filestat(GuestMemory& memory, uint32_t out, const struct stat& st, int fd,
                     Abi abi) noexcept {
  uint8_t bytes[layout::kFilestatSize] = {};
  put<uint64_t>(bytes, layout::kFilestatDev, st.st_dev);
  put<uint64_t>(bytes, layout::kFilestatIno, st.st_ino);
  put<uint8_t>(bytes, layout::kFilestatFiletype, static_cast<uint8_t>(filetype_of(st.st_mode, fd)));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (abi == Abi::kPreview0) {
    namespace v0 = preview0::layout;
    put<uint32_t>(bytes, v0::kFilestatNlink, static_cast<uint32_t>(st.st_nlink));
    put<uint64_t>(bytes, v0::kFilestatSizeField, size);
    put<uint64_t>(bytes, v0::kFilestatAtim, nanoseconds(st.st_atim));
    put<uint64_t>(bytes, v0::kFilestatMtim, nanoseconds(st.st_mtim));
    put<uint64_t>(bytes, v0::kFilestatCtim, nanoseconds(st.st_ctim));
  } else {
    put<uint64_t>(bytes, layout::kFilestatNlink, st.st_nlink);
    put<uint64_t>(bytes, layout::kFilestatSizeField, size);
    put<uint64_t>(bytes, layout::kFilestatAtim, nanoseconds(st.st_atim));
    put<uint64_t>(bytes, layout::kFilestatMtim, nanoseconds(st.st_mtim));
    put<uint64_t>(bytes, layout::kFilestatCtim, nanoseconds(st.st_ctim));
  }
  return memory.write_bytes(out, bytes, filestat_size(abi)) ? Errno::kSuccess : Errno::kFault;
}

Errno times_from_fstflags(uint64_t atim, uint64_t mtim, uint32_t fst_flags,
                          struct timespec times[2]) noexcept {
  if ((fst_flags & ~uint32_t{fstflags::kAll}) != 0) return Errno::kInval;
  if ((fst_flags & fstflags::kAtim) && (fst_flags & fstflags::kAtimNow)) return Errno::kInval;
  if ((fst_flags & fstflags::kMtim) && (fst_flags & fstflags::kMtimNow)) return Errno::kInval;
  auto convert = [](uint64_t ns, bool set, bool now, struct timespec* ts) {
    if (now) {
      ts->tv_sec = 0;
      ts->tv_nsec = UTIME_NOW;
    } else if (set) {
      ts->tv_sec = static_cast<time_t>(ns / 1000000000ull);
      ts->tv_nsec = static_cast<long>(ns % 1000000000ull);
    } else {
      ts->tv_sec = 0;
      ts->tv_nsec = UTIME_OMIT;
    }
  };
  convert(atim, fst_flags & fstflags::kAtim, fst_flags & fstflags::kAtimNow, &times[0]);
  convert(mtim, fst_flags & fstflags::kMtim, fst_flags & fstflags::kMtimNow, &times[1]);
  return Errno::kSuccess;
}

}  // namespace nnwasm::wasi
