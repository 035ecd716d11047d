// The llama.cpp backend as the shared ABI boundary (backend_boundary.h) sees it: identity,
// devices, loading, and the texts of the LLM result codes.
#include "../common/backend_boundary.h"
#include "llama_backend.h"

namespace nnwasm::llama_backend {

struct Backend {
  static constexpr char kName[] = "llama";
  static constexpr char kErrorPrefix[] = "llama: ";
  static constexpr nnwasm_encoding kEncodings[] = {NNWASM_ENCODING_GGML};
  // Contexts of one graph have their own llama context (KV cache) and run concurrently; the
  // host's cancellation is polled between tokens and inside llama_decode.
  static constexpr uint32_t kFlags = NNWASM_BACKEND_GRAPH_REENTRANT | NNWASM_BACKEND_CANCELLABLE;
  static constexpr int32_t kPriority = 50;
  using Graph = Model;
  using Context = llama_backend::Context;

  static const char* version() { return backend_version(); }
  static void init() { init_llama(); }
  static void shutdown() { shutdown_llama(); }
  static void probe(nnwasm_device* out, uint32_t cap, uint32_t* count) {
    probe_devices(out, cap, count);
  }
  static void sniff(const uint8_t* data, size_t size, nnwasm_sniff_result* out) {
    sniff_gguf(data, size, out);
  }
  static std::shared_ptr<Model> load(const nnwasm_bytes& model,
                                     const nnwasm_load_options& options) {
    return load_model_bytes(model.data, model.size, options);
  }
  static std::shared_ptr<Model> load_file(const char* path, const nnwasm_load_options& options) {
    return load_model_file(path, options);
  }
  static uint32_t io_count(const Model& graph, nnwasm_io_kind kind) { return graph.io_count(kind); }
  static nnwasm_tensor_desc io(const Model& graph, nnwasm_io_kind kind, uint32_t index) {
    return graph.io(kind, index);
  }
  static std::unique_ptr<Context> create_context(std::shared_ptr<Model> model, void* host_token) {
    return make_context(std::move(model), host_token);
  }
  static const char* result_message(nnwasm_status code) {
    switch (code) {
      case NNWASM_CONTEXT_FULL:
        return "the context is full: raise ctx-size in the metadata";
      case NNWASM_PROMPT_TOO_LONG:
        return "the prompt needs more than ctx-size - 4 tokens: raise ctx-size";
      case NNWASM_END_OF_SEQUENCE:
        return "end of sequence";
      default:
        return "unexpected result";
    }
  }
};

// Read by nnwasm from the file, so the plugin is loaded only for models it handles.
NNWASM_BACKEND_MANIFEST("nnwasm-backend abi=2 name=llama encodings=6 magic=47475546");

}  // namespace nnwasm::llama_backend

NNWASM_DEFINE_BACKEND(nnwasm::llama_backend::Backend)
