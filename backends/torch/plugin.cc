// The nnwasm plugin ABI of the PyTorch (TorchScript) backend: the exported descriptor and the
// noexcept C functions that turn every exception into a WASI-NN status plus a last_error message.
// No torch header here: libtorch errors are translated in graph.cc / context.cc.
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "torch_backend.h"

// Opaque handle types of backend.h, defined by this plugin.
struct nnwasm_graph {
  std::shared_ptr<nnwasm::torch_backend::GraphState> state;
};
struct nnwasm_context {
  std::unique_ptr<nnwasm::torch_backend::Context> impl;
};

namespace nnwasm::plugin_support {
const char kPluginErrorPrefix[] = "torch: ";
}

namespace nnwasm::torch_backend {
namespace {

using plugin_support::fail;
using plugin_support::guarded;
using plugin_support::last_error;

nnwasm_status probe(nnwasm_device* out, uint32_t cap, uint32_t* count) noexcept {
  if (count == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "probe: count is NULL");
  return guarded("probe", [&] { probe_devices(out, cap, count); });
}

nnwasm_status sniff(const uint8_t* data, size_t size, uint32_t* confidence) noexcept {
  if (confidence == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "sniff: confidence is NULL");
  *confidence = sniff_torchscript(data, size);
  return NNWASM_SUCCESS;
}

nnwasm_status load(const nnwasm_bytes* builders, uint32_t count, const nnwasm_load_options* options,
                   nnwasm_graph** out) noexcept {
  if (out == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "load: out is NULL");
  *out = nullptr;
  if (count != 1 || builders == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT,
                "load: a TorchScript model is exactly one builder (the archive); got %u", count);
  if (builders[0].data == nullptr || builders[0].size == 0)
    return fail(NNWASM_INVALID_ENCODING, "load: the model builder is empty");
  return guarded("load", [&] {
    auto state = load_graph(builders[0].data, builders[0].size, nullptr, options);
    *out = new nnwasm_graph{std::move(state)};
  });
}

nnwasm_status load_file(const char* const* paths, uint32_t count,
                        const nnwasm_load_options* options, nnwasm_graph** out) noexcept {
  if (out == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "load_file: out is NULL");
  *out = nullptr;
  if (count != 1 || paths == nullptr || paths[0] == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT,
                "load_file: a TorchScript model is exactly one file; got %u", count);
  return guarded("load", [&] {
    auto state = load_graph(nullptr, 0, paths[0], options);
    *out = new nnwasm_graph{std::move(state)};
  });
}

void graph_free(nnwasm_graph* graph) noexcept {
  delete graph;
}

nnwasm_status context_create(nnwasm_graph* graph, nnwasm_context** out) noexcept {
  if (out == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "context_create: out is NULL");
  *out = nullptr;
  if (graph == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "context_create: graph is NULL");
  return guarded("context_create", [&] { *out = new nnwasm_context{make_context(graph->state)}; });
}

void context_free(nnwasm_context* context) noexcept {
  delete context;
}

nnwasm_status set_input(nnwasm_context* context, uint32_t index,
                        const nnwasm_tensor* tensor) noexcept {
  if (context == nullptr || tensor == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT, "set_input: context or tensor is NULL");
  return guarded("set_input", [&] { context->impl->set_input(index, *tensor); });
}

nnwasm_status compute(nnwasm_context* context) noexcept {
  if (context == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "compute: context is NULL");
  return guarded("compute", [&] { context->impl->compute(); });
}

nnwasm_status get_output(nnwasm_context* context, uint32_t index, nnwasm_output* out) noexcept {
  if (context == nullptr || out == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT, "get_output: context or out is NULL");
  return guarded("get_output", [&] { *out = context->impl->output(index); });
}

const nnwasm_encoding kEncodings[] = {NNWASM_ENCODING_PYTORCH};
// Read by nnwasm from the file, so the plugin is loaded only for models it handles.
NNWASM_BACKEND_MANIFEST("nnwasm-backend abi=1 name=torch encodings=3 magic=504b0304");

}  // namespace
}  // namespace nnwasm::torch_backend

extern "C" __attribute__((visibility("default"))) const nnwasm_backend* nnwasm_backend_entry(void) {
  using namespace nnwasm::torch_backend;
  static const nnwasm_backend* descriptor = []() -> const nnwasm_backend* {
    try {
      init_threads();
      static const nnwasm_backend d = {
          NNWASM_BACKEND_ABI_VERSION,
          sizeof(nnwasm_backend),
          "torch",
          backend_version(),
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
