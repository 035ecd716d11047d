// Plugin search path of the front ends, anchored at the binary or library itself.
#include "frontend/plugin_dirs.h"

#include <dlfcn.h>

#include "nn/backend_manager.h"

namespace nnwasm::frontend {

std::vector<std::string> plugin_dirs(std::vector<std::string> explicit_dirs,
                                     const std::filesystem::path& anchor) {
  std::vector<std::string> dirs = nn::BackendManager::default_dirs(std::move(explicit_dirs), "");
  if (anchor.empty()) return dirs;
  const std::filesystem::path dir = anchor.parent_path();
  for (const std::filesystem::path& beside :
       {dir / "backends", dir / "nnwasm" / "backends", dir.parent_path() / "lib/nnwasm/backends"}) {
    dirs.push_back(beside.lexically_normal().string());
  }
  return dirs;
}

std::filesystem::path executable_path() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe;
}

std::filesystem::path library_path(const void* address) {
  Dl_info info;
  if (dladdr(address, &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  std::filesystem::path path = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? std::filesystem::path() : path;
}

}  // namespace nnwasm::frontend
