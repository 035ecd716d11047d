// The named-model specs users write, in the peers' syntaxes: WasmEdge's --nn-preload and
// Wasmtime's --nn-graph. Shared by the front ends (the CLI, the embedding API, benchmarks).
#pragma once

#include <string>

#include "nn/model_registry.h"

namespace nnwasm::frontend {

// Parses WasmEdge's --nn-preload NAME:ENCODING:TARGET:PATH[:PATH...].
nn::NnStatus parse_preload(const std::string& spec, nn::NamedModel* out);
// Parses Wasmtime's --nn-graph ENCODING::DIR (name = last component of DIR).
nn::NnStatus parse_graph_dir(const std::string& spec, nn::NamedModel* out);

}  // namespace nnwasm::frontend
