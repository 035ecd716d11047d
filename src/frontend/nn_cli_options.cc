// The shared WASI-NN command-line options.
#include "frontend/nn_cli_options.h"

#include <charconv>
#include <cstdint>
#include <string>

#include "frontend/model_specs.h"
#include "frontend/plugin_dirs.h"

namespace nnwasm::frontend {

namespace {

// Counts and sizes: digits only and not 0, checked before CLI11 converts them (an unsigned
// option would otherwise take "-1" as 2^64 - 1); too large for the type: "Could not convert".
const CLI::Validator kPositiveWholeNumber(
    [](std::string& value) -> std::string {
      uint64_t number = 0;
      const char* end = value.data() + value.size();
      const auto [stop, error] = std::from_chars(value.data(), end, number);
      if (error == std::errc::result_out_of_range) return "'" + value + "' is too large";
      if (error != std::errc() || stop != end || number == 0) {
        return "expected a whole number greater than 0, got '" + value + "'";
      }
      return "";
    },
    "N>0");

}  // namespace

void add_backend_options(CLI::App& cmd, NnCliOptions& o) {
  cmd.add_option("--nn-backend-dir", o.backend_dirs,
                 "Directory with backend plugins (first searched)")
      ->allow_extra_args(false);
  cmd.add_option("--nn-backend-order", o.backend_order,
                 "Preferred backends by name, e.g. onnx,torch (overrides automatic ranking)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd.add_flag("--nn-strict-target", o.strict_target,
               "Fail instead of falling back to CPU when the asked device is missing");
  cmd.add_flag("--nn-keep-backends", o.keep_backends, "Never unload a backend plugin once loaded");
  cmd.add_option("--nn-backend-option", o.backend_options,
                 "A setting for backends, KEY=VALUE (repeatable), e.g. llama.max-ctx=32768: let "
                 "guests ask a llama context beyond the model's training context, up to that")
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            const size_t eq = value.find('=');
            return eq == std::string::npos || eq == 0 ? "expected KEY=VALUE, got '" + value + "'"
                                                      : "";
          },
          "KEY=VALUE"));
  // Shorthand for --nn-backend-option llama.parallel=N.
  cmd.add_option_function<std::string>(
         "--nn-llama-parallel",
         [&o](const std::string& n) { o.backend_options.push_back("llama.parallel=" + n); },
         "Sequences a llama model decodes together in one batch (default 8); the contexts "
         "beyond them wait for a free one")
      ->check(kPositiveWholeNumber);
}

void add_isolation_option(CLI::App& cmd, NnCliOptions& o) {
  cmd.add_option("--nn-isolate", o.isolate,
                 "Which models load and run in a supervised backend process, so that a framework "
                 "crashing on a corrupt model cannot take the host down: none, guest (models "
                 "from guest bytes; the default) or all (named models too)")
      ->check(CLI::IsMember({"none", "guest", "all"}));
}

void add_model_options(CLI::App& cmd, NnCliOptions& o) {
  cmd.add_option("--nn-preload", o.preloads,
                 "Named model NAME:ENCODING:TARGET:PATH[:PATH...] (e.g. default:GGML:AUTO:m.gguf)")
      ->allow_extra_args(false);
  cmd.add_option("--nn-graph", o.graph_dirs, "Named model ENCODING::DIR (Wasmtime spelling)")
      ->allow_extra_args(false);
  cmd.add_option("--nn-max-graphs", o.quotas.max_graphs,
                 "Graphs per instance or server session (default 64)")
      ->check(kPositiveWholeNumber);
  cmd.add_option("--nn-max-contexts", o.quotas.max_contexts,
                 "Execution contexts per instance or server session (default 256)")
      ->check(kPositiveWholeNumber);
  cmd.add_option("--nn-max-tensor-bytes", o.quotas.max_tensor_bytes,
                 "Bytes per input tensor (default 1 GiB)")
      ->check(kPositiveWholeNumber);
  cmd.add_option("--nn-max-model-bytes", o.quotas.max_model_bytes,
                 "Bytes of a model loaded from guest memory (default 4 GiB)")
      ->check(kPositiveWholeNumber);
  cmd.add_option("--nn-max-memory", o.max_memory,
                 "Bytes of models loaded from guest bytes and of contexts (a llama KV cache, by "
                 "estimate) per instance or server session; more is too_large (default no limit)")
      ->check(kPositiveWholeNumber);
  cmd.add_option("--nn-max-process-memory", o.max_process_memory,
                 "The same for all instances together, named models included (default no limit)")
      ->check(kPositiveWholeNumber);
  cmd.add_option_function<double>(
         "--nn-compute-timeout",
         [&o](double seconds) {
           o.quotas.compute_timeout_ms = static_cast<uint32_t>(seconds * 1000.0 + 0.5);
         },
         "Seconds one compute may run before it is cancelled, where the backend supports it "
         "(llama); default no limit")
      ->check(CLI::Range(0.0, 86400.0));
}

void add_rpc_client_options(CLI::App& cmd, NnCliOptions& o) {
  cmd.add_option("--nn-rpc-uri,--nn-rpc", o.rpc_uris,
                 "nnwasm (or WasmEdge) NNRPC servers for models not preloaded here: "
                 "unix:///abs/path, HOST:PORT, ... (comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd.add_option("--nn-rpc-timeout", o.rpc_timeout_s,
                 "Seconds to wait for an NNRPC server to answer a connection (default 5)")
      ->check(CLI::Range(0.01, 3600.0));
  cmd.add_option("--nn-rpc-tls-ca", o.rpc_tls_ca,
                 "Talk TLS to the NNRPC servers, trusting this CA certificate (PEM)")
      ->check(CLI::ExistingFile);
  cmd.add_option("--nn-rpc-token-file", o.rpc_token_file,
                 "A file holding the token the NNRPC servers require")
      ->check(CLI::ExistingFile);
}

namespace {

// The options of the backend process (nnwasm-serve): the host's plugins and limits. Its one
// session serves every instance here, each held to its own quotas by this process.
std::vector<std::string> backend_process_args(const NnCliOptions& o, nn::IsolationMode mode) {
  std::vector<std::string> args;
  for (const std::string& dir : o.backend_dirs) args.insert(args.end(), {"--nn-backend-dir", dir});
  if (!o.backend_order.empty()) {
    std::string order;
    for (const std::string& name : o.backend_order)
      order.append(order.empty() ? "" : ",").append(name);
    args.insert(args.end(), {"--nn-backend-order", order});
  }
  if (o.strict_target) args.emplace_back("--nn-strict-target");
  for (const std::string& option : o.backend_options) {
    args.insert(args.end(), {"--nn-backend-option", option});
  }
  if (o.keep_backends) args.emplace_back("--nn-keep-backends");
  args.insert(args.end(),
              {"--nn-max-tensor-bytes", std::to_string(o.quotas.max_tensor_bytes),
               "--nn-max-model-bytes", std::to_string(o.quotas.max_model_bytes), "--nn-max-graphs",
               "1073741824", "--nn-max-contexts", "1073741824", "--nn-rpc-drain", "0"});
  // Its one session serves every instance: the per-instance budget is this process's to keep.
  if (o.max_process_memory != 0) {
    args.insert(args.end(), {"--nn-max-process-memory", std::to_string(o.max_process_memory)});
  }
  if (o.quotas.compute_timeout_ms != 0) {
    args.insert(args.end(),
                {"--nn-compute-timeout", std::to_string(o.quotas.compute_timeout_ms / 1000.0)});
  }
  if (mode == nn::IsolationMode::all) {
    for (const std::string& spec : o.preloads) args.insert(args.end(), {"--nn-preload", spec});
    for (const std::string& spec : o.graph_dirs) args.insert(args.end(), {"--nn-graph", spec});
  }
  return args;
}

}  // namespace

nn::BackendConfig backend_config(const NnCliOptions& o, bool isolation_allowed) {
  nn::BackendConfig config;
  if (isolation_allowed && nn::parse_isolation_mode(o.isolate, &config.isolation.mode) &&
      config.isolation.mode != nn::IsolationMode::none) {
    config.isolation.server = (executable_path().parent_path() / "nnwasm-serve").string();
    config.isolation.args = backend_process_args(o, config.isolation.mode);
  }
  config.dirs = plugin_dirs(o.backend_dirs, executable_path());
  config.order = o.backend_order;
  for (const std::string& option : o.backend_options) {
    const size_t eq = option.find('=');
    config.options[option.substr(0, eq)] = option.substr(eq + 1);
  }
  config.max_memory = o.max_memory;
  config.max_process_memory = o.max_process_memory;
  config.strict_target = o.strict_target;
  config.keep_alive = o.keep_backends;
  if (!o.rpc_uris.empty()) {
    std::string uris;
    for (const std::string& uri : o.rpc_uris) uris.append(uris.empty() ? "" : ",").append(uri);
    config.options["rpc.uri"] = uris;
    config.options["rpc.timeout_ms"] = std::to_string(static_cast<long>(o.rpc_timeout_s * 1000));
    if (!o.rpc_tls_ca.empty()) config.options["rpc.tls_ca"] = o.rpc_tls_ca;
    if (!o.rpc_token_file.empty()) config.options["rpc.token_file"] = o.rpc_token_file;
  }
  return config;
}

bool named_models(const NnCliOptions& o, std::vector<nn::NamedModel>* out, std::string* error) {
  for (const std::string& spec : o.preloads) {
    nn::NamedModel model;
    if (auto s = parse_preload(spec, &model); !s.is_ok()) {
      *error = s.message;
      return false;
    }
    out->push_back(std::move(model));
  }
  for (const std::string& spec : o.graph_dirs) {
    nn::NamedModel model;
    if (auto s = parse_graph_dir(spec, &model); !s.is_ok()) {
      *error = s.message;
      return false;
    }
    out->push_back(std::move(model));
  }
  return true;
}

}  // namespace nnwasm::frontend
