// BackendPlugin: dlopen(RTLD_NOW | RTLD_LOCAL), ABI version check, close on last reference.
#include "nn/backend_plugin.h"

#include <dlfcn.h>

#include <cerrno>
#include <cstring>

#include <algorithm>

#include "nn/host_callbacks.h"

namespace nnwasm::nn {

namespace {
#ifdef NNWASM_SANITIZE
// Sanitizer builds keep unloaded code mapped so that leak reports inside a plugin (or the
// framework it pulled in) can still be symbolized and matched by tests/lsan.supp.
constexpr int kDlopenFlags = RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE;
#else
constexpr int kDlopenFlags = RTLD_NOW | RTLD_LOCAL;
#endif
}  // namespace

PluginHandle::PluginHandle(void* library, const nnwasm_backend* backend, std::string path)
    : library_(library), backend_(backend), path_(std::move(path)) {}

PluginHandle::~PluginHandle() {
  if (backend_->shutdown != nullptr) backend_->shutdown();
  dlclose(library_);
}

std::string PluginHandle::last_error(const char* fallback) const {
  const char* message = backend_->last_error ? backend_->last_error() : nullptr;
  return message != nullptr && message[0] != '\0' ? message : fallback;
}

std::string descriptor_problem(const nnwasm_backend& backend) {
  if (backend.abi_version != NNWASM_BACKEND_ABI_VERSION) {
    // Reading abi_version is safe for every version: it is the descriptor's first field.
    return "built for plugin ABI version " + std::to_string(backend.abi_version) +
           ", this nnwasm uses " + std::to_string(NNWASM_BACKEND_ABI_VERSION) +
           "; rebuild it against this nnwasm's include/nnwasm/backend.h";
  }
  // Later 2.x descriptors may be larger (fields appended); a smaller one is not ABI 2.
  if (backend.struct_size < sizeof(nnwasm_backend)) {
    return "its descriptor has " + std::to_string(backend.struct_size) +
           " bytes, ABI 2 needs at least " + std::to_string(sizeof(nnwasm_backend)) +
           "; rebuild it against this nnwasm's include/nnwasm/backend.h";
  }
  std::string missing;
  auto require = [&](bool present, const char* name) {
    if (!present) missing.append(missing.empty() ? "" : ", ").append(name);
  };
  require(backend.name != nullptr, "name");
  require(backend.probe != nullptr, "probe");
  require(backend.sniff != nullptr, "sniff");
  require(backend.load != nullptr, "load");
  require(backend.graph_free != nullptr, "graph_free");
  require(backend.graph_io_count != nullptr, "graph_io_count");
  require(backend.graph_io != nullptr, "graph_io");
  require(backend.context_create != nullptr, "context_create");
  require(backend.context_free != nullptr, "context_free");
  require(backend.set_input != nullptr, "set_input");
  require(backend.compute != nullptr, "compute");
  require(backend.get_output != nullptr, "get_output");
  require(backend.last_error != nullptr, "last_error");
  if (!missing.empty()) return "its descriptor lacks required entries: " + missing;
  const int streaming = (backend.compute_single != nullptr) +
                        (backend.get_output_single != nullptr) + (backend.fini_single != nullptr);
  if (streaming != 0 && streaming != 3) {
    return "its descriptor has only some of compute_single, get_output_single and fini_single "
           "(all three or none)";
  }
  if (backend.encoding_count > 0 && backend.encodings == nullptr) {
    return "its descriptor lists encodings without an array";
  }
  return {};
}

BackendPlugin::BackendPlugin(std::string path, bool keep_alive,
                             const std::map<std::string, std::string, std::less<>>* options)
    : path_(std::move(path)), keep_alive_(keep_alive), host_(make_host_callbacks(options)) {}

bool BackendPlugin::is_open() const {
  std::lock_guard lock(mutex_);
  return !open_.expired();
}

std::shared_ptr<PluginHandle> BackendPlugin::open(std::string* error, bool* out_of_fds) {
  std::lock_guard lock(mutex_);
  if (auto handle = open_.lock()) return handle;
  if (!broken_.empty()) {
    *error = broken_;
    return nullptr;
  }
  auto fail = [&](std::string why) -> std::shared_ptr<PluginHandle> {
    broken_ = "backend plugin " + path_ + " skipped: " + why;
    *error = broken_;
    return nullptr;
  };
  // No file descriptor left: say what ran out, and leave the plugin to the next load.
  auto no_fds = [&](std::string message) -> std::shared_ptr<PluginHandle> {
    *error = "backend plugin " + path_ + ": " + std::move(message);
    if (out_of_fds != nullptr) *out_of_fds = true;
    return nullptr;
  };
  // dlopen of a truncated file dies of SIGBUS when it touches a segment past the end.
  bool file_without_fds = false;
  if (std::string why = plugin_file_problem(path_, &file_without_fds); !why.empty()) {
    return file_without_fds ? no_fds(why) : fail(why);
  }
  void* library = dlopen(path_.c_str(), kDlopenFlags);
  if (library == nullptr) {
    const std::string why = dlerror();
    // The loader too needs descriptors, for the plugin's own libraries.
    if (why.find(std::strerror(EMFILE)) != std::string::npos ||
        why.find(std::strerror(ENFILE)) != std::string::npos) {
      return no_fds(out_of_fds_message(why));
    }
    return fail(why);
  }
  auto entry =
      reinterpret_cast<nnwasm_backend_entry_fn>(dlsym(library, NNWASM_BACKEND_ENTRY_SYMBOL));
  if (entry == nullptr) {
    dlclose(library);
    return fail("it does not export " NNWASM_BACKEND_ENTRY_SYMBOL);
  }
  const nnwasm_backend* backend = entry(&host_.host);
  if (backend == nullptr) {
    dlclose(library);
    return fail("its entry point returned no backend (framework failed to initialize?)");
  }
  if (std::string why = descriptor_problem(*backend); !why.empty()) {
    dlclose(library);
    return fail(why);
  }
  if (std::string mismatch = manifest_mismatch(*backend); !mismatch.empty()) {
    dlclose(library);
    return fail("its manifest does not match its descriptor (" + mismatch +
                "); rebuild it so that NNWASM_BACKEND_MANIFEST says what the descriptor does");
  }
  auto handle = std::make_shared<PluginHandle>(library, backend, path_);
  ++times_opened_;
  open_ = handle;
  if (keep_alive_) pinned_ = handle;
  if (!info_) {
    auto info = std::make_unique<PluginInfo>();
    info->name = backend->name;
    info->version = backend->version ? backend->version : "";
    info->encodings.assign(backend->encodings, backend->encodings + backend->encoding_count);
    info->flags = backend->flags;
    info->resolves_names = backend->load_by_name != nullptr;
    info->priority = backend->priority;
    nnwasm_device devices[16];
    uint32_t count = 0;
    if (backend->probe(devices, 16, &count) == NNWASM_SUCCESS) {
      info->devices.assign(devices, devices + std::min<uint32_t>(count, 16));
    }
    const bool knows_memory = NNWASM_HAS_FIELD(backend, nnwasm_backend, device_memory) &&
                              backend->device_memory != nullptr;
    for (const nnwasm_device& d : info->devices) {
      info->device_memory.push_back(knows_memory ? backend->device_memory(d.target, d.index) : 0);
    }
    info_ = std::move(info);
  }
  return handle;
}

const PluginInfo* BackendPlugin::info(std::string* error) {
  {
    std::lock_guard lock(mutex_);
    if (info_) return info_.get();
  }
  std::shared_ptr<PluginHandle> handle = open(error);  // closes again when `handle` goes
  if (!handle) return nullptr;
  std::lock_guard lock(mutex_);
  return info_.get();
}

const PluginInfo* BackendPlugin::cached_info() const {
  std::lock_guard lock(mutex_);
  return info_.get();
}

const PluginManifest* BackendPlugin::manifest() {
  std::lock_guard lock(mutex_);
  return manifest_locked();
}

const PluginManifest* BackendPlugin::manifest_locked() {
  if (!manifest_read_) {
    manifest_ = read_plugin_manifest(path_);
    manifest_read_ = true;
  }
  return manifest_ ? &*manifest_ : nullptr;
}

std::string BackendPlugin::manifest_mismatch(const nnwasm_backend& backend) {
  const PluginManifest* m = manifest_locked();
  if (m == nullptr) return {};
  std::string why;
  if (m->abi != backend.abi_version) {
    return why.append("abi ")
        .append(std::to_string(m->abi))
        .append(" vs ")
        .append(std::to_string(backend.abi_version));
  }
  if (m->name != backend.name) {
    return why.append("name '").append(m->name).append("' vs '").append(backend.name).append("'");
  }
  std::vector<uint32_t> listed = m->encodings;
  std::vector<uint32_t> handled(backend.encodings, backend.encodings + backend.encoding_count);
  std::sort(listed.begin(), listed.end());
  std::sort(handled.begin(), handled.end());
  if (listed != handled) {
    auto text = [](const std::vector<uint32_t>& v) {
      std::string t;
      for (uint32_t e : v) t.append(t.empty() ? "" : ",").append(std::to_string(e));
      return t;
    };
    return why.append("encodings ").append(text(listed)).append(" vs ").append(text(handled));
  }
  return {};
}

uint32_t BackendPlugin::times_opened() const {
  std::lock_guard lock(mutex_);
  return times_opened_;
}

bool BackendPlugin::was_opened() const {
  std::lock_guard lock(mutex_);
  return info_ != nullptr || !broken_.empty();
}

}  // namespace nnwasm::nn
