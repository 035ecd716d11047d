// What the core offers backends through nnwasm_host (backend.h): its logger, and cancellation of
// one context's work by a deadline or a stop request.
#pragma once

#include <nnwasm/backend.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace nnwasm::nn {

// The cancellation state of one context: the host token its backend polls.
class CallControl {
 public:
  // Work after `timeout` from now is cancelled; a zero timeout clears the deadline.
  void start_deadline(std::chrono::milliseconds timeout);
  // Cancels the context's work from now on (another thread may call it).
  void stop() { stop_.store(true, std::memory_order_relaxed); }
  bool cancelled() const;
  // Whether the last cancelled() answer came from the deadline (for the message).
  bool deadline_passed() const;

 private:
  std::atomic<int64_t> deadline_ns_{0};  // steady clock; 0 = none
  std::atomic<bool> stop_{false};
};

// The host callbacks one plugin is opened with: nnwasm_host first (what the plugin sees), then
// the backend options its option() answers from (BackendConfig::options, outliving the plugin).
struct HostCallbacks {
  nnwasm_host host;
  const std::map<std::string, std::string, std::less<>>* options;
};
HostCallbacks make_host_callbacks(const std::map<std::string, std::string, std::less<>>* options);

}  // namespace nnwasm::nn
