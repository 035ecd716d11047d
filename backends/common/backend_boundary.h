// The C ABI boundary of a backend plugin (include/nnwasm/backend.h), written once for every
// backend: a plugin describes itself as a C++ traits type and
//   NNWASM_DEFINE_BACKEND(nnwasm::onnx::Backend)
// exports the entry point with a descriptor whose functions check their arguments, turn every
// exception into a status plus a last_error message, and hold the plugin's C++ objects behind the
// opaque handles.
//
// The traits type B provides (names in brackets are optional):
//   static constexpr char kName[], kErrorPrefix[]   "onnx", "onnx: "
//   static constexpr nnwasm_encoding kEncodings[]   what it handles
//   static constexpr uint32_t kFlags; int32_t kPriority
//   static const char* version()
//   [static void init()]          at every entry (may throw: the plugin is then unusable)
//   [static void shutdown()]      before dlclose
//   static void probe(nnwasm_device* out, uint32_t cap, uint32_t* count)
//   static void sniff(const uint8_t* data, size_t size, nnwasm_sniff_result* out)
//   using Graph; using Context;
//   static std::shared_ptr<Graph> load(const nnwasm_bytes& model, const nnwasm_load_options&)
//   [static std::shared_ptr<Graph> load_file(const char* path, const nnwasm_load_options&)]
//   [static std::shared_ptr<Graph> load_by_name(std::string_view, const nnwasm_load_options&)]
//   static uint32_t io_count(const Graph&, nnwasm_io_kind)
//   static nnwasm_tensor_desc io(const Graph&, nnwasm_io_kind, uint32_t index)
//   static std::unique_ptr<Context> create_context(std::shared_ptr<Graph>, void* host_token)
//   [static nnwasm_status translate_exception(const char* what, bool loading)]  rethrows (`throw;`)
//     and maps the framework's exception types; returns NNWASM_SUCCESS for the generic handlers
//   [static const char* result_message(nnwasm_status)]  text for the LLM codes 100..102
// Graph may stay an incomplete type (the boundary only holds it in a shared_ptr).
// Context: void set_input(uint32_t, const nnwasm_tensor&); nnwasm_status or void compute();
//          nnwasm_output output(uint32_t);
//          [nnwasm_status compute_single(); nnwasm_output output_single(uint32_t);
//           void fini_single()]   (all three or none)
#pragma once

#include <memory>
#include <string_view>
#include <type_traits>

#include "plugin_support.h"

namespace nnwasm::plugin_support {

template <typename B>
class Boundary {
  using Graph = typename B::Graph;
  using Context = typename B::Context;

  // nnwasm_graph / nnwasm_context are opaque to the core: these are what the pointers hold.
  struct GraphBox {
    std::shared_ptr<Graph> graph;
  };
  static nnwasm_graph* handle(GraphBox* box) { return reinterpret_cast<nnwasm_graph*>(box); }
  static GraphBox* box(nnwasm_graph* graph) { return reinterpret_cast<GraphBox*>(graph); }
  static nnwasm_context* handle(Context* c) { return reinterpret_cast<nnwasm_context*>(c); }
  static Context* context(nnwasm_context* c) { return reinterpret_cast<Context*>(c); }

  static constexpr bool kHasLoadFile = requires(const nnwasm_load_options& o) {
    B::load_file("", o);
  };
  static constexpr bool kHasLoadByName = requires(const nnwasm_load_options& o) {
    B::load_by_name(std::string_view(), o);
  };
  static constexpr bool kStreams = requires(Context & c) {
    c.compute_single();
    c.output_single(0u);
    c.fini_single();
  };

  template <typename Body>
  static nnwasm_status guard(const char* what, bool loading, Body&& body) noexcept {
    return guarded(what, std::forward<Body>(body), [loading](const char* op) -> nnwasm_status {
      if constexpr (requires { B::translate_exception(op, loading); }) {
        return B::translate_exception(op, loading);
      } else {
        return NNWASM_SUCCESS;
      }
    });
  }

  // A result code of compute / compute_single: 0, or an LLM code that still leaves a message.
  static nnwasm_status result(const char* what, nnwasm_status code) noexcept {
    if (code == NNWASM_SUCCESS) return code;
    if constexpr (requires { B::result_message(code); }) {
      return fail(code, "%s: %s", what, B::result_message(code));
    } else {
      return fail(code, "%s: result code %u", what, code);
    }
  }

  static nnwasm_status probe(nnwasm_device* out, uint32_t cap, uint32_t* count) noexcept {
    if (count == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "probe: count is NULL");
    if (out == nullptr) cap = 0;
    return guard("probe", false, [&] { B::probe(out, cap, count); });
  }

  static nnwasm_status sniff(const uint8_t* data, size_t size, nnwasm_sniff_result* out) noexcept {
    if (out == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "sniff: out is NULL");
    *out = nnwasm_sniff_result{0, NNWASM_ENCODING_AUTODETECT, ""};
    if (data == nullptr) return NNWASM_SUCCESS;  // no bytes: surely not
    return guard("sniff", false, [&] { B::sniff(data, size, out); });
  }

  static nnwasm_status finish_load(std::shared_ptr<Graph> graph, nnwasm_graph** out) {
    if (!graph) throw Error{NNWASM_RUNTIME_ERROR, "the backend returned no graph"};
    *out = handle(new GraphBox{std::move(graph)});
    return NNWASM_SUCCESS;
  }

  static nnwasm_status load(const nnwasm_bytes* builders, uint32_t count,
                            const nnwasm_load_options* options, nnwasm_graph** out) noexcept {
    if (out == nullptr || options == nullptr)
      return fail(NNWASM_INVALID_ARGUMENT, "load: out or options is NULL");
    *out = nullptr;
    if (count != 1 || builders == nullptr)
      return fail(NNWASM_INVALID_ARGUMENT,
                  "load: expected exactly one graph builder (the model file's bytes); got %u",
                  builders == nullptr ? 0u : count);
    if (builders[0].data == nullptr || builders[0].size == 0)
      return fail(NNWASM_INVALID_ENCODING, "load: the model builder is empty");
    return guard("load", true, [&] { finish_load(B::load(builders[0], *options), out); });
  }

  static nnwasm_status load_file(const char* const* paths, uint32_t count,
                                 const nnwasm_load_options* options, nnwasm_graph** out) noexcept {
    if (out == nullptr || options == nullptr)
      return fail(NNWASM_INVALID_ARGUMENT, "load_file: out or options is NULL");
    *out = nullptr;
    if (count != 1 || paths == nullptr || paths[0] == nullptr)
      return fail(NNWASM_INVALID_ARGUMENT, "load_file: expected exactly one model file; got %u",
                  paths == nullptr ? 0u : count);
    return guard("load", true, [&] { finish_load(B::load_file(paths[0], *options), out); });
  }

  static nnwasm_status load_by_name(const char* name, size_t name_len,
                                    const nnwasm_load_options* options,
                                    nnwasm_graph** out) noexcept {
    if (out == nullptr || options == nullptr || (name == nullptr && name_len != 0))
      return fail(NNWASM_INVALID_ARGUMENT, "load_by_name: out, options or name is NULL");
    *out = nullptr;
    return guard("load_by_name", true, [&] {
      finish_load(B::load_by_name(std::string_view(name, name_len), *options), out);
    });
  }

  static void graph_free(nnwasm_graph* graph) noexcept { delete box(graph); }

  static nnwasm_status graph_io_count(nnwasm_graph* graph, nnwasm_io_kind kind,
                                      uint32_t* count) noexcept {
    if (graph == nullptr || count == nullptr)
      return fail(NNWASM_INVALID_ARGUMENT, "graph_io_count: graph or count is NULL");
    if (kind > NNWASM_IO_OUTPUT)
      return fail(NNWASM_INVALID_ARGUMENT, "graph_io_count: unknown kind %u", kind);
    return guard("graph_io_count", false, [&] { *count = B::io_count(*box(graph)->graph, kind); });
  }

  static nnwasm_status graph_io(nnwasm_graph* graph, nnwasm_io_kind kind, uint32_t index,
                                nnwasm_tensor_desc* out) noexcept {
    if (graph == nullptr || out == nullptr)
      return fail(NNWASM_INVALID_ARGUMENT, "graph_io: graph or out is NULL");
    if (kind > NNWASM_IO_OUTPUT)
      return fail(NNWASM_INVALID_ARGUMENT, "graph_io: unknown kind %u", kind);
    return guard("graph_io", false, [&] { *out = B::io(*box(graph)->graph, kind, index); });
  }

  static nnwasm_status context_create(nnwasm_graph* graph, const nnwasm_context_options* options,
                                      nnwasm_context** out) noexcept {
    if (out == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "context_create: out is NULL");
    *out = nullptr;
    if (graph == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "context_create: graph is NULL");
    void* token =
        options != nullptr && NNWASM_HAS_FIELD(options, nnwasm_context_options, host_token)
            ? options->host_token
            : nullptr;
    return guard("context_create", false, [&] {
      std::unique_ptr<Context> c = B::create_context(box(graph)->graph, token);
      if (!c) throw Error{NNWASM_RUNTIME_ERROR, "the backend returned no context"};
      *out = handle(c.release());
    });
  }

  static void context_free(nnwasm_context* c) noexcept { delete context(c); }

  static nnwasm_status set_input(nnwasm_context* c, uint32_t index,
                                 const nnwasm_tensor* tensor) noexcept {
    if (c == nullptr || tensor == nullptr)
      return fail(NNWASM_INVALID_ARGUMENT, "set_input: context or tensor is NULL");
    if (tensor->type > NNWASM_TENSOR_I64)
      return fail(NNWASM_INVALID_ARGUMENT, "set_input: unknown tensor type %u", tensor->type);
    if ((tensor->rank != 0 && tensor->dims == nullptr) ||
        (tensor->size != 0 && tensor->data == nullptr))
      return fail(NNWASM_INVALID_ARGUMENT, "set_input: dims or data is NULL");
    return guard("set_input", false, [&] { context(c)->set_input(index, *tensor); });
  }

  static nnwasm_status compute(nnwasm_context* c) noexcept {
    if (c == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "compute: context is NULL");
    nnwasm_status code = NNWASM_SUCCESS;
    const nnwasm_status status = guard("compute", false, [&] {
      if constexpr (std::is_void_v<decltype(context(c)->compute())>) {
        context(c)->compute();
      } else {
        code = context(c)->compute();
      }
    });
    return status != NNWASM_SUCCESS ? status : result("compute", code);
  }

  static nnwasm_status get_output(nnwasm_context* c, uint32_t index, nnwasm_output* out) noexcept {
    if (c == nullptr || out == nullptr)
      return fail(NNWASM_INVALID_ARGUMENT, "get_output: context or out is NULL");
    return guard("get_output", false, [&] { *out = context(c)->output(index); });
  }

  static nnwasm_status compute_single(nnwasm_context* c) noexcept {
    if (c == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "compute_single: context is NULL");
    nnwasm_status code = NNWASM_SUCCESS;
    const nnwasm_status status =
        guard("compute_single", false, [&] { code = context(c)->compute_single(); });
    return status != NNWASM_SUCCESS ? status : result("compute_single", code);
  }

  static nnwasm_status get_output_single(nnwasm_context* c, uint32_t index,
                                         nnwasm_output* out) noexcept {
    if (c == nullptr || out == nullptr)
      return fail(NNWASM_INVALID_ARGUMENT, "get_output_single: context or out is NULL");
    return guard("get_output_single", false, [&] { *out = context(c)->output_single(index); });
  }

  static nnwasm_status fini_single(nnwasm_context* c) noexcept {
    if (c == nullptr) return fail(NNWASM_INVALID_ARGUMENT, "fini_single: context is NULL");
    return guard("fini_single", false, [&] { context(c)->fini_single(); });
  }

  // The optional entries, NULL when the traits lack what they forward to. They are named only
  // inside `if constexpr`, so for such traits their bodies are never instantiated.
  static auto load_file_entry() -> decltype(nnwasm_backend::load_file) {
    if constexpr (kHasLoadFile) return load_file;
    return nullptr;
  }
  static auto load_by_name_entry() -> decltype(nnwasm_backend::load_by_name) {
    if constexpr (kHasLoadByName) return load_by_name;
    return nullptr;
  }
  // Streaming: all three or none.
  static auto compute_single_entry() -> decltype(nnwasm_backend::compute_single) {
    if constexpr (kStreams) return compute_single;
    return nullptr;
  }
  static auto get_output_single_entry() -> decltype(nnwasm_backend::get_output_single) {
    if constexpr (kStreams) return get_output_single;
    return nullptr;
  }
  static auto fini_single_entry() -> decltype(nnwasm_backend::fini_single) {
    if constexpr (kStreams) return fini_single;
    return nullptr;
  }

  static void shutdown() noexcept {
    if constexpr (requires { B::shutdown(); }) {
      try {
        B::shutdown();
      } catch (...) {
      }
    }
    set_host(nullptr);
  }

 public:
  // The body of nnwasm_backend_entry: remembers the host, initializes the backend, and returns
  // the descriptor (NULL, with the reason logged, when initialization throws).
  // B::device_memory(target, index) when the backend knows its devices' memory (ABI 2.4).
  static auto device_memory_entry() -> decltype(nnwasm_backend::device_memory) {
    if constexpr (requires { B::device_memory(NNWASM_TARGET_GPU, 0); }) {
      return [](nnwasm_target target, int32_t index) noexcept -> uint64_t {
        try {
          return B::device_memory(target, index);
        } catch (...) {
          return 0;
        }
      };
    } else {
      return nullptr;
    }
  }

  static const nnwasm_backend* entry(const nnwasm_host* host) noexcept {
    set_host(host);
    static_assert(kErrorPrefixMatches(), "define kErrorPrefix as kName followed by \": \"");
    try {
      if constexpr (requires { B::init(); }) B::init();
      static const nnwasm_backend descriptor = {
          NNWASM_BACKEND_ABI_VERSION,
          sizeof(nnwasm_backend),
          B::kName,
          B::version(),
          B::kEncodings,
          static_cast<uint32_t>(std::size(B::kEncodings)),
          B::kFlags,
          B::kPriority,
          probe,
          sniff,
          load,
          load_file_entry(),
          load_by_name_entry(),
          graph_free,
          graph_io_count,
          graph_io,
          context_create,
          context_free,
          set_input,
          compute,
          get_output,
          compute_single_entry(),
          get_output_single_entry(),
          fini_single_entry(),
          last_error,
          shutdown,
          device_memory_entry(),
      };
      return &descriptor;
    } catch (const Error& e) {
      log(nullptr, NNWASM_LOG_ERROR, "%s: cannot start: %s", B::kName, e.message.c_str());
    } catch (const std::exception& e) {
      log(nullptr, NNWASM_LOG_ERROR, "%s: cannot start: %s", B::kName, e.what());
    } catch (...) {
      log(nullptr, NNWASM_LOG_ERROR, "%s: cannot start: unknown error", B::kName);
    }
    return nullptr;
  }

 private:
  static constexpr bool kErrorPrefixMatches() {
    std::string_view name = B::kName, prefix = B::kErrorPrefix;
    return prefix.size() == name.size() + 2 && prefix.substr(0, name.size()) == name &&
           prefix.substr(name.size()) == ": ";
  }
};

}  // namespace nnwasm::plugin_support

// Defines the plugin's exported entry point over Boundary<Traits>; use once per plugin, at
// global scope, and define kPluginErrorPrefix through it.
#define NNWASM_DEFINE_BACKEND(Traits)                                          \
  namespace nnwasm::plugin_support {                                           \
  const char* const kPluginErrorPrefix = Traits::kErrorPrefix;                 \
  }                                                                            \
  extern "C" NNWASM_BACKEND_EXPORT const nnwasm_backend* nnwasm_backend_entry( \
      const nnwasm_host* host) {                                               \
    return ::nnwasm::plugin_support::Boundary<Traits>::entry(host);            \
  }
