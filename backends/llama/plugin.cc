// The nnwasm plugin ABI of the llama.cpp backend: the exported descriptor and the noexcept C
// functions that turn every exception into a WASI-NN status plus a last_error message.
#include "llama_backend.h"

// Opaque handle types of backend.h, defined by this plugin.
struct nnwasm_graph {
  std::shared_ptr<const nnwasm::llama_backend::Model> model;
};
struct nnwasm_context {
  std::unique_ptr<nnwasm::llama_backend::Context> impl;
};

namespace nnwasm::plugin_support {
const char kPluginErrorPrefix[] = "llama: ";
}

namespace nnwasm::llama_backend {
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
  *confidence = sniff_gguf(data, size);
  return NNWASM_SUCCESS;
}

nnwasm_status load(const nnwasm_bytes* builders, uint32_t count, const nnwasm_load_options* options,
                   nnwasm_graph** out) noexcept {
  if (out == nullptr || options == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT, "load: out or options is NULL");
  *out = nullptr;
  if (count != 1 || builders == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT,
                "load: a GGUF model is exactly one builder (the file's bytes); got %u", count);
  if (builders[0].data == nullptr || builders[0].size == 0)
    return fail(NNWASM_INVALID_ENCODING, "load: the model builder is empty");
  return guarded("load", [&] {
    *out = new nnwasm_graph{load_model_bytes(builders[0].data, builders[0].size, *options)};
  });
}

nnwasm_status load_file(const char* const* paths, uint32_t count,
                        const nnwasm_load_options* options, nnwasm_graph** out) noexcept {
  if (out == nullptr || options == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT, "load_file: out or options is NULL");
  *out = nullptr;
  if (count != 1 || paths == nullptr || paths[0] == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT,
                "load_file: split GGUF files are not supported: give one file; got %u", count);
  return guarded("load", [&] { *out = new nnwasm_graph{load_model_file(paths[0], *options)}; });
}

void graph_free(nnwasm_graph* graph) noexcept {
  delete graph;
}

nnwasm_status context_create(nnwasm_graph* graph, nnwasm_context** out) noexcept {
  if (out == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "context_create: out is NULL");
  *out = nullptr;
  if (graph == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "context_create: graph is NULL");
  return guarded("context_create", [&] { *out = new nnwasm_context{make_context(graph->model)}; });
}

void context_free(nnwasm_context* context) noexcept {
  delete context;
}

nnwasm_status set_input(nnwasm_context* context, uint32_t index,
                        const nnwasm_tensor* tensor) noexcept {
  if (context == nullptr || tensor == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT, "set_input: context or tensor is NULL");
  // Text comes in any of the six types (guests differ), but not in one that does not exist.
  if (tensor->type > NNWASM_TENSOR_I64)
    return fail(NNWASM_INVALID_ARGUMENT, "set_input: unknown tensor type %u", tensor->type);
  return guarded("set_input", [&] { context->impl->set_input(index, *tensor); });
}

// compute and compute_single: the LLM codes (100..102) are results, not failures, but still
// leave a message for the core's report.
nnwasm_status run_step(const char* what, nnwasm_context* context,
                       nnwasm_status (Context::*step)()) noexcept {
  if (context == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "%s: context is NULL", what);
  nnwasm_status result = NNWASM_SUCCESS;
  const nnwasm_status status = guarded(what, [&] { result = (context->impl.get()->*step)(); });
  if (status != NNWASM_SUCCESS) return status;
  switch (result) {
    case NNWASM_CONTEXT_FULL:
      return fail(result, "%s: the context is full: raise ctx-size in the metadata", what);
    case NNWASM_PROMPT_TOO_LONG:
      return fail(result, "%s: the prompt needs more than ctx-size - 4 tokens: raise ctx-size",
                  what);
    case NNWASM_END_OF_SEQUENCE:
      return fail(result, "%s: end of sequence", what);
    default:
      return result;
  }
}

nnwasm_status compute(nnwasm_context* context) noexcept {
  return run_step("compute", context, &Context::compute);
}

nnwasm_status compute_single(nnwasm_context* context) noexcept {
  return run_step("compute_single", context, &Context::compute_single);
}

nnwasm_status get_output(nnwasm_context* context, uint32_t index, nnwasm_output* out) noexcept {
  if (context == nullptr || out == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT, "get_output: context or out is NULL");
  return guarded("get_output", [&] { *out = context->impl->output(index); });
}

nnwasm_status get_output_single(nnwasm_context* context, uint32_t index,
                                nnwasm_output* out) noexcept {
  if (context == nullptr || out == nullptr)
    return fail(NNWASM_INVALID_ARGUMENT, "get_output_single: context or out is NULL");
  return guarded("get_output_single", [&] { *out = context->impl->output_single(index); });
}

nnwasm_status fini_single(nnwasm_context* context) noexcept {
  if (context == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "fini_single: context is NULL");
  return guarded("fini_single", [&] { context->impl->fini_single(); });
}

const nnwasm_encoding kEncodings[] = {NNWASM_ENCODING_GGML};
// Read by nnwasm from the file, so the plugin is loaded only for models it handles.
NNWASM_BACKEND_MANIFEST("nnwasm-backend abi=1 name=llama encodings=6 magic=47475546");

}  // namespace
}  // namespace nnwasm::llama_backend

extern "C" __attribute__((visibility("default"))) const nnwasm_backend* nnwasm_backend_entry(void) {
  using namespace nnwasm::llama_backend;
  static const nnwasm_backend* descriptor = []() -> const nnwasm_backend* {
    try {
      init_llama();
      static const nnwasm_backend d = {
          NNWASM_BACKEND_ABI_VERSION,
          sizeof(nnwasm_backend),
          "llama",
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
          compute_single,
          get_output_single,
          fini_single,
          last_error,
      };
      return &d;
    } catch (...) {
      return nullptr;
    }
  }();
  return descriptor;
}
