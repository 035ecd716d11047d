// The ONNX Runtime backend as the shared ABI boundary (backend_boundary.h) sees it: identity,
// devices, loading, and how ONNX Runtime's exceptions map to WASI-NN codes.
#include "../common/backend_boundary.h"
#include "onnx_backend.h"

namespace nnwasm::onnx {

namespace {

// WASI-NN status for an ONNX Runtime error raised while loading or running a model.
nnwasm_status status_of(OrtErrorCode code, bool loading) {
  switch (code) {
    case ORT_INVALID_PROTOBUF:
    case ORT_INVALID_GRAPH:
    case ORT_NO_MODEL:
      return loading ? NNWASM_INVALID_ENCODING : NNWASM_RUNTIME_ERROR;
    case ORT_NO_SUCHFILE:
      return NNWASM_MODEL_NOT_FOUND;
    case ORT_NOT_IMPLEMENTED:
      return NNWASM_UNSUPPORTED_OPERATION;
    case ORT_INVALID_ARGUMENT:
      return loading ? NNWASM_INVALID_ENCODING : NNWASM_INVALID_ARGUMENT;
    default:
      return NNWASM_RUNTIME_ERROR;
  }
}

}  // namespace

struct Backend {
  static constexpr char kName[] = "onnx";
  static constexpr char kErrorPrefix[] = "onnx: ";
  static constexpr nnwasm_encoding kEncodings[] = {NNWASM_ENCODING_ONNX};
  // Session::Run is thread-safe: contexts of one session compute concurrently.
  static constexpr uint32_t kFlags = NNWASM_BACKEND_GRAPH_REENTRANT;
  static constexpr int32_t kPriority = 50;
  using Graph = GraphState;
  using Context = onnx::Context;

  static void init() {
    const OrtApi* api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (api == nullptr) {
      throw Error{NNWASM_RUNTIME_ERROR,
                  "libonnxruntime " + std::string(OrtGetApiBase()->GetVersionString()) +
                      " is older than the headers this plugin was built with"};
    }
    Ort::InitApi(api);
  }
  static const char* version() {
    static const std::string text = "2.0 (onnxruntime " + Ort::GetVersionString() + ")";
    return text.c_str();
  }
  static void probe(nnwasm_device* out, uint32_t cap, uint32_t* count) {
    probe_devices(out, cap, count);
  }
  static void sniff(const uint8_t* data, size_t size, nnwasm_sniff_result* out) {
    sniff_onnx(data, size, out);
  }
  static std::shared_ptr<GraphState> load(const nnwasm_bytes& model,
                                          const nnwasm_load_options& options) {
    return load_graph(model.data, model.size, nullptr, &options);
  }
  static std::shared_ptr<GraphState> load_file(const char* path,
                                               const nnwasm_load_options& options) {
    try {
      return load_graph(nullptr, 0, path, &options);
    } catch (const Ort::Exception& e) {
      throw Error{status_of(e.GetOrtErrorCode(), true),
                  std::string("'") + path + "': onnxruntime: " + e.what()};
    }
  }
  static uint32_t io_count(const GraphState& graph, nnwasm_io_kind kind) {
    return graph.io_count(kind);
  }
  static nnwasm_tensor_desc io(const GraphState& graph, nnwasm_io_kind kind, uint32_t index) {
    return graph.io(kind, index);
  }
  static std::unique_ptr<Context> create_context(std::shared_ptr<GraphState> graph,
                                                 void* host_token) {
    return std::make_unique<Context>(std::move(graph), host_token);
  }
  static nnwasm_status translate_exception(const char* what, bool loading) {
    try {
      throw;
    } catch (const Ort::Exception& e) {
      return plugin_support::fail(status_of(e.GetOrtErrorCode(), loading), "%s: onnxruntime: %s",
                                  what, e.what());
    } catch (...) {
      return NNWASM_SUCCESS;
    }
  }
};

// Read by nnwasm from the file, so the plugin is loaded only for models it handles.
NNWASM_BACKEND_MANIFEST("nnwasm-backend abi=2 name=onnx encodings=1");

}  // namespace nnwasm::onnx

NNWASM_DEFINE_BACKEND(nnwasm::onnx::Backend)
