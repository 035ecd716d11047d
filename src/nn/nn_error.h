// NnStatus: a WASI-NN error code with the message that explains it (what failed, what to do).
#pragma once

#include <nnwasm/backend.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace nnwasm::nn {

struct NnStatus {
  nnwasm_status code = NNWASM_SUCCESS;
  std::string message;

  static NnStatus ok() { return {}; }
  bool is_ok() const { return code == NNWASM_SUCCESS; }
};

inline NnStatus nn_error(nnwasm_status code, std::string message) {
  return NnStatus{code, std::move(message)};
}

// `text` fit for one line of the host's log: control characters (and the UTF-8 encoding of C1
// controls) as \xNN, cut after `max` bytes with the full size noted. Names, configs and the
// messages that quote them come from the guest: a terminal must never interpret them.
std::string printable(std::string_view text, size_t max = 128);

// Name of a WASI-NN error code, e.g. "invalid_argument".
const char* status_name(nnwasm_status code);

// Encoding/target names as used on the command line ("onnx", "gpu", ...); "unknown(N)" otherwise.
std::string encoding_name(uint32_t encoding);
std::string target_name(uint32_t target);
// "f32", "u8", ... for a wasi_ephemeral_nn tensor type; "unknown(N)" otherwise.
std::string tensor_type_name(uint32_t type);

// Case-insensitive parse of an encoding/target name; false when unknown.
bool parse_encoding(std::string_view text, uint32_t* encoding);
bool parse_target(std::string_view text, uint32_t* target);

}  // namespace nnwasm::nn
