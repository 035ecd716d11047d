// nnwasm_host: backend log lines through spdlog, cancellation through each context's CallControl.
#include "nn/host_callbacks.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>

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

void CallControl::start_deadline(std::chrono::milliseconds timeout) {
  deadline_.store(timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max(),
                  std::memory_order_relaxed);
}

bool CallControl::cancelled() const {
  return Clock::now() >= deadline_.load(std::memory_order_relaxed);
}

HostCallbacks make_host_callbacks(const std::map<std::string, std::string, std::less<>>* options) {
  static_assert(std::is_standard_layout_v<HostCallbacks>);
  return {{sizeof(nnwasm_host), NNWASM_BACKEND_ABI_VERSION, log, cancelled, option, write_stdout},
          options};
}

}  // namespace nnwasm::nn
