// Internal interface of the ONNX Runtime backend: graphs, contexts and the helpers shared by its
// files (plugin.cc: the traits of the shared ABI boundary, probe.cc: devices/sniff, graph.cc:
// loading, context.cc: runs).
#pragma once

#include <nnwasm/backend.h>
#include <onnxruntime_cxx_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../common/plugin_support.h"

namespace nnwasm::onnx {

// A failure carrying its WASI-NN code; thrown inside the plugin, caught at the ABI boundary.
using plugin_support::cpus_available;
using plugin_support::dims_text;
using plugin_support::element_size;
using plugin_support::Error;
using plugin_support::wasi_type_name;

// ---- devices and model format (probe.cc) ----

// Whether the CUDA execution provider is compiled into the loaded ONNX Runtime AND a CUDA
// device is usable (libcuda.so.1 initializes and reports at least one device). Cached.
bool cuda_usable();
nnwasm_status probe_devices(nnwasm_device* out, uint32_t cap, uint32_t* count);
// Confidence 0..100 that `data` starts an ONNX ModelProto; never reads past `size`.
uint32_t sniff_onnx(const uint8_t* data, size_t size);
// The same, with the encoding and "ONNX (ir version 8)" for the sniff result.
void sniff_onnx(const uint8_t* data, size_t size, nnwasm_sniff_result* out);

// ---- graphs (graph.cc) ----

// The process-wide ONNX Runtime environment, created on first use (thread-safe).
Ort::Env& env();

// One tensor input or output as the model declares it.
struct TensorInfo {
  std::string name;
  bool is_tensor = false;  // false for sequences, maps, optionals
  ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  std::vector<int64_t> shape;          // -1 (or any negative) = dynamic dimension
  std::vector<std::string> dim_names;  // symbolic names ("" when none)
};

// A loaded model: one Ort::Session shared by every context (Session::Run is thread-safe).
struct GraphState {
  Ort::Session session{nullptr};
  std::vector<TensorInfo> inputs, outputs;
  std::vector<const char*> input_names, output_names;  // point into inputs/outputs

  uint32_t io_count(nnwasm_io_kind kind) const;
  nnwasm_tensor_desc io(nnwasm_io_kind kind, uint32_t index) const;
};

// Loads a model from memory or a file; throws Error or Ort::Exception.
std::shared_ptr<GraphState> load_graph(const void* data, size_t size, const char* path,
                                       const nnwasm_load_options* options);

// ---- contexts (context.cc) ----

// A block of host memory aligned for any tensor element type, reused across calls.
class Buffer {
 public:
  uint8_t* data() { return data_.get(); }
  size_t capacity() const { return capacity_; }
  // The capacity reserve(size) gives (for admitting the memory before it is taken).
  size_t capacity_for(size_t size) const;
  // Grows (never shrinks) to hold `size` bytes; returns true if the address changed.
  bool reserve(size_t size);

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t capacity_ = 0;
};

// One input of a context; its tensor (over `buffer`) lives in Context::input_values_.
struct InputSlot {
  bool set = false;
  Buffer buffer;              // owned copy of the guest's data
  std::vector<int64_t> dims;  // shape of the tensor over `buffer`
};

// Where get_output finds output `index` after a compute (computed once per new allocation).
struct OutputView {
  nnwasm_status status = NNWASM_SUCCESS;  // UNSUPPORTED_OPERATION for non-tensor/string outputs
  nnwasm_output bytes{};
  std::vector<uint32_t> dims;  // bytes.dims points here
};

class Context {
 public:
  // `host_token`: the host's handle of this context, for admitting its tensors' memory.
  Context(std::shared_ptr<GraphState> graph, void* host_token);
  void set_input(uint32_t index, const nnwasm_tensor& tensor);
  void compute();
  nnwasm_output output(uint32_t index) const;

 private:
  void run();
  void describe_outputs();
  [[noreturn]] void fail_input(uint32_t index, const std::string& what) const;

  std::shared_ptr<GraphState> graph_;
  Ort::RunOptions run_options_;
  Ort::MemoryInfo cpu_memory_;
  std::vector<InputSlot> slots_;
  std::vector<Ort::Value> input_values_;  // parallel to slots_, handed to Run
  std::vector<Ort::Value> outputs_;       // last outputs; reused as Run's destinations
  std::vector<OutputView> views_;         // parallel to outputs_
  bool have_outputs_ = false;             // outputs_ hold the result of the last compute
  bool shapes_changed_ = true;            // an input shape changed since the last compute
  bool reuse_outputs_ = true;             // false once reuse proved wrong (data-dependent shapes)
  // The inputs' buffers and the outputs ONNX Runtime allocated, in the host's memory budget.
  plugin_support::MemoryCharge memory_;
  uint64_t input_bytes_ = 0;  // sum of the input buffers' capacities
};

// ---- shared helpers (graph.cc) ----

// ONNX element type for a WASI-NN type; UNDEFINED when unknown.
ONNXTensorElementDataType onnx_type_of(nnwasm_tensor_type type);
// WASI-NN type for an ONNX element type; NNWASM_TENSOR_UNKNOWN outside the six.
nnwasm_tensor_type wasi_type_of(ONNXTensorElementDataType type);
// "float", "int64", ... for an ONNX element type.
std::string_view onnx_type_name(ONNXTensorElementDataType type);
// "[batch,3]" using symbolic names where the model has them.
std::string format_shape(const std::vector<int64_t>& shape,
                         const std::vector<std::string>& names = {});

}  // namespace nnwasm::onnx
