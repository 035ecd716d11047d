// PathResolver: the WASI sandbox. Opens guest paths beneath a directory fd so that no `..`,
// absolute path or symlink (chain) can reach a host file outside that directory.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "wasi/unique_fd.h"
#include "wasi/wasi_types.h"

namespace nnwasm::wasi {

// The directory holding a path's last component, for the *at(2) calls that act on a name.
struct ParentDir {
  UniqueFd dir;                 // O_PATH | O_DIRECTORY, beneath the starting directory
  std::string name;             // the last component: no '/', never "..", may be "."
  bool trailing_slash = false;  // the guest path ended in '/' (stripped from `name`)
};

class PathResolver {
 public:
  enum class Mode : uint8_t {
    kAuto,     // openat2(RESOLVE_BENEATH), or the manual walk when NNWASM_WASI_NO_OPENAT2=1
    kOpenat2,  // openat2(RESOLVE_BENEATH), ignoring the environment
    kManual,   // component-by-component walk with openat(O_NOFOLLOW) and readlinkat
  };
  // In every mode a kernel without openat2 (ENOSYS) switches the resolver to the manual walk.
  explicit PathResolver(Mode mode = Mode::kAuto);

  // True while the resolver uses openat2 (false in manual mode or after ENOSYS).
  bool uses_openat2() const noexcept { return use_openat2_.load(std::memory_order_relaxed); }

  // Opens `path` relative to `dirfd` with open(2) `flags` (O_CLOEXEC is added) and `mode`
  // (used with O_CREAT). Every step stays beneath `dirfd`: an absolute path, a `..` above it
  // or a symlink leading out gives kNotcapable. Without `follow_final` a final symlink is not
  // followed (kLoop, or the link itself with O_PATH); a trailing '/' always follows it.
  Errno open(int dirfd, std::string_view path, int flags, mode_t mode, bool follow_final,
             UniqueFd* out) const;

  // Opens the parent directory of `path`'s last component beneath `dirfd` (following
  // symlinks inside) and returns it with that component; trailing slashes are stripped.
  // A last component of ".." gives kNotcapable when the path leaves `dirfd`, `dotdot_error`
  // otherwise (what the caller's operation would report on an existing directory).
  Errno open_parent(int dirfd, std::string_view path, Errno dotdot_error, ParentDir* out) const;

  static constexpr int kMaxSymlinkHops = 40;

 private:
  Errno open_openat2(int dirfd, const std::string& path, int flags, mode_t mode,
                     UniqueFd* out) const;
  Errno open_manual(int dirfd, std::string_view path, int flags, mode_t mode, bool follow_final,
                    UniqueFd* out) const;

  mutable std::atomic<bool> use_openat2_{true};
};

// Checks a guest path before resolution: kNoent when empty, kInval with an embedded NUL,
// kNotcapable when absolute.
Errno check_guest_path(std::string_view path) noexcept;

}  // namespace nnwasm::wasi
