// Wasi::Impl: the state of one guest's WASI (config, fd table, sandbox) and one member function
// per wasi_snapshot_preview1 import; defined across wasi*.cc. Also shared marshalling helpers.
#pragma once

#include <sys/stat.h>
#include <sys/uio.h>

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/guest_memory.h"
#include "engine/host_function.h"
#include "wasi/fd_table.h"
#include "wasi/path_resolver.h"
#include "wasi/wasi.h"
#include "wasi/wasi_types.h"

static_assert(std::endian::native == std::endian::little, "guest structs are copied as-is");

namespace nnwasm::wasi {

using engine::GuestMemory;
using engine::HostCall;

inline int32_t ret(Errno e) noexcept {
  return static_cast<int32_t>(e);
}

// Most iovecs one fd_read/fd_write/... call may pass (Linux's IOV_MAX).
inline constexpr uint32_t kMaxIovecs = 1024;
// Longest guest path accepted by path_* functions.
inline constexpr uint32_t kMaxPathLength = 65536;

// Validates the guest iovec array at `iovs` (`count` entries) and every buffer it names, then
// fills `out` with host iovecs pointing straight into guest memory. kFault on any bad range,
// kInval when `count` exceeds kMaxIovecs.
Errno gather_iovecs(const GuestMemory& memory, uint32_t iovs, uint32_t count,
                    std::vector<struct iovec>* out);

// Copies the guest string [ptr, ptr + len) into `out` (kFault when out of bounds).
Errno read_guest_string(const GuestMemory& memory, uint32_t ptr, uint32_t len, std::string* out);

// The WASI filetype of a host file (`fd` is only used to tell datagram sockets apart).
Filetype filetype_of(mode_t mode, int fd) noexcept;

// Writes a __wasi_filestat_t for `st` at `out` in `abi`'s layout (`fd`, when known, tells
// socket kinds apart).
Errno write_filestat(GuestMemory& memory, uint32_t out, const struct stat& st, int fd,
                     Abi abi) noexcept;

// Converts fd/path_filestat_set_times arguments to utimensat(2) times.
Errno times_from_fstflags(uint64_t atim, uint64_t mtim, uint32_t fst_flags,
                          struct timespec times[2]) noexcept;

// The rights that apply to the host fd's kind of file (rights::kDirectory, kRegularFile, ...).
uint64_t applicable_rights(int host_fd) noexcept;

struct Wasi::Impl {
  explicit Impl(WasiConfig config);

  // The entry behind a guest fd (nullptr when not open).
  FdEntry* entry(uint32_t fd) const noexcept { return fds.get(fd); }
  // The entry behind `fd` when it holds every right in `required`: kBadf when not open,
  // kNotcapable when a right is missing.
  Errno lookup(uint32_t fd, uint64_t required, FdEntry** out) const noexcept {
    FdEntry* e = fds.get(fd);
    if (e == nullptr) return Errno::kBadf;
    if (!e->has(required)) return Errno::kNotcapable;
    *out = e;
    return Errno::kSuccess;
  }
  // Like lookup, for the sock_* calls: kNotsock when `fd` is open but not a socket.
  Errno socket_lookup(uint32_t fd, uint64_t required, FdEntry** out) const noexcept;

  WasiConfig config;
  FdTable fds;
  PathResolver resolver;
  std::vector<struct iovec> iov_scratch;  // reused by the vectored I/O calls

  // wasi_misc.cc: args, environ, clocks, random, process, scheduling, sockets.
  int32_t args_get(HostCall& call, uint32_t argv, uint32_t argv_buf);
  int32_t args_sizes_get(HostCall& call, uint32_t argc_out, uint32_t buf_size_out);
  int32_t environ_get(HostCall& call, uint32_t environ, uint32_t environ_buf);
  int32_t environ_sizes_get(HostCall& call, uint32_t count_out, uint32_t buf_size_out);
  int32_t clock_res_get(HostCall& call, uint32_t clock_id, uint32_t out);
  int32_t clock_time_get(HostCall& call, uint32_t clock_id, uint64_t precision, uint32_t out);
  int32_t random_get(HostCall& call, uint32_t buf, uint32_t len);
  void proc_exit(HostCall& call, uint32_t code);
  int32_t proc_raise(HostCall& call, uint32_t signal);
  int32_t sched_yield(HostCall& call);
  int32_t sock_accept(HostCall& call, uint32_t fd, uint32_t flags, uint32_t fd_out);
  int32_t sock_recv(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                    uint32_t ri_flags, uint32_t datalen_out, uint32_t roflags_out);
  int32_t sock_send(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                    uint32_t si_flags, uint32_t datalen_out);
  int32_t sock_shutdown(HostCall& call, uint32_t fd, uint32_t how);

  // wasi_poll.cc
  int32_t poll_oneoff(HostCall& call, uint32_t in, uint32_t out, uint32_t nsubscriptions,
                      uint32_t nevents_out) {
    return ret(poll(call, in, out, nsubscriptions, nevents_out, Abi::kPreview1));
  }

  // wasi_unstable (preview0) where it differs from preview1; every other preview0 import is
  // the preview1 function itself.
  int32_t fd_seek_preview0(HostCall& call, uint32_t fd, int64_t offset, uint32_t whence,
                           uint32_t newoffset_out);
  int32_t fd_filestat_get_preview0(HostCall& call, uint32_t fd, uint32_t out) {
    return ret(fd_filestat(call, fd, out, Abi::kPreview0));
  }
  int32_t path_filestat_get_preview0(HostCall& call, uint32_t fd, uint32_t flags, uint32_t path,
                                     uint32_t path_len, uint32_t out) {
    return ret(path_filestat(call, fd, flags, path, path_len, out, Abi::kPreview0));
  }
  int32_t poll_oneoff_preview0(HostCall& call, uint32_t in, uint32_t out, uint32_t nsubscriptions,
                               uint32_t nevents_out) {
    return ret(poll(call, in, out, nsubscriptions, nevents_out, Abi::kPreview0));
  }

  // wasi_fd.cc: operations on open fds.
  int32_t fd_advise(HostCall& call, uint32_t fd, uint64_t offset, uint64_t len, uint32_t advice);
  int32_t fd_allocate(HostCall& call, uint32_t fd, uint64_t offset, uint64_t len);
  int32_t fd_close(HostCall& call, uint32_t fd);
  int32_t fd_datasync(HostCall& call, uint32_t fd);
  int32_t fd_fdstat_get(HostCall& call, uint32_t fd, uint32_t out);
  int32_t fd_fdstat_set_flags(HostCall& call, uint32_t fd, uint32_t flags);
  int32_t fd_fdstat_set_rights(HostCall& call, uint32_t fd, uint64_t base, uint64_t inheriting);
  int32_t fd_filestat_get(HostCall& call, uint32_t fd, uint32_t out) {
    return ret(fd_filestat(call, fd, out, Abi::kPreview1));
  }
  int32_t fd_filestat_set_size(HostCall& call, uint32_t fd, uint64_t size);
  int32_t fd_filestat_set_times(HostCall& call, uint32_t fd, uint64_t atim, uint64_t mtim,
                                uint32_t fst_flags);
  int32_t fd_pread(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint64_t offset,
                   uint32_t nread_out);
  int32_t fd_prestat_get(HostCall& call, uint32_t fd, uint32_t out);
  int32_t fd_prestat_dir_name(HostCall& call, uint32_t fd, uint32_t path, uint32_t path_len);
  int32_t fd_pwrite(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint64_t offset,
                    uint32_t nwritten_out);
  int32_t fd_read(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                  uint32_t nread_out);
  int32_t fd_readdir(HostCall& call, uint32_t fd, uint32_t buf, uint32_t buf_len, uint64_t cookie,
                     uint32_t bufused_out);
  int32_t fd_renumber(HostCall& call, uint32_t fd, uint32_t to);
  int32_t fd_seek(HostCall& call, uint32_t fd, int64_t offset, uint32_t whence,
                  uint32_t newoffset_out);
  int32_t fd_sync(HostCall& call, uint32_t fd);
  int32_t fd_tell(HostCall& call, uint32_t fd, uint32_t offset_out);
  int32_t fd_write(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                   uint32_t nwritten_out);

  // wasi_path.cc: operations on paths, all resolved through `resolver`.
  int32_t path_create_directory(HostCall& call, uint32_t fd, uint32_t path, uint32_t path_len);
  int32_t path_filestat_get(HostCall& call, uint32_t fd, uint32_t flags, uint32_t path,
                            uint32_t path_len, uint32_t out) {
    return ret(path_filestat(call, fd, flags, path, path_len, out, Abi::kPreview1));
  }
  int32_t path_filestat_set_times(HostCall& call, uint32_t fd, uint32_t flags, uint32_t path,
                                  uint32_t path_len, uint64_t atim, uint64_t mtim,
                                  uint32_t fst_flags);
  int32_t path_link(HostCall& call, uint32_t old_fd, uint32_t old_flags, uint32_t old_path,
                    uint32_t old_path_len, uint32_t new_fd, uint32_t new_path,
                    uint32_t new_path_len);
  int32_t path_open(HostCall& call, uint32_t fd, uint32_t dirflags, uint32_t path,
                    uint32_t path_len, uint32_t oflags, uint64_t rights_base,
                    uint64_t rights_inheriting, uint32_t fdflags, uint32_t fd_out);
  int32_t path_readlink(HostCall& call, uint32_t fd, uint32_t path, uint32_t path_len, uint32_t buf,
                        uint32_t buf_len, uint32_t bufused_out);
  int32_t path_remove_directory(HostCall& call, uint32_t fd, uint32_t path, uint32_t path_len);
  int32_t path_rename(HostCall& call, uint32_t fd, uint32_t old_path, uint32_t old_path_len,
                      uint32_t new_fd, uint32_t new_path, uint32_t new_path_len);
  int32_t path_symlink(HostCall& call, uint32_t old_path, uint32_t old_path_len, uint32_t fd,
                       uint32_t new_path, uint32_t new_path_len);
  int32_t path_unlink_file(HostCall& call, uint32_t fd, uint32_t path, uint32_t path_len);

 private:
  // The bodies shared by both ABIs (wasi_fd.cc, wasi_path.cc, wasi_poll.cc).
  Errno fd_filestat(HostCall& call, uint32_t fd, uint32_t out, Abi abi);
  Errno path_filestat(HostCall& call, uint32_t fd, uint32_t flags, uint32_t path, uint32_t path_len,
                      uint32_t out, Abi abi);
  Errno poll(HostCall& call, uint32_t in, uint32_t out, uint32_t nsubscriptions,
             uint32_t nevents_out, Abi abi);
  // fd_seek and fd_tell: `origin` is SEEK_SET, SEEK_CUR or SEEK_END.
  Errno seek(HostCall& call, uint32_t fd, int64_t offset, int origin, uint32_t newoffset_out);
  // Reads the guest path and opens its parent beneath directory fd `fd`, which must hold the
  // rights in `required` (wasi_path.cc).
  Errno parent_of(HostCall& call, uint32_t fd, uint64_t required, uint32_t path, uint32_t path_len,
                  Errno dotdot_error, ParentDir* out);
  // Reads the guest path and checks `fd` is open with the rights in `required`; `dir` gets it.
  Errno guest_path(HostCall& call, uint32_t fd, uint64_t required, uint32_t path, uint32_t path_len,
                   FdEntry** dir, std::string* out);
};

}  // namespace nnwasm::wasi
