// The nnwasm plugin ABI of the ONNX Runtime backend: the exported descriptor and the noexcept
// C functions that turn every exception into a WASI-NN status plus a last_error message.
#include "onnx_backend.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>

// Opaque handle types of backend.h, defined by this plugin.
struct nnwasm_graph {
  std::shared_ptr<nnwasm::onnx::GraphState> state;
};
struct nnwasm_context {
  nnwasm::onnx::Context impl;
};

namespace nnwasm::plugin_support {
const char kPluginErrorPrefix[] = "onnx: ";
}

namespace nnwasm::onnx {
namespace {

using plugin_support::fail;
using plugin_support::last_error;

// WASI-NN status for an ONNX Runtime error raised while loading or running a model.
nnwasm_status status_of(OrtErrorCode code, bool loading) {
  switch (code) {
    case ORT_INVALID_PROTOBUF:
    case ORT_INVALID_GRAPH:
    case ORT_NO_MODEL:
      return loading ? NNWASM_INVALID_ENCODING : NNWASM_RUNTIME_ERROR;
    case ORT_NO_SUCHFILE:
      return NNWASM_NOT_FOUND;
    case ORT_NOT_IMPLEMENTED:
      return NNWASM_UNSUPPORTED_OPERATION;
    case ORT_INVALID_ARGUMENT:
      return loading ? NNWASM_INVALID_ENCODING : NNWASM_INVALID_ARGUMENT;
    default:
      return NNWASM_RUNTIME_ERROR;
  }
}

// plugin_support::guarded, with ONNX Runtime's exceptions mapped to their WASI-NN status.
template <typename Body>
nnwasm_status guarded(const char* what, bool loading, Body&& body) noexcept {
  return plugin_support::guarded(what, std::forward<Body>(body), [&](const char* op) {
    try {
      throw;
    } catch (const Ort::Exception& e) {
      return fail(status_of(e.GetOrtErrorCode(), loading), "%s: onnxruntime: %s", op, e.what());
    } catch (...) {
      return nnwasm_status{NNWASM_SUCCESS};
    }
  });
}

nnwasm_status probe(nnwasm_device* out, uint32_t cap, uint32_t* count) noexcept {
  if (count == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "probe: count is NULL");
  return guarded("probe", false, [&] { probe_devices(out, cap, count); });
}

nnwasm_status sniff(const uint8_t* data, size_t size, uint32_t* confidence) noexcept {
  if (confidence == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "sniff: confidence is NULL");
  *confidence = sniff_onnx(data, size);
  return NNWASM_SUCCESS;
}

nnwasm_status load(const nnwasm_bytes* builders, uint32_t count, const nnwasm_load_options* options,
                   nnwasm_graph** out) noexcept {
  if (out == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "load: out is NULL");
  *out = nullptr;
  if (count != 1 || builders == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT, "load: an ONNX model is exactly one builder; got %u",
                count);
  if (builders[0].data == nullptr || builders[0].size == 0)
    return fail(NNWASM_INVALID_ENCODING, "load: the model builder is empty");
  return guarded("load", true, [&] {
    auto state = load_graph(builders[0].data, builders[0].size, nullptr, options);
    *out = new nnwasm_graph{std::move(state)};
  });
}

nnwasm_status load_file(const char* const* paths, uint32_t count,
                        const nnwasm_load_options* options, nnwasm_graph** out) noexcept {
  if (out == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "load_file: out is NULL");
  *out = nullptr;
  if (count != 1 || paths == nullptr || paths[0] == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT, "load_file: an ONNX model is exactly one file; got %u",
                count);
  return guarded("load", true, [&] {
    try {
      auto state = load_graph(nullptr, 0, paths[0], options);
      *out = new nnwasm_graph{std::move(state)};
    } catch (const Ort::Exception& e) {
      throw Error{status_of(e.GetOrtErrorCode(), true),
                  std::string("'") + paths[0] + "': onnxruntime: " + e.what()};
    }
  });
}

void graph_free(nnwasm_graph* graph) noexcept {
  delete graph;
}

nnwasm_status context_create(nnwasm_graph* graph, nnwasm_context** out) noexcept {
  if (out == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "context_create: out is NULL");
  *out = nullptr;
  if (graph == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "context_create: graph is NULL");
  return guarded("context_create", false,
                 [&] { *out = new nnwasm_context{Context(graph->state)}; });
}

void context_free(nnwasm_context* context) noexcept {
  delete context;
}

nnwasm_status set_input(nnwasm_context* context, uint32_t index,
                        const nnwasm_tensor* tensor) noexcept {
  if (context == nullptr || tensor == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT, "set_input: context or tensor is NULL");
  return guarded("set_input", false, [&] { context->impl.set_input(index, *tensor); });
}

nnwasm_status compute(nnwasm_context* context) noexcept {
  if (context == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "compute: context is NULL");
  return guarded("compute", false, [&] { context->impl.compute(); });
}

nnwasm_status get_output(nnwasm_context* context, uint32_t index, nnwasm_output* out) noexcept {
  if (context == nullptr || out == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT, "get_output: context or out is NULL");
  return guarded("get_output", false, [&] { *out = context->impl.output(index); });
}

const nnwasm_encoding kEncodings[] = {NNWASM_ENCODING_ONNX};
// Read by nnwasm from the file, so the plugin is loaded only for models it handles.
NNWASM_BACKEND_MANIFEST("nnwasm-backend abi=1 name=onnx encodings=1");

}  // namespace
}  // namespace nnwasm::onnx

extern "C" __attribute__((visibility("default"))) const nnwasm_backend* nnwasm_backend_entry(void) {
  using namespace nnwasm::onnx;
  static const nnwasm_backend* descriptor = []() -> const nnwasm_backend* {
    try {
      const OrtApi* api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
      if (api == nullptr) return nullptr;  // libonnxruntime older than the headers
      Ort::InitApi(api);
      static const std::string version = "1.0 (onnxruntime " + Ort::GetVersionString() + ")";
      static const nnwasm_backend d = {
          NNWASM_BACKEND_ABI_VERSION,
          sizeof(nnwasm_backend),
          "onnx",
          version.c_str(),
          kEncodings,
          1,
          NNWASM_BACKEND_GRAPH_REENTRANT,
          50,
          probe,
          sniff,
          load,
          load_file,
          graph_free,
          context_create,
          context_free,
          set_input,
          compute,
          get_output,
          nullptr,
          nullptr,
          nullptr,
          last_error,
      };
      return &d;
    } catch (...) {
      return nullptr;
    }
  }();
  return descriptor;
}
