// libFuzzer target: nnwasm's own reader of a guest's Wasm binary (imports and exports, read
// before V8 compiles it, to link and to explain what is missing). Any bytes: an error, or a
// description; never a crash or an out-of-bounds read.
#include <cstdint>
#include <span>
#include <string>

#include "engine/wasm_binary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  nnwasm::engine::read_module_info(std::span<const uint8_t>(data, size), &error);
  return 0;
}
