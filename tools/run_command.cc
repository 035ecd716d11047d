// `nnwasm run`: reads the module, builds WASI from the options, instantiates and runs it.
#include "run_command.h"

#include "instance/instance.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace nnwasm::cli {

namespace {

bool read_file(const std::string& path, std::vector<uint8_t>& bytes, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) {
    error = path + ": cannot read (not a regular file?)";
    return false;
  }
  bytes.resize(static_cast<size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  if (!in) {
    error = path + ": read failed";
    return false;
  }
  return true;
}

}  // namespace

int run_module(const RunOptions& options) {
  std::vector<uint8_t> bytes;
  std::string error;
  if (!read_file(options.module_path, bytes, error)) {
    spdlog::error("{}", error);
    return 1;
  }

  wasi::WasiConfig wasi_config;
  wasi_config.args.push_back(options.argv0.empty()
                                 ? std::filesystem::path(options.module_path).filename().string()
                                 : options.argv0);
  wasi_config.args.insert(wasi_config.args.end(), options.guest_args.begin(),
                          options.guest_args.end());
  wasi_config.env = options.env;
  wasi_config.preopens = options.preopens;
  wasi_config.tcp_listen = options.tcp_listen;

  int exit_code = 1;
  try {
    engine::initialize_engine(options.engine);
    nn::NnRuntime nn_runtime(options.backends);
    nn_runtime.quotas = options.quotas;
    for (const nn::NamedModel& model : options.named_models) nn_runtime.models.add(model);

    Instance instance(engine::Module::compile(bytes, options.module_path), nn_runtime,
                      std::move(wasi_config));
    // Port 0 means "any free port": say which one, so that a client can find the guest.
    const auto sockets = instance.wasi().listening_sockets();
    for (size_t i = 0; i < options.tcp_listen.size() && i < sockets.size(); ++i) {
      const std::string& asked = options.tcp_listen[i];
      const std::string port = asked.substr(asked.rfind(':') + 1);
      if (port.find_first_not_of('0') != std::string::npos) continue;  // not port 0
      spdlog::info("--tcplisten {} is listening on {} (guest fd {})", asked, sockets[i].second,
                   sockets[i].first);
    }
    engine::RunOutcome outcome = instance.run(options.invoke);
    if (outcome.kind == engine::RunOutcome::Kind::Trapped) {
      spdlog::error("{}: wasm trap: {}", options.module_path, outcome.trap_message);
    }
    exit_code = outcome.exit_code;
    // Leaving this scope tears down everything of ours, in every build: the instance (its
    // isolate, its WASI-NN contexts, then graphs, then its fds), then the runtime (named
    // models, plugins closed, model files unmapped).
  } catch (const engine::EngineError& e) {
    spdlog::error("{}", e.what());
  } catch (const wasi::WasiError& e) {
    spdlog::error("{}", e.what());
  }
  if (options.exit_when_done) {
    // What is left is V8's own process teardown, which waits for the background TurboFan
    // compile of the whole module (measured: +23 ms on hello, +38 ms on digits) for code no
    // one will run: skip it.
    std::fflush(nullptr);
    _exit(exit_code);
  }
  return exit_code;
}

}  // namespace nnwasm::cli
