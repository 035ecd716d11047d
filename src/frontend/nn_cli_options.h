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
  std::vector<std::string> backend_options;  // --nn-backend-option KEY=VALUE
  std::string rpc_tls_ca, rpc_token_file;
  std::string isolate = "guest";  // --nn-isolate
  bool strict_target = false, keep_backends = false;
  double rpc_timeout_s = 5;
  uint64_t max_memory = 0, max_process_memory = 0;  // --nn-max-memory, --nn-max-process-memory
  nn::Quotas quotas;
};

// --nn-backend-dir, --nn-backend-order, --nn-strict-target, --nn-keep-backends,
// --nn-backend-option.
void add_backend_options(CLI::App& command, NnCliOptions& options);
// --nn-isolate none|guest|all (nnwasm run). Not for nnwasm serve: the rpc backend, which talks
// to the backend process, cannot be loaded beside the server's own gRPC services (protobuf
// registers each .proto once per process); serve is itself the process its clients' models
// run in.
// --nn-preload, --nn-graph, the --nn-max-* quotas and memory budgets, --nn-compute-timeout.
void add_model_options(CLI::App& command, NnCliOptions& options);
// --nn-rpc-uri URI[,URI...] (also --nn-rpc), --nn-rpc-timeout, --nn-rpc-tls-ca and
// --nn-rpc-token-file: models on nnwasm servers.
void add_rpc_client_options(CLI::App& command, NnCliOptions& options);

void add_isolation_option(CLI::App& command, NnCliOptions& options);

// The backend manager's configuration (plugin dirs beside the running executable), with the
// rpc backend's host options (rpc.uri, rpc.timeout_ms) when servers are given, and how to start
// the backend process of --nn-isolate (nnwasm-serve beside the executable, with these options).
// `isolation_allowed` false: never isolate (the backend process itself).
nn::BackendConfig backend_config(const NnCliOptions& options, bool isolation_allowed = true);
// The named models of --nn-preload and --nn-graph; false with `error` set for a bad spec.
bool named_models(const NnCliOptions& options, std::vector<nn::NamedModel>* out,
                  std::string* error);

}  // namespace nnwasm::frontend
