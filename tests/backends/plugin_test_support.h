// Shared by the backend plugin test suites: opening a plugin by path as nnwasm does, reading
// the generated models, tensor views, RAII graphs/contexts bound to a plugin, and outputs.
// Each suite's helper header adds its plugin (backend()) and defaults on top of this.
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

#include "support/process.h"

namespace nnwasm::plugin_test {

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
  return entry(nullptr);  // no host: a plugin then logs to stderr and is never cancelled
}

inline nnwasm_load_options load_options(nnwasm_encoding encoding, nnwasm_target target,
                                        const std::string* config) {
  nnwasm_load_options o{};
  o.struct_size = sizeof o;
  o.encoding = encoding;
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

// A graph of plugin `b`, freed with it.
struct Graph {
  const nnwasm_backend* b;
  nnwasm_graph* g = nullptr;
  explicit Graph(const nnwasm_backend* plugin) : b(plugin) {}
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  ~Graph() {
    if (g != nullptr) b->graph_free(g);
  }
};

// A context of plugin `b`, freed with it.
struct Context {
  const nnwasm_backend* b;
  nnwasm_context* c = nullptr;
  explicit Context(const nnwasm_backend* plugin) : b(plugin) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() {
    if (c != nullptr) b->context_free(c);
  }
};

// Loads `name` from the model dir as bytes (one builder) through graph.b.
inline void load_bytes(const std::string& name, Graph& graph, nnwasm_encoding encoding,
                       nnwasm_target target) {
  const auto bytes = read_file(model_path(name));
  const nnwasm_bytes builder{bytes.data(), bytes.size()};
  const auto opts = load_options(encoding, target, nullptr);
  ASSERT_EQ(graph.b->load(&builder, 1, &opts, &graph.g), NNWASM_SUCCESS) << graph.b->last_error();
  ASSERT_NE(graph.g, nullptr);
}

inline void make_context(Graph& graph, Context& ctx) {
  ASSERT_EQ(graph.b->context_create(graph.g, nullptr, &ctx.c), NNWASM_SUCCESS)
      << graph.b->last_error();
  ASSERT_NE(ctx.c, nullptr);
}

// Output `index` of the last compute as raw bytes.
inline std::vector<uint8_t> output_bytes(Context& ctx, uint32_t index) {
  nnwasm_output out{};
  EXPECT_EQ(ctx.b->get_output(ctx.c, index, &out), NNWASM_SUCCESS) << ctx.b->last_error();
  return std::vector<uint8_t>(out.data, out.data + out.size);
}

// Output `index` of the last compute, copied into a vector of T.
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

// The value of "KEY" up to the end of its line in a guest's output ("" when absent).
inline std::string output_field(const std::string& out, const std::string& key) {
  size_t at = out.find(key);
  if (at == std::string::npos) return {};
  size_t end = out.find('\n', at);
  return out.substr(at + key.size(), end == std::string::npos ? end : end - at - key.size());
}

// Checks a run of the digits demo guest: exit 0, the predictions line equals `native`, and the
// accuracy line agrees with the labels (and beats 0.9).
inline void expect_digits_run_matches(const nnwasm::test::ProcessResult& r,
                                      const std::string& native) {
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(output_field(r.out, "predictions: "), native);
  const auto y = read_file(model_path("digits_test_y.bin"));
  size_t correct = 0;
  for (size_t i = 0; i < y.size() && i < native.size(); ++i) correct += native[i] == '0' + y[i];
  EXPECT_TRUE(
      contains(r.out, "digits: " + std::to_string(correct) + "/" + std::to_string(y.size())))
      << r.out;
  EXPECT_GT(static_cast<double>(correct) / y.size(), 0.9);
}

}  // namespace nnwasm::plugin_test
