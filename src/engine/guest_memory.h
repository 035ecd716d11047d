// GuestMemory: a bounds-checked view of a Wasm instance's linear memory.
// Every host API reads and writes guest memory only through this class; no raw pointer escapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>

namespace nnwasm::engine {

class GuestMemory {
 public:
  GuestMemory() = default;
  GuestMemory(uint8_t* base, size_t size) : base_(base), size_(size) {}

  // The engine calls this before every host call: memory.grow may move or extend the memory.
  void reset(uint8_t* base, size_t size) noexcept {
    base_ = base;
    size_ = size;
  }

  size_t size() const noexcept { return size_; }

  // True when [offset, offset + length) lies inside memory; a zero-length range may sit exactly
  // at the end. Subtracting, never adding: offset + length could wrap for lengths near 2^64.
  bool contains(uint32_t offset, uint64_t length) const noexcept {
    return base_ != nullptr && length <= size_ && offset <= size_ - length;
  }

  // The bytes [offset, offset + length), or nullopt when any of them is outside memory.
  std::optional<std::span<uint8_t>> slice(uint32_t offset, uint64_t length) const noexcept {
    if (!contains(offset, length)) return std::nullopt;
    return std::span<uint8_t>(base_ + offset, static_cast<size_t>(length));
  }

  // Reads a little-endian trivially copyable value (unaligned access is allowed).
  template <class T>
  std::optional<T> read(uint32_t offset) const noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!contains(offset, sizeof(T))) return std::nullopt;
    T value;
    std::memcpy(&value, base_ + offset, sizeof(T));
    return value;
  }

  // Writes a trivially copyable value; returns false (and writes nothing) when out of bounds.
  template <class T>
  [[nodiscard]] bool write(uint32_t offset, const T& value) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    if (!contains(offset, sizeof(T))) return false;
    std::memcpy(base_ + offset, &value, sizeof(T));
    return true;
  }

  // Copies bytes into guest memory; false (nothing written) when out of bounds.
  [[nodiscard]] bool write_bytes(uint32_t offset, const void* data, size_t length) noexcept {
    if (!contains(offset, length)) return false;
    if (length != 0) std::memcpy(base_ + offset, data, length);
    return true;
  }

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
};

}  // namespace nnwasm::engine
