// Wasi::Impl's fd_* functions: vectored I/O straight into guest memory, seeking, fd flags,
// filestat, preopen names, fd_readdir and the fd table operations.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "wasi/wasi_impl.h"

namespace nnwasm::wasi {
namespace {

constexpr uint64_t kMaxOffset = static_cast<uint64_t>(INT64_MAX);

// The host whence for a guest's: preview1 numbers set/cur/end 0/1/2, preview0 cur/end/set.
bool host_whence(uint32_t whence, Abi abi, int* out) noexcept {
  static constexpr int kPreview1[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  static constexpr int kPreview0[] = {SEEK_CUR, SEEK_END, SEEK_SET};
  static_assert(kWhenceSet == 0 && kWhenceCur == 1 && kWhenceEnd == 2);
  static_assert(preview0::kWhenceCur == 0 && preview0::kWhenceEnd == 1 &&
                preview0::kWhenceSet == 2);
  if (whence > 2) return false;
  *out = (abi == Abi::kPreview0 ? kPreview0 : kPreview1)[whence];
  return true;
}

template <class T>
void put(uint8_t* base, uint32_t offset, T value) noexcept {
  std::memcpy(base + offset, &value, sizeof value);
}

Filetype filetype_of_dirent(DIR* dir, const struct dirent& d) noexcept {
  switch (d.d_type) {
    case DT_REG:
      return Filetype::kRegularFile;
    case DT_DIR:
      return Filetype::kDirectory;
    case DT_LNK:
      return Filetype::kSymbolicLink;
    case DT_CHR:
      return Filetype::kCharacterDevice;
    case DT_BLK:
      return Filetype::kBlockDevice;
    case DT_SOCK:
      return Filetype::kSocketStream;
    case DT_FIFO:
      return Filetype::kUnknown;
    default:
      break;
  }
  struct stat st;
  if (::fstatat(::dirfd(dir), d.d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return Filetype::kUnknown;
  return filetype_of(st.st_mode, -1);
}

// Runs a vectored read or write (`io` returns ssize_t) over the guest iovecs, storing the byte
// count at `count_out`.
template <class Io>
Errno vectored(GuestMemory& memory, std::vector<struct iovec>& scratch, uint32_t iovs,
               uint32_t iovs_len, uint32_t count_out, Io io) {
  if (!memory.contains(count_out, sizeof(uint32_t))) return Errno::kFault;
  Errno e = gather_iovecs(memory, iovs, iovs_len, &scratch);
  if (e != Errno::kSuccess) return e;
  ssize_t n;
  do {
    n = io(scratch.data(), static_cast<int>(scratch.size()));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return last_host_errno();
  // Linux moves at most 0x7ffff000 bytes per call, so the count fits.
  return memory.write(count_out, static_cast<uint32_t>(n)) ? Errno::kSuccess : Errno::kFault;
}

}  // namespace

int32_t Wasi::Impl::fd_read(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                            uint32_t nread_out) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdRead, &e); err != Errno::kSuccess) return ret(err);
  const int host = e->host_fd();
  return ret(vectored(call.memory(), iov_scratch, iovs, iovs_len, nread_out,
                      [host](const struct iovec* v, int n) { return ::readv(host, v, n); }));
}

int32_t Wasi::Impl::fd_write(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                             uint32_t nwritten_out) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdWrite, &e); err != Errno::kSuccess) return ret(err);
  const int host = e->host_fd();
  return ret(vectored(call.memory(), iov_scratch, iovs, iovs_len, nwritten_out,
                      [host](const struct iovec* v, int n) { return ::writev(host, v, n); }));
}

int32_t Wasi::Impl::fd_pread(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                             uint64_t offset, uint32_t nread_out) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdRead | rights::kFdSeek, &e); err != Errno::kSuccess)
    return ret(err);
  if (offset > kMaxOffset) return ret(Errno::kInval);
  const int host = e->host_fd();
  const off_t at = static_cast<off_t>(offset);
  return ret(
      vectored(call.memory(), iov_scratch, iovs, iovs_len, nread_out,
               [host, at](const struct iovec* v, int n) { return ::preadv(host, v, n, at); }));
}

int32_t Wasi::Impl::fd_pwrite(HostCall& call, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                              uint64_t offset, uint32_t nwritten_out) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdWrite | rights::kFdSeek, &e); err != Errno::kSuccess)
    return ret(err);
  if (offset > kMaxOffset) return ret(Errno::kInval);
  const int host = e->host_fd();
  const off_t at = static_cast<off_t>(offset);
  return ret(
      vectored(call.memory(), iov_scratch, iovs, iovs_len, nwritten_out,
               [host, at](const struct iovec* v, int n) { return ::pwritev(host, v, n, at); }));
}

int32_t Wasi::Impl::fd_seek(HostCall& call, uint32_t fd, int64_t offset, uint32_t whence,
                            uint32_t newoffset_out) {
  int host;
  if (!host_whence(whence, Abi::kPreview1, &host)) return ret(Errno::kInval);
  return ret(seek(call, fd, offset, host, newoffset_out));
}

int32_t Wasi::Impl::fd_seek_preview0(HostCall& call, uint32_t fd, int64_t offset, uint32_t whence,
                                     uint32_t newoffset_out) {
  int host;
  if (!host_whence(whence, Abi::kPreview0, &host)) return ret(Errno::kInval);
  return ret(seek(call, fd, offset, host, newoffset_out));
}

Errno Wasi::Impl::seek(HostCall& call, uint32_t fd, int64_t offset, int origin,
                       uint32_t newoffset_out) {
  // Reading the offset (SEEK_CUR by 0) needs fd_tell or fd_seek; moving it needs fd_seek.
  const bool tell_only = offset == 0 && origin == SEEK_CUR;
  FdEntry* e;
  if (Errno err = lookup(fd, 0, &e); err != Errno::kSuccess) return err;
  if (!e->has(rights::kFdSeek) && !(tell_only && e->has(rights::kFdTell))) {
    return Errno::kNotcapable;
  }
  if (!call.memory().contains(newoffset_out, sizeof(uint64_t))) return Errno::kFault;
  off_t result = ::lseek(e->host_fd(), offset, origin);
  if (result < 0) return last_host_errno();
  (void)call.memory().write(newoffset_out, static_cast<uint64_t>(result));
  return Errno::kSuccess;
}

int32_t Wasi::Impl::fd_tell(HostCall& call, uint32_t fd, uint32_t offset_out) {
  return ret(seek(call, fd, 0, SEEK_CUR, offset_out));
}

int32_t Wasi::Impl::fd_advise(HostCall&, uint32_t fd, uint64_t offset, uint64_t len,
                              uint32_t advice) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdAdvise, &e); err != Errno::kSuccess) return ret(err);
  int host_advice;
  switch (advice) {
    case kAdviceNormal:
      host_advice = POSIX_FADV_NORMAL;
      break;
    case kAdviceSequential:
      host_advice = POSIX_FADV_SEQUENTIAL;
      break;
    case kAdviceRandom:
      host_advice = POSIX_FADV_RANDOM;
      break;
    case kAdviceWillneed:
      host_advice = POSIX_FADV_WILLNEED;
      break;
    case kAdviceDontneed:
      host_advice = POSIX_FADV_DONTNEED;
      break;
    case kAdviceNoreuse:
      host_advice = POSIX_FADV_NOREUSE;
      break;
    default:
      return ret(Errno::kInval);
  }
  if (offset > kMaxOffset || len > kMaxOffset) return ret(Errno::kInval);
  int err = ::posix_fadvise(e->host_fd(), static_cast<off_t>(offset), static_cast<off_t>(len),
                            host_advice);
  return ret(errno_from_host(err));
}

int32_t Wasi::Impl::fd_allocate(HostCall&, uint32_t fd, uint64_t offset, uint64_t len) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdAllocate, &e); err != Errno::kSuccess) return ret(err);
  if (offset > kMaxOffset || len > kMaxOffset - offset) return ret(Errno::kFbig);
  if (len == 0) return ret(Errno::kInval);
  int err = ::posix_fallocate(e->host_fd(), static_cast<off_t>(offset), static_cast<off_t>(len));
  return ret(errno_from_host(err));
}

int32_t Wasi::Impl::fd_close(HostCall&, uint32_t fd) {
  return ret(fds.close(fd));
}

int32_t Wasi::Impl::fd_renumber(HostCall&, uint32_t fd, uint32_t to) {
  return ret(fds.renumber(fd, to));
}

int32_t Wasi::Impl::fd_datasync(HostCall&, uint32_t fd) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdDatasync, &e); err != Errno::kSuccess) return ret(err);
  return ret(::fdatasync(e->host_fd()) == 0 ? Errno::kSuccess : last_host_errno());
}

int32_t Wasi::Impl::fd_sync(HostCall&, uint32_t fd) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdSync, &e); err != Errno::kSuccess) return ret(err);
  return ret(::fsync(e->host_fd()) == 0 ? Errno::kSuccess : last_host_errno());
}

int32_t Wasi::Impl::fd_fdstat_get(HostCall& call, uint32_t fd, uint32_t out) {
  FdEntry* e;
  if (Errno err = lookup(fd, 0, &e); err != Errno::kSuccess) return ret(err);
  struct stat st;
  if (::fstat(e->host_fd(), &st) != 0) return ret(last_host_errno());
  int status = ::fcntl(e->host_fd(), F_GETFL);
  if (status < 0) return ret(last_host_errno());
  uint16_t flags = 0;
  if (status & O_APPEND) flags |= fdflags::kAppend;
  if (status & O_NONBLOCK) flags |= fdflags::kNonblock;
  if ((status & O_SYNC) == O_SYNC) {
    flags |= fdflags::kSync;
  } else if (status & O_DSYNC) {
    flags |= fdflags::kDsync;
  }
  uint8_t bytes[layout::kFdstatSize] = {};
  put<uint8_t>(bytes, layout::kFdstatFiletype,
               static_cast<uint8_t>(filetype_of(st.st_mode, e->host_fd())));
  put<uint16_t>(bytes, layout::kFdstatFlags, flags);
  put<uint64_t>(bytes, layout::kFdstatRightsBase, e->rights().base);
  put<uint64_t>(bytes, layout::kFdstatRightsInheriting, e->rights().inheriting);
  return ret(call.memory().write_bytes(out, bytes, sizeof bytes) ? Errno::kSuccess : Errno::kFault);
}

int32_t Wasi::Impl::fd_fdstat_set_flags(HostCall&, uint32_t fd, uint32_t flags) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdFdstatSetFlags, &e); err != Errno::kSuccess)
    return ret(err);
  if ((flags & ~uint32_t{fdflags::kAll}) != 0) return ret(Errno::kInval);
  int status = ::fcntl(e->host_fd(), F_GETFL);
  if (status < 0) return ret(last_host_errno());
  // Linux cannot change the sync modes of an open file; accept them only when unchanged.
  uint32_t current_sync = 0;
  if ((status & O_SYNC) == O_SYNC) {
    current_sync = fdflags::kSync;
  } else if (status & O_DSYNC) {
    current_sync = fdflags::kDsync;
  }
  uint32_t wanted_sync = flags & (fdflags::kDsync | fdflags::kSync | fdflags::kRsync);
  if (wanted_sync & fdflags::kRsync)
    wanted_sync = (wanted_sync & ~fdflags::kRsync) | fdflags::kSync;
  if (wanted_sync & fdflags::kSync) wanted_sync = fdflags::kSync;
  if (wanted_sync != current_sync) return ret(Errno::kNotsup);
  int updated = status & ~(O_APPEND | O_NONBLOCK);
  if (flags & fdflags::kAppend) updated |= O_APPEND;
  if (flags & fdflags::kNonblock) updated |= O_NONBLOCK;
  if (updated != status && ::fcntl(e->host_fd(), F_SETFL, updated) != 0) {
    return ret(last_host_errno());
  }
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::fd_fdstat_set_rights(HostCall&, uint32_t fd, uint64_t base,
                                         uint64_t inheriting) {
  FdEntry* e;
  if (Errno err = lookup(fd, 0, &e); err != Errno::kSuccess) return ret(err);
  return ret(e->narrow_rights({base, inheriting}));
}

Errno Wasi::Impl::fd_filestat(HostCall& call, uint32_t fd, uint32_t out, Abi abi) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdFilestatGet, &e); err != Errno::kSuccess) return err;
  struct stat st;
  if (::fstat(e->host_fd(), &st) != 0) return last_host_errno();
  return write_filestat(call.memory(), out, st, e->host_fd(), abi);
}

int32_t Wasi::Impl::fd_filestat_set_size(HostCall&, uint32_t fd, uint64_t size) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdFilestatSetSize, &e); err != Errno::kSuccess)
    return ret(err);
  if (size > kMaxOffset) return ret(Errno::kFbig);
  int r;
  do {
    r = ::ftruncate(e->host_fd(), static_cast<off_t>(size));
  } while (r != 0 && errno == EINTR);
  return ret(r == 0 ? Errno::kSuccess : last_host_errno());
}

int32_t Wasi::Impl::fd_filestat_set_times(HostCall&, uint32_t fd, uint64_t atim, uint64_t mtim,
                                          uint32_t fst_flags) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdFilestatSetTimes, &e); err != Errno::kSuccess)
    return ret(err);
  struct timespec times[2];
  Errno err = times_from_fstflags(atim, mtim, fst_flags, times);
  if (err != Errno::kSuccess) return ret(err);
  if (::futimens(e->host_fd(), times) == 0) return ret(Errno::kSuccess);
  if (errno != EBADF) return ret(last_host_errno());
  // An O_PATH fd (a directory opened without read access).
  if (::utimensat(e->host_fd(), "", times, AT_EMPTY_PATH) == 0) return ret(Errno::kSuccess);
  return ret(last_host_errno());
}

int32_t Wasi::Impl::fd_prestat_get(HostCall& call, uint32_t fd, uint32_t out) {
  FdEntry* e = entry(fd);
  if (e == nullptr || !e->is_preopen()) return ret(Errno::kBadf);
  uint8_t bytes[layout::kPrestatSize] = {};
  put<uint8_t>(bytes, layout::kPrestatTag, kPreopenDir);
  put<uint32_t>(bytes, layout::kPrestatNameLen, static_cast<uint32_t>(e->preopen_name().size()));
  return ret(call.memory().write_bytes(out, bytes, sizeof bytes) ? Errno::kSuccess : Errno::kFault);
}

int32_t Wasi::Impl::fd_prestat_dir_name(HostCall& call, uint32_t fd, uint32_t path,
                                        uint32_t path_len) {
  FdEntry* e = entry(fd);
  if (e == nullptr || !e->is_preopen()) return ret(Errno::kBadf);
  const std::string& name = e->preopen_name();
  if (path_len < name.size()) return ret(Errno::kNametoolong);
  return ret(call.memory().write_bytes(path, name.data(), name.size()) ? Errno::kSuccess
                                                                       : Errno::kFault);
}

int32_t Wasi::Impl::fd_readdir(HostCall& call, uint32_t fd, uint32_t buf, uint32_t buf_len,
                               uint64_t cookie, uint32_t bufused_out) {
  FdEntry* e;
  if (Errno err = lookup(fd, rights::kFdReaddir, &e); err != Errno::kSuccess) return ret(err);
  GuestMemory& memory = call.memory();
  auto out = memory.slice(buf, buf_len);
  if (!out || !memory.contains(bufused_out, sizeof(uint32_t))) return ret(Errno::kFault);
  DIR* dir = nullptr;
  Errno err = e->dir_stream_at(cookie, &dir);
  if (err != Errno::kSuccess) return ret(err);
  // Entries are packed until the buffer is full; the last one may be cut short, which tells
  // wasi-libc to come back (with that entry's cookie) using a bigger buffer.
  size_t used = 0;
  while (used < out->size()) {
    errno = 0;
    struct dirent* d = ::readdir(dir);
    if (d == nullptr) {
      if (errno != 0) return ret(last_host_errno());
      break;
    }
    e->set_dir_cookie(static_cast<uint64_t>(d->d_off));
    const size_t name_len = std::strlen(d->d_name);
    uint8_t header[layout::kDirentSize] = {};
    put<uint64_t>(header, layout::kDirentNext, static_cast<uint64_t>(d->d_off));
    put<uint64_t>(header, layout::kDirentIno, static_cast<uint64_t>(d->d_ino));
    put<uint32_t>(header, layout::kDirentNamlen, static_cast<uint32_t>(name_len));
    put<uint8_t>(header, layout::kDirentType, static_cast<uint8_t>(filetype_of_dirent(dir, *d)));
    size_t n = std::min(sizeof header, out->size() - used);
    std::memcpy(out->data() + used, header, n);
    used += n;
    n = std::min(name_len, out->size() - used);
    std::memcpy(out->data() + used, d->d_name, n);
    used += n;
  }
  (void)memory.write(bufused_out, static_cast<uint32_t>(used));
  return ret(Errno::kSuccess);
}

}  // namespace nnwasm::wasi
