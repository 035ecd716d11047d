// Names of WASI-NN codes, encodings and targets, for messages and the command line.
#include "nn/nn_error.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace nnwasm::nn {

namespace {

struct Named {
  std::string_view name;
  uint32_t value;
};

constexpr std::array<Named, 8> kEncodings = {{{"openvino", NNWASM_ENCODING_OPENVINO},
                                              {"onnx", NNWASM_ENCODING_ONNX},
                                              {"tensorflow", NNWASM_ENCODING_TENSORFLOW},
                                              {"pytorch", NNWASM_ENCODING_PYTORCH},
                                              {"tensorflowlite", NNWASM_ENCODING_TENSORFLOWLITE},
                                              {"ggml", NNWASM_ENCODING_GGML},
                                              {"autodetect", NNWASM_ENCODING_AUTODETECT},
                                              {"auto", NNWASM_ENCODING_AUTODETECT}}};

constexpr std::array<Named, 4> kTargets = {{{"cpu", NNWASM_TARGET_CPU},
                                            {"gpu", NNWASM_TARGET_GPU},
                                            {"tpu", NNWASM_TARGET_TPU},
                                            {"auto", NNWASM_TARGET_AUTO}}};

constexpr std::array<Named, 6> kTensorTypes = {{{"f16", NNWASM_TENSOR_F16},
                                                {"f32", NNWASM_TENSOR_F32},
                                                {"f64", NNWASM_TENSOR_F64},
                                                {"u8", NNWASM_TENSOR_U8},
                                                {"i32", NNWASM_TENSOR_I32},
                                                {"i64", NNWASM_TENSOR_I64}}};

template <size_t N>
bool parse_named(const std::array<Named, N>& table, std::string_view text, uint32_t* out) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const Named& n : table) {
    if (n.name == lower) {
      *out = n.value;
      return true;
    }
  }
  return false;
}

template <size_t N>
std::string name_of(const std::array<Named, N>& table, uint32_t value) {
  for (const Named& n : table) {
    if (n.value == value) return std::string(n.name);
  }
  // Built in steps: GCC 12 warns (-Wrestrict, a false positive) on "..." + to_string(...).
  std::string text = "unknown(";
  text += std::to_string(value);
  text += ')';
  return text;
}

}  // namespace

const char* status_name(nnwasm_status code) {
  switch (code) {
    case NNWASM_SUCCESS:
      return "success";
    case NNWASM_INVALID_ARGUMENT:
      return "invalid_argument";
    case NNWASM_INVALID_ENCODING:
      return "invalid_encoding";
    case NNWASM_MISSING_MEMORY:
      return "missing_memory";
    case NNWASM_BUSY:
      return "busy";
    case NNWASM_RUNTIME_ERROR:
      return "runtime_error";
    case NNWASM_UNSUPPORTED_OPERATION:
      return "unsupported_operation";
    case NNWASM_TOO_LARGE:
      return "too_large";
    case NNWASM_NOT_FOUND:
      return "not_found";
    case NNWASM_END_OF_SEQUENCE:
      return "end_of_sequence";
    case NNWASM_CONTEXT_FULL:
      return "context_full";
    case NNWASM_PROMPT_TOO_LONG:
      return "prompt_too_long";
    case NNWASM_MODEL_NOT_FOUND:
      return "model_not_found";
    default:
      return "unknown_error";
  }
}

std::string encoding_name(uint32_t encoding) {
  return name_of(kEncodings, encoding);
}
std::string target_name(uint32_t target) {
  return name_of(kTargets, target);
}
std::string tensor_type_name(uint32_t type) {
  return name_of(kTensorTypes, type);
}
bool parse_encoding(std::string_view text, uint32_t* encoding) {
  return parse_named(kEncodings, text, encoding);
}
bool parse_target(std::string_view text, uint32_t* target) {
  return parse_named(kTargets, text, target);
}

std::string printable(std::string_view text, size_t max) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string_view shown = text.substr(0, max);
  std::string out;
  out.reserve(shown.size() + 16);
  for (size_t i = 0; i < shown.size(); ++i) {
    const auto byte = static_cast<unsigned char>(shown[i]);
    const bool c1 = byte == 0xc2 && i + 1 < shown.size() &&
                    static_cast<unsigned char>(shown[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(shown[i + 1]) <= 0x9f;
    if (byte < 0x20 || byte == 0x7f || c1) {
      const int count = c1 ? 2 : 1;
      for (int k = 0; k < count; ++k) {
        const auto b = static_cast<unsigned char>(shown[i + k]);
        out += "\\x";
        out += kHex[b >> 4];
        out += kHex[b & 15];
      }
      i += count - 1;
    } else {
      out += shown[i];
    }
  }
  if (text.size() > max) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace nnwasm::nn
