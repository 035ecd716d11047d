// Named models: lazy shared loading, and the common load_graph path.
#include "nn/model_registry.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace nnwasm::nn {

namespace {

// A read-only private mapping of a model file, for backends without load_file.
class MappedFile {
 public:
  ~MappedFile() {
    if (data_ != nullptr && size_ != 0) munmap(data_, size_);
  }
  NnStatus open(const std::string& path) {
    // O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer; only regular files
    // pass the check below, and for them the flag changes nothing.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      return nn_error(NNWASM_MODEL_NOT_FOUND,
                      "cannot open model file '" + path + "': " + std::strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return nn_error(NNWASM_MODEL_NOT_FOUND, "model path '" + path +
                                                  "' is not a regular file (a FIFO, device or "
                                                  "directory); give the path of a model file");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ != 0) {
      void* data = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data == MAP_FAILED) {
        ::close(fd);
        return nn_error(NNWASM_RUNTIME_ERROR, "cannot map '" + path + "': " + std::strerror(errno));
      }
      data_ = data;
    }
    ::close(fd);
    return NnStatus::ok();
  }
  nnwasm_bytes bytes() const { return {static_cast<const uint8_t*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

nnwasm_load_options load_options(uint32_t encoding, uint32_t target, int32_t device,
                                 std::string_view config) {
  return {sizeof(nnwasm_load_options),
          encoding,
          target,
          device,
          config.empty() ? nullptr : config.data(),
          config.size(),
          nullptr};
}

// load_graph in the backend process: the rpc backend loads the model there, from the builders
// or by the host's name for it, with the backend and device chosen here.
NnStatus load_isolated(BackendManager& manager, const Selection& selection,
                       std::span<const nnwasm_bytes> builders, const NamedModel* named,
                       std::string_view config, const std::string& description, Reservation memory,
                       std::shared_ptr<Graph>* out) {
  IsolatedRoute route;
  std::string uri;
  uint64_t generation = 0;
  NnStatus status = manager.isolated_route(&route);
  if (status.is_ok()) status = route.process->ensure_running(&uri, &generation);
  if (!status.is_ok()) {
    status.message = description + ": " + status.message;
    return status;
  }
  nnwasm_load_options options =
      load_options(selection.encoding, selection.target, selection.device_index, config);
  options.server_uri = uri.c_str();
  const nnwasm_backend& transport = route.transport->backend();
  nnwasm_graph* handle = nullptr;
  const nnwasm_status code =
      named != nullptr
          ? transport.load_by_name(named->name.data(), named->name.size(), &options, &handle)
          : transport.load(builders.data(), static_cast<uint32_t>(builders.size()), &options,
                           &handle);
  const std::string backend = selection.plugin->backend().name;
  if (code != NNWASM_SUCCESS || handle == nullptr) {
    if (std::string fate = route.process->fate(generation, code); !fate.empty()) {
      return nn_error(NNWASM_RUNTIME_ERROR,
                      crash_message(backend, "loading the model", fate) + " (" + description + ")");
    }
    // The backend process's message names the model, the backend and what failed.
    return nn_error(code != NNWASM_SUCCESS ? code : nnwasm_status{NNWASM_RUNTIME_ERROR},
                    std::string(without_transport_prefix(
                        route.transport->last_error("the backend process gave no reason"))));
  }
  std::string what = description + " (" + backend + " on " + target_name(selection.target) +
                     ", in the backend process)";
  *out = std::make_shared<Graph>(route.transport, handle, selection.target, std::move(what),
                                 GraphIsolation{route.process, generation, backend});
  (*out)->hold(std::move(memory));
  return NnStatus::ok();
}

// Admits the model's bytes on the selected device, moving the selection to the CPU when a GPU
// has no room (or refusing, under --nn-strict-target).
NnStatus admit(BackendManager& manager, Selection& selection,
               std::span<const nnwasm_bytes> builders, MemoryBudget::Account* account,
               const std::string& description, Reservation* out) {
  uint64_t bytes = 0;
  for (const nnwasm_bytes& b : builders) bytes += b.size;
  MemoryBudget& budget = manager.memory();
  DeviceKey device{selection.target, selection.device_index};
  budget.add_device(device, selection.device_memory, selection.device_name);
  if (selection.target != NNWASM_TARGET_CPU && !budget.fits_device(device, bytes)) {
    const std::string usage = budget.device_usage(device);
    if (manager.config().strict_target || selection.cpu_device_index < 0) {
      return nn_error(NNWASM_TOO_LARGE,
                      description + " needs about " + format_bytes(bytes) + " on " + usage +
                          (manager.config().strict_target
                               ? "; --nn-strict-target forbids the fallback to the cpu"
                               : "; the backend has no cpu device to fall back to"));
    }
    spdlog::warn(
        "backend '{}': {} has no room for {} ({}); running on cpu (use "
        "--nn-strict-target to fail instead)",
        selection.plugin->backend().name, usage, description, format_bytes(bytes));
    selection.target = NNWASM_TARGET_CPU;
    selection.device_index = selection.cpu_device_index;
    device = {selection.target, selection.device_index};
  }
  if (NnStatus status = budget.reserve(account, device, bytes, description); !status.is_ok()) {
    return status;
  }
  *out = Reservation(&budget, account, device, bytes);
  return NnStatus::ok();
}

}  // namespace

NnStatus load_graph(BackendManager& manager, std::span<const nnwasm_bytes> builders,
                    uint32_t encoding, uint32_t target, std::string_view config,
                    const std::string& description, std::shared_ptr<Graph>* out,
                    const NamedModel* named, MemoryBudget::Account* account) {
  std::span<const uint8_t> head;
  if (!builders.empty()) head = {builders[0].data, builders[0].size};
  Selection selection;
  NnStatus status = manager.select(encoding, target, head, &selection);
  if (!status.is_ok()) {
    status.message = description + ": " + status.message;
    return status;
  }
  Reservation memory;
  if (status = admit(manager, selection, builders, account, description, &memory);
      !status.is_ok()) {
    return status;
  }
  const nnwasm_backend& backend = selection.plugin->backend();
  // A model for a remote server (the rpc backend) is out of this process already.
  if (manager.isolates(named == nullptr) && std::string_view(backend.name) != "rpc") {
    return load_isolated(manager, selection, builders, named, config, description,
                         std::move(memory), out);
  }
  const nnwasm_load_options options =
      load_options(selection.encoding, selection.target, selection.device_index, config);
  nnwasm_graph* handle = nullptr;
  nnwasm_status code;
  if (named != nullptr && backend.load_file != nullptr) {
    std::vector<const char*> c_paths;
    for (const std::string& path : named->paths) c_paths.push_back(path.c_str());
    code =
        backend.load_file(c_paths.data(), static_cast<uint32_t>(c_paths.size()), &options, &handle);
  } else {
    code = backend.load(builders.data(), static_cast<uint32_t>(builders.size()), &options, &handle);
  }
  std::string what =
      description + " (" + backend.name + " on " + target_name(selection.target) + ")";
  if (code != NNWASM_SUCCESS || handle == nullptr) {
    return nn_error(
        code != NNWASM_SUCCESS ? code : nnwasm_status{NNWASM_RUNTIME_ERROR},
        what + ": load failed: " + selection.plugin->last_error("backend gave no reason"));
  }
  *out = std::make_shared<Graph>(selection.plugin, handle, selection.target, what);
  (*out)->hold(std::move(memory));
  return NnStatus::ok();
}

NnStatus load_graph_by_name(BackendManager& manager, std::string_view name, std::string_view config,
                            std::shared_ptr<Graph>* out) {
  const nnwasm_load_options options =
      load_options(NNWASM_ENCODING_AUTODETECT, NNWASM_TARGET_AUTO, 0, config);
  for (const auto& plugin : manager.plugins()) {
    // A plugin whose manifest does not say names=1 is not opened to ask.
    if (const PluginManifest* m = plugin->manifest();
        m != nullptr && (!m->resolves_names || manager.lacks_required_option(*m))) {
      continue;
    }
    std::string error;
    std::shared_ptr<PluginHandle> handle = plugin->open(&error);
    if (!handle || handle->backend().load_by_name == nullptr) continue;
    const nnwasm_backend& backend = handle->backend();
    nnwasm_graph* graph = nullptr;
    const nnwasm_status code = backend.load_by_name(name.data(), name.size(), &options, &graph);
    if (code == NNWASM_NOT_FOUND) continue;
    std::string what = "model '" + printable(name) + "' (" + backend.name + ")";
    if (code != NNWASM_SUCCESS || graph == nullptr) {
      return nn_error(code != NNWASM_SUCCESS ? code : nnwasm_status{NNWASM_RUNTIME_ERROR},
                      what + ": load failed: " + handle->last_error("backend gave no reason"));
    }
    *out = std::make_shared<Graph>(std::move(handle), graph, NNWASM_TARGET_AUTO, std::move(what));
    return NnStatus::ok();
  }
  return nn_error(NNWASM_NOT_FOUND, "no model named '" + printable(name) +
                                        "'; register it with --nn-preload NAME:ENC:TARGET:PATH");
}

void ModelRegistry::add(NamedModel model) {
  std::lock_guard lock(mutex_);
  auto entry = std::make_shared<Entry>();
  std::string name = model.name;
  entry->model = std::move(model);
  entries_[name] = std::move(entry);
}

bool ModelRegistry::contains(std::string_view name) const {
  std::lock_guard lock(mutex_);
  return entries_.find(name) != entries_.end();
}

std::vector<NamedModel> ModelRegistry::list() const {
  std::lock_guard lock(mutex_);
  std::vector<NamedModel> models;
  for (const auto& [name, entry] : entries_) models.push_back(entry->model);
  return models;
}

std::string_view ModelRegistry::config_key(std::string_view config) {
  const size_t begin = config.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const size_t end = config.find_last_not_of(" \t\r\n");
  const std::string_view text = config.substr(begin, end + 1 - begin);
  if (text.front() == '{' && text.back() == '}' &&
      text.find_first_not_of(" \t\r\n", 1) == text.size() - 1) {
    return {};  // "{ }"
  }
  return config;
}

NnStatus ModelRegistry::get(std::string_view name, std::string_view config,
                            std::shared_ptr<Graph>* out) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it != entries_.end()) entry = it->second;
  }
  // Not the host's: a backend that knows models by name (the rpc backend) may have it.
  if (!entry) return load_graph_by_name(manager_, name, config, out);
  std::lock_guard load_lock(entry->load_mutex);
  const std::string_view key = config_key(config);
  if (entry->first && entry->first_config == key) {
    *out = entry->first;
    return NnStatus::ok();
  }
  if (auto other = entry->others.find(key); other != entry->others.end()) {
    if ((*out = other->second.lock())) return NnStatus::ok();
  }
  const NamedModel& model = entry->model;
  std::string description = "model '" + model.name + "'";
  std::vector<MappedFile> files(model.paths.size());
  std::vector<nnwasm_bytes> builders;
  for (size_t i = 0; i < model.paths.size(); ++i) {
    NnStatus status = files[i].open(model.paths[i]);
    if (!status.is_ok()) {
      status.message = description + ": " + status.message;
      return status;
    }
    builders.push_back(files[i].bytes());
  }
  std::shared_ptr<Graph> graph;
  NnStatus status = load_graph(manager_, builders, model.encoding, model.target, config,
                               description, &graph, &model);
  if (!status.is_ok()) return status;
  if (!entry->first) {
    entry->first = graph;
    entry->first_config = key;
  } else {
    std::erase_if(entry->others, [](const auto& other) { return other.second.expired(); });
    entry->others[std::string(key)] = graph;
  }
  *out = std::move(graph);
  return status;
}

}  // namespace nnwasm::nn
