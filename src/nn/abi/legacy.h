// The legacy `wasi_nn` import module (WAMR's older ABI, docs/abi.md section 2), served by the same
// Session as wasi_ephemeral_nn.
#pragma once

#include "engine/host_function.h"
#include "nn/session.h"

namespace nnwasm::nn::abi {

class LegacyModule {
 public:
  explicit LegacyModule(Session& session) : session_(session) {}
  void define_imports(engine::Linker& linker);

  using HostCall = engine::HostCall;
  int32_t load(HostCall&, uint32_t builder_array, uint32_t encoding, uint32_t target,
               uint32_t graph_out);
  int32_t load_by_name(HostCall&, uint32_t name, uint32_t name_len, uint32_t graph_out);
  int32_t init_execution_context(HostCall&, uint32_t graph, uint32_t context_out);
  int32_t set_input(HostCall&, uint32_t context, uint32_t index, uint32_t tensor);
  int32_t compute(HostCall&, uint32_t context);
  int32_t get_output(HostCall&, uint32_t context, uint32_t index, uint32_t out,
                     uint32_t inout_size);

 private:
  Session& session_;
};

}  // namespace nnwasm::nn::abi
