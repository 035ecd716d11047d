// `nnwasm serve`: start the server, print one line per address, wait for a signal, drain.
#include "serve/serve_command.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace nnwasm::cli {

int serve_models(const ServeCommandOptions& options) {
  // Signals are taken by sigwait below: blocked here, before gRPC starts its threads (which
  // inherit the mask), so none of them is interrupted.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  nn::NnRuntime runtime(options.backends);
  runtime.quotas = options.quotas;
  runtime.quotas.context_wait_ms =
      static_cast<uint32_t>(std::min<int64_t>(options.rpc.idle_timeout.count(), UINT32_MAX));
  for (const nn::NamedModel& model : options.named_models) runtime.models.add(model);

  rpc::RpcServer server(runtime, options.rpc);
  if (std::string error = server.start(); !error.empty()) {
    spdlog::error("serve: {}", error);
    return 1;
  }
  if (options.backend_process_of != 0) {
    // The parent waits for the socket, not for a line; and when it ends without stopping us
    // (killed), we are reparented: stop too.
    std::thread([parent = options.backend_process_of] {
      while (getppid() == parent) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      kill(getpid(), SIGTERM);
    }).detach();
  } else {
    for (const std::string& uri : server.listening()) {
      std::printf("nnwasm serve: listening on %s\n", uri.c_str());
    }
    std::fflush(stdout);
  }

  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("serve: {}: draining in-flight calls, then stopping", strsignal(signal));
  if (!server.shutdown()) {
    // A call stuck in a framework would hold the process (gRPC's threads, the models) for as
    // long as it runs: end it here, within the drain time as the operator asked.
    spdlog::default_logger()->flush();
    std::fflush(nullptr);
    std::_Exit(0);
  }
  return 0;
}

}  // namespace nnwasm::cli
