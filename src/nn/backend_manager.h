// BackendManager: finds backend plugins (libnnwasm-*.so) in the plugin path and chooses one
// for a model by encoding, content sniffing and device availability.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "nn/backend_plugin.h"
#include "nn/backend_process.h"
#include "nn/memory_budget.h"
#include "nn/nn_error.h"

namespace nnwasm::nn {

struct BackendConfig {
  // Searched in order: --nn-backend-dir, NNWASM_BACKEND_PATH (':'-separated), install dir.
  std::vector<std::string> dirs;
  std::vector<std::string> order;  // --nn-backend-order: preferred backend names first
  bool strict_target = false;      // --nn-strict-target: no CPU fallback for gpu/tpu
  bool keep_alive = false;         // never close a plugin once opened
  // Settings for backends, answered by nnwasm_host.option (e.g. "rpc.uri" for the rpc backend);
  // a plugin whose manifest says requires=KEY is only used when KEY is set.
  std::map<std::string, std::string, std::less<>> options;
  // --nn-isolate: which models run in a supervised backend process, and how to start it.
  IsolationConfig isolation;
  // --nn-max-memory (per instance or server session) and --nn-max-process-memory; 0: none.
  uint64_t max_memory = 0, max_process_memory = 0;
};

// Where an isolated model goes: the backend process and the rpc backend that talks to it.
struct IsolatedRoute {
  std::shared_ptr<BackendProcess> process;
  std::shared_ptr<PluginHandle> transport;  // the rpc backend
};

// The chosen backend, open, with the target to load on.
struct Selection {
  std::shared_ptr<PluginHandle> plugin;
  uint32_t encoding = 0;  // resolved (5/6 and autodetect replaced by what sniff found)
  uint32_t target = NNWASM_TARGET_CPU;  // never AUTO
  int32_t device_index = 0;             // nnwasm_device.index of the device to load on
  uint64_t device_memory = 0;           // bytes of that device, as its backend says (0: unknown)
  std::string device_name;
  int32_t cpu_device_index = -1;  // the backend's CPU device, for a fallback (-1: none)
};

class BackendManager {
 public:
  explicit BackendManager(BackendConfig config);

  // The default search path: the given dirs, then NNWASM_BACKEND_PATH, then `builtin_dir`.
  static std::vector<std::string> default_dirs(std::vector<std::string> explicit_dirs,
                                               const std::string& builtin_dir);

  // Rescans the plugin dirs (new files are picked up) and returns every plugin found. A dir or
  // file that could not be read for want of file descriptors is skipped this time only, and
  // `out_of_fds` (when given) says so.
  std::vector<std::shared_ptr<BackendPlugin>> plugins(std::string* out_of_fds = nullptr);

  // Chooses a backend for a model. `head` is the start of the model bytes (for sniffing).
  // `explanation`, when given, receives one line per candidate and the verdict.
  NnStatus select(uint32_t encoding, uint32_t target, std::span<const uint8_t> head, Selection* out,
                  std::string* explanation = nullptr);

  const BackendConfig& config() const { return config_; }
  // The memory every graph and context is admitted against.
  MemoryBudget& memory() { return memory_; }
  // Whether models loaded from guest bytes (`from_guest`) or named by the host run in the
  // backend process (--nn-isolate).
  bool isolates(bool from_guest) const;
  // The backend process and the rpc backend to reach it; not_found naming what is missing.
  NnStatus isolated_route(IsolatedRoute* out);
  // Whether a manifest's requires=KEY names an option this configuration does not set (the
  // plugin is then of no use here and is not opened).
  bool lacks_required_option(const PluginManifest& manifest) const;

 private:
  BackendConfig config_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<BackendPlugin>> by_path_;
  // Files that cannot be plugins (plugin_file_problem), skipped and warned about once each.
  std::map<std::string, std::string> broken_files_;
  std::vector<std::string> warned_;  // broken plugins already reported
  MemoryBudget memory_;
  std::shared_ptr<BackendProcess> process_;  // started on the first isolated load
  std::shared_ptr<PluginHandle> transport_;  // kept open while the process may be used
};

// Resolves the encodings 5 and 6, which WasmEdge and WAMR number differently (docs/abi.md section
// 3): GGUF bytes -> ggml, anything else -> autodetect. Other values pass through.
uint32_t resolve_ambiguous_encoding(uint32_t encoding, std::span<const uint8_t> head);

}  // namespace nnwasm::nn
