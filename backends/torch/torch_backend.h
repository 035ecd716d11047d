// Internal interface of the PyTorch (TorchScript) backend that needs no torch headers: errors,
// sniffing and probing (probe.cc), graphs and contexts behind opaque types (graph.cc,
// context.cc, which include libtorch), used by the ABI boundary in plugin.cc (backend_boundary.h).
#pragma once

#include <nnwasm/backend.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "../common/plugin_support.h"

namespace nnwasm::torch_backend {

// A failure carrying its WASI-NN code; thrown inside the plugin, caught at the ABI boundary.
using plugin_support::cpus_available;
using plugin_support::dims_text;
using plugin_support::Error;
using plugin_support::wasi_type_name;

// ---- devices and model format (probe.cc) ----

// Lists cpu, then one "cuda:N <name>" per CUDA device libtorch can use. Cached.
nnwasm_status probe_devices(nnwasm_device* out, uint32_t cap, uint32_t* count);
// Number of CUDA devices libtorch can use (0 without CUDA). Cached.
uint32_t cuda_device_count();
// Confidence 0..100 that `data` is a TorchScript archive; never reads past `size`:
// 95 zip with the TorchScript layout, 30 a torch.save zip (pickle, no code), 10 other zip, 0 else.
uint32_t sniff_torchscript(const uint8_t* data, size_t size);

// ---- graphs (graph.cc) ----

// A loaded TorchScript module and what is known about its forward method (torch_impl.h).
struct GraphState;

// Loads a module from memory (`path` NULL) or a file; throws Error.
std::shared_ptr<GraphState> load_graph(const uint8_t* data, size_t size, const char* path,
                                       const nnwasm_load_options* options);
// Its inputs (forward's arguments, types unknown to TorchScript); outputs: UNSUPPORTED_OPERATION.
uint32_t graph_io_count(const GraphState& graph, nnwasm_io_kind kind);
nnwasm_tensor_desc graph_io(const GraphState& graph, nnwasm_io_kind kind, uint32_t index);
// "2.0 (libtorch 1.13.1)".
const char* backend_version();
// Sets libtorch's intra-op threads to the CPUs this process may use; once, at plugin entry.
void init_threads();

// ---- contexts (context.cc) ----

// Per-context inputs and the flattened outputs of the last compute.
class Context {
 public:
  virtual ~Context() = default;
  virtual void set_input(uint32_t index, const nnwasm_tensor& tensor) = 0;
  virtual void compute() = 0;
  virtual nnwasm_output output(uint32_t index) = 0;
};

std::unique_ptr<Context> make_context(std::shared_ptr<GraphState> graph);

}  // namespace nnwasm::torch_backend
