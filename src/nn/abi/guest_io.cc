// Guest-memory decoding for the WASI-NN adapters; every range is checked before use.
#include "nn/abi/guest_io.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "nn/session.h"

namespace nnwasm::nn::abi {

// Messages may quote what the guest sent (a config, a prompt): escaped, and cut at this size.
constexpr size_t kMaxLoggedMessage = 2048;

int32_t report(const char* function, const NnStatus& status) {
  // end_of_sequence is how a generation normally ends, not a failure; a full context is a
  // normal end too, but one the user may want to change (ctx-size).
  if (status.code == NNWASM_CONTEXT_FULL) {
    spdlog::warn("wasi-nn {}: {}", function, printable(status.message, kMaxLoggedMessage));
  } else if (!status.is_ok() && status.code != NNWASM_END_OF_SEQUENCE) {
    spdlog::error("wasi-nn {}: {}", function, printable(status.message, kMaxLoggedMessage));
  }
  return static_cast<int32_t>(status.code);
}

uint32_t report_host_failure(void*, const std::string& function, const char* what,
                             bool out_of_memory) {
  spdlog::error(
      "{}: internal error: {}{}; the guest gets runtime_error", function, what,
      out_of_memory ? " (lower the model or tensor sizes, or give the host more memory)" : "");
  return NNWASM_RUNTIME_ERROR;
}

NnStatus read_builders(const engine::GuestMemory& memory, uint32_t array_ptr, uint32_t count,
                       std::vector<nnwasm_bytes>* out) {
  if (count == 0 || count > kMaxBuilders) {
    return nn_error(NNWASM_INVALID_ARGUMENT, "graph builder count " + std::to_string(count) +
                                                 " is not in 1.." + std::to_string(kMaxBuilders));
  }
  if (!memory.contains(array_ptr, uint64_t{count} * 8)) {
    return nn_error(NNWASM_INVALID_ARGUMENT, "graph builder array lies outside guest memory");
  }
  out->clear();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t ptr = *memory.read<uint32_t>(array_ptr + i * 8);
    uint32_t len = *memory.read<uint32_t>(array_ptr + i * 8 + 4);
    auto bytes = memory.slice(ptr, len);
    if (!bytes) {
      return nn_error(NNWASM_INVALID_ARGUMENT,
                      "graph builder " + std::to_string(i) + " lies outside guest memory");
    }
    out->push_back({bytes->data(), bytes->size()});
  }
  return NnStatus::ok();
}

NnStatus read_tensor(const engine::GuestMemory& memory, uint32_t dims_ptr, uint32_t rank,
                     uint32_t type, uint32_t data_ptr, uint64_t data_len, GuestTensor* out) {
  if (rank > kMaxRank) {
    return nn_error(NNWASM_INVALID_ARGUMENT,
                    "tensor rank " + std::to_string(rank) + " exceeds " + std::to_string(kMaxRank));
  }
  auto dims = memory.slice(dims_ptr, uint64_t{rank} * 4);
  if (!dims) return nn_error(NNWASM_INVALID_ARGUMENT, "tensor dims lie outside guest memory");
  if (element_size(type) == 0) {
    return nn_error(NNWASM_INVALID_ARGUMENT, "unknown tensor type " + std::to_string(type) +
                                                 " (0 f16, 1 f32, 2 f64, 3 u8, 4 i32, 5 i64)");
  }
  auto data = memory.slice(data_ptr, data_len);
  if (!data) return nn_error(NNWASM_INVALID_ARGUMENT, "tensor data lies outside guest memory");
  if (rank != 0) std::memcpy(out->dims.data(), dims->data(), rank * 4);
  out->view = nnwasm_tensor{out->dims.data(), rank, type, data->data(), data->size()};
  return NnStatus::ok();
}

NnStatus read_string(const engine::GuestMemory& memory, uint32_t ptr, uint32_t len,
                     std::string_view* out) {
  auto bytes = memory.slice(ptr, len);
  if (!bytes) return nn_error(NNWASM_INVALID_ARGUMENT, "string lies outside guest memory");
  *out = std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  return NnStatus::ok();
}

NnStatus copy_output(engine::GuestMemory& memory, const nnwasm_output& output, uint32_t out_ptr,
                     uint32_t capacity) {
  if (output.size > capacity) {
    return nn_error(NNWASM_TOO_LARGE, "output of " + std::to_string(output.size) +
                                          " bytes does not fit the guest buffer of " +
                                          std::to_string(capacity) + " bytes");
  }
  if (!memory.write_bytes(out_ptr, output.data, output.size)) {
    return nn_error(NNWASM_INVALID_ARGUMENT, "output buffer lies outside guest memory");
  }
  return NnStatus::ok();
}

}  // namespace nnwasm::nn::abi
