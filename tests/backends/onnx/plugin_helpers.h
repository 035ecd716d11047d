// Test helpers for the onnx backend plugin: the plugin opened once per process, and the
// shared plugin helpers (plugin_test_support.h) with onnx defaults.
#pragma once

#include "../plugin_test_support.h"

namespace nnwasm::onnx_test {

using namespace nnwasm::plugin_test;  // model_path, read_file, tensor, output, contains, ...

// The onnx plugin, opened once per process (RTLD_NOW | RTLD_LOCAL, as nnwasm does), kept open.
inline const nnwasm_backend* backend() {
  static const nnwasm_backend* b = open_plugin(NNWASM_ONNX_PLUGIN);
  return b;
}

inline std::string last_error() {
  return backend()->last_error();
}

inline nnwasm_load_options options(nnwasm_target target = NNWASM_TARGET_CPU,
                                   const std::string* config = nullptr) {
  return load_options(NNWASM_ENCODING_ONNX, target, config);
}

// Graphs and contexts of the onnx plugin.
struct Graph : plugin_test::Graph {
  Graph() : plugin_test::Graph(backend()) {}
};
struct Context : plugin_test::Context {
  Context() : plugin_test::Context(backend()) {}
};

// Loads `name` from the model dir as bytes (one builder); fails the test on error.
inline void load_bytes(const std::string& name, Graph& graph,
                       nnwasm_target target = NNWASM_TARGET_CPU) {
  plugin_test::load_bytes(name, graph, NNWASM_ENCODING_ONNX, target);
}

}  // namespace nnwasm::onnx_test
