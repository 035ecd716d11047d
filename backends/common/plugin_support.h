// Framework-free helpers every backend plugin needs: the Error a plugin throws internally, the
// thread-local last_error buffer with fail(), guarded(), which runs a body and turns any
// exception into a WASI-NN status plus a message, and the host's callbacks (log, cancelled,
// option).
// `kPluginErrorPrefix` (e.g. "onnx: ") is defined by NNWASM_DEFINE_BACKEND (backend_boundary.h).
#pragma once

#include <nnwasm/backend.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>

namespace nnwasm::plugin_support {

// Thrown inside a plugin for failures with a precise status.
struct Error {
  nnwasm_status status;
  std::string message;
};

extern const char* const kPluginErrorPrefix;

// A plain array, not a std::string: a thread_local with a destructor would make glibc keep the
// plugin (and its framework) loaded after dlclose for as long as the thread lives.
inline constexpr size_t kErrorCapacity = 4096;
inline thread_local char g_last_error[kErrorCapacity];

// Sets last_error to kPluginErrorPrefix + the formatted text (truncated); never allocates.
__attribute__((format(printf, 2, 3))) inline nnwasm_status fail(nnwasm_status status,
                                                                const char* format, ...) noexcept {
  const size_t prefix = std::strlen(kPluginErrorPrefix);
  std::memcpy(g_last_error, kPluginErrorPrefix, prefix);
  va_list args;
  va_start(args, format);
  std::vsnprintf(g_last_error + prefix, kErrorCapacity - prefix, format, args);
  va_end(args);
  return status;
}

inline const char* last_error() noexcept {
  return g_last_error;
}

// Runs `body`. Error, bad_alloc, std::exception and anything else become a status and a
// last_error message; `framework` is called inside a catch block first, so a plugin can
// rethrow (`throw;`) and translate its framework's exception types, returning the status, or
// return NNWASM_SUCCESS to leave the exception to the generic handlers.
template <typename Body, typename Framework>
nnwasm_status guarded(const char* what, Body&& body, Framework&& framework) noexcept {
  try {
    try {
      body();
      return NNWASM_SUCCESS;
    } catch (const Error&) {
      throw;
    } catch (...) {
      nnwasm_status status = framework(what);
      if (status != NNWASM_SUCCESS) return status;
      throw;
    }
  } catch (const Error& e) {
    return fail(e.status, "%s: %s", what, e.message.c_str());
  } catch (const std::bad_alloc&) {
    return fail(NNWASM_RUNTIME_ERROR, "%s: out of host memory", what);
  } catch (const std::exception& e) {
    return fail(NNWASM_RUNTIME_ERROR, "%s: %s", what, e.what());
  } catch (...) {
    return fail(NNWASM_RUNTIME_ERROR, "%s: unknown error", what);
  }
}

// ---- host callbacks (nnwasm_host) ----

// The callbacks the plugin was opened with; null before the entry point ran and after shutdown.
inline std::atomic<const nnwasm_host*> g_host{nullptr};

inline void set_host(const nnwasm_host* host) noexcept {
  g_host.store(host, std::memory_order_release);
}

// Logs one line through the host (to stderr when there is no host, e.g. in a native benchmark).
__attribute__((format(printf, 3, 4))) inline void log(void* host_token, nnwasm_log_level level,
                                                      const char* format, ...) noexcept {
  char line[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  const nnwasm_host* host = g_host.load(std::memory_order_acquire);
  if (host != nullptr && NNWASM_HAS_FIELD(host, nnwasm_host, log) && host->log != nullptr) {
    host->log(host_token, level, line);
  } else if (level >= NNWASM_LOG_WARN) {
    std::fprintf(stderr, "%s\n", line);
  }
}

// Whether the host asks the work for `host_token` to stop (never without a host).
inline bool cancelled(void* host_token) noexcept {
  const nnwasm_host* host = g_host.load(std::memory_order_acquire);
  return host != nullptr && NNWASM_HAS_FIELD(host, nnwasm_host, cancelled) &&
         host->cancelled != nullptr && host->cancelled(host_token) != 0;
}

// The host's option `key` (nnwasm_host.option, ABI 2.1), or NULL when unset or unsupported.
inline const char* option(const char* key) noexcept {
  const nnwasm_host* host = g_host.load(std::memory_order_acquire);
  return host != nullptr && NNWASM_HAS_FIELD(host, nnwasm_host, option) && host->option != nullptr
             ? host->option(host, key)
             : nullptr;
}

// Writes `size` bytes to the stdout of the guest with `host_token` (nnwasm_host.write_stdout,
// ABI 2.3), or to the process's stdout without such a host.
inline void write_stdout(void* host_token, const char* data, size_t size) noexcept {
  const nnwasm_host* host = g_host.load(std::memory_order_acquire);
  if (host != nullptr && NNWASM_HAS_FIELD(host, nnwasm_host, write_stdout) &&
      host->write_stdout != nullptr) {
    host->write_stdout(host_token, data, size);
  } else {
    std::fwrite(data, 1, size, stdout);
    std::fflush(stdout);
  }
}

// Asks the host to admit `bytes` for the context with `host_token` (ABI 2.4); throws
// TOO_LARGE with the host's reason when it does not. True when the host counted them (give them
// back with release_memory); false without such a host (nothing to give back).
inline bool reserve_memory(void* host_token, uint64_t bytes) {
  const nnwasm_host* host = g_host.load(std::memory_order_acquire);
  if (host == nullptr || !NNWASM_HAS_FIELD(host, nnwasm_host, release_memory) ||
      host->reserve_memory == nullptr || host->release_memory == nullptr) {
    return false;
  }
  char reason[512] = "";
  if (host->reserve_memory(host_token, bytes, reason, sizeof reason) != 0) {
    throw Error{NNWASM_TOO_LARGE, reason[0] != '\0' ? reason : "the host refused the memory"};
  }
  return true;
}

inline void release_memory(void* host_token, uint64_t bytes) noexcept {
  const nnwasm_host* host = g_host.load(std::memory_order_acquire);
  if (host != nullptr && NNWASM_HAS_FIELD(host, nnwasm_host, release_memory) &&
      host->release_memory != nullptr) {
    host->release_memory(host_token, bytes);
  }
}

// What a context holds (the tensors it keeps), admitted by the host as it changes: set() asks
// for any growth before the caller allocates it (throws TOO_LARGE, nothing changed, when the
// host refuses) and gives back what shrank; the rest goes back when the charge is destroyed.
class MemoryCharge {
 public:
  explicit MemoryCharge(void* host_token) : host_token_(host_token) {}
  ~MemoryCharge() {
    if (counted_ != 0) release_memory(host_token_, counted_);
  }
  MemoryCharge(const MemoryCharge&) = delete;
  MemoryCharge& operator=(const MemoryCharge&) = delete;

  uint64_t bytes() const { return bytes_; }
  void set(uint64_t total) {
    if (total > bytes_) {
      if (reserve_memory(host_token_, total - bytes_)) counted_ += total - bytes_;
    } else {
      const uint64_t back = std::min(counted_, bytes_ - total);
      if (back != 0) release_memory(host_token_, back);
      counted_ -= back;
    }
    bytes_ = total;
  }

 private:
  void* host_token_;
  uint64_t bytes_ = 0;    // what the context holds now
  uint64_t counted_ = 0;  // what the host admitted of it (0 without a host that counts)
};

// ---- tensors ----

// An output of text or opaque bytes: U8, rank 1, dims {size}; `dim` is the caller's storage for
// the one dimension and must live as long as the bytes.
inline nnwasm_output bytes_output(const void* data, size_t size, uint32_t* dim) noexcept {
  *dim = static_cast<uint32_t>(size);
  return nnwasm_output{static_cast<const uint8_t*>(data), size, NNWASM_TENSOR_U8, 1, dim};
}

// "f32" etc. for a WASI-NN tensor type, "?" when unknown.
inline const char* wasi_type_name(nnwasm_tensor_type type) noexcept {
  static const char* const names[] = {"f16", "f32", "f64", "u8", "i32", "i64"};
  return type <= NNWASM_TENSOR_I64 ? names[type] : "?";
}

// Bytes per element of a WASI-NN tensor type (0 when unknown).
inline size_t element_size(nnwasm_tensor_type type) noexcept {
  static const size_t sizes[] = {2, 4, 8, 1, 4, 8};
  return type <= NNWASM_TENSOR_I64 ? sizes[type] : 0;
}

// "[1,3,224,224]" for guest dims, in messages.
inline std::string dims_text(const uint32_t* dims, uint32_t rank) {
  std::string s = "[";
  for (uint32_t i = 0; i < rank; ++i) {
    if (i > 0) s += ',';
    s += std::to_string(dims[i]);
  }
  return s + ']';
}

// CPUs this process may run on (sched_getaffinity), at least 1: every backend's default thread
// count, since more threads than CPUs make frameworks' worker threads fight (docs/abi.md
// section 5).
inline int cpus_available() noexcept {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  const int n = CPU_COUNT(&set);
  return n > 0 ? n : 1;
}

// guarded() for plugins whose framework errors are all std::exceptions.
template <typename Body>
nnwasm_status guarded(const char* what, Body&& body) noexcept {
  return guarded(what, std::forward<Body>(body), [](const char*) { return NNWASM_SUCCESS; });
}

}  // namespace nnwasm::plugin_support
