// Test helpers for the torch backend plugin: opening plugins by path, reading the generated
// models, RAII graphs and contexts made through the plugin ABI, and the native references
// (torch_native_test.cc, the only test file that includes libtorch).
#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <nnwasm/backend.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace nnwasm::torch_test {

inline std::string model_path(const std::string& name) {
  return std::string(NNWASM_MODEL_DIR) + "/" + name;
}

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path << " (run scripts/models/make_all.sh)";
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Opens a plugin (RTLD_NOW | RTLD_LOCAL, as nnwasm does) and returns its descriptor; NULL and
// a test failure when that fails. The handle goes to `*handle` when asked for.
inline const nnwasm_backend* open_plugin(const char* path, void** handle = nullptr) {
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
    return nullptr;
  }
  if (handle != nullptr) *handle = h;
  auto entry = reinterpret_cast<nnwasm_backend_entry_fn>(dlsym(h, NNWASM_BACKEND_ENTRY_SYMBOL));
  if (entry == nullptr) {
    ADD_FAILURE() << "no " << NNWASM_BACKEND_ENTRY_SYMBOL << " in " << path;
    return nullptr;
  }
  return entry();
}

// The torch plugin, opened once per process and kept open.
inline const nnwasm_backend* backend() {
  static const nnwasm_backend* b = open_plugin(NNWASM_TORCH_PLUGIN);
  return b;
}

inline std::string last_error() {
  return backend()->last_error();
}

inline bool has_cuda() {
  uint32_t count = 0;
  backend()->probe(nullptr, 0, &count);
  return count > 1;
}

inline nnwasm_load_options options(nnwasm_target target = NNWASM_TARGET_CPU,
                                   const std::string* config = nullptr) {
  nnwasm_load_options o{};
  o.encoding = NNWASM_ENCODING_PYTORCH;
  o.target = target;
  if (config != nullptr) {
    o.config_json = config->data();
    o.config_len = config->size();
  }
  return o;
}

// A tensor view over caller-owned dims and data.
template <typename T>
nnwasm_tensor tensor(nnwasm_tensor_type type, const std::vector<uint32_t>& dims,
                     const std::vector<T>& data) {
  return nnwasm_tensor{dims.data(), static_cast<uint32_t>(dims.size()), type,
                       reinterpret_cast<const uint8_t*>(data.data()), data.size() * sizeof(T)};
}

struct Graph {
  const nnwasm_backend* b = backend();
  nnwasm_graph* g = nullptr;
  Graph() = default;
  explicit Graph(const nnwasm_backend* plugin) : b(plugin) {}
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  ~Graph() {
    if (g != nullptr) b->graph_free(g);
  }
};

struct Context {
  const nnwasm_backend* b = backend();
  nnwasm_context* c = nullptr;
  Context() = default;
  explicit Context(const nnwasm_backend* plugin) : b(plugin) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() {
    if (c != nullptr) b->context_free(c);
  }
};

// Loads `name` from the model dir as bytes (one builder) through graph.b.
inline void load_bytes(const std::string& name, Graph& graph,
                       nnwasm_target target = NNWASM_TARGET_CPU,
                       nnwasm_encoding encoding = NNWASM_ENCODING_PYTORCH) {
  const auto bytes = read_file(model_path(name));
  const nnwasm_bytes builder{bytes.data(), bytes.size()};
  auto opts = options(target);
  opts.encoding = encoding;
  ASSERT_EQ(graph.b->load(&builder, 1, &opts, &graph.g), NNWASM_SUCCESS) << graph.b->last_error();
  ASSERT_NE(graph.g, nullptr);
}

inline void make_context(Graph& graph, Context& ctx) {
  ASSERT_EQ(graph.b->context_create(graph.g, &ctx.c), NNWASM_SUCCESS) << graph.b->last_error();
  ASSERT_NE(ctx.c, nullptr);
}

// Output `index` of the last compute as raw bytes.
inline std::vector<uint8_t> output_bytes(Context& ctx, uint32_t index) {
  nnwasm_output out{};
  EXPECT_EQ(ctx.b->get_output(ctx.c, index, &out), NNWASM_SUCCESS) << ctx.b->last_error();
  return std::vector<uint8_t>(out.data, out.data + out.size);
}

template <typename T>
std::vector<T> output(Context& ctx, uint32_t index) {
  const auto bytes = output_bytes(ctx, index);
  EXPECT_EQ(bytes.size() % sizeof(T), 0u);
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!bytes.empty()) std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The held-out digits samples (f32 [N,64]) and labels.
inline std::vector<float> digits_x() {
  const auto bytes = read_file(model_path("digits_test_x.bin"));
  std::vector<float> x(bytes.size() / sizeof(float));
  if (!bytes.empty()) std::memcpy(x.data(), bytes.data(), x.size() * sizeof(float));
  return x;
}

// One digit character per held-out sample, from digits.pt run by libtorch directly, one
// sample per forward (as the demo guest does). Defined in torch_native_test.cc.
std::string native_digits_predictions();

}  // namespace nnwasm::torch_test
