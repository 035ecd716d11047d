// The WASI-NN command-line options `nnwasm run`, `nnwasm backends` and `nnwasm serve` share
// (backend plugins, named models, quotas, NNRPC servers), defined once for CLI11 and turned into
// the NN core's configuration.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "nn/session.h"

namespace nnwasm::frontend {

struct NnCliOptions {
  std::vector<std::string> backend_dirs, backend_order, preloads, graph_dirs, rpc_uris;
  std::string rpc_tls_ca, rpc_token_file;
  bool strict_target = false, keep_backends = false;
  double rpc_timeout_s = 5;
  nn::Quotas quotas;
};

// --nn-backend-dir, --nn-backend-order, --nn-strict-target, --nn-keep-backends.
void add_backend_options(CLI::App& command, NnCliOptions& options);
// --nn-preload, --nn-graph, the --nn-max-* quotas and --nn-compute-timeout.
void add_model_options(CLI::App& command, NnCliOptions& options);
// --nn-rpc-uri URI[,URI...] (also --nn-rpc), --nn-rpc-timeout, --nn-rpc-tls-ca and
// --nn-rpc-token-file: models on nnwasm servers.
void add_rpc_client_options(CLI::App& command, NnCliOptions& options);

// The backend manager's configuration (plugin dirs beside the running executable), with the
// rpc backend's host options (rpc.uri, rpc.timeout_ms) when servers are given.
nn::BackendConfig backend_config(const NnCliOptions& options);
// The named models of --nn-preload and --nn-graph; false with `error` set for a bad spec.
bool named_models(const NnCliOptions& options, std::vector<nn::NamedModel>* out,
                  std::string* error);

}  // namespace nnwasm::frontend
