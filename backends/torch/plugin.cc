// The PyTorch (TorchScript) backend as the shared ABI boundary (backend_boundary.h) sees it:
// identity, devices, loading. No torch header here: libtorch errors are translated in graph.cc
// and context.cc, so this file compiles in a second, not fifteen.
#include <cstdio>

#include "../common/backend_boundary.h"
#include "torch_backend.h"

namespace nnwasm::torch_backend {

struct Backend {
  static constexpr char kName[] = "torch";
  static constexpr char kErrorPrefix[] = "torch: ";
  static constexpr nnwasm_encoding kEncodings[] = {NNWASM_ENCODING_PYTORCH};
  // forward on a module in eval mode may run on several threads at once (torch_impl.h).
  static constexpr uint32_t kFlags = NNWASM_BACKEND_GRAPH_REENTRANT;
  static constexpr int32_t kPriority = 50;
  using Graph = GraphState;
  using Context = torch_backend::Context;

  static const char* version() { return backend_version(); }
  static void init() { init_threads(); }
  static void probe(nnwasm_device* out, uint32_t cap, uint32_t* count) {
    probe_devices(out, cap, count);
  }
  static void sniff(const uint8_t* data, size_t size, nnwasm_sniff_result* out) {
    out->confidence = sniff_torchscript(data, size);
    if (out->confidence == 0) return;
    const char* format = out->confidence >= 95   ? "TorchScript archive"
                         : out->confidence >= 30 ? "torch.save archive (no TorchScript code)"
                                                 : "zip archive";
    if (out->confidence >= 95) out->encoding = NNWASM_ENCODING_PYTORCH;
    std::snprintf(out->format, sizeof out->format, "%s", format);
  }
  static std::shared_ptr<GraphState> load(const nnwasm_bytes& model,
                                          const nnwasm_load_options& options) {
    return load_graph(model.data, model.size, nullptr, &options);
  }
  static std::shared_ptr<GraphState> load_file(const char* path,
                                               const nnwasm_load_options& options) {
    return load_graph(nullptr, 0, path, &options);
  }
  static uint32_t io_count(const GraphState& graph, nnwasm_io_kind kind) {
    return graph_io_count(graph, kind);
  }
  static nnwasm_tensor_desc io(const GraphState& graph, nnwasm_io_kind kind, uint32_t index) {
    return graph_io(graph, kind, index);
  }
  static std::unique_ptr<Context> create_context(std::shared_ptr<GraphState> graph, void*) {
    return make_context(std::move(graph));
  }
};

// Read by nnwasm from the file, so the plugin is loaded only for models it handles.
NNWASM_BACKEND_MANIFEST("nnwasm-backend abi=2 name=torch encodings=3 magic=504b0304");

}  // namespace nnwasm::torch_backend

NNWASM_DEFINE_BACKEND(nnwasm::torch_backend::Backend)
