// Test helpers for the llama backend plugin: the plugin opened once per process, the shared
// plugin helpers (plugin_test_support.h) and an Llm wrapper for one graph + context that
// speaks docs/abi.md section 5 (prompt on input 0, metadata JSON on input 1).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "../plugin_test_support.h"
#include "llama_reference.h"

namespace nnwasm::llama_test {

using namespace nnwasm::plugin_test;  // model_path, open_plugin, Graph, Context, ...

inline const nnwasm_backend* backend() {
  static const nnwasm_backend* b = open_plugin(NNWASM_LLAMA_PLUGIN);
  return b;
}

inline std::string last_error() {
  return backend()->last_error();
}

inline const std::string& tiny_model() {
  static const std::string path = model_path("tiny-llama.gguf");
  return path;
}

// The generator's description of the tiny model (n_embd, n_ctx_train, eos id, ...).
inline const nlohmann::json& tiny_model_facts() {
  static const nlohmann::json facts = [] {
    const auto bytes = read_file(model_path("tiny-llama.json"));
    return nlohmann::json::parse(bytes.begin(), bytes.end());
  }();
  return facts;
}

inline nnwasm_tensor text_tensor(const std::string& text) {
  static const uint32_t dims[1] = {1};  // old WasmEdge guests send [1]: ignored
  return nnwasm_tensor{dims, 1, NNWASM_TENSOR_U8, reinterpret_cast<const uint8_t*>(text.data()),
                       text.size()};
}

// Metadata for exactly the greedy generation of reference parameters `p`.
inline std::string greedy_metadata(const ReferenceParams& p) {
  return "{\"ctx-size\":" + std::to_string(p.ctx_size) +
         ",\"n-predict\":" + std::to_string(p.n_predict) +
         ",\"batch-size\":" + std::to_string(p.batch_size) +
         ",\"threads\":" + std::to_string(p.threads) + ",\"temp\":0}";
}

inline ReferenceParams reference_params(const std::string& prompt, int n_predict,
                                        int ctx_size = 512) {
  ReferenceParams p;
  p.model_path = tiny_model();
  p.prompt = prompt;
  p.n_predict = n_predict;
  p.ctx_size = ctx_size;
  p.threads = 1;  // ctest runs tests side by side: spinning ggml threads must not oversubscribe
  return p;
}

// One graph of the llama plugin (loaded from the tiny model file) and one context on it.
struct Llm {
  plugin_test::Graph graph{backend()};
  plugin_test::Context ctx{backend()};

  // `config` is the load config; one thread unless it says otherwise (tests run side by side).
  explicit Llm(const std::string& config = "{}", const std::string& path = tiny_model()) {
    auto json = nlohmann::json::parse(config);
    if (!json.contains("threads")) json["threads"] = 1;
    const std::string text = json.dump();
    const auto opts = load_options(NNWASM_ENCODING_GGML, NNWASM_TARGET_CPU, &text);
    const char* paths[] = {path.c_str()};
    EXPECT_EQ(backend()->load_file(paths, 1, &opts, &graph.g), NNWASM_SUCCESS) << last_error();
    if (graph.g != nullptr) make_context(graph, ctx);
  }
  nnwasm_status input(uint32_t index, const std::string& bytes) {
    const nnwasm_tensor t = text_tensor(bytes);
    return backend()->set_input(ctx.c, index, &t);
  }
  nnwasm_status prompt(const std::string& text) { return input(0, text); }
  nnwasm_status metadata(const std::string& json) { return input(1, json); }
  nnwasm_status compute() { return backend()->compute(ctx.c); }
  nnwasm_status compute_single() { return backend()->compute_single(ctx.c); }
  std::string text() { return as_string(output_bytes(ctx, 0)); }
  std::string piece() {
    nnwasm_output out{};
    EXPECT_EQ(backend()->get_output_single(ctx.c, 0, &out), NNWASM_SUCCESS) << last_error();
    return std::string(reinterpret_cast<const char*>(out.data), out.size);
  }
  nlohmann::json counts() {
    return nlohmann::json::parse(as_string(output_bytes(ctx, 1)));  // throws on bad JSON
  }
  static std::string as_string(const std::vector<uint8_t>& b) {
    return std::string(b.begin(), b.end());
  }
};

}  // namespace nnwasm::llama_test
