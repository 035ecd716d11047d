// ModelRegistry: host-registered named models (--nn-preload, --nn-graph), loaded lazily once
// per process and shared by every instance; plus load_graph, the one path that turns model
// bytes or files into a Graph through the chosen backend.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "nn/backend_manager.h"
#include "nn/graph.h"

namespace nnwasm::nn {

struct NamedModel {
  std::string name;
  uint32_t encoding = NNWASM_ENCODING_AUTODETECT;
  uint32_t target = NNWASM_TARGET_AUTO;
  std::vector<std::string> paths;
};

// Loads model bytes (one or more builders) with the backend `manager` selects. `named` is the
// host's model behind the builders (null for guest bytes): when the backend has load_file, it
// loads from its files (letting it mmap them) instead. Where the manager isolates models of
// this origin (--nn-isolate), the chosen backend loads it in the backend process, from the
// builders or, for a named model, by its name there. The model's bytes are admitted to the
// memory budget first, for `account` (null: the process's own) and on the chosen device; a GPU
// without room falls back to the CPU with a warning (too_large under --nn-strict-target).
NnStatus load_graph(BackendManager& manager, std::span<const nnwasm_bytes> builders,
                    uint32_t encoding, uint32_t target, std::string_view config,
                    const std::string& description, std::shared_ptr<Graph>* out,
                    const NamedModel* named = nullptr, MemoryBudget::Account* account = nullptr);

// Asks every backend with load_by_name (backend.h) for a model it knows by `name`, in plugin
// order; the first that does not answer NOT_FOUND decides. No such backend: not_found.
NnStatus load_graph_by_name(BackendManager& manager, std::string_view name, std::string_view config,
                            std::shared_ptr<Graph>* out);

class ModelRegistry {
 public:
  explicit ModelRegistry(BackendManager& manager) : manager_(manager) {}

  // Registers a name; a later registration of the same name replaces it (before first use).
  void add(NamedModel model);
  bool contains(std::string_view name) const;
  // Every registered model, by name.
  std::vector<NamedModel> list() const;

  // The shared graph for `name` with `config`. The first config a name is loaded with keeps
  // its graph for the rest of the process (loaded once, shared by every instance); a graph of
  // another config is shared while someone uses it. Sessions cache graphs by name and config
  // (config_key): a guest's later load with another config gets a graph of that config, or the
  // error a fresh load of it would give (as WasmEdge). A name not registered goes to
  // load_graph_by_name (never cached here: the backend owns it). Unknown name: not_found.
  // Missing file: model_not_found.
  NnStatus get(std::string_view name, std::string_view config, std::shared_ptr<Graph>* out);

  // What identifies a config among the loads of one name: its text, except that no config, a
  // blank one and "{}" are one and the same (no settings).
  static std::string_view config_key(std::string_view config);

 private:
  struct Entry {
    NamedModel model;
    std::mutex load_mutex;         // one loader per name; others wait for its result
    std::shared_ptr<Graph> first;  // the graph of the first config, kept
    std::string first_config;
    // Graphs of other configs by config text, not kept: per-request configs (a new seed each
    // time) must not pile up graphs for the life of the process.
    std::map<std::string, std::weak_ptr<Graph>, std::less<>> others;
  };
  BackendManager& manager_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;
};

}  // namespace nnwasm::nn
