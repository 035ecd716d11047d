// Model loading for the PyTorch backend: TorchScript archives from memory (zero-copy read
// adapter) or a file, onto the device the target and config ask for, in eval mode, plus the
// description of forward's inputs; thread setup and the version string.
#include <ATen/Parallel.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "torch_impl.h"

namespace nnwasm::torch_backend {
namespace {

// Lets libtorch read the archive straight from the caller's bytes (valid during load only).
class MemoryReader final : public caffe2::serialize::ReadAdapterInterface {
 public:
  MemoryReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t size() const override { return size_; }
  size_t read(uint64_t pos, void* buf, size_t n, const char* /*what*/) const override {
    if (pos >= size_) return 0;
    n = std::min<uint64_t>(n, size_ - pos);
    std::memcpy(buf, data_ + pos, n);
    return n;
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

int64_t parse_count(const nlohmann::json& v, const char* key, int64_t min, int64_t max) {
  if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
    throw Error{NNWASM_INVALID_ARGUMENT, std::string("config: \"") + key +
                                             "\" must be an integer in " + std::to_string(min) +
                                             ".." + std::to_string(max) + "; got " + v.dump()};
  return v.get<int64_t>();
}

struct Config {
  int threads = 0;  // 0: leave libtorch's intra-op thread count as set at plugin entry
};

// Reads the recognized keys of the load config; unknown keys are ignored.
Config parse_config(const char* text, size_t len) {
  Config config;
  if (text == nullptr || len == 0) return config;
  const auto json = nlohmann::json::parse(text, text + len, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw Error{NNWASM_INVALID_ENCODING, "config is not valid JSON"};
  if (!json.is_object())
    throw Error{NNWASM_INVALID_ARGUMENT, "config must be a JSON object; got " + json.dump()};
  if (auto it = json.find("threads"); it != json.end())
    config.threads = static_cast<int>(parse_count(*it, "threads", 1, 1024));
  return config;
}

// The libtorch device for the target and device index the core resolved.
c10::Device device_for(nnwasm_target target, int32_t device_index) {
  const uint32_t gpus = cuda_device_count();
  switch (target) {
    case NNWASM_TARGET_CPU:
      return c10::Device(c10::kCPU);
    case NNWASM_TARGET_GPU:
      if (gpus == 0)
        throw Error{NNWASM_UNSUPPORTED_OPERATION,
                    "target gpu: libtorch has no usable CUDA device here (CPU-only libtorch, or "
                    "no GPU/driver); use target cpu, or build the backend against a CUDA libtorch"};
      if (device_index < 0 || static_cast<uint32_t>(device_index) >= gpus)
        throw Error{NNWASM_INVALID_ARGUMENT, "device index " + std::to_string(device_index) +
                                                 " out of range: " + std::to_string(gpus) +
                                                 " CUDA device(s)"};
      return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(device_index));
    case NNWASM_TARGET_TPU:
      throw Error{NNWASM_UNSUPPORTED_OPERATION, "target tpu: PyTorch backend has no TPU support"};
    default:
      throw Error{NNWASM_INVALID_ARGUMENT, "unknown execution target " + std::to_string(target)};
  }
}

// forward's arguments after self, as WASI-NN inputs by index.
std::vector<InputInfo> describe_inputs(const torch::jit::Method& forward) {
  std::vector<InputInfo> inputs;
  const auto& args = forward.function().getSchema().arguments();
  for (size_t i = 1; i < args.size(); ++i) {
    InputInfo in;
    in.name = args[i].name();
    in.type = args[i].type()->str();
    auto type = args[i].type();
    if (auto opt = type->cast<c10::OptionalType>()) type = opt->getElementType();
    in.tensor = type->kind() == c10::TypeKind::TensorType;
    if (args[i].default_value()) {
      in.has_default = true;
      in.default_value = *args[i].default_value();
    }
    inputs.push_back(std::move(in));
  }
  return inputs;
}

}  // namespace

uint32_t graph_io_count(const GraphState& graph, nnwasm_io_kind kind) {
  if (kind == NNWASM_IO_OUTPUT)
    throw Error{NNWASM_UNSUPPORTED_OPERATION,
                "a TorchScript module declares its outputs only by returning them: compute first"};
  return static_cast<uint32_t>(graph.inputs.size());
}

nnwasm_tensor_desc graph_io(const GraphState& graph, nnwasm_io_kind kind, uint32_t index) {
  const uint32_t count = graph_io_count(graph, kind);
  if (index >= count)
    throw Error{NNWASM_INVALID_ARGUMENT, "input " + std::to_string(index) +
                                             " out of range: forward takes " +
                                             std::to_string(count) + " argument(s)"};
  const InputInfo& in = graph.inputs[index];
  // TorchScript types tensors without element type or shape.
  return {in.name.c_str(), NNWASM_TENSOR_UNKNOWN, 0, nullptr,
          in.has_default ? uint32_t{NNWASM_IO_OPTIONAL} : 0u};
}

std::shared_ptr<GraphState> load_graph(const uint8_t* data, size_t size, const char* path,
                                       const nnwasm_load_options* options) {
  if (options == nullptr) throw Error{NNWASM_INVALID_ARGUMENT, "load options missing"};
  if (options->encoding != NNWASM_ENCODING_PYTORCH &&
      options->encoding != NNWASM_ENCODING_AUTODETECT)
    throw Error{NNWASM_INVALID_ENCODING,
                "the torch backend loads only TorchScript (pytorch) models; got encoding " +
                    std::to_string(options->encoding)};
  const Config config = parse_config(options->config_json, options->config_len);
  const c10::Device device = device_for(options->target, options->device_index);
  // Global in libtorch: a graph asking for a thread count sets it for the whole process.
  if (config.threads > 0) at::set_num_threads(config.threads);

  const std::string where = path != nullptr ? std::string("'") + path + "': " : std::string();
  if (path != nullptr && access(path, R_OK) != 0)
    throw Error{NNWASM_MODEL_NOT_FOUND,
                where + "cannot read the model file: " + std::strerror(errno)};
  return torch_call(NNWASM_RUNTIME_ERROR, where, [&] {
    torch::jit::Module module =
        path != nullptr ? torch::jit::load(std::string(path), device)
                        : torch::jit::load(std::make_shared<MemoryReader>(data, size), device);
    module.eval();
    if (!module.find_method("forward"))
      throw Error{NNWASM_INVALID_ENCODING, where + "the TorchScript module has no forward method"};
    auto graph = std::make_shared<GraphState>(std::move(module), device);
    graph->inputs = describe_inputs(graph->forward);
    return graph;
  });
}

const char* backend_version() {
  static const std::string version = std::string("1.0 (libtorch ") + TORCH_VERSION + ")";
  return version.c_str();
}

void init_threads() {
  at::set_num_threads(cpus_available());
}

}  // namespace nnwasm::torch_backend
