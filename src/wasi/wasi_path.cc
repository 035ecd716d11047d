// Wasi::Impl's path_* functions. Every guest path goes through the PathResolver, so each host
// call acts beneath the directory fd it names; operations on a name act on it through its
// parent directory fd (never following a final symlink unless asked to, and then safely).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "wasi/wasi_impl.h"

namespace nnwasm::wasi {
namespace {

// The name ended in '/': like Linux, the operation needs an existing directory there
// (kNoent when nothing is there, kNotdir when something else is).
Errno require_directory(const ParentDir& parent) noexcept {
  if (!parent.trailing_slash) return Errno::kSuccess;
  struct stat st;
  if (::fstatat(parent.dir.get(), parent.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return last_host_errno();
  }
  return S_ISDIR(st.st_mode) ? Errno::kSuccess : Errno::kNotdir;
}

// A new name given with a trailing '/' (link, symlink): kExist when taken, else kNoent.
Errno reject_new_name_with_slash(const ParentDir& parent) noexcept {
  if (!parent.trailing_slash) return Errno::kSuccess;
  struct stat st;
  if (::fstatat(parent.dir.get(), parent.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    return Errno::kExist;
  }
  return Errno::kNoent;
}

// The /proc path of an fd, for the calls that cannot act on an O_PATH fd directly.
std::string proc_fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace

Errno Wasi::Impl::guest_path(HostCall& call, uint32_t fd, uint64_t required, uint32_t path,
                             uint32_t path_len, FdEntry** dir, std::string* out) {
  Errno err = lookup(fd, required, dir);
  if (err == Errno::kNotcapable) {
    // A file has no path rights at all: say what POSIX says for openat() on one.
    struct stat st;
    if (::fstat(fds.get(fd)->host_fd(), &st) == 0 && !S_ISDIR(st.st_mode)) return Errno::kNotdir;
  }
  if (err != Errno::kSuccess) return err;
  if (path_len > kMaxPathLength) return Errno::kNametoolong;
  return read_guest_string(call.memory(), path, path_len, out);
}

Errno Wasi::Impl::parent_of(HostCall& call, uint32_t fd, uint64_t required, uint32_t path,
                            uint32_t path_len, Errno dotdot_error, ParentDir* out) {
  FdEntry* dir;
  std::string guest;
  Errno err = guest_path(call, fd, required, path, path_len, &dir, &guest);
  if (err != Errno::kSuccess) return err;
  return resolver.open_parent(dir->host_fd(), guest, dotdot_error, out);
}

int32_t Wasi::Impl::path_open(HostCall& call, uint32_t fd, uint32_t dirflags, uint32_t path,
                              uint32_t path_len, uint32_t oflags_in, uint64_t rights_base,
                              uint64_t rights_inheriting, uint32_t fdflags_in, uint32_t fd_out) {
  // Creating a file needs path_create_file on the directory, truncating one
  // path_filestat_set_size (the new fd's own rights do not matter for either).
  uint64_t required = rights::kPathOpen;
  if (oflags_in & oflags::kCreat) required |= rights::kPathCreateFile;
  if (oflags_in & oflags::kTrunc) required |= rights::kPathFilestatSetSize;
  FdEntry* dir;
  std::string guest;
  Errno err = guest_path(call, fd, required, path, path_len, &dir, &guest);
  if (err != Errno::kSuccess) return ret(err);
  if (!call.memory().contains(fd_out, sizeof(uint32_t))) return ret(Errno::kFault);
  if ((oflags_in & ~uint32_t{oflags::kAll}) != 0) return ret(Errno::kInval);
  if ((fdflags_in & ~uint32_t{fdflags::kAll}) != 0) return ret(Errno::kInval);

  int flags = 0;
  if (oflags_in & oflags::kCreat) flags |= O_CREAT;
  if (oflags_in & oflags::kDirectory) flags |= O_DIRECTORY;
  if (oflags_in & oflags::kExcl) flags |= O_EXCL;
  if (oflags_in & oflags::kTrunc) flags |= O_TRUNC;
  if (fdflags_in & fdflags::kAppend) flags |= O_APPEND;
  if (fdflags_in & fdflags::kDsync) flags |= O_DSYNC;
  if (fdflags_in & fdflags::kNonblock) flags |= O_NONBLOCK;
  if (fdflags_in & fdflags::kRsync) flags |= O_RSYNC;
  if (fdflags_in & fdflags::kSync) flags |= O_SYNC;
  // The new fd gets what was asked for, as far as the directory passes it on. Rights are
  // capabilities, not an open mode: the host access mode follows the granted rights (as
  // wasi-libc derives them from O_ACCMODE), so a directory asked for with fd_write is EISDIR
  // as on Linux, while one asked for with a directory's own rights opens read-only.
  Rights granted{rights_base & dir->rights().inheriting,
                 rights_inheriting & dir->rights().inheriting};
  const bool read = (granted.base & rights::kReadAccess) != 0;
  const bool write = (granted.base & rights::kWriteAccess) != 0;
  int access = O_RDONLY;
  if (read && write) {
    access = O_RDWR;
  } else if (write) {
    access = O_WRONLY;
  }
  const bool follow = (dirflags & kLookupSymlinkFollow) != 0;

  UniqueFd opened;
  const bool path_only =
      (granted.base & rights::kNeedsOpenFile) == 0 && (flags & (O_CREAT | O_TRUNC)) == 0;
  if (path_only) {
    // Only stat, set times or (for a directory) path operations: a path-only fd will do. Such
    // an fd can name a symlink itself; path_open without symlink_follow must still be ELOOP.
    err = resolver.open(dir->host_fd(), guest, O_PATH | (flags & O_DIRECTORY), 0, follow, &opened);
    struct stat st;
    if (err == Errno::kSuccess && !follow && ::fstat(opened.get(), &st) == 0 &&
        S_ISLNK(st.st_mode)) {
      err = Errno::kLoop;
    }
  } else {
    err = resolver.open(dir->host_fd(), guest, flags | access, 0666, follow, &opened);
  }
  if (err == Errno::kAcces && !path_only && !read && !write && (flags & (O_CREAT | O_TRUNC)) == 0) {
    // Seek/sync rights without read or write on a file we may not read: path-only it is.
    err = resolver.open(dir->host_fd(), guest, O_PATH | (flags & O_DIRECTORY), 0, follow, &opened);
  }
  if (err != Errno::kSuccess) return ret(err);
  // Rights that do not apply to what was opened are dropped (spec: "fewer rights ... if and
  // only if those rights do not apply to the type of file being opened").
  granted.base &= applicable_rights(opened.get());
  auto entry = std::make_unique<FdEntry>(opened.get(), true, granted);
  opened.release();
  uint32_t guest_fd;
  err = fds.insert(std::move(entry), &guest_fd);
  if (err != Errno::kSuccess) return ret(err);
  (void)call.memory().write(fd_out, guest_fd);
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::path_create_directory(HostCall& call, uint32_t fd, uint32_t path,
                                          uint32_t path_len) {
  ParentDir parent;
  Errno err =
      parent_of(call, fd, rights::kPathCreateDirectory, path, path_len, Errno::kExist, &parent);
  if (err != Errno::kSuccess) return ret(err);
  if (::mkdirat(parent.dir.get(), parent.name.c_str(), 0777) != 0) return ret(last_host_errno());
  return ret(Errno::kSuccess);
}

Errno Wasi::Impl::path_filestat(HostCall& call, uint32_t fd, uint32_t flags, uint32_t path,
                                uint32_t path_len, uint32_t out, Abi abi) {
  FdEntry* dir;
  std::string guest;
  Errno err = guest_path(call, fd, rights::kPathFilestatGet, path, path_len, &dir, &guest);
  if (err != Errno::kSuccess) return err;
  if (!call.memory().contains(out, filestat_size(abi))) return Errno::kFault;
  UniqueFd target;
  err =
      resolver.open(dir->host_fd(), guest, O_PATH, 0, (flags & kLookupSymlinkFollow) != 0, &target);
  if (err != Errno::kSuccess) return err;
  struct stat st;
  if (::fstat(target.get(), &st) != 0) return last_host_errno();
  return write_filestat(call.memory(), out, st, -1, abi);
}

int32_t Wasi::Impl::path_filestat_set_times(HostCall& call, uint32_t fd, uint32_t flags,
                                            uint32_t path, uint32_t path_len, uint64_t atim,
                                            uint64_t mtim, uint32_t fst_flags) {
  struct timespec times[2];
  Errno err = times_from_fstflags(atim, mtim, fst_flags, times);
  if (err != Errno::kSuccess) return ret(err);
  FdEntry* dir;
  std::string guest;
  err = guest_path(call, fd, rights::kPathFilestatSetTimes, path, path_len, &dir, &guest);
  if (err != Errno::kSuccess) return ret(err);
  const bool follow = (flags & kLookupSymlinkFollow) != 0;
  UniqueFd target;
  err = resolver.open(dir->host_fd(), guest, O_PATH, 0, follow, &target);
  if (err != Errno::kSuccess) return ret(err);
  int at_flags = AT_EMPTY_PATH | (follow ? 0 : AT_SYMLINK_NOFOLLOW);
  if (::utimensat(target.get(), "", times, at_flags) == 0) return ret(Errno::kSuccess);
  if (errno != EINVAL && errno != ENOENT) return ret(last_host_errno());
  // Kernels before 5.8 lack AT_EMPTY_PATH here; go through /proc (not for a symlink itself).
  struct stat st;
  if (::fstat(target.get(), &st) != 0) return ret(last_host_errno());
  if (S_ISLNK(st.st_mode)) return ret(Errno::kNotsup);
  if (::utimensat(AT_FDCWD, proc_fd_path(target.get()).c_str(), times, 0) != 0) {
    return ret(last_host_errno());
  }
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::path_link(HostCall& call, uint32_t old_fd, uint32_t old_flags,
                              uint32_t old_path, uint32_t old_path_len, uint32_t new_fd,
                              uint32_t new_path, uint32_t new_path_len) {
  ParentDir to;
  Errno err =
      parent_of(call, new_fd, rights::kPathLinkTarget, new_path, new_path_len, Errno::kExist, &to);
  if (err != Errno::kSuccess) return ret(err);
  err = reject_new_name_with_slash(to);
  if (err != Errno::kSuccess) return ret(err);

  if ((old_flags & kLookupSymlinkFollow) == 0) {
    ParentDir from;
    err = parent_of(call, old_fd, rights::kPathLinkSource, old_path, old_path_len, Errno::kPerm,
                    &from);
    if (err != Errno::kSuccess) return ret(err);
    err = require_directory(from);
    if (err != Errno::kSuccess) return ret(err);
    if (::linkat(from.dir.get(), from.name.c_str(), to.dir.get(), to.name.c_str(), 0) != 0) {
      return ret(last_host_errno());
    }
    return ret(Errno::kSuccess);
  }
  // Follow symlinks in the source: resolve it (confined) and link the file that fd names.
  FdEntry* from_dir;
  std::string guest;
  err =
      guest_path(call, old_fd, rights::kPathLinkSource, old_path, old_path_len, &from_dir, &guest);
  if (err != Errno::kSuccess) return ret(err);
  UniqueFd source;
  err = resolver.open(from_dir->host_fd(), guest, O_PATH, 0, true, &source);
  if (err != Errno::kSuccess) return ret(err);
  if (::linkat(source.get(), "", to.dir.get(), to.name.c_str(), AT_EMPTY_PATH) == 0) {
    return ret(Errno::kSuccess);
  }
  if (errno != ENOENT && errno != EPERM && errno != EINVAL) return ret(last_host_errno());
  // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc magic link names the same file.
  if (::linkat(AT_FDCWD, proc_fd_path(source.get()).c_str(), to.dir.get(), to.name.c_str(),
               AT_SYMLINK_FOLLOW) != 0) {
    return ret(last_host_errno());
  }
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::path_readlink(HostCall& call, uint32_t fd, uint32_t path, uint32_t path_len,
                                  uint32_t buf, uint32_t buf_len, uint32_t bufused_out) {
  ParentDir parent;
  Errno err = parent_of(call, fd, rights::kPathReadlink, path, path_len, Errno::kInval, &parent);
  if (err != Errno::kSuccess) return ret(err);
  GuestMemory& memory = call.memory();
  auto out = memory.slice(buf, buf_len);
  if (!out || !memory.contains(bufused_out, sizeof(uint32_t))) return ret(Errno::kFault);
  err = require_directory(parent);
  if (err != Errno::kSuccess) return ret(err);
  char target[4096];  // PATH_MAX: Linux symlink targets are shorter
  ssize_t n = ::readlinkat(parent.dir.get(), parent.name.c_str(), target, sizeof target);
  if (n < 0) return ret(last_host_errno());
  // Like readlink(2), a short buffer gets the start of the target.
  size_t used = std::min(static_cast<size_t>(n), out->size());
  std::copy_n(target, used, out->data());
  (void)memory.write(bufused_out, static_cast<uint32_t>(used));
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::path_remove_directory(HostCall& call, uint32_t fd, uint32_t path,
                                          uint32_t path_len) {
  ParentDir parent;
  Errno err =
      parent_of(call, fd, rights::kPathRemoveDirectory, path, path_len, Errno::kNotempty, &parent);
  if (err != Errno::kSuccess) return ret(err);
  if (::unlinkat(parent.dir.get(), parent.name.c_str(), AT_REMOVEDIR) != 0) {
    return ret(last_host_errno());
  }
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::path_rename(HostCall& call, uint32_t fd, uint32_t old_path,
                                uint32_t old_path_len, uint32_t new_fd, uint32_t new_path,
                                uint32_t new_path_len) {
  ParentDir from;
  Errno err =
      parent_of(call, fd, rights::kPathRenameSource, old_path, old_path_len, Errno::kBusy, &from);
  if (err != Errno::kSuccess) return ret(err);
  ParentDir to;
  err =
      parent_of(call, new_fd, rights::kPathRenameTarget, new_path, new_path_len, Errno::kBusy, &to);
  if (err != Errno::kSuccess) return ret(err);
  if (from.trailing_slash || to.trailing_slash) {
    // Either name ending in '/' means the source must be a directory.
    from.trailing_slash = true;
    err = require_directory(from);
    if (err != Errno::kSuccess) return ret(err);
  }
  if (::renameat(from.dir.get(), from.name.c_str(), to.dir.get(), to.name.c_str()) != 0) {
    return ret(last_host_errno());
  }
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::path_symlink(HostCall& call, uint32_t old_path, uint32_t old_path_len,
                                 uint32_t fd, uint32_t new_path, uint32_t new_path_len) {
  // A relative target is stored as given: it is resolving through the link later that stays
  // confined. An absolute one could never resolve inside the sandbox, so it is refused.
  if (old_path_len > kMaxPathLength) return ret(Errno::kNametoolong);
  std::string target;
  Errno err = read_guest_string(call.memory(), old_path, old_path_len, &target);
  if (err != Errno::kSuccess) return ret(err);
  if (target.find('\0') != std::string::npos) return ret(Errno::kInval);
  if (target.empty()) return ret(Errno::kNoent);
  if (target.front() == '/') return ret(Errno::kNotcapable);
  ParentDir parent;
  err = parent_of(call, fd, rights::kPathSymlink, new_path, new_path_len, Errno::kExist, &parent);
  if (err != Errno::kSuccess) return ret(err);
  err = reject_new_name_with_slash(parent);
  if (err != Errno::kSuccess) return ret(err);
  if (::symlinkat(target.c_str(), parent.dir.get(), parent.name.c_str()) != 0) {
    return ret(last_host_errno());
  }
  return ret(Errno::kSuccess);
}

int32_t Wasi::Impl::path_unlink_file(HostCall& call, uint32_t fd, uint32_t path,
                                     uint32_t path_len) {
  ParentDir parent;
  Errno err = parent_of(call, fd, rights::kPathUnlinkFile, path, path_len, Errno::kIsdir, &parent);
  if (err != Errno::kSuccess) return ret(err);
  if (parent.trailing_slash) {
    err = require_directory(parent);
    return ret(err == Errno::kSuccess ? Errno::kIsdir : err);
  }
  if (::unlinkat(parent.dir.get(), parent.name.c_str(), 0) != 0) return ret(last_host_errno());
  return ret(Errno::kSuccess);
}

}  // namespace nnwasm::wasi
