// WasiNn: one guest instance's WASI-NN - a Session behind both import modules.
#pragma once

#include "engine/host_function.h"
#include "nn/abi/ephemeral.h"
#include "nn/abi/legacy.h"
#include "nn/session.h"

namespace nnwasm::nn {

class WasiNn {
 public:
  explicit WasiNn(NnRuntime& runtime)
      : session_(runtime), ephemeral_(session_), legacy_(session_) {}

  // Defines wasi_ephemeral_nn and wasi_nn on `linker`; `this` must outlive the instance.
  void define_imports(engine::Linker& linker) {
    ephemeral_.define_imports(linker);
    legacy_.define_imports(linker);
  }

  Session& session() { return session_; }

 private:
  Session session_;
  abi::EphemeralModule ephemeral_;
  abi::LegacyModule legacy_;
};

}  // namespace nnwasm::nn
