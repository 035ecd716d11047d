// MemoryBudget: reservations against the instance, process and device limits.
#include "nn/memory_budget.h"

#include <nnwasm/backend.h>

#include <cstdio>
#include <utility>

namespace nnwasm::nn {

namespace {

// Whether `bytes` more on top of `used` pass `limit` (0: none), without overflowing.
bool exceeds(uint64_t used, uint64_t bytes, uint64_t limit) {
  return limit != 0 && (used > limit || bytes > limit - used);
}

std::string device_label(DeviceKey device, const std::string& name) {
  return target_name(device.target) + " " + std::to_string(device.index) + " (" + name + ")";
}

}  // namespace

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

void MemoryBudget::set_limits(uint64_t per_instance, uint64_t per_process) {
  std::lock_guard lock(mutex_);
  per_instance_ = per_instance;
  per_process_ = per_process;
}

void MemoryBudget::add_device(DeviceKey device, uint64_t total, std::string name) {
  if (total == 0 || device.target == NNWASM_TARGET_CPU) return;  // host memory: the process limit
  std::lock_guard lock(mutex_);
  Device& d = devices_[device];
  if (d.total == 0) {
    d.total = total;
    d.name = std::move(name);
  }
}

bool MemoryBudget::fits_device(DeviceKey device, uint64_t bytes) const {
  std::lock_guard lock(mutex_);
  auto it = devices_.find(device);
  return it == devices_.end() || !exceeds(it->second.used, bytes, it->second.total);
}

std::string MemoryBudget::device_usage(DeviceKey device) const {
  std::lock_guard lock(mutex_);
  auto it = devices_.find(device);
  if (it == devices_.end()) return target_name(device.target) + " " + std::to_string(device.index);
  return device_label(device, it->second.name) + ": " + format_bytes(it->second.used) + " of " +
         format_bytes(it->second.total) + " in use";
}

NnStatus MemoryBudget::reserve(Account* account, DeviceKey device, uint64_t bytes,
                               std::string_view what) {
  std::unique_lock lock(mutex_);
  auto refuse = [&](const std::string& limit, uint64_t used, uint64_t total) {
    return nn_error(NNWASM_TOO_LARGE,
                    std::string(what) + " needs about " + format_bytes(bytes) + ", and " +
                        format_bytes(used) + " of " + limit + " " + format_bytes(total) +
                        " are in use; free some (unload, finalize) or raise " + limit);
  };
  if (account != nullptr && exceeds(account->used, bytes, per_instance_)) {
    return refuse("--nn-max-memory", account->used, per_instance_);
  }
  if (exceeds(process_used_, bytes, per_process_)) {
    return refuse("--nn-max-process-memory", process_used_, per_process_);
  }
  auto it = devices_.find(device);
  if (it != devices_.end() && exceeds(it->second.used, bytes, it->second.total)) {
    return nn_error(NNWASM_TOO_LARGE, std::string(what) + " needs about " + format_bytes(bytes) +
                                          ", and " + format_bytes(it->second.used) + " of " +
                                          device_label(device, it->second.name) + "'s " +
                                          format_bytes(it->second.total) +
                                          " are in use; free some, or load on the cpu");
  }
  if (account != nullptr) account->used += bytes;
  process_used_ += bytes;
  if (it != devices_.end()) it->second.used += bytes;
  return NnStatus::ok();
}

void MemoryBudget::release(Account* account, DeviceKey device, uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (account != nullptr) account->used -= std::min(bytes, account->used);
  process_used_ -= std::min(bytes, process_used_);
  if (auto it = devices_.find(device); it != devices_.end()) {
    it->second.used -= std::min(bytes, it->second.used);
  }
}

Reservation& Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    reset();
    budget_ = std::exchange(other.budget_, nullptr);
    account_ = std::exchange(other.account_, nullptr);
    device_ = other.device_;
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void Reservation::reset() {
  if (budget_ != nullptr && bytes_ != 0) budget_->release(account_, device_, bytes_);
  budget_ = nullptr;
  bytes_ = 0;
}

}  // namespace nnwasm::nn
