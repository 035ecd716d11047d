// Parsing of --nn-preload and --nn-graph specs into NamedModels.
#include "frontend/model_specs.h"

#include <algorithm>
#include <filesystem>
#include <vector>

namespace nnwasm::frontend {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

nn::NnStatus parse_preload(const std::string& spec, nn::NamedModel* out) {
  std::vector<std::string> parts = split(spec, ':');
  if (parts.size() < 4 || parts[0].empty()) {
    return nn::nn_error(NNWASM_INVALID_ARGUMENT,
                        "--nn-preload '" + spec +
                            "': expected NAME:ENCODING:TARGET:PATH[:PATH...], "
                            "e.g. default:GGML:AUTO:model.gguf");
  }
  nn::NamedModel model;
  model.name = parts[0];
  if (!nn::parse_encoding(parts[1], &model.encoding)) {
    return nn::nn_error(
        NNWASM_INVALID_ARGUMENT,
        "--nn-preload '" + spec + "': unknown encoding '" + parts[1] +
            "' (openvino, onnx, tensorflow, pytorch, tensorflowlite, ggml, autodetect)");
  }
  if (!nn::parse_target(parts[2], &model.target)) {
    return nn::nn_error(NNWASM_INVALID_ARGUMENT, "--nn-preload '" + spec + "': unknown target '" +
                                                     parts[2] + "' (cpu, gpu, tpu, auto)");
  }
  model.paths.assign(parts.begin() + 3, parts.end());
  if (std::any_of(model.paths.begin(), model.paths.end(), [](auto& p) { return p.empty(); })) {
    return nn::nn_error(NNWASM_INVALID_ARGUMENT, "--nn-preload '" + spec + "': empty model path");
  }
  *out = std::move(model);
  return nn::NnStatus::ok();
}

nn::NnStatus parse_graph_dir(const std::string& spec, nn::NamedModel* out) {
  size_t sep = spec.find("::");
  if (sep == std::string::npos || sep == 0 || sep + 2 >= spec.size()) {
    return nn::nn_error(
        NNWASM_INVALID_ARGUMENT,
        "--nn-graph '" + spec + "': expected ENCODING::DIR, e.g. onnx::./models/mobilenet");
  }
  nn::NamedModel model;
  if (!nn::parse_encoding(spec.substr(0, sep), &model.encoding)) {
    return nn::nn_error(NNWASM_INVALID_ARGUMENT, "--nn-graph '" + spec + "': unknown encoding '" +
                                                     spec.substr(0, sep) + "'");
  }
  std::filesystem::path dir(spec.substr(sep + 2));
  model.name = (dir.has_filename() ? dir : dir.parent_path()).filename().string();
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.is_regular_file()) model.paths.push_back(entry.path().string());
    }
    std::sort(model.paths.begin(), model.paths.end());
  } else {
    model.paths.push_back(dir.string());
  }
  model.target = NNWASM_TARGET_AUTO;
  *out = std::move(model);
  return nn::NnStatus::ok();
}

}  // namespace nnwasm::frontend
