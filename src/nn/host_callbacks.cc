// nnwasm_host: backend log lines through spdlog, cancellation through each context's CallControl.
#include "nn/host_callbacks.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <type_traits>

namespace nnwasm::nn {

namespace {

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

void write_stdout(void* token, const char* data, size_t size) {
  const int fd = token != nullptr ? static_cast<const CallControl*>(token)->stdout_fd() : 1;
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a closed or full stdout loses the text, as a guest's own write would
    data += n;
    size -= static_cast<size_t>(n);
  }
}

int reserve_memory(void* token, uint64_t bytes, char* reason, size_t reason_size) {
  if (token == nullptr) return 0;  // not about a context: not counted
  NnStatus status = static_cast<CallControl*>(token)->reserve(bytes, "the context");
  if (status.is_ok()) return 0;
  if (reason != nullptr && reason_size > 0) {
    std::snprintf(reason, reason_size, "%s", status.message.c_str());
  }
  return 1;
}

void release_memory(void* token, uint64_t bytes) {
  if (token != nullptr) static_cast<CallControl*>(token)->release(bytes);
}

int cancelled(void* token) {
  return token != nullptr && static_cast<const CallControl*>(token)->cancelled() ? 1 : 0;
}

const char* option(const nnwasm_host* host, const char* key) {
  if (host == nullptr || key == nullptr) return nullptr;
  // `host` is the first member of the HostCallbacks the plugin was given (standard layout).
  const auto* callbacks = reinterpret_cast<const HostCallbacks*>(host);
  if (callbacks->options == nullptr) return nullptr;
  auto it = callbacks->options->find(std::string_view(key));
  return it == callbacks->options->end() ? nullptr : it->second.c_str();
}

}  // namespace

CallControl::~CallControl() {
  if (budget_ != nullptr) budget_->release(account_, device_, reserved_.load());
}

NnStatus CallControl::reserve(uint64_t bytes, std::string_view what) {
  if (budget_ == nullptr) return NnStatus::ok();
  NnStatus status = budget_->reserve(account_, device_, bytes, what);
  if (status.is_ok()) reserved_ += bytes;
  return status;
}

void CallControl::release(uint64_t bytes) {
  if (budget_ == nullptr) return;
  // Never more than was reserved: a backend's mistake must not free another context's share.
  uint64_t held = reserved_.load();
  while (!reserved_.compare_exchange_weak(held, held - std::min(bytes, held))) {
  }
  budget_->release(account_, device_, std::min(bytes, held));
}

void CallControl::start_deadline(std::chrono::milliseconds timeout) {
  deadline_.store(timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max(),
                  std::memory_order_relaxed);
}

bool CallControl::cancelled() const {
  return Clock::now() >= deadline_.load(std::memory_order_relaxed);
}

HostCallbacks make_host_callbacks(const std::map<std::string, std::string, std::less<>>* options) {
  static_assert(std::is_standard_layout_v<HostCallbacks>);
  return {{sizeof(nnwasm_host), NNWASM_BACKEND_ABI_VERSION, log, cancelled, option, write_stdout,
           reserve_memory, release_memory},
          options};
}

}  // namespace nnwasm::nn
