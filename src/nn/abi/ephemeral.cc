// wasi_ephemeral_nn: the 12 functions of docs/abi.md section 1, bound to the engine.
#include "nn/abi/ephemeral.h"

#include <vector>

#include "nn/abi/guest_io.h"

namespace nnwasm::nn::abi {

namespace {
constexpr const char* kModule = "wasi_ephemeral_nn";

// Writes a u32 result through a guest out-pointer; the pointer is checked before any work.
bool check_out(const engine::GuestMemory& memory, uint32_t ptr) {
  return memory.contains(ptr, sizeof(uint32_t));
}
NnStatus bad_out(const char* what) {
  return nn_error(NNWASM_INVALID_ARGUMENT,
                  std::string(what) + " pointer lies outside guest memory");
}
}  // namespace

void EphemeralModule::define_imports(engine::Linker& linker) {
  linker.define(bind_nn<&EphemeralModule::load>(kModule, "load", this));
  linker.define(bind_nn<&EphemeralModule::load_by_name>(kModule, "load_by_name", this));
  linker.define(bind_nn<&EphemeralModule::load_by_name_with_config>(
      kModule, "load_by_name_with_config", this));
  linker.define(
      bind_nn<&EphemeralModule::init_execution_context>(kModule, "init_execution_context", this));
  linker.define(bind_nn<&EphemeralModule::set_input>(kModule, "set_input", this));
  linker.define(bind_nn<&EphemeralModule::compute>(kModule, "compute", this));
  linker.define(bind_nn<&EphemeralModule::get_output>(kModule, "get_output", this));
  linker.define(bind_nn<&EphemeralModule::compute_single>(kModule, "compute_single", this));
  linker.define(bind_nn<&EphemeralModule::get_output_single>(kModule, "get_output_single", this));
  linker.define(bind_nn<&EphemeralModule::fini_single>(kModule, "fini_single", this));
  linker.define(bind_nn<&EphemeralModule::unload>(kModule, "unload", this));
  linker.define(bind_nn<&EphemeralModule::finalize_execution_context>(
      kModule, "finalize_execution_context", this));
}

int32_t EphemeralModule::load(HostCall& call, uint32_t builders, uint32_t count, uint32_t encoding,
                              uint32_t target, uint32_t graph_out) {
  auto& memory = call.memory();
  if (!check_out(memory, graph_out)) return report("load", bad_out("graph"));
  std::vector<nnwasm_bytes> parts;
  NnStatus status = read_builders(memory, builders, count, &parts);
  uint32_t graph = 0;
  if (status.is_ok()) status = session_.load(parts, encoding, target, &graph);
  if (status.is_ok()) (void)memory.write(graph_out, graph);
  return report("load", status);
}

int32_t EphemeralModule::load_by_name(HostCall& call, uint32_t name, uint32_t name_len,
                                      uint32_t graph_out) {
  return load_by_name_with_config(call, name, name_len, 0, 0, graph_out);
}

int32_t EphemeralModule::load_by_name_with_config(HostCall& call, uint32_t name, uint32_t name_len,
                                                  uint32_t config, uint32_t config_len,
                                                  uint32_t graph_out) {
  auto& memory = call.memory();
  if (!check_out(memory, graph_out)) return report("load_by_name", bad_out("graph"));
  std::string_view name_text, config_text;
  NnStatus status = read_string(memory, name, name_len, &name_text);
  if (status.is_ok()) status = read_string(memory, config, config_len, &config_text);
  uint32_t graph = 0;
  if (status.is_ok()) status = session_.load_by_name(name_text, config_text, &graph);
  if (status.is_ok()) (void)memory.write(graph_out, graph);
  return report("load_by_name", status);
}

int32_t EphemeralModule::init_execution_context(HostCall& call, uint32_t graph,
                                                uint32_t context_out) {
  auto& memory = call.memory();
  if (!check_out(memory, context_out)) return report("init_execution_context", bad_out("context"));
  uint32_t context = 0;
  NnStatus status = session_.init_execution_context(graph, &context);
  if (status.is_ok()) (void)memory.write(context_out, context);
  return report("init_execution_context", status);
}

int32_t EphemeralModule::set_input(HostCall& call, uint32_t context, uint32_t index,
                                   uint32_t tensor) {
  auto& memory = call.memory();
  if (!memory.contains(tensor, 20)) return report("set_input", bad_out("tensor"));
  GuestTensor input;
  NnStatus status =
      read_tensor(memory, *memory.read<uint32_t>(tensor), *memory.read<uint32_t>(tensor + 4),
                  *memory.read<uint8_t>(tensor + 8),  // u8 tag; ignore padding
                  *memory.read<uint32_t>(tensor + 12), *memory.read<uint32_t>(tensor + 16), &input);
  if (status.is_ok()) status = session_.set_input(context, index, input.view);
  return report("set_input", status);
}

int32_t EphemeralModule::compute(HostCall&, uint32_t context) {
  return report("compute", session_.compute(context));
}

int32_t EphemeralModule::write_output(HostCall& call, const char* function, NnStatus status,
                                      const nnwasm_output& output, uint32_t out, uint32_t out_max,
                                      uint32_t written_out) {
  auto& memory = call.memory();
  if (!status.is_ok()) return report(function, status);
  status = copy_output(memory, output, out, out_max);
  if (status.code == NNWASM_TOO_LARGE) {
    // The too_large protocol: report the size needed, copy nothing; not an error worth a log.
    (void)memory.write(written_out, static_cast<uint32_t>(output.size));
    return NNWASM_TOO_LARGE;
  }
  if (status.is_ok()) (void)memory.write(written_out, static_cast<uint32_t>(output.size));
  return report(function, status);
}

int32_t EphemeralModule::get_output(HostCall& call, uint32_t context, uint32_t index, uint32_t out,
                                    uint32_t out_max, uint32_t written_out) {
  if (!check_out(call.memory(), written_out)) return report("get_output", bad_out("bytes_written"));
  nnwasm_output output{};
  NnStatus status = session_.get_output(context, index, &output);
  return write_output(call, "get_output", std::move(status), output, out, out_max, written_out);
}

int32_t EphemeralModule::compute_single(HostCall&, uint32_t context) {
  return report("compute_single", session_.compute_single(context));
}

int32_t EphemeralModule::get_output_single(HostCall& call, uint32_t context, uint32_t index,
                                           uint32_t out, uint32_t out_max, uint32_t written_out) {
  if (!check_out(call.memory(), written_out)) {
    return report("get_output_single", bad_out("bytes_written"));
  }
  nnwasm_output output{};
  NnStatus status = session_.get_output_single(context, index, &output);
  return write_output(call, "get_output_single", std::move(status), output, out, out_max,
                      written_out);
}

int32_t EphemeralModule::fini_single(HostCall&, uint32_t context) {
  return report("fini_single", session_.fini_single(context));
}

int32_t EphemeralModule::unload(HostCall&, uint32_t graph) {
  return report("unload", session_.unload(graph));
}

int32_t EphemeralModule::finalize_execution_context(HostCall&, uint32_t context) {
  return report("finalize_execution_context", session_.finalize_execution_context(context));
}

}  // namespace nnwasm::nn::abi
