// MemoryBudget: what graphs and contexts may take - per instance (--nn-max-memory), per process
// (--nn-max-process-memory) and per device, across backends (each device's memory as its
// backend reports it) - counted from estimates before anything is allocated: a model's bytes
// for a graph, what a backend says a context will need (a KV cache) for a context. A guest that
// asks for more gets too_large with a message naming the limit; a load that does not fit on a GPU
// falls back to the CPU (the caller decides, see load_graph).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "nn/nn_error.h"

namespace nnwasm::nn {

struct DeviceKey {
  uint32_t target = 0;  // nnwasm_target: CPU, GPU, TPU
  int32_t index = 0;
  auto operator<=>(const DeviceKey&) const = default;
};

class MemoryBudget {
 public:
  // What one instance (or one NNRPC session) has reserved.
  struct Account {
    uint64_t used = 0;  // guarded by the budget's mutex
  };

  // 0: no limit.
  void set_limits(uint64_t per_instance, uint64_t per_process);
  // A device's memory as its backend reports it (the first report counts; 0 is ignored).
  void add_device(DeviceKey device, uint64_t total, std::string name);

  // Whether `bytes` more fit on `device` (always, for a device without a reported size).
  bool fits_device(DeviceKey device, uint64_t bytes) const;
  // "gpu 0 (name): 600 of 1000 bytes in use", for messages.
  std::string device_usage(DeviceKey device) const;

  // Admits `bytes` for `account` (null: the process's own, such as a named model shared by
  // every instance) on `device`, or says which limit it would pass (too_large). `what` names
  // the graph or context in the message.
  NnStatus reserve(Account* account, DeviceKey device, uint64_t bytes, std::string_view what);
  void release(Account* account, DeviceKey device, uint64_t bytes);

 private:
  struct Device {
    uint64_t total = 0, used = 0;
    std::string name;
  };
  mutable std::mutex mutex_;
  uint64_t per_instance_ = 0, per_process_ = 0;
  uint64_t process_used_ = 0;
  std::map<DeviceKey, Device> devices_;
};

// Bytes reserved in a MemoryBudget, given back when it is destroyed.
class Reservation {
 public:
  Reservation() = default;
  Reservation(MemoryBudget* budget, MemoryBudget::Account* account, DeviceKey device,
              uint64_t bytes)
      : budget_(budget), account_(account), device_(device), bytes_(bytes) {}
  Reservation(Reservation&& other) noexcept { *this = std::move(other); }
  Reservation& operator=(Reservation&& other) noexcept;
  ~Reservation() { reset(); }
  void reset();
  DeviceKey device() const { return device_; }

 private:
  MemoryBudget* budget_ = nullptr;
  MemoryBudget::Account* account_ = nullptr;
  DeviceKey device_;
  uint64_t bytes_ = 0;
};

// "12.5 MiB" (or bytes, below a KiB), for messages.
std::string format_bytes(uint64_t bytes);

}  // namespace nnwasm::nn
