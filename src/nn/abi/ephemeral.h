// The `wasi_ephemeral_nn` import module (witx ABI + WasmEdge's streaming and unload
// extensions): decodes guest arguments and calls the Session.
#pragma once

#include "engine/host_function.h"
#include "nn/session.h"

namespace nnwasm::nn::abi {

class EphemeralModule {
 public:
  explicit EphemeralModule(Session& session) : session_(session) {}
  void define_imports(engine::Linker& linker);

  using HostCall = engine::HostCall;
  int32_t load(HostCall&, uint32_t builders, uint32_t count, uint32_t encoding, uint32_t target,
               uint32_t graph_out);
  int32_t load_by_name(HostCall&, uint32_t name, uint32_t name_len, uint32_t graph_out);
  int32_t load_by_name_with_config(HostCall&, uint32_t name, uint32_t name_len, uint32_t config,
                                   uint32_t config_len, uint32_t graph_out);
  int32_t init_execution_context(HostCall&, uint32_t graph, uint32_t context_out);
  int32_t set_input(HostCall&, uint32_t context, uint32_t index, uint32_t tensor);
  int32_t compute(HostCall&, uint32_t context);
  int32_t get_output(HostCall&, uint32_t context, uint32_t index, uint32_t out, uint32_t out_max,
                     uint32_t written_out);
  int32_t compute_single(HostCall&, uint32_t context);
  int32_t get_output_single(HostCall&, uint32_t context, uint32_t index, uint32_t out,
                            uint32_t out_max, uint32_t written_out);
  int32_t fini_single(HostCall&, uint32_t context);
  int32_t unload(HostCall&, uint32_t graph);
  int32_t finalize_execution_context(HostCall&, uint32_t context);

 private:
  int32_t write_output(HostCall& call, const char* function, NnStatus status,
                       const nnwasm_output& output, uint32_t out, uint32_t out_max,
                       uint32_t written_out);
  Session& session_;
};

}  // namespace nnwasm::nn::abi
