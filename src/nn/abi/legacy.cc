// wasi_nn (legacy): builder arrays behind one pointer, 12-byte tensors without a data length,
// its own tensor type numbers, and get_output reporting an element count (as WAMR does).
#include "nn/abi/legacy.h"

#include <vector>

#include "nn/abi/guest_io.h"

namespace nnwasm::nn::abi {

namespace {
constexpr const char* kModule = "wasi_nn";

// Legacy tensor types: f16 0, f32 1, u8 2, i32 3 -> wasi_ephemeral_nn numbering.
bool map_legacy_type(uint32_t legacy, uint32_t* type) {
  static constexpr uint32_t kMap[] = {NNWASM_TENSOR_F16, NNWASM_TENSOR_F32, NNWASM_TENSOR_U8,
                                      NNWASM_TENSOR_I32};
  if (legacy >= 4) return false;
  *type = kMap[legacy];
  return true;
}

NnStatus bad_pointer(const char* what) {
  return nn_error(NNWASM_INVALID_ARGUMENT, std::string(what) + " lies outside guest memory");
}
}  // namespace

void LegacyModule::define_imports(engine::Linker& linker) {
  linker.define(bind_nn<&LegacyModule::load>(kModule, "load", this));
  linker.define(bind_nn<&LegacyModule::load_by_name>(kModule, "load_by_name", this));
  linker.define(
      bind_nn<&LegacyModule::init_execution_context>(kModule, "init_execution_context", this));
  linker.define(bind_nn<&LegacyModule::set_input>(kModule, "set_input", this));
  linker.define(bind_nn<&LegacyModule::compute>(kModule, "compute", this));
  linker.define(bind_nn<&LegacyModule::get_output>(kModule, "get_output", this));
}

int32_t LegacyModule::load(HostCall& call, uint32_t builder_array, uint32_t encoding,
                           uint32_t target, uint32_t graph_out) {
  auto& memory = call.memory();
  if (!memory.contains(graph_out, 4)) return report("load", bad_pointer("graph pointer"));
  if (!memory.contains(builder_array, 8)) return report("load", bad_pointer("builder array"));
  std::vector<nnwasm_bytes> parts;
  NnStatus status = read_builders(memory, *memory.read<uint32_t>(builder_array),
                                  *memory.read<uint32_t>(builder_array + 4), &parts);
  uint32_t graph = 0;
  if (status.is_ok()) status = session_.load(parts, encoding, target, &graph);
  if (status.is_ok()) (void)memory.write(graph_out, graph);
  return report("load", status);
}

int32_t LegacyModule::load_by_name(HostCall& call, uint32_t name, uint32_t name_len,
                                   uint32_t graph_out) {
  auto& memory = call.memory();
  if (!memory.contains(graph_out, 4)) return report("load_by_name", bad_pointer("graph pointer"));
  std::string_view name_text;
  NnStatus status = read_string(memory, name, name_len, &name_text);
  uint32_t graph = 0;
  if (status.is_ok()) status = session_.load_by_name(name_text, {}, &graph);
  if (status.is_ok()) (void)memory.write(graph_out, graph);
  return report("load_by_name", status);
}

int32_t LegacyModule::init_execution_context(HostCall& call, uint32_t graph, uint32_t context_out) {
  auto& memory = call.memory();
  if (!memory.contains(context_out, 4)) {
    return report("init_execution_context", bad_pointer("context pointer"));
  }
  uint32_t context = 0;
  NnStatus status = session_.init_execution_context(graph, &context);
  if (status.is_ok()) (void)memory.write(context_out, context);
  return report("init_execution_context", status);
}

int32_t LegacyModule::set_input(HostCall& call, uint32_t context, uint32_t index, uint32_t tensor) {
  auto& memory = call.memory();
  if (!memory.contains(tensor, 12)) return report("set_input", bad_pointer("tensor"));
  uint32_t dims_struct = *memory.read<uint32_t>(tensor);
  uint32_t legacy_type = *memory.read<uint8_t>(tensor + 4);
  uint32_t data = *memory.read<uint32_t>(tensor + 8);
  if (!memory.contains(dims_struct, 8)) return report("set_input", bad_pointer("tensor dims"));
  uint32_t dims_ptr = *memory.read<uint32_t>(dims_struct);
  uint32_t rank = *memory.read<uint32_t>(dims_struct + 4);
  uint32_t type = 0;
  if (!map_legacy_type(legacy_type, &type)) {
    return report("set_input",
                  nn_error(NNWASM_INVALID_ARGUMENT, "unknown legacy tensor type " +
                                                        std::to_string(legacy_type) +
                                                        " (0 f16, 1 f32, 2 u8, 3 i32)"));
  }
  // No data length in this ABI: it is product(dims) x element size (overflow-checked).
  if (rank > kMaxRank || !memory.contains(dims_ptr, uint64_t{rank} * 4)) {
    return report("set_input", bad_pointer("tensor dims"));
  }
  uint64_t bytes = element_size(type);
  for (uint32_t i = 0; i < rank; ++i) {
    bytes *= *memory.read<uint32_t>(dims_ptr + i * 4);
    if (bytes > (uint64_t{1} << 32)) {
      return report("set_input", nn_error(NNWASM_INVALID_ARGUMENT,
                                          "tensor dims describe more than 4 GiB of data"));
    }
  }
  GuestTensor input;
  NnStatus status = read_tensor(memory, dims_ptr, rank, type, data, bytes, &input);
  if (status.is_ok()) status = session_.set_input(context, index, input.view);
  return report("set_input", status);
}

int32_t LegacyModule::compute(HostCall&, uint32_t context) {
  return report("compute", session_.compute(context));
}

int32_t LegacyModule::get_output(HostCall& call, uint32_t context, uint32_t index, uint32_t out,
                                 uint32_t inout_size) {
  auto& memory = call.memory();
  auto capacity = memory.read<uint32_t>(inout_size);
  if (!capacity) return report("get_output", bad_pointer("size pointer"));
  nnwasm_output output{};
  NnStatus status = session_.get_output(context, index, &output);
  if (status.is_ok()) status = copy_output(memory, output, out, *capacity);
  // WAMR's legacy module reports a number of elements, not bytes, and its guests rely on it:
  // elements of the output's own type, or of f32 when the backend does not say (raw bytes).
  const size_t element = element_size(output.type) != 0 ? element_size(output.type) : 4;
  uint32_t elements = static_cast<uint32_t>(output.size / element);
  if (status.code == NNWASM_TOO_LARGE) {
    (void)memory.write(inout_size, elements);
    return NNWASM_TOO_LARGE;
  }
  if (status.is_ok()) (void)memory.write(inout_size, elements);
  return report("get_output", status);
}

}  // namespace nnwasm::nn::abi
