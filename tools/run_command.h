// `nnwasm run`: loads a WASI command module, gives it WASI and runs `_start`.
#pragma once

#include "run_options.h"

namespace nnwasm::cli {

// Returns the process exit code: the guest's exit status, 1 for a trap or a load/link error.
int run_module(const RunOptions& options);

}  // namespace nnwasm::cli
