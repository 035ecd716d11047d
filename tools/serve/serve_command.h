// `nnwasm serve`: the NN core (backends, named models, quotas) served over NNRPC until SIGINT
// or SIGTERM.
#pragma once

#include <sys/types.h>

#include <vector>

#include "nn/session.h"
#include "rpc/server.h"

namespace nnwasm::cli {

struct ServeCommandOptions {
  nn::BackendConfig backends;
  nn::Quotas quotas;  // per session
  std::vector<nn::NamedModel> named_models;
  rpc::ServeOptions rpc;
  // Nonzero: this is the backend process of the nnwasm process with this pid (--nn-isolate):
  // quiet, and gone when its parent is.
  pid_t backend_process_of = 0;
};

// Returns the process exit code: 0 after a clean shutdown, 1 when it cannot listen.
int serve_models(const ServeCommandOptions& options);

}  // namespace nnwasm::cli
