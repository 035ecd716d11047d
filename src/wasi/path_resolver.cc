// PathResolver: openat2(RESOLVE_BENEATH) resolution and the manual component walk used when
// the kernel lacks openat2 (or NNWASM_WASI_NO_OPENAT2=1).

#include "wasi/path_resolver.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

namespace nnwasm::wasi {
namespace {

constexpr int kMaxRetries = 32;  // openat2 EAGAIN retries (a concurrent rename raced us)

bool env_disables_openat2() {
  const char* value = std::getenv("NNWASM_WASI_NO_OPENAT2");
  return value != nullptr && value[0] != '\0' && std::strcmp(value, "0") != 0;
}

// Splits `path` at '/' into `out`, dropping empty and "." components; returns whether `path`
// ends in '/' (or "/." or "." ), i.e. whether its last element must be a directory.
bool split_components(std::string_view path, std::deque<std::string>* out, bool at_front) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = slash + 1;
  }
  bool dir_suffix = !path.empty() && (path.back() == '/' || path == "." || path.ends_with("/."));
  if (at_front) {
    out->insert(out->begin(), parts.begin(), parts.end());
  } else {
    out->insert(out->end(), parts.begin(), parts.end());
  }
  return dir_suffix;
}

// Reads the target of the symlink `name` in `dirfd`.
Errno read_link(int dirfd, const std::string& name, std::string* target) {
  std::string buffer(256, '\0');
  while (true) {
    ssize_t n = ::readlinkat(dirfd, name.c_str(), buffer.data(), buffer.size());
    if (n < 0) return last_host_errno();
    if (static_cast<size_t>(n) < buffer.size()) {
      buffer.resize(static_cast<size_t>(n));
      *target = std::move(buffer);
      return Errno::kSuccess;
    }
    if (buffer.size() >= 65536) return Errno::kNametoolong;
    buffer.resize(buffer.size() * 2);
  }
}

// One manual resolution: a stack of directory fds from the start directory downwards, and the
// components still to walk. `..` pops the stack and may never pop the start directory.
class ManualWalk {
 public:
  ManualWalk(int root, std::string_view path) : root_(root) {
    must_be_dir_ = split_components(path, &pending_, false);
  }

  Errno run(int flags, mode_t mode, bool follow_final, UniqueFd* out) {
    while (true) {
      if (pending_.empty()) {
        // The path named the directory we stand in ("." or "a/..").
        int fd = ::openat(current(), ".", flags | O_CLOEXEC, mode);
        if (fd < 0) return last_host_errno();
        out->reset(fd);
        return Errno::kSuccess;
      }
      std::string component = std::move(pending_.front());
      pending_.pop_front();
      if (component == "..") {
        if (stack_.empty()) return Errno::kNotcapable;
        stack_.pop_back();
        continue;
      }
      if (!pending_.empty()) {
        Errno e = descend(component);
        if (e != Errno::kSuccess) return e;
        continue;
      }
      // The last component.
      const bool follow = follow_final || must_be_dir_;
      if (must_be_dir_ && (flags & O_CREAT) != 0) {
        // open("name/", O_CREAT): Linux reports EISDIR unless a symlink leads on.
        struct stat st;
        if (::fstatat(current(), component.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
          return errno == ENOENT ? Errno::kIsdir : last_host_errno();
        }
        if (!S_ISLNK(st.st_mode)) return Errno::kIsdir;
        Errno e = expand(component);
        if (e != Errno::kSuccess) return e;
        continue;
      }
      int open_flags = flags | O_NOFOLLOW | O_CLOEXEC;
      if (must_be_dir_) open_flags |= O_DIRECTORY;
      int fd = ::openat(current(), component.c_str(), open_flags, mode);
      if (fd >= 0) {
        UniqueFd opened(fd);
        if ((flags & O_PATH) != 0 && follow) {
          struct stat st;
          if (::fstat(fd, &st) != 0) return last_host_errno();
          if (S_ISLNK(st.st_mode)) {
            Errno e = expand(component);
            if (e != Errno::kSuccess) return e;
            continue;
          }
        }
        *out = std::move(opened);
        return Errno::kSuccess;
      }
      const int err = errno;
      const bool exclusive = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
      if ((err == ELOOP || err == ENOTDIR || err == EMLINK) && !exclusive) {
        struct stat st;
        if (::fstatat(current(), component.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode)) {
          if (!follow) return Errno::kLoop;
          Errno e = expand(component);
          if (e != Errno::kSuccess) return e;
          continue;
        }
      }
      return errno_from_host(err);
    }
  }

 private:
  int current() const { return stack_.empty() ? root_ : stack_.back().get(); }

  // Steps into the intermediate component `name`, expanding it when it is a symlink.
  Errno descend(const std::string& name) {
    int fd = ::openat(current(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return last_host_errno();
    UniqueFd next(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) return last_host_errno();
    if (S_ISLNK(st.st_mode)) return expand(name);
    if (!S_ISDIR(st.st_mode)) return Errno::kNotdir;
    stack_.push_back(std::move(next));
    return Errno::kSuccess;
  }

  // Replaces the symlink `name` (in the current directory) by its target's components.
  Errno expand(const std::string& name) {
    if (++hops_ > PathResolver::kMaxSymlinkHops) return Errno::kLoop;
    std::string target;
    Errno e = read_link(current(), name, &target);
    if (e != Errno::kSuccess) return e;
    if (target.empty()) return Errno::kNoent;
    if (target.front() == '/') return Errno::kNotcapable;
    const bool was_last = pending_.empty();
    bool dir_suffix = split_components(target, &pending_, true);
    if (was_last && dir_suffix) must_be_dir_ = true;
    return Errno::kSuccess;
  }

  int root_;
  std::vector<UniqueFd> stack_;
  std::deque<std::string> pending_;
  bool must_be_dir_ = false;
  int hops_ = 0;
};

}  // namespace

Errno check_guest_path(std::string_view path) noexcept {
  if (path.empty()) return Errno::kNoent;
  if (path.find('\0') != std::string_view::npos) return Errno::kInval;
  if (path.front() == '/') return Errno::kNotcapable;
  return Errno::kSuccess;
}

PathResolver::PathResolver(Mode mode) {
  bool openat2 = mode == Mode::kOpenat2 || (mode == Mode::kAuto && !env_disables_openat2());
  use_openat2_.store(openat2, std::memory_order_relaxed);
}

Errno PathResolver::open(int dirfd, std::string_view path, int flags, mode_t mode,
                         bool follow_final, UniqueFd* out) const {
  Errno e = check_guest_path(path);
  if (e != Errno::kSuccess) return e;
  if ((flags & O_CREAT) == 0 && (flags & O_TMPFILE) != O_TMPFILE) mode = 0;
  if (uses_openat2()) {
    int openat2_flags = flags | O_CLOEXEC | (follow_final ? 0 : O_NOFOLLOW);
    e = open_openat2(dirfd, std::string(path), openat2_flags, mode, out);
    if (e != Errno::kNosys) return e;
    use_openat2_.store(false, std::memory_order_relaxed);
  }
  return open_manual(dirfd, path, flags, mode, follow_final, out);
}

Errno PathResolver::open_openat2(int dirfd, const std::string& path, int flags, mode_t mode,
                                 UniqueFd* out) const {
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(static_cast<unsigned>(flags));
  how.mode = mode;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) {
      out->reset(static_cast<int>(fd));
      return Errno::kSuccess;
    }
    if (errno == EINTR || (errno == EAGAIN && attempt < kMaxRetries)) continue;
    if (errno == EXDEV) return Errno::kNotcapable;  // the walk tried to leave `dirfd`
    return last_host_errno();
  }
}

Errno PathResolver::open_manual(int dirfd, std::string_view path, int flags, mode_t mode,
                                bool follow_final, UniqueFd* out) const {
  ManualWalk walk(dirfd, path);
  return walk.run(flags, mode, follow_final, out);
}

Errno PathResolver::open_parent(int dirfd, std::string_view path, Errno dotdot_error,
                                ParentDir* out) const {
  Errno e = check_guest_path(path);
  if (e != Errno::kSuccess) return e;
  size_t end = path.size();
  while (end > 0 && path[end - 1] == '/') --end;
  std::string_view body = path.substr(0, end);
  size_t slash = body.rfind('/');
  std::string_view name = slash == std::string_view::npos ? body : body.substr(slash + 1);
  if (name == "..") {
    UniqueFd probe;
    e = open(dirfd, path, O_PATH | O_DIRECTORY, 0, true, &probe);
    return e != Errno::kSuccess ? e : dotdot_error;
  }
  std::string_view dir = slash == std::string_view::npos ? "." : body.substr(0, slash + 1);
  ParentDir result;
  e = open(dirfd, dir, O_PATH | O_DIRECTORY, 0, true, &result.dir);
  if (e != Errno::kSuccess) return e;
  result.name = std::string(name);
  result.trailing_slash = end < path.size();
  *out = std::move(result);
  return Errno::kSuccess;
}

}  // namespace nnwasm::wasi
