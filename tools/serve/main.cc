// nnwasm-serve, run as `nnwasm serve`: the NN core served over NNRPC. A program of its own so
// that only it links gRPC.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>

#include "frontend/nn_cli_options.h"
#include "serve/serve_command.h"

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_logger_mt("nnwasm");
  logger->set_pattern("nnwasm: %l: %v");
  spdlog::set_default_logger(logger);
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{
      "nnwasm serve: WASI-NN over gRPC (NNRPC), for WasmEdge's and nnwasm's clients. Runs until "
      "SIGINT or SIGTERM, then drains in-flight calls.",
      "nnwasm serve"};
  nnwasm::cli::ServeCommandOptions options;
  nnwasm::frontend::NnCliOptions nn;
  std::string socket_mode = "0600";
  double drain_s = 5;
  app.add_option("--nn-rpc-uri,--listen", options.rpc.uris,
                 "Where to listen: unix:///abs/path, unix:rel/path, HOST:PORT, [::1]:PORT (port 0: "
                 "any free port); keep TCP on loopback")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->required();
  app.add_option("--nn-rpc-socket-mode", socket_mode,
                 "Permissions of unix sockets, octal (default 0600: only this user)");
  app.add_option("--nn-rpc-drain", drain_s,
                 "Seconds in-flight calls get to finish at shutdown (default 5)")
      ->check(CLI::Range(0.0, 3600.0));
  double idle_s = 600;
  app.add_option("--nn-rpc-idle-timeout", idle_s,
                 "Seconds after which contexts of clients without a session (WasmEdge's) that "
                 "nothing uses are finalized (default 600)")
      ->check(CLI::Range(0.01, 1e7));
  double heartbeat_s = 15;
  app.add_option("--nn-rpc-heartbeat", heartbeat_s,
                 "Seconds between heartbeats on clients' open sessions; keep it below the read "
                 "timeout of any proxy in front of the server (default 15)")
      ->check(CLI::Range(0.05, 3600.0));
  app.add_option("--nn-rpc-tls-cert", options.rpc.tls_cert_file,
                 "TLS certificate chain (PEM) for every URI; with --nn-rpc-tls-key")
      ->check(CLI::ExistingFile);
  app.add_option("--nn-rpc-tls-key", options.rpc.tls_key_file, "TLS private key (PEM)")
      ->check(CLI::ExistingFile);
  app.add_option("--nn-rpc-token-file", options.rpc.token_file,
                 "A file holding a token every client must send (--nn-rpc-token-file on run)")
      ->check(CLI::ExistingFile);
  app.add_option("--nn-rpc-max-threads", options.rpc.max_threads,
                 "Calls the server runs at once, all clients together; more are refused with "
                 "RESOURCE_EXHAUSTED (default 256)")
      ->check(CLI::Range(4u, 65536u));
  app.add_option("--nn-rpc-max-sessions", options.rpc.max_sessions,
                 "Client sessions open at once; more are refused (default 1024)")
      ->check(CLI::Range(1u, 1u << 20));
  app.add_flag("--nn-rpc-plain", options.rpc.plain,
               "Serve WasmEdge's services only, as its wasi_nn_rpcserver does (for testing "
               "clients against that behaviour)");
  nnwasm::frontend::add_backend_options(app, nn);
  nnwasm::frontend::add_model_options(app, nn);
  app.add_option("--nn-backend-process", options.backend_process_of,
                 "Run as the backend process of nnwasm process PID (--nn-isolate; not for users)")
      ->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  char* end = nullptr;
  const unsigned long mode = std::strtoul(socket_mode.c_str(), &end, 8);
  if (socket_mode.empty() || *end != '\0' || mode > 0777) {
    spdlog::error("--nn-rpc-socket-mode {}: expected octal permissions such as 0600 or 0660",
                  socket_mode);
    return 2;
  }
  std::string error;
  if (!nnwasm::frontend::named_models(nn, &options.named_models, &error)) {
    spdlog::error("{}", error);
    return 2;
  }
  options.rpc.socket_mode = static_cast<mode_t>(mode);
  options.rpc.drain = std::chrono::milliseconds(static_cast<long>(drain_s * 1000));
  options.rpc.idle_timeout = std::chrono::milliseconds(static_cast<long>(idle_s * 1000));
  options.rpc.heartbeat = std::chrono::milliseconds(static_cast<long>(heartbeat_s * 1000));
  options.rpc.version = std::string("nnwasm ") + NNWASM_VERSION;
  if (options.backend_process_of != 0) {
    logger->set_pattern("nnwasm: backend process: %l: %v");
    spdlog::set_level(spdlog::level::warn);
  }
  // Never isolated itself (see add_isolation_option): serve is the process models run in.
  options.backends = nnwasm::frontend::backend_config(nn, false);
  options.quotas = nn.quotas;
  return nnwasm::cli::serve_models(options);
}
