// `nnwasm backends`: plugin table (name, version, encodings, devices) and --explain.
#include "backends_command.h"

#include <spdlog/spdlog.h>

#include "nn/model_registry.h"

#include <cstdio>
#include <fstream>
#include <vector>

namespace nnwasm::cli {

int list_backends(const nn::BackendConfig& config, const std::string& explain_model,
                  const std::string& encoding_text, const std::string& target_text) {
  nn::BackendManager manager(config);
  if (explain_model.empty()) {
    std::printf("%-10s %-36s %-28s %s\n", "NAME", "VERSION", "ENCODINGS", "DEVICES");
    for (const auto& plugin : manager.plugins()) {
      std::string error;
      const nn::PluginInfo* info = plugin->info(&error);
      if (info == nullptr) {
        std::printf("%-10s %s\n", "(broken)", error.c_str());
        continue;
      }
      std::string encodings, devices;
      for (uint32_t e : info->encodings) {
        if (!encodings.empty()) encodings += ',';
        encodings += nn::encoding_name(e);
      }
      for (const auto& d : info->devices) {
        if (!devices.empty()) devices += ", ";
        devices += d.name;
      }
      std::printf("%-10s %-36s %-28s %s\n", info->name.c_str(), info->version.c_str(),
                  encodings.c_str(), devices.c_str());
      std::printf("%-10s %s\n", "", plugin->path().c_str());
    }
    std::printf("searched:");
    for (const std::string& dir : config.dirs) std::printf(" %s", dir.c_str());
    std::printf("\n");
    return 0;
  }

  uint32_t encoding = NNWASM_ENCODING_AUTODETECT, target = NNWASM_TARGET_AUTO;
  if (!nn::parse_encoding(encoding_text, &encoding) || !nn::parse_target(target_text, &target)) {
    spdlog::error("--encoding/--target: unknown value '{}'/'{}'", encoding_text, target_text);
    return 2;
  }
  std::ifstream in(explain_model, std::ios::binary);
  if (!in) {
    spdlog::error("{}: cannot open", explain_model);
    return 1;
  }
  std::vector<uint8_t> head(64 * 1024);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  std::string explanation;
  nn::Selection selection;
  nn::NnStatus status = manager.select(encoding, target, head, &selection, &explanation);
  std::printf("model %s, encoding %s, target %s\n%s", explain_model.c_str(),
              nn::encoding_name(encoding).c_str(), nn::target_name(target).c_str(),
              explanation.c_str());
  if (!status.is_ok()) {
    std::printf("  no backend: %s\n", status.message.c_str());
    return 1;
  }
  // What the winner makes of it: the model's inputs and outputs (backend.h graph_io).
  selection = {};
  nn::ModelRegistry models(manager);
  models.add({"explained", encoding, target, {explain_model}});
  std::shared_ptr<nn::Graph> graph;
  status = models.get("explained", "", &graph);
  if (!status.is_ok()) {
    std::printf("  cannot load it: %s\n", status.message.c_str());
    return 1;
  }
  std::printf("inputs:\n%soutputs:\n%s", graph->describe(NNWASM_IO_INPUT).c_str(),
              graph->describe(NNWASM_IO_OUTPUT).c_str());
  return 0;
}

}  // namespace nnwasm::cli
