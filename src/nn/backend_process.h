// BackendProcess: the supervised child process that loads and runs the models the host does not
// trust (--nn-isolate), reached over NNRPC on a private unix socket. It is `nnwasm-serve` in
// backend-process mode; the rpc backend talks to it. A framework that aborts or faults on a
// corrupt model kills only the child: the supervisor says what killed it, and the next load
// starts a new child on a new socket.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "nn/nn_error.h"

namespace nnwasm::nn {

enum class IsolationMode {
  none,   // every model runs in this process
  guest,  // models loaded from guest bytes run in the backend process (the default of the CLI)
  all,    // named models too
};

// "none", "guest" or "all" -> the mode; false for anything else.
bool parse_isolation_mode(std::string_view text, IsolationMode* out);

struct IsolationConfig {
  IsolationMode mode = IsolationMode::none;
  std::string server;             // path of nnwasm-serve
  std::vector<std::string> args;  // its options besides --listen and --nn-backend-process
};

// The one line a guest's failed call gets when the backend process died under it:
// "backend 'llama' crashed loading the model: SIGABRT (Aborted); ...".
std::string crash_message(std::string_view backend, std::string_view doing, std::string_view fate);
// A message of the rpc backend about its call to the backend process, without its "rpc: " prefix
// (the process's own message is what the guest needs).
std::string_view without_transport_prefix(std::string_view message);

class BackendProcess {
 public:
  explicit BackendProcess(IsolationConfig config);
  ~BackendProcess();  // stops the child, removes its socket directory
  BackendProcess(const BackendProcess&) = delete;
  BackendProcess& operator=(const BackendProcess&) = delete;

  IsolationMode mode() const { return config_.mode; }
  // The URI of a running child, starting one if none runs; `generation` names that child.
  NnStatus ensure_running(std::string* uri, uint64_t* generation);
  // What ended child `generation` ("SIGABRT (Aborted)", "exit status 3"), or "" while it runs.
  // Meant for after a call to it failed with `code`: a child on its way out is waited for (a
  // few seconds at most); a runtime_error, which is also what a dropped connection gives, waits
  // a moment even for a child that still looks alive.
  std::string fate(uint64_t generation, nnwasm_status code);

 private:
  NnStatus start();             // mutex_ held
  bool reap(int options);       // mutex_ held; true when the child ended (fate recorded)
  bool leader_exited() const;   // mutex_ held; the child's main thread is a zombie
  bool socket_accepts() const;  // mutex_ held
  void stop();                  // mutex_ held

  const IsolationConfig config_;
  std::mutex mutex_;
  pid_t pid_ = -1;
  uint64_t generation_ = 0;
  std::string dir_;                        // private (0700) directory of the sockets
  std::string socket_;                     // of the current child
  std::map<uint64_t, std::string> fates_;  // of children that ended, by generation
};

}  // namespace nnwasm::nn
