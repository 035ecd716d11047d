// Instance: one running guest - an engine store with WASI and WASI-NN bound to it - made from a
// compiled Module and the process-wide NN runtime. The one place where the layers meet; the CLI,
// the benchmarks and the tests build guests through it.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "nn/abi/wasi_nn.h"
#include "nn/session.h"
#include "wasi/wasi.h"

namespace nnwasm {

class Instance {
 public:
  // Opens the WASI resources (preopens, sockets), binds every import and instantiates
  // `module`. Throws engine::EngineError (link errors) or wasi::WasiError (setup failures).
  // `runtime` must outlive the instance.
  Instance(std::shared_ptr<const engine::Module> module, nn::NnRuntime& runtime,
           wasi::WasiConfig wasi_config);
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Runs the export `name` (no params, no results); "_start" for a WASI command.
  engine::RunOutcome run(const std::string& name = "_start") { return store_.call(name); }
  // Calls an export with arguments (see engine::Store::call).
  engine::RunOutcome call(const std::string& name, std::span<const engine::WasmValue> args,
                          std::vector<engine::WasmValue>* results) {
    return store_.call(name, args, results);
  }

  wasi::Wasi& wasi() { return wasi_; }
  nn::Session& nn_session() { return wasi_nn_.session(); }
  const engine::Module& module() const { return *module_; }

 private:
  // Declaration order is teardown order reversed: the store (which calls into the host
  // functions) goes first, then the linker, WASI-NN (contexts, then graphs) and WASI (fds).
  std::shared_ptr<const engine::Module> module_;
  wasi::Wasi wasi_;
  nn::WasiNn wasi_nn_;
  engine::Linker linker_;
  engine::Store store_;
};

}  // namespace nnwasm
