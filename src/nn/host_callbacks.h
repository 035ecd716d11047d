// What the core offers backends through nnwasm_host (backend.h): its logger, cancellation of one
// context's work by a deadline, the backend options, the instance's stdout and its memory budget.
#pragma once

#include <nnwasm/backend.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "nn/memory_budget.h"

namespace nnwasm::nn {

// The cancellation state of one context: the host token its backend polls.
class CallControl {
 public:
  // `stdout_fd`: the instance's standard output, where nnwasm_host.write_stdout writes;
  // `budget`, `account` and `device`: where the context's memory is counted (budget may be
  // null: not counted).
  explicit CallControl(int stdout_fd = 1, MemoryBudget* budget = nullptr,
                       MemoryBudget::Account* account = nullptr, DeviceKey device = {})
      : stdout_fd_(stdout_fd), budget_(budget), account_(account), device_(device) {}
  ~CallControl();  // gives back what the backend reserved and did not release
  CallControl(const CallControl&) = delete;
  CallControl& operator=(const CallControl&) = delete;
  int stdout_fd() const { return stdout_fd_; }

  // nnwasm_host.reserve_memory / release_memory for this context.
  NnStatus reserve(uint64_t bytes, std::string_view what);
  void release(uint64_t bytes);

  // Work after `timeout` from now is cancelled; a zero timeout clears the deadline.
  void start_deadline(std::chrono::milliseconds timeout);
  bool cancelled() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::atomic<Clock::time_point> deadline_{Clock::time_point::max()};  // max: none
  const int stdout_fd_;
  MemoryBudget* const budget_;
  MemoryBudget::Account* const account_;
  const DeviceKey device_;
  std::atomic<uint64_t> reserved_{0};
};

// The host callbacks one plugin is opened with: nnwasm_host first (what the plugin sees), then
// the backend options its option() answers from (BackendConfig::options, outliving the plugin).
struct HostCallbacks {
  nnwasm_host host;
  const std::map<std::string, std::string, std::less<>>* options;
};
HostCallbacks make_host_callbacks(const std::map<std::string, std::string, std::less<>>* options);

}  // namespace nnwasm::nn
