// libFuzzer target: the WASI sandbox's path resolver (both the openat2 and the manual walk) on
// any guest path, in a sandbox directory with symlinks pointing inside, outside and in loops.
// Whatever it opens must lie beneath the sandbox; anything else is a crash the fuzzer reports.
//
// Input: one byte choosing the mode, flags and whether a final symlink is followed, then the
// path (no NUL: the ABI passes a length, and the resolver must cope with any byte).
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "wasi/path_resolver.h"

namespace {

namespace fs = std::filesystem;
using nnwasm::wasi::Errno;
using nnwasm::wasi::PathResolver;
using nnwasm::wasi::UniqueFd;

struct Sandbox {
  fs::path root, inside;
  int fd = -1;
};

// /tmp/nnwasm_fuzz_wasi_PID/{outside.txt, box/{a/b/file, up -> .., out -> /etc, loop -> loop,
// abs -> /tmp, in -> a/b, self -> .}}
const Sandbox& sandbox() {
  static const Sandbox box = [] {
    Sandbox s;
    s.root = fs::temp_directory_path() / ("nnwasm_fuzz_wasi_" + std::to_string(getpid()));
    s.inside = s.root / "box";
    fs::create_directories(s.inside / "a" / "b");
    std::FILE* f = std::fopen((s.inside / "a" / "b" / "file").c_str(), "w");
    if (f != nullptr) std::fclose(f);
    f = std::fopen((s.root / "outside.txt").c_str(), "w");
    if (f != nullptr) std::fclose(f);
    std::error_code ignored;
    fs::create_directory_symlink("..", s.inside / "up", ignored);
    fs::create_directory_symlink("/etc", s.inside / "out", ignored);
    fs::create_symlink("loop", s.inside / "loop", ignored);
    fs::create_directory_symlink("/tmp", s.inside / "abs", ignored);
    fs::create_directory_symlink("a/b", s.inside / "in", ignored);
    fs::create_directory_symlink(".", s.inside / "self", ignored);
    s.fd = ::open(s.inside.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(fs::temp_directory_path() / ("nnwasm_fuzz_wasi_" + std::to_string(getpid())),
                     ignored);
    });
    return s;
  }();
  return box;
}

// Where an fd points, by /proc/self/fd.
std::string fd_path(int fd) {
  std::error_code ec;
  return fs::read_symlink("/proc/self/fd/" + std::to_string(fd), ec).string();
}

void check_beneath(int fd) {
  const std::string where = fd_path(fd);
  const std::string box = sandbox().inside.string();
  if (where != box && where.rfind(box + "/", 0) != 0) {
    std::fprintf(stderr, "escaped the sandbox: %s\n", where.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t choice = data[0];
  const std::string_view path(reinterpret_cast<const char*>(data + 1), size - 1);
  static const PathResolver openat2(PathResolver::Mode::kOpenat2);
  static const PathResolver manual(PathResolver::Mode::kManual);
  const PathResolver& resolver = (choice & 1) ? manual : openat2;
  const bool follow = (choice & 2) != 0;
  // Read-only opens (a directory, a file, or O_PATH): the fuzzer must not write the host.
  const int flags = (choice & 4) ? O_PATH : (choice & 8) ? (O_RDONLY | O_DIRECTORY) : O_RDONLY;
  if (choice & 16) {
    nnwasm::wasi::ParentDir parent;
    if (resolver.open_parent(sandbox().fd, path, Errno::kNotempty, &parent) == Errno::kSuccess) {
      check_beneath(parent.dir.get());
      if (parent.name.find('/') != std::string::npos || parent.name == "..") std::abort();
    }
    return 0;
  }
  UniqueFd out;
  if (resolver.open(sandbox().fd, path, flags, 0, follow, &out) == Errno::kSuccess) {
    check_beneath(out.get());
  }
  return 0;
}
