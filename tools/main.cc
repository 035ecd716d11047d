// nnwasm command line: `nnwasm run [options] MODULE [ARGS...]` (or `nnwasm MODULE ...`).
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <vector>

#include "backends_command.h"
#include "frontend/model_specs.h"
#include "frontend/nn_cli_options.h"
#include "frontend/plugin_dirs.h"
#include "run_command.h"
#include "run_options.h"

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

// `nnwasm serve ...` is nnwasm-serve, the program beside this one that links gRPC.
int exec_serve(int argc, char** argv) {
  const std::filesystem::path serve =
      nnwasm::frontend::executable_path().parent_path() / "nnwasm-serve";
  std::vector<char*> args{const_cast<char*>("nnwasm serve")};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(serve.c_str(), args.data());
  spdlog::error("serve: cannot run {}: {}; reinstall nnwasm", serve.string(), std::strerror(errno));
  return 1;
}

int main(int argc, char** argv) {
  setup_logging();
  if (argc > 1 && std::string_view(argv[1]) == "serve") return exec_serve(argc, argv);
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

  // WASI-NN options, shared by `run`, `backends` and (in nnwasm-serve) `serve`.
  nnwasm::frontend::NnCliOptions nn_options;
  nnwasm::frontend::add_backend_options(*run, nn_options);
  nnwasm::frontend::add_model_options(*run, nn_options);
  nnwasm::frontend::add_rpc_client_options(*run, nn_options);
  nnwasm::frontend::add_isolation_option(*run, nn_options);

  app.add_subcommand(
         "serve", "Serve WASI-NN over gRPC (NNRPC, WasmEdge-compatible): see nnwasm serve --help")
      ->allow_extras();

  std::string explain_model, explain_encoding = "autodetect", explain_target = "auto";
  CLI::App* backends = app.add_subcommand("backends", "List backend plugins and their devices");
  nnwasm::frontend::add_backend_options(*backends, nn_options);
  nnwasm::frontend::add_rpc_client_options(*backends, nn_options);
  backends->add_option("--explain", explain_model, "Show how a backend is chosen for MODEL");
  backends->add_option("--encoding", explain_encoding,
                       "Encoding for --explain (default autodetect)");
  backends->add_option("--target", explain_target, "Target for --explain (default auto)");

  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kUsageError;
  }

  options.backends = nnwasm::frontend::backend_config(nn_options);
  options.quotas = nn_options.quotas;
  if (backends->parsed()) {
    return nnwasm::cli::list_backends(options.backends, explain_model, explain_encoding,
                                      explain_target);
  }
  if (std::string error;
      !nnwasm::frontend::named_models(nn_options, &options.named_models, &error)) {
    spdlog::error("{}", error);
    return kUsageError;
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
