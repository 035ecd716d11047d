// nnwasm_host: backend log lines through spdlog, cancellation through each context's CallControl.
#include "nn/host_callbacks.h"

#include <spdlog/spdlog.h>

namespace nnwasm::nn {

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void log(void*, nnwasm_log_level level, const char* message) {
  if (message == nullptr) return;
  switch (level) {
    case NNWASM_LOG_DEBUG:
      spdlog::debug("{}", message);
      break;
    case NNWASM_LOG_INFO:
      spdlog::info("{}", message);
      break;
    case NNWASM_LOG_WARN:
      spdlog::warn("{}", message);
      break;
    default:
      spdlog::error("{}", message);
      break;
  }
}

int cancelled(void* token) {
  return token != nullptr && static_cast<const CallControl*>(token)->cancelled() ? 1 : 0;
}

const nnwasm_host kHost = {sizeof(nnwasm_host), NNWASM_BACKEND_ABI_VERSION, log, cancelled};

}  // namespace

void CallControl::start_deadline(std::chrono::milliseconds timeout) {
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  deadline_ns_.store(ns > 0 ? now_ns() + ns : 0, std::memory_order_relaxed);
}

bool CallControl::cancelled() const {
  return stop_.load(std::memory_order_relaxed) || deadline_passed();
}

bool CallControl::deadline_passed() const {
  const int64_t deadline = deadline_ns_.load(std::memory_order_relaxed);
  return deadline != 0 && now_ns() >= deadline;
}

const nnwasm_host* host_callbacks() {
  return &kHost;
}

}  // namespace nnwasm::nn
