// WASI preview1 (`wasi_snapshot_preview1`, and preview0 `wasi_unstable`) for one guest instance:
// its configuration and the entry point that binds every import of both into an engine::Linker.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/host_function.h"

namespace nnwasm::wasi {

// A host directory made visible to the guest under `guest_path`.
struct Preopen {
  std::string guest_path;  // what the guest sees, e.g. "/data" or "."
  std::string host_path;   // the real directory
};

struct WasiConfig {
  std::vector<std::string> args;  // args[0] is the program name the guest sees
  std::vector<std::string> env;   // "KEY=VALUE" entries
  std::vector<Preopen> preopens;  // become fds 3, 4, ... in this order
  // Listening TCP sockets ("HOST:PORT"), preopened as the fds after the directories (so that
  // wasi-libc's scan of preopened directories, which stops at the first non-directory, sees
  // every directory).
  std::vector<std::string> tcp_listen;
  int stdin_fd = 0;  // host fds behind guest fds 0, 1, 2 (not closed by WASI)
  int stdout_fd = 1;
  int stderr_fd = 2;
};

// Setup failures (e.g. a preopen directory that does not exist), with a message for the user.
class WasiError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class FdTable;

class Wasi {
 public:
  // Opens the preopened directories; throws WasiError naming the directory when one fails.
  explicit Wasi(WasiConfig config);
  ~Wasi();
  Wasi(const Wasi&) = delete;
  Wasi& operator=(const Wasi&) = delete;

  // Defines every wasi_snapshot_preview1 and wasi_unstable import on `linker`; `this` must
  // outlive the instance.
  void define_imports(engine::Linker& linker);

  // The guest fd and bound "HOST:PORT" of each tcp_listen socket, in the configured order.
  std::vector<std::pair<uint32_t, std::string>> listening_sockets() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nnwasm::wasi
