// Host functions as the engine sees them: a Wasm signature plus a type-erased thunk.
// `bind_method` turns a C++ member function into one, deriving the signature from its types.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/guest_memory.h"

namespace nnwasm::engine {

enum class ValType : uint8_t { I32, I64, F32, F64 };

// "i32", "i64", "f32" or "f64".
const char* val_type_name(ValType type);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;

  bool operator==(const FuncType&) const = default;
  // Wasm text spelling, e.g. "(i32, i64) -> (i32)".
  std::string to_string() const;
};

// What a host function may do besides computing its results: touch guest memory, end the
// guest (proc_exit), or abort it with a trap. Valid only during the call.
class HostCall {
 public:
  explicit HostCall(GuestMemory& memory) : memory_(memory) {}

  GuestMemory& memory() noexcept { return memory_; }

  // Ends the guest with this exit code as soon as the host function returns.
  void exit(int32_t code) noexcept {
    outcome_ = Outcome::Exit;
    exit_code_ = code;
  }
  // Aborts the guest with a trap as soon as the host function returns.
  void trap(std::string message) {
    outcome_ = Outcome::Trap;
    trap_message_ = std::move(message);
  }

  enum class Outcome : uint8_t { Return, Exit, Trap };
  Outcome outcome() const noexcept { return outcome_; }
  int32_t exit_code() const noexcept { return exit_code_; }
  const std::string& trap_message() const noexcept { return trap_message_; }

 private:
  GuestMemory& memory_;
  Outcome outcome_ = Outcome::Return;
  int32_t exit_code_ = 0;
  std::string trap_message_;
};

// Raw argument/result slots: i32 and f32 use the low 32 bits, f32/f64 are stored bit-exact.
using HostThunk = void (*)(void* self, HostCall& call, const uint64_t* args, uint64_t* results);

// The guest boundary: the engine calls every host function inside one try block, so no C++
// exception ever unwinds into the engine's frames. A function whose ABI has error codes
// answers a throw with the code `failed` returns (as result 0; `failed` may log `what`);
// without `failed`, the guest traps with "MODULE.NAME failed: WHAT".
using HostFailure = uint32_t (*)(void* self, const std::string& function, const char* what,
                                 bool out_of_memory);

struct HostFunction {
  std::string module;
  std::string name;
  FuncType type;
  HostThunk thunk = nullptr;
  void* self = nullptr;
  HostFailure failed = nullptr;
};

inline constexpr size_t kMaxHostParams = 16;
inline constexpr size_t kMaxHostResults = 4;

namespace detail {

template <class T>
constexpr ValType val_type_of() {
  if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, uint32_t>)
    return ValType::I32;
  else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>)
    return ValType::I64;
  else if constexpr (std::is_same_v<T, float>)
    return ValType::F32;
  else if constexpr (std::is_same_v<T, double>)
    return ValType::F64;
  else
    static_assert(sizeof(T) == 0, "host function parameters must be i32/i64/f32/f64 types");
}

template <class T>
T from_slot(uint64_t slot) {
  if constexpr (sizeof(T) == 4) {
    uint32_t low = static_cast<uint32_t>(slot);
    T value;
    std::memcpy(&value, &low, 4);
    return value;
  } else {
    T value;
    std::memcpy(&value, &slot, 8);
    return value;
  }
}

template <class T>
uint64_t to_slot(T value) {
  if constexpr (sizeof(T) == 4) {
    uint32_t low;
    std::memcpy(&low, &value, 4);
    return low;
  } else {
    uint64_t slot;
    std::memcpy(&slot, &value, 8);
    return slot;
  }
}

template <class>
struct MethodTraits;

template <class C, class R, class... Args>
struct MethodTraits<R (C::*)(HostCall&, Args...)> {
  using Class = C;
  using Result = R;
  using ArgTuple = std::tuple<Args...>;
  static FuncType type() {
    FuncType t{{val_type_of<Args>()...}, {}};
    if constexpr (!std::is_void_v<R>) t.results.push_back(val_type_of<R>());
    return t;
  }
};

template <auto Method, class Traits, size_t... I>
void invoke(void* self, HostCall& call, const uint64_t* args, uint64_t* results,
            std::index_sequence<I...>) {
  auto* object = static_cast<typename Traits::Class*>(self);
  if constexpr (std::is_void_v<typename Traits::Result>) {
    (object->*Method)(call,
                      from_slot<std::tuple_element_t<I, typename Traits::ArgTuple>>(args[I])...);
  } else {
    results[0] = to_slot((object->*Method)(
        call, from_slot<std::tuple_element_t<I, typename Traits::ArgTuple>>(args[I])...));
  }
}

}  // namespace detail

// Binds `Method` (signature `R C::method(HostCall&, Args...)`, Args/R among int32_t, uint32_t,
// int64_t, uint64_t, float, double) on `object` as the import `module`.`name`.
template <auto Method, class C>
HostFunction bind_method(std::string_view module, std::string_view name, C* object,
                         HostFailure failed = nullptr) {
  using Traits = detail::MethodTraits<decltype(Method)>;
  static_assert(std::tuple_size_v<typename Traits::ArgTuple> <= kMaxHostParams);
  HostThunk thunk = [](void* self, HostCall& call, const uint64_t* args, uint64_t* results) {
    detail::invoke<Method, Traits>(
        self, call, args, results,
        std::make_index_sequence<std::tuple_size_v<typename Traits::ArgTuple>>{});
  };
  return HostFunction{std::string(module),
                      std::string(name),
                      Traits::type(),
                      thunk,
                      static_cast<void*>(object),
                      failed};
}

// The set of host functions offered to a module at instantiation, keyed by (module, name).
class Linker {
 public:
  void define(HostFunction function);
  // nullptr when nothing is defined under that name.
  const HostFunction* find(std::string_view module, std::string_view name) const;
  const std::vector<HostFunction>& functions() const { return functions_; }

 private:
  std::vector<HostFunction> functions_;
};

}  // namespace nnwasm::engine
