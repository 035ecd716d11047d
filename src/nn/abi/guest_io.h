// Helpers shared by the WASI-NN import-module adapters: reading builders, tensors and names
// from guest memory, writing outputs back, and reporting failures on stderr.
#pragma once

#include <nnwasm/backend.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "engine/guest_memory.h"
#include "engine/host_function.h"
#include "nn/nn_error.h"

namespace nnwasm::nn::abi {

inline constexpr uint32_t kMaxRank = 32;
inline constexpr uint32_t kMaxBuilders = 1024;

// Logs the failure (one line, "wasi-nn FUNCTION: message") and returns its code.
int32_t report(const char* function, const NnStatus& status);
// The engine's guest boundary calls this when a WASI-NN host function threw (engine::HostFailure):
// one line naming the function and what it threw; the guest gets runtime_error and goes on.
uint32_t report_host_failure(void* self, const std::string& function, const char* what,
                             bool out_of_memory);

// Binds a WASI-NN import (both modules) with report_host_failure as its answer to a throw.
template <auto Method, class C>
engine::HostFunction bind_nn(std::string_view module, std::string_view name, C* self) {
  return engine::bind_method<Method>(module, name, self, &report_host_failure);
}

// Reads `count` builders ({u32 ptr, u32 len} each) at `array_ptr` into `out`.
NnStatus read_builders(const engine::GuestMemory& memory, uint32_t array_ptr, uint32_t count,
                       std::vector<nnwasm_bytes>* out);

// A tensor whose dims were copied out of guest memory (they may be unaligned there).
struct GuestTensor {
  std::array<uint32_t, kMaxRank> dims;
  nnwasm_tensor view;
};

// Fills `out` from guest dims/data ranges, validating every range and the type.
NnStatus read_tensor(const engine::GuestMemory& memory, uint32_t dims_ptr, uint32_t rank,
                     uint32_t type, uint32_t data_ptr, uint64_t data_len, GuestTensor* out);

// A guest string (name or config) as a view into guest memory.
NnStatus read_string(const engine::GuestMemory& memory, uint32_t ptr, uint32_t len,
                     std::string_view* out);

// Copies an output into guest memory: too_large (nothing copied) when it does not fit.
NnStatus copy_output(engine::GuestMemory& memory, const nnwasm_output& output, uint32_t out_ptr,
                     uint32_t capacity);

}  // namespace nnwasm::nn::abi
