// BackendPlugin: one backend shared library on disk, opened on demand with dlopen and closed
// again when nothing holds it (its graphs keep it open through PluginHandle references).
#pragma once

#include <nnwasm/backend.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nn/host_callbacks.h"
#include "nn/plugin_manifest.h"

namespace nnwasm::nn {

// An open plugin. Destroying the last reference dlcloses the library.
class PluginHandle {
 public:
  PluginHandle(void* library, const nnwasm_backend* backend, std::string path);
  ~PluginHandle();
  PluginHandle(const PluginHandle&) = delete;
  PluginHandle& operator=(const PluginHandle&) = delete;

  const nnwasm_backend& backend() const { return *backend_; }
  const std::string& path() const { return path_; }
  // The plugin's last error on this thread, or `fallback` when it left none.
  std::string last_error(const char* fallback) const;

 private:
  void* library_;
  const nnwasm_backend* backend_;
  std::string path_;
};

// What a plugin said about itself the first time it was opened (kept after it is closed).
struct PluginInfo {
  std::string name;
  std::string version;
  std::vector<uint32_t> encodings;
  std::vector<nnwasm_device> devices;
  std::vector<uint64_t> device_memory;  // bytes of each of `devices` (0: unknown; ABI 2.4)
  uint32_t flags = 0;
  int32_t priority = 0;
  bool resolves_names = false;  // has load_by_name
};

// Why a descriptor breaks backend.h's rules ("" when it keeps them): another ABI version, a
// descriptor too small for this one, required entries missing, streaming half present.
std::string descriptor_problem(const nnwasm_backend& backend);

class BackendPlugin {
 public:
  // `options` (the manager's BackendConfig::options) answer the plugin's nnwasm_host.option.
  BackendPlugin(std::string path, bool keep_alive,
                const std::map<std::string, std::string, std::less<>>* options = nullptr);

  const std::string& path() const { return path_; }

  // Opens the library (or returns the open one). On failure returns nullptr and sets `error`;
  // a broken plugin is remembered and not retried. A process without a file descriptor left is
  // not a broken plugin: that failure sets `*out_of_fds` (when given) and is tried again later.
  std::shared_ptr<PluginHandle> open(std::string* error, bool* out_of_fds = nullptr);

  // Identity and devices; opens the plugin the first time. nullptr if it cannot be opened.
  const PluginInfo* info(std::string* error);
  // The info learnt when the plugin was first opened; nullptr if it never was.
  const PluginInfo* cached_info() const;

  bool is_open() const;

  // The manifest read from the file (never opens the plugin); null when it has none. Read once.
  const PluginManifest* manifest();
  // Whether the plugin was ever opened in this process (to learn its info or to load a model).
  bool was_opened() const;
  // How many times the library was dlopened (a closed plugin is opened again when needed).
  uint32_t times_opened() const;

 private:
  const PluginManifest* manifest_locked();
  // Why the manifest disagrees with the descriptor ("" when it agrees or there is none).
  std::string manifest_mismatch(const nnwasm_backend& backend);

  std::string path_;
  bool keep_alive_;
  HostCallbacks host_;  // what the plugin's entry point was given; outlives its handles
  mutable std::mutex mutex_;
  std::weak_ptr<PluginHandle> open_;
  std::shared_ptr<PluginHandle> pinned_;  // keep_alive: never closed
  std::unique_ptr<PluginInfo> info_;
  std::string broken_;  // non-empty: why it cannot be used
  bool manifest_read_ = false;
  uint32_t times_opened_ = 0;
  std::optional<PluginManifest> manifest_;
};

}  // namespace nnwasm::nn
