// BackendManager: plugin discovery and backend/device selection with an explainable score.
#include "nn/backend_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace nnwasm::nn {

namespace fs = std::filesystem;

uint32_t resolve_ambiguous_encoding(uint32_t encoding, std::span<const uint8_t> head) {
  if (encoding != 5 && encoding != 6) return encoding;
  bool gguf = head.size() >= 4 && std::memcmp(head.data(), "GGUF", 4) == 0;
  return gguf ? uint32_t{NNWASM_ENCODING_GGML} : NNWASM_ENCODING_AUTODETECT;
}

BackendManager::BackendManager(BackendConfig config) : config_(std::move(config)) {
  memory_.set_limits(config_.max_memory, config_.max_process_memory);
}

std::vector<std::string> BackendManager::default_dirs(std::vector<std::string> explicit_dirs,
                                                      const std::string& builtin_dir) {
  if (const char* env = std::getenv("NNWASM_BACKEND_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      std::string_view dir = rest.substr(0, colon);
      if (!dir.empty()) explicit_dirs.emplace_back(dir);
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  if (!builtin_dir.empty()) explicit_dirs.push_back(builtin_dir);
  return explicit_dirs;
}

std::vector<std::shared_ptr<BackendPlugin>> BackendManager::plugins(std::string* out_of_fds) {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<BackendPlugin>> found;
  std::vector<std::string> seen_names;
  for (const std::string& dir : config_.dirs) {
    std::error_code ec;
    std::vector<fs::path> files;
    fs::directory_iterator listing(dir, ec);
    if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system) {
      if (out_of_fds != nullptr) {
        *out_of_fds =
            out_of_fds_message("cannot read the backend directory " + dir + ": " + ec.message());
      }
      continue;
    }
    for (const auto& entry : listing) {
      std::string file = entry.path().filename().string();
      if (file.rfind("libnnwasm-", 0) == 0 && entry.path().extension() == ".so") {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      // The first directory that has a given file name wins (like PATH), unless that file
      // cannot be a plugin at all: a broken copy never hides a good one later in the path.
      std::string file_name = file.filename().string();
      if (std::find(seen_names.begin(), seen_names.end(), file_name) != seen_names.end()) continue;
      if (!by_path_.count(file.string())) {
        if (broken_files_.count(file.string())) continue;
        bool no_fds = false;
        if (std::string why = plugin_file_problem(file.string(), &no_fds); no_fds) {
          if (out_of_fds != nullptr) *out_of_fds = "backend plugin " + file.string() + ": " + why;
          continue;  // not broken: tried again next time
        } else if (!why.empty()) {
          spdlog::warn("backend plugin {} skipped: {}", file.string(), why);
          broken_files_.emplace(file.string(), std::move(why));
          continue;
        }
      }
      seen_names.push_back(file_name);
      auto& plugin = by_path_[file.string()];
      if (!plugin) {
        plugin =
            std::make_shared<BackendPlugin>(file.string(), config_.keep_alive, &config_.options);
      }
      found.push_back(plugin);
    }
  }
  return found;
}

namespace {

bool has_device(const PluginInfo& info, uint32_t target) {
  return std::any_of(info.devices.begin(), info.devices.end(),
                     [&](const nnwasm_device& d) { return d.target == target; });
}

// The device a load on `target` uses: the first of that kind the backend's probe listed.
int32_t first_device_index(const PluginInfo& info, uint32_t target) {
  for (const nnwasm_device& d : info.devices) {
    if (d.target == target) return d.index;
  }
  return 0;
}

std::string device_list(const PluginInfo& info) {
  std::string out;
  for (const nnwasm_device& d : info.devices) {
    if (!out.empty()) out += ", ";
    out += d.name;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

bool BackendManager::isolates(bool from_guest) const {
  switch (config_.isolation.mode) {
    case IsolationMode::none:
      return false;
    case IsolationMode::guest:
      return from_guest;
    case IsolationMode::all:
      return true;
  }
  return false;
}

NnStatus BackendManager::isolated_route(IsolatedRoute* out) {
  // The rpc backend is opened for this whatever its manifest requires (rpc.uri): here the core
  // names the server, and keeps the plugin open so that its connection to the process lasts.
  const std::vector<std::shared_ptr<BackendPlugin>> found = plugins();
  std::lock_guard lock(mutex_);
  if (!transport_) {
    std::string error = "no rpc backend plugin (libnnwasm-rpc.so) in the backend path";
    for (const auto& plugin : found) {
      const PluginManifest* m = plugin->manifest();
      if (m == nullptr || m->name != "rpc") continue;
      if ((transport_ = plugin->open(&error))) break;
    }
    if (!transport_) {
      return nn_error(NNWASM_RUNTIME_ERROR,
                      "cannot isolate the model in a backend process: " + error +
                          "; reinstall nnwasm, or run with --nn-isolate=none");
    }
  }
  if (!process_) process_ = std::make_shared<BackendProcess>(config_.isolation);
  out->process = process_;
  out->transport = transport_;
  return NnStatus::ok();
}

bool BackendManager::lacks_required_option(const PluginManifest& manifest) const {
  return !manifest.requires_option.empty() && !config_.options.count(manifest.requires_option);
}

NnStatus BackendManager::select(uint32_t encoding, uint32_t target, std::span<const uint8_t> head,
                                Selection* out, std::string* explanation) {
  encoding = resolve_ambiguous_encoding(encoding, head);
  const bool autodetect = encoding == NNWASM_ENCODING_AUTODETECT;
  if (target > NNWASM_TARGET_AUTO) {
    return nn_error(NNWASM_INVALID_ARGUMENT, "unknown execution target " + std::to_string(target) +
                                                 " (expected 0=cpu, 1=gpu, 2=tpu or 3=auto)");
  }

  struct Candidate {
    std::shared_ptr<BackendPlugin> plugin;
    const PluginInfo* info;
    long score;
    uint32_t target;
    bool fell_back;
    uint32_t encoding;  // what the backend's sniff found, when autodetecting
    // Open when this selection had to open it: the candidates stay open until it ends, so that
    // learning a plugin's info, sniffing and loading with the winner dlopen its framework once.
    std::shared_ptr<PluginHandle> handle;
  };
  std::vector<Candidate> candidates;
  std::vector<std::string> device_misses;  // plugins that fit but lack the asked device
  std::string no_fds;  // a plugin that could not be opened for want of file descriptors
  auto explain = [&](const std::string& line) {
    if (explanation) *explanation += line + "\n";
  };

  const std::vector<std::shared_ptr<BackendPlugin>> found = plugins(&no_fds);
  {
    std::lock_guard lock(mutex_);
    for (const auto& [path, why] : broken_files_) explain("  " + path + ": unusable: " + why);
  }
  for (const auto& plugin : found) {
    std::string error;
    // The manifest is checked first: a plugin that cannot handle the encoding, or whose magic
    // bytes the model does not start with, is never loaded (nor its framework: ONNX Runtime,
    // libtorch, ...).
    if (const PluginManifest* m = plugin->manifest();
        m != nullptr && m->abi == NNWASM_BACKEND_ABI_VERSION) {
      if (lacks_required_option(*m)) {
        explain("  " + m->name + ": needs the option " + m->requires_option +
                " (manifest; not loaded)");
        continue;
      }
      if (!autodetect &&
          std::find(m->encodings.begin(), m->encodings.end(), encoding) == m->encodings.end()) {
        explain("  " + m->name + ": does not handle encoding " + encoding_name(encoding) +
                " (manifest; not loaded)");
        continue;
      }
      const std::string_view bytes(reinterpret_cast<const char*>(head.data()), head.size());
      if (autodetect && !m->may_recognise(bytes)) {
        explain("  " + m->name + ": the model bytes lack its magic (manifest; not loaded)");
        continue;
      }
    }
    std::shared_ptr<PluginHandle> handle;
    const PluginInfo* info = plugin->cached_info();
    if (info == nullptr || autodetect) {
      bool out_of_fds = false;
      handle = plugin->open(&error, &out_of_fds);
      info = handle ? plugin->cached_info() : nullptr;
      if (out_of_fds) {
        no_fds = error;
        explain("  " + plugin->path() + ": " + error);
        continue;
      }
    }
    if (info == nullptr) {
      std::lock_guard lock(mutex_);
      if (std::find(warned_.begin(), warned_.end(), plugin->path()) == warned_.end()) {
        warned_.push_back(plugin->path());
        spdlog::warn("{}", error);
      }
      explain("  " + plugin->path() + ": unusable: " + error);
      continue;
    }
    std::string label = "  " + info->name + " " + info->version;
    if (info->devices.empty()) {
      explain(label + ": reports no usable device here");
      continue;
    }
    long fit;
    nnwasm_sniff_result sniffed{0, NNWASM_ENCODING_AUTODETECT, ""};
    if (autodetect) {
      if (handle->backend().sniff(head.data(), head.size(), &sniffed) != NNWASM_SUCCESS) {
        explain(label + ": sniff failed: " + handle->last_error("no reason given"));
        continue;
      }
      if (sniffed.confidence == 0) {
        explain(label + ": does not recognise the model bytes (sniff 0)");
        continue;
      }
      sniffed.format[sizeof sniffed.format - 1] = '\0';
      fit = std::min<uint32_t>(sniffed.confidence, 100);
    } else {
      if (std::find(info->encodings.begin(), info->encodings.end(), encoding) ==
          info->encodings.end()) {
        explain(label + ": does not handle encoding " + encoding_name(encoding));
        continue;
      }
      fit = 100;
    }

    uint32_t chosen_target = target;
    bool fell_back = false;
    long device_score;
    if (target == NNWASM_TARGET_AUTO) {
      chosen_target = has_device(*info, NNWASM_TARGET_GPU) ? NNWASM_TARGET_GPU : NNWASM_TARGET_CPU;
      device_score = chosen_target == NNWASM_TARGET_GPU ? 20 : 10;
    } else if (has_device(*info, target)) {
      device_score = 20;
    } else {
      device_misses.push_back(info->name + " (devices: " + device_list(*info) + ")");
      if (target == NNWASM_TARGET_CPU || config_.strict_target ||
          !has_device(*info, NNWASM_TARGET_CPU)) {
        explain(label + ": no " + target_name(target) + " device (has: " + device_list(*info) +
                ")");
        continue;
      }
      chosen_target = NNWASM_TARGET_CPU;
      fell_back = true;
      device_score = 0;
    }

    long order_bonus = 0;
    auto pos = std::find(config_.order.begin(), config_.order.end(), info->name);
    if (pos != config_.order.end()) order_bonus = 1000000L * (config_.order.end() - pos);
    long score = order_bonus + fit * 1000 + device_score * 10 + info->priority;
    const std::string found =
        sniffed.format[0] != '\0' ? std::string(" (") + sniffed.format + ")" : "";
    explain(label + ": " +
            (autodetect ? "sniff " + std::to_string(fit) + found : "handles encoding") +
            ", target " + target_name(chosen_target) + (fell_back ? " (fallback)" : "") +
            ", devices: " + device_list(*info) + ", score " + std::to_string(score));
    const uint32_t resolved = autodetect ? sniffed.encoding : encoding;
    candidates.push_back(
        {plugin, info, score, chosen_target, fell_back, resolved, std::move(handle)});
  }

  if (candidates.empty()) {
    // Not "install its plugin": the plugin is there, the process could not open it.
    if (!no_fds.empty()) return nn_error(NNWASM_RUNTIME_ERROR, no_fds);
    std::string what =
        autodetect ? "recognises these model bytes" : "handles encoding " + encoding_name(encoding);
    if (!device_misses.empty() && target != NNWASM_TARGET_AUTO) {
      std::string who;
      for (const auto& m : device_misses) who += (who.empty() ? "" : "; ") + m;
      return nn_error(
          config_.strict_target ? NNWASM_UNSUPPORTED_OPERATION : NNWASM_NOT_FOUND,
          "no " + target_name(target) + " device for backends that " + what + ": " + who +
              (config_.strict_target ? " (--nn-strict-target forbids CPU fallback)" : ""));
    }
    return nn_error(autodetect ? NNWASM_INVALID_ENCODING : NNWASM_NOT_FOUND,
                    "no backend " + what +
                        "; install its plugin (libnnwasm-<name>.so) or point "
                        "--nn-backend-dir / NNWASM_BACKEND_PATH at it");
  }
  const Candidate& best =
      *std::max_element(candidates.begin(), candidates.end(),
                        [](const Candidate& a, const Candidate& b) { return a.score < b.score; });
  std::string error;
  out->plugin = best.handle ? best.handle : best.plugin->open(&error);
  if (!out->plugin) return nn_error(NNWASM_RUNTIME_ERROR, error);
  out->encoding = best.encoding;
  out->target = best.target;
  out->device_index = first_device_index(*best.info, best.target);
  for (size_t i = 0; i < best.info->devices.size(); ++i) {
    const nnwasm_device& d = best.info->devices[i];
    if (d.target == best.target && d.index == out->device_index) {
      if (i < best.info->device_memory.size()) out->device_memory = best.info->device_memory[i];
      out->device_name = std::string(d.name, strnlen(d.name, sizeof d.name));
    }
  }
  if (has_device(*best.info, NNWASM_TARGET_CPU)) {
    out->cpu_device_index = first_device_index(*best.info, NNWASM_TARGET_CPU);
  }
  if (best.fell_back) {
    spdlog::warn(
        "backend '{}' has no {} device; running on cpu (use --nn-strict-target to fail "
        "instead)",
        best.info->name, target_name(target));
  }
  explain("  winner: " + best.info->name + " on " + target_name(best.target));
  return NnStatus::ok();
}

}  // namespace nnwasm::nn
