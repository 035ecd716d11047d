// Model loading for the ONNX Runtime backend: the process-wide Ort::Env, session options from
// the load config JSON and target, and the description of a model's inputs and outputs.
#include "onnx_backend.h"

#include <nlohmann/json.hpp>

#include <string>

namespace nnwasm::onnx {
namespace {

GraphOptimizationLevel parse_optimization_level(const nlohmann::json& v) {
  if (v.is_number_integer()) {
    switch (v.get<int64_t>()) {
      case 0:
        return ORT_DISABLE_ALL;
      case 1:
        return ORT_ENABLE_BASIC;
      case 2:
        return ORT_ENABLE_EXTENDED;
      case 3:
        return ORT_ENABLE_LAYOUT;
      case 99:
        return ORT_ENABLE_ALL;
      default:
        break;
    }
  } else if (v.is_string()) {
    const auto s = v.get<std::string>();
    if (s == "disable" || s == "disable_all" || s == "none") return ORT_DISABLE_ALL;
    if (s == "basic") return ORT_ENABLE_BASIC;
    if (s == "extended") return ORT_ENABLE_EXTENDED;
    if (s == "layout") return ORT_ENABLE_LAYOUT;
    if (s == "all") return ORT_ENABLE_ALL;
  }
  throw Error{NNWASM_INVALID_ARGUMENT,
              "config: \"graph_optimization_level\" must be 0, 1, 2, 3, 99 or one of \"disable\", "
              "\"basic\", \"extended\", \"layout\", \"all\"; got " +
                  v.dump()};
}

int64_t parse_count(const nlohmann::json& v, const char* key, int64_t min, int64_t max) {
  if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
    throw Error{NNWASM_INVALID_ARGUMENT, std::string("config: \"") + key +
                                             "\" must be an integer in " + std::to_string(min) +
                                             ".." + std::to_string(max) + "; got " + v.dump()};
  return v.get<int64_t>();
}

// Applies the recognized keys of the load config; unknown keys are ignored.
void apply_config(Ort::SessionOptions& so, const char* text, size_t len) {
  int64_t threads = cpus_available();
  GraphOptimizationLevel level = ORT_ENABLE_ALL;
  if (text != nullptr && len > 0) {
    const auto json = nlohmann::json::parse(text, text + len, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) throw Error{NNWASM_INVALID_ENCODING, "config is not valid JSON"};
    if (!json.is_object())
      throw Error{NNWASM_INVALID_ARGUMENT, "config must be a JSON object; got " + json.dump()};
    if (auto it = json.find("intra_op_num_threads"); it != json.end())
      threads = parse_count(*it, "intra_op_num_threads", 1, 1024);
    if (auto it = json.find("graph_optimization_level"); it != json.end())
      level = parse_optimization_level(*it);
    if (auto it = json.find("allow_spinning"); it != json.end()) {
      if (!it->is_boolean())
        throw Error{NNWASM_INVALID_ARGUMENT,
                    "config: \"allow_spinning\" must be true or false; got " + it->dump()};
      so.AddConfigEntry("session.intra_op.allow_spinning", it->get<bool>() ? "1" : "0");
    }
  }
  so.SetIntraOpNumThreads(static_cast<int>(threads));
  so.SetGraphOptimizationLevel(level);
}

void append_cuda(Ort::SessionOptions& so, int device_id) {
  OrtCUDAProviderOptions cuda{};
  cuda.device_id = device_id;
  so.AppendExecutionProvider_CUDA(cuda);
}

// Chooses the execution provider for the target and device the core resolved.
void apply_target(Ort::SessionOptions& so, nnwasm_target target, int32_t device_index) {
  switch (target) {
    case NNWASM_TARGET_CPU:
      return;
    case NNWASM_TARGET_GPU:
      if (!cuda_usable())
        throw Error{NNWASM_UNSUPPORTED_OPERATION,
                    "target gpu: no usable CUDA device for ONNX Runtime (needs the CUDA execution "
                    "provider next to libonnxruntime.so, libcuda.so.1 and a GPU); use target cpu"};
      try {
        append_cuda(so, device_index);
      } catch (const Ort::Exception& e) {
        throw Error{NNWASM_UNSUPPORTED_OPERATION,
                    std::string("target gpu: ONNX Runtime cannot use CUDA: ") + e.what()};
      }
      return;
    case NNWASM_TARGET_TPU:
      throw Error{NNWASM_UNSUPPORTED_OPERATION, "target tpu: ONNX Runtime has no TPU support here"};
    default:
      throw Error{NNWASM_INVALID_ARGUMENT, "unknown execution target " + std::to_string(target)};
  }
}

TensorInfo describe(const Ort::TypeInfo& type, std::string name) {
  TensorInfo info;
  info.name = std::move(name);
  info.is_tensor = type.GetONNXType() == ONNX_TYPE_TENSOR;
  if (!info.is_tensor) return info;
  const auto tensor = type.GetTensorTypeAndShapeInfo();
  info.type = tensor.GetElementType();
  info.shape = tensor.GetShape();
  for (const char* dim : tensor.GetSymbolicDimensions())
    info.dim_names.emplace_back(dim ? dim : "");
  return info;
}

}  // namespace

Ort::Env& env() {
  // Magic static: created once, thread-safe; a throwing constructor is retried on next use.
  static Ort::Env instance(ORT_LOGGING_LEVEL_ERROR, "nnwasm-onnx");
  return instance;
}

std::shared_ptr<GraphState> load_graph(const void* data, size_t size, const char* path,
                                       const nnwasm_load_options* options) {
  if (options == nullptr) throw Error{NNWASM_INVALID_ARGUMENT, "load options missing"};
  if (options->encoding != NNWASM_ENCODING_ONNX && options->encoding != NNWASM_ENCODING_AUTODETECT)
    throw Error{NNWASM_INVALID_ENCODING, "the onnx backend loads only ONNX models; got encoding " +
                                             std::to_string(options->encoding)};
  Ort::SessionOptions so;
  apply_config(so, options->config_json, options->config_len);
  apply_target(so, options->target, options->device_index);

  auto graph = std::make_shared<GraphState>();
  graph->session =
      path != nullptr ? Ort::Session(env(), path, so) : Ort::Session(env(), data, size, so);
  Ort::AllocatorWithDefaultOptions allocator;
  const size_t n_in = graph->session.GetInputCount(), n_out = graph->session.GetOutputCount();
  for (size_t i = 0; i < n_in; ++i)
    graph->inputs.push_back(describe(graph->session.GetInputTypeInfo(i),
                                     graph->session.GetInputNameAllocated(i, allocator).get()));
  for (size_t i = 0; i < n_out; ++i)
    graph->outputs.push_back(describe(graph->session.GetOutputTypeInfo(i),
                                      graph->session.GetOutputNameAllocated(i, allocator).get()));
  for (const auto& t : graph->inputs) graph->input_names.push_back(t.name.c_str());
  for (const auto& t : graph->outputs) graph->output_names.push_back(t.name.c_str());
  return graph;
}

uint32_t GraphState::io_count(nnwasm_io_kind kind) const {
  return static_cast<uint32_t>(kind == NNWASM_IO_INPUT ? inputs.size() : outputs.size());
}

nnwasm_tensor_desc GraphState::io(nnwasm_io_kind kind, uint32_t index) const {
  const std::vector<TensorInfo>& side = kind == NNWASM_IO_INPUT ? inputs : outputs;
  if (index >= side.size())
    throw Error{NNWASM_INVALID_ARGUMENT,
                std::string(kind == NNWASM_IO_INPUT ? "input " : "output ") +
                    std::to_string(index) + " out of range: the model has " +
                    std::to_string(side.size())};
  const TensorInfo& t = side[index];
  if (!t.is_tensor) return {t.name.c_str(), NNWASM_TENSOR_UNKNOWN, 0, nullptr, 0};
  return {t.name.c_str(), wasi_type_of(t.type), static_cast<uint32_t>(t.shape.size()),
          t.shape.data(), 0};
}

// ---- type and shape helpers ----

nnwasm_tensor_type wasi_type_of(ONNXTensorElementDataType type) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
      return NNWASM_TENSOR_F16;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return NNWASM_TENSOR_F32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return NNWASM_TENSOR_F64;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      return NNWASM_TENSOR_U8;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return NNWASM_TENSOR_I32;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return NNWASM_TENSOR_I64;
    default:
      return NNWASM_TENSOR_UNKNOWN;
  }
}

ONNXTensorElementDataType onnx_type_of(nnwasm_tensor_type type) {
  switch (type) {
    case NNWASM_TENSOR_F16:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    case NNWASM_TENSOR_F32:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
    case NNWASM_TENSOR_F64:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE;
    case NNWASM_TENSOR_U8:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8;
    case NNWASM_TENSOR_I32:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32;
    case NNWASM_TENSOR_I64:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
    default:
      return ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  }
}

std::string_view onnx_type_name(ONNXTensorElementDataType type) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return "float";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      return "int8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16:
      return "uint16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
      return "int16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING:
      return "string";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      return "bool";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
      return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return "double";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32:
      return "uint32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64:
      return "uint64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
      return "bfloat16";
    default:
      return "other";
  }
}

std::string format_shape(const std::vector<int64_t>& shape, const std::vector<std::string>& names) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ',';
    if (shape[i] >= 0)
      s += std::to_string(shape[i]);
    else if (i < names.size() && !names[i].empty())
      s += names[i];
    else
      s += '?';
  }
  return s + ']';
}

}  // namespace nnwasm::onnx
