// The rpc backend as the shared ABI boundary (backend_boundary.h) sees it: models that live on
// NNRPC servers (--nn-rpc-uri), found by name or loaded there from guest bytes.
#include <cstdio>

#include "../common/backend_boundary.h"
#include "rpc_backend.h"

namespace nnwasm::rpc_backend {

struct Backend {
  static constexpr char kName[] = "rpc";
  static constexpr char kErrorPrefix[] = "rpc: ";
  // Whatever the servers load; chosen for guest bytes only when no local backend fits.
  static constexpr nnwasm_encoding kEncodings[] = {
      NNWASM_ENCODING_OPENVINO, NNWASM_ENCODING_ONNX,           NNWASM_ENCODING_TENSORFLOW,
      NNWASM_ENCODING_PYTORCH,  NNWASM_ENCODING_TENSORFLOWLITE, NNWASM_ENCODING_GGML};
  static constexpr uint32_t kFlags = NNWASM_BACKEND_GRAPH_REENTRANT;  // contexts are remote
  static constexpr int32_t kPriority = -100;                          // local backends first
  using Graph = rpc_backend::Graph;
  using Context = rpc_backend::Context;

  static const char* version() { return "2.0 (NNRPC client, gRPC " GRPC_CPP_VERSION_STRING ")"; }
  static void init() { configure_servers(); }
  static void shutdown() { close_servers(); }
  static void probe(nnwasm_device* out, uint32_t cap, uint32_t* count) {
    const size_t servers_count = servers().size();
    *count = servers_count > 0 ? 1 : 0;  // no servers: of no use here
    if (servers_count > 0 && cap > 0) {
      out[0] = nnwasm_device{NNWASM_TARGET_CPU, 0, ""};
      std::snprintf(out[0].name, sizeof out[0].name, "remote (%zu NNRPC server%s)", servers_count,
                    servers_count == 1 ? "" : "s");
    }
  }
  static void sniff(const uint8_t*, size_t, nnwasm_sniff_result* out) {
    if (servers().empty()) return;
    out->confidence = 1;  // anything, as a last resort: the server will tell
    std::snprintf(out->format, sizeof out->format, "for a remote server to load");
  }
  static std::shared_ptr<Graph> load(const nnwasm_bytes& model, const nnwasm_load_options& o) {
    return load_bytes(model, o);
  }
  static std::shared_ptr<Graph> load_by_name(std::string_view name, const nnwasm_load_options& o) {
    return rpc_backend::load_by_name(name, o);
  }
  static uint32_t io_count(const Graph&, nnwasm_io_kind) {
    throw Error{NNWASM_UNSUPPORTED_OPERATION, "NNRPC servers do not describe their graphs"};
  }
  static nnwasm_tensor_desc io(const Graph&, nnwasm_io_kind, uint32_t) {
    throw Error{NNWASM_UNSUPPORTED_OPERATION, "NNRPC servers do not describe their graphs"};
  }
  static std::unique_ptr<Context> create_context(std::shared_ptr<Graph> graph, void*) {
    return std::make_unique<Context>(std::move(graph));
  }
  static const char* result_message(nnwasm_status code) {
    switch (code) {
      case NNWASM_CONTEXT_FULL:
        return "the server's context is full: raise ctx-size in the metadata";
      case NNWASM_PROMPT_TOO_LONG:
        return "the prompt needs more than ctx-size - 4 tokens: raise ctx-size";
      case NNWASM_END_OF_SEQUENCE:
        return "end of sequence";
      default:
        return "the server's model was not found";
    }
  }
};

// Read by nnwasm from the file: never opened unless --nn-rpc-uri is given.
NNWASM_BACKEND_MANIFEST(
    "nnwasm-backend abi=2 name=rpc encodings=0,1,2,3,4,6 names=1 requires=rpc.uri");

}  // namespace nnwasm::rpc_backend

NNWASM_DEFINE_BACKEND(nnwasm::rpc_backend::Backend)
