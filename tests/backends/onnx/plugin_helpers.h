// Test helpers for the onnx backend plugin: opening libnnwasm-onnx.so by path, reading the
// generated models, and RAII wrappers for graphs and contexts made through the plugin ABI.
#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <nnwasm/backend.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace nnwasm::onnx_test {

inline std::string model_path(const std::string& name) {
  return std::string(NNWASM_MODEL_DIR) + "/" + name;
}

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path << " (run scripts/models/make_all.sh)";
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Opens the plugin once per process (RTLD_NOW | RTLD_LOCAL, as nnwasm does) and keeps it open.
inline const nnwasm_backend* backend() {
  static const nnwasm_backend* b = [] {
    void* handle = dlopen(NNWASM_ONNX_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      ADD_FAILURE() << "dlopen " << NNWASM_ONNX_PLUGIN << ": " << dlerror();
      return static_cast<const nnwasm_backend*>(nullptr);
    }
    auto entry =
        reinterpret_cast<nnwasm_backend_entry_fn>(dlsym(handle, NNWASM_BACKEND_ENTRY_SYMBOL));
    if (entry == nullptr) {
      ADD_FAILURE() << "no " << NNWASM_BACKEND_ENTRY_SYMBOL << " in " << NNWASM_ONNX_PLUGIN;
      return static_cast<const nnwasm_backend*>(nullptr);
    }
    return entry();
  }();
  return b;
}

inline std::string last_error() {
  return backend()->last_error();
}

inline nnwasm_load_options options(nnwasm_target target = NNWASM_TARGET_CPU,
                                   const std::string* config = nullptr) {
  nnwasm_load_options o{};
  o.encoding = NNWASM_ENCODING_ONNX;
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
  nnwasm_graph* g = nullptr;
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  ~Graph() {
    if (g != nullptr) backend()->graph_free(g);
  }
};

struct Context {
  nnwasm_context* c = nullptr;
  Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() {
    if (c != nullptr) backend()->context_free(c);
  }
};

// Loads `name` from the model dir as bytes (one builder) on the CPU; fails the test on error.
inline void load_bytes(const std::string& name, Graph& graph,
                       nnwasm_target target = NNWASM_TARGET_CPU) {
  const auto bytes = read_file(model_path(name));
  const nnwasm_bytes builder{bytes.data(), bytes.size()};
  const auto opts = options(target);
  ASSERT_EQ(backend()->load(&builder, 1, &opts, &graph.g), NNWASM_SUCCESS) << last_error();
  ASSERT_NE(graph.g, nullptr);
}

inline void make_context(Graph& graph, Context& ctx) {
  ASSERT_EQ(backend()->context_create(graph.g, &ctx.c), NNWASM_SUCCESS) << last_error();
  ASSERT_NE(ctx.c, nullptr);
}

// Output `index` of the last compute, copied into a vector of T.
template <typename T>
std::vector<T> output(Context& ctx, uint32_t index) {
  nnwasm_output out{};
  EXPECT_EQ(backend()->get_output(ctx.c, index, &out), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(out.size % sizeof(T), 0u);
  std::vector<T> values(out.size / sizeof(T));
  if (out.size > 0) std::memcpy(values.data(), out.data, out.size);
  return values;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace nnwasm::onnx_test
