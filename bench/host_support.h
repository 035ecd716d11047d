// What the benchmark hosts (instances.cc, soak.cc) share: their guest compiled once, and what
// they read about their own process from /proc (memory: VmRSS, VmHWM; open file descriptors).
#pragma once

#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace nnwasm::bench {

// A "Key:   N kB" line of /proc/self/status, in KiB; -1 when absent.
inline long status_kib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
  }
  return -1;
}

inline long open_fds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  long n = 0;
  while (readdir(dir) != nullptr) ++n;
  closedir(dir);
  return n - 3;  // ".", ".." and the directory's own descriptor
}

// The engine started and the guest at `path` compiled, or null with the reason on stderr.
inline std::shared_ptr<const engine::Module> compile_guest(const char* path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  engine::initialize_engine({});
  try {
    return engine::Module::compile(bytes, path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return nullptr;
  }
}

}  // namespace nnwasm::bench
