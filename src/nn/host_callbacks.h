// What the core offers backends through nnwasm_host (backend.h): its logger, cancellation of one
// context's work by a deadline, and the backend options.
#pragma once

#include <nnwasm/backend.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>

namespace nnwasm::nn {

// The cancellation state of one context: the host token its backend polls.
class CallControl {
 public:
  // `stdout_fd`: the instance's standard output, where nnwasm_host.write_stdout writes.
  explicit CallControl(int stdout_fd = 1) : stdout_fd_(stdout_fd) {}
  int stdout_fd() const { return stdout_fd_; }

  // Work after `timeout` from now is cancelled; a zero timeout clears the deadline.
  void start_deadline(std::chrono::milliseconds timeout);
  bool cancelled() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::atomic<Clock::time_point> deadline_{Clock::time_point::max()};  // max: none
  const int stdout_fd_;
};

// The host callbacks one plugin is opened with: nnwasm_host first (what the plugin sees), then
// the backend options its option() answers from (BackendConfig::options, outliving the plugin).
struct HostCallbacks {
  nnwasm_host host;
  const std::map<std::string, std::string, std::less<>>* options;
};
HostCallbacks make_host_callbacks(const std::map<std::string, std::string, std::less<>>* options);

}  // namespace nnwasm::nn
