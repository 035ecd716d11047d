// Test support: a long-running child (e.g. `nnwasm serve`) started in the background, awaited
// until it prints a line, and stopped with a signal; its stderr is collected meanwhile.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nnwasm::test {

class ServerProcess {
 public:
  // Starts argv; returns once stdout printed a line containing `ready` (the line is kept in
  // ready_line()), or the process ended or `timeout_s` passed (then ready() is false). An empty
  // `ready` returns at once.
  ServerProcess(const std::vector<std::string>& argv, const std::string& ready, int timeout_s = 60);
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool ready() const { return ready_; }
  const std::string& ready_line() const { return ready_line_; }
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits (up to `timeout_s`, then SIGKILL); returns the exit code, or
  // 128 + signal when killed by one.
  int stop(int signal, int timeout_s = 30);
  // Everything written to stderr (and stdout after the ready line) so far.
  std::string output() const;

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
  std::string ready_line_;
  int exit_code_ = -1;
  mutable std::mutex mutex_;
  std::string output_;
  std::thread pump_;
  int out_fd_ = -1, err_fd_ = -1;
};

}  // namespace nnwasm::test
