// nnwasm command line: `nnwasm run [options] MODULE [ARGS...]` (or `nnwasm MODULE ...`).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "backends_command.h"
#include "frontend/model_specs.h"
#include "frontend/plugin_dirs.h"
#include "run_command.h"
#include "run_options.h"
#include "serve_command.h"

namespace {

constexpr int kUsageError = 2;

bool is_subcommand_or_global_flag(std::string_view arg) {
  return arg == "run" || arg == "serve" || arg == "backends" || arg == "help" || arg == "--help" ||
         arg == "-h" || arg == "--version" || arg == "-V";
}

void setup_logging() {
  // _mt: backends log through the host (nnwasm_host.log) from any thread, their workers too.
  auto logger = spdlog::stderr_logger_mt("nnwasm");
  logger->set_pattern("nnwasm: %l: %v");
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
  setup_logging();
  // A guest writing to a closed pipe gets EPIPE from fd_write instead of killing the runtime.
  std::signal(SIGPIPE, SIG_IGN);

  // `nnwasm MODULE ...` and `nnwasm --dir . MODULE ...` are shorthands for `nnwasm run ...`.
  std::vector<char*> args(argv, argv + argc);
  static char run_word[] = "run";
  if (argc > 1 && !is_subcommand_or_global_flag(argv[1])) args.insert(args.begin() + 1, run_word);

  CLI::App app{"nnwasm: a WebAssembly runtime for AI inference (WASI + WASI-NN)", "nnwasm"};
  app.set_version_flag("-V,--version", std::string("nnwasm ") + NNWASM_VERSION + " (V8 engine)");
  app.require_subcommand(1);

  nnwasm::cli::RunOptions options;
  std::vector<std::string> dirs, map_dirs, envs;
  std::string tiering = "eager";
  CLI::App* run =
      app.add_subcommand("run", "Run a WASI command module: run [OPTIONS] MODULE [ARGS...]");
  run->prefix_command();  // everything after MODULE belongs to the guest
  run->add_option("--dir", dirs,
                  "Preopen a host directory: DIR, GUEST:HOST (WasmEdge) or HOST::GUEST (Wasmtime)")
      ->allow_extra_args(false);
  run->add_option("--map-dir,--mapdir", map_dirs, "Preopen HOST as GUEST: GUEST::HOST (WAMR)")
      ->allow_extra_args(false);
  run->add_option("--env", envs, "Set a guest environment variable: KEY=VALUE, or KEY to inherit")
      ->allow_extra_args(false);
  run->add_option("--tcplisten", options.tcp_listen,
                  "Preopen a listening TCP socket HOST:PORT as the next fd after the directories "
                  "(port 0: any free port, printed at start)")
      ->allow_extra_args(false);
  run->add_option("--argv0", options.argv0,
                  "argv[0] seen by the guest (default: module file name)");
  run->add_option("--invoke", options.invoke, "Exported function to run (default: _start)");
  run->add_option(
         "--tiering", tiering,
         "Wasm compilation: eager (default: Liftoff, then TurboFan in the background), "
         "optimizing (TurboFan before start), baseline (Liftoff only), dynamic (hot code only)")
      ->check(CLI::IsMember({"eager", "optimizing", "baseline", "dynamic"}));
  run->add_option("--v8-flags", options.engine.v8_flags, "Extra V8 flags (expert use)");
  run->add_flag("!--no-trap-handler", options.engine.trap_handler,
                "Use explicit bounds checks instead of guard pages");

  // WASI-NN options, shared by `run` and `backends`.
  std::vector<std::string> backend_dirs, backend_order, preloads, graph_dirs;
  bool strict_target = false, keep_backends = false;
  auto add_backend_options = [&](CLI::App* cmd) {
    cmd->add_option("--nn-backend-dir", backend_dirs,
                    "Directory with backend plugins (first searched)")
        ->allow_extra_args(false);
    cmd->add_option("--nn-backend-order", backend_order,
                    "Preferred backends by name, e.g. onnx,torch (overrides automatic ranking)")
        ->delimiter(',')
        ->allow_extra_args(false);
    cmd->add_flag("--nn-strict-target", strict_target,
                  "Fail instead of falling back to CPU when the asked device is missing");
    cmd->add_flag("--nn-keep-backends", keep_backends, "Never unload a backend plugin once loaded");
  };
  // Named models and quotas, shared by `run` (per instance) and `serve` (per session).
  auto add_model_options = [&](CLI::App* cmd) {
    cmd->add_option(
           "--nn-preload", preloads,
           "Named model NAME:ENCODING:TARGET:PATH[:PATH...] (e.g. default:GGML:AUTO:m.gguf)")
        ->allow_extra_args(false);
    cmd->add_option("--nn-graph", graph_dirs, "Named model ENCODING::DIR (Wasmtime spelling)")
        ->allow_extra_args(false);
    cmd->add_option("--nn-max-graphs", options.quotas.max_graphs,
                    "Graphs per instance or session (default 64)");
    cmd->add_option("--nn-max-contexts", options.quotas.max_contexts,
                    "Execution contexts per instance or session (default 256)");
    cmd->add_option("--nn-max-tensor-bytes", options.quotas.max_tensor_bytes,
                    "Bytes per input tensor (default 1 GiB)");
    cmd->add_option("--nn-max-model-bytes", options.quotas.max_model_bytes,
                    "Bytes of a model loaded from guest memory (default 4 GiB)");
    cmd->add_option_function<double>(
           "--nn-compute-timeout",
           [&](double seconds) {
             options.quotas.compute_timeout_ms = static_cast<uint32_t>(seconds * 1000.0 + 0.5);
           },
           "Seconds one compute may run before it is cancelled, where the backend supports it "
           "(llama); default no limit")
        ->check(CLI::Range(0.0, 86400.0));
  };
  add_backend_options(run);
  add_model_options(run);

  nnwasm::cli::ServeCommandOptions serve_options;
  std::string socket_mode = "0600";
  CLI::App* serve = app.add_subcommand(
      "serve", "Serve WASI-NN over gRPC (NNRPC, WasmEdge-compatible) until SIGINT/SIGTERM");
  serve
      ->add_option("--nn-rpc-uri,--listen", serve_options.rpc.uris,
                   "Where to listen: unix:///abs/path, unix:rel/path, HOST:PORT, [::1]:PORT "
                   "(port 0: any free port); keep TCP on loopback")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->required();
  serve->add_option("--nn-rpc-socket-mode", socket_mode,
                    "Permissions of unix sockets, octal (default 0600: only this user)");
  add_backend_options(serve);
  add_model_options(serve);

  std::string explain_model, explain_encoding = "autodetect", explain_target = "auto";
  CLI::App* backends = app.add_subcommand("backends", "List backend plugins and their devices");
  add_backend_options(backends);
  backends->add_option("--explain", explain_model, "Show how a backend is chosen for MODEL");
  backends->add_option("--encoding", explain_encoding,
                       "Encoding for --explain (default autodetect)");
  backends->add_option("--target", explain_target, "Target for --explain (default auto)");

  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kUsageError;
  }

  nnwasm::nn::BackendConfig& backend_config = options.backends;
  backend_config.dirs =
      nnwasm::frontend::plugin_dirs(backend_dirs, nnwasm::frontend::executable_path());
  backend_config.order = backend_order;
  backend_config.strict_target = strict_target;
  backend_config.keep_alive = keep_backends;
  if (backends->parsed()) {
    return nnwasm::cli::list_backends(backend_config, explain_model, explain_encoding,
                                      explain_target);
  }

  for (const std::string& spec : preloads) {
    nnwasm::nn::NamedModel model;
    if (auto s = nnwasm::frontend::parse_preload(spec, &model); !s.is_ok()) {
      spdlog::error("{}", s.message);
      return kUsageError;
    }
    options.named_models.push_back(std::move(model));
  }
  for (const std::string& spec : graph_dirs) {
    nnwasm::nn::NamedModel model;
    if (auto s = nnwasm::frontend::parse_graph_dir(spec, &model); !s.is_ok()) {
      spdlog::error("{}", s.message);
      return kUsageError;
    }
    options.named_models.push_back(std::move(model));
  }

  if (serve->parsed()) {
    char* end = nullptr;
    const unsigned long mode = std::strtoul(socket_mode.c_str(), &end, 8);
    if (socket_mode.empty() || *end != '\0' || mode > 0777) {
      spdlog::error("--nn-rpc-socket-mode {}: expected octal permissions such as 0600 or 0660",
                    socket_mode);
      return kUsageError;
    }
    serve_options.rpc.socket_mode = static_cast<mode_t>(mode);
    serve_options.rpc.version = std::string("nnwasm ") + NNWASM_VERSION;
    serve_options.backends = backend_config;
    serve_options.quotas = options.quotas;
    serve_options.named_models = options.named_models;
    return nnwasm::cli::serve_models(serve_options);
  }

  std::vector<std::string> rest = run->remaining();
  if (rest.empty()) {
    spdlog::error("missing MODULE: usage: nnwasm run [OPTIONS] MODULE.wasm [ARGS...]");
    return kUsageError;
  }
  options.module_path = rest.front();
  options.guest_args.assign(rest.begin() + 1, rest.end());
  if (!options.module_path.empty() && options.module_path.front() == '-') {
    spdlog::error("unknown option '{}' (see nnwasm run --help)", options.module_path);
    return kUsageError;
  }

  for (const std::string& d : dirs) {
    nnwasm::wasi::Preopen preopen;
    if (std::string e = nnwasm::cli::parse_dir(d, false, preopen); !e.empty()) {
      spdlog::error("--dir {}", e);
      return kUsageError;
    }
    options.preopens.push_back(preopen);
  }
  for (const std::string& d : map_dirs) {
    nnwasm::wasi::Preopen preopen;
    if (std::string e = nnwasm::cli::parse_dir(d, true, preopen); !e.empty()) {
      spdlog::error("--map-dir {}", e);
      return kUsageError;
    }
    options.preopens.push_back(preopen);
  }
  for (const std::string& e : envs) {
    if (std::string err = nnwasm::cli::parse_env(e, options.env); !err.empty()) {
      spdlog::error("--env {}", err);
      return kUsageError;
    }
  }
  using nnwasm::engine::Tiering;
  options.engine.tiering = tiering == "optimizing" ? Tiering::Optimizing
                           : tiering == "baseline" ? Tiering::Baseline
                           : tiering == "dynamic"  ? Tiering::Dynamic
                                                   : Tiering::Eager;

#ifndef NNWASM_SANITIZE
  options.exit_when_done = true;  // sanitizer builds also run V8's teardown, to check it
#endif
  return nnwasm::cli::run_module(options);
}
