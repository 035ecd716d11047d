// Test helpers for the torch backend plugin: the plugin opened once per process, the shared
// plugin helpers (plugin_test_support.h) with torch defaults, and the native references
// (torch_native_test.cc, the only test file that includes libtorch).
#pragma once

#include "../plugin_test_support.h"

namespace nnwasm::torch_test {

using namespace nnwasm::plugin_test;  // model_path, read_file, open_plugin, tensor, output, ...

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
  return load_options(NNWASM_ENCODING_PYTORCH, target, config);
}

// Graphs and contexts of the torch plugin by default, or of another plugin when given one.
struct Graph : plugin_test::Graph {
  Graph() : plugin_test::Graph(backend()) {}
  explicit Graph(const nnwasm_backend* plugin) : plugin_test::Graph(plugin) {}
};
struct Context : plugin_test::Context {
  Context() : plugin_test::Context(backend()) {}
  explicit Context(const nnwasm_backend* plugin) : plugin_test::Context(plugin) {}
};

// Loads `name` from the model dir as bytes (one builder) through graph.b.
inline void load_bytes(const std::string& name, Graph& graph,
                       nnwasm_target target = NNWASM_TARGET_CPU,
                       nnwasm_encoding encoding = NNWASM_ENCODING_PYTORCH) {
  plugin_test::load_bytes(name, graph, encoding, target);
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
