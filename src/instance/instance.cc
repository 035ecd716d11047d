// Instance: WASI and WASI-NN imports defined on one linker, then the module instantiated.
#include "instance/instance.h"

#include <utility>

namespace nnwasm {

Instance::Instance(std::shared_ptr<const engine::Module> module, nn::NnRuntime& runtime,
                   wasi::WasiConfig wasi_config)
    : module_(std::move(module)), wasi_(std::move(wasi_config)), wasi_nn_(runtime) {
  // A backend's stream-stdout text goes where this guest's own stdout goes (an int member
  // survives the move of the config).
  wasi_nn_.session().set_stdout(wasi_config.stdout_fd);
  wasi_.define_imports(linker_);
  wasi_nn_.define_imports(linker_);
  store_.instantiate(module_, linker_);
}

}  // namespace nnwasm
