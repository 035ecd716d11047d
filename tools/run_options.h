// RunOptions: everything `nnwasm run` needs, as plain data parsed from the command line.
#pragma once

#include <string>
#include <vector>

#include "engine/engine.h"
#include "nn/session.h"
#include "wasi/wasi.h"

namespace nnwasm::cli {

struct RunOptions {
  std::string module_path;
  std::vector<std::string> guest_args;  // after the module; argv[0] is added from argv0
  std::string argv0;                    // default: the module's file name
  std::vector<std::string> env;         // KEY=VALUE
  std::vector<wasi::Preopen> preopens;
  std::vector<std::string> tcp_listen;  // --tcplisten HOST:PORT
  engine::EngineConfig engine;
  std::string invoke = "_start";
  // WASI-NN
  nn::BackendConfig backends;
  nn::Quotas quotas;
  std::vector<nn::NamedModel> named_models;  // --nn-preload, --nn-graph
  // After our own complete teardown, end the process without V8's, which waits for background
  // compilation nobody needs any more.
  bool exit_when_done = false;
};

// Parses one --dir/--map-dir value in any peer's spelling into a preopen:
//   DIR (same path for both), GUEST:HOST (WasmEdge), HOST::GUEST (Wasmtime --dir),
//   and with map_dir=true GUEST::HOST (WAMR --map-dir, Wasmtime's old --mapdir).
// Returns an empty error string on success.
std::string parse_dir(const std::string& value, bool map_dir, wasi::Preopen& out);

// Parses `--env` values: KEY=VALUE, or KEY alone to pass the host's value through.
std::string parse_env(const std::string& value, std::vector<std::string>& env);

}  // namespace nnwasm::cli
