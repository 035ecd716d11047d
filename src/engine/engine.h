// The Wasm engine: compiles a module, links it against host functions, runs `_start`.
// This interface hides V8 completely; only src/engine/*.cc include <v8.h>.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/host_function.h"

namespace nnwasm::engine {

// Thrown for failures before the guest runs: malformed module, link errors, engine setup.
class EngineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Tiering : uint8_t {
  Eager,       // Liftoff at once, every function recompiled by TurboFan in the background
  Optimizing,  // TurboFan only, before the guest starts: slow start, top code from the start
  Baseline,    // Liftoff only: fastest compile, slower code
  Dynamic,     // V8's default: Liftoff first, only hot functions tier up to TurboFan
};

struct EngineConfig {
  Tiering tiering = Tiering::Eager;
  // Guard-page bounds checks via V8's trap handler (much faster memory access).
  bool trap_handler = true;
  // Extra V8 flags, space separated (expert use; see `node --v8-options`).
  std::string v8_flags;
};

// Process-wide engine setup; call once before creating stores. Later calls are ignored.
void initialize_engine(const EngineConfig& config);

// A Wasm value passed to or returned from a call of an export.
struct WasmValue {
  ValType type = ValType::I32;
  union {
    int32_t i32;
    int64_t i64 = 0;
    float f32;
    double f64;
  };

  static WasmValue of_i32(int32_t v) {
    WasmValue w;
    w.i32 = v;
    return w;
  }
  static WasmValue of_i64(int64_t v) {
    WasmValue w;
    w.type = ValType::I64;
    w.i64 = v;
    return w;
  }
  static WasmValue of_f32(float v) {
    WasmValue w;
    w.type = ValType::F32;
    w.f32 = v;
    return w;
  }
  static WasmValue of_f64(double v) {
    WasmValue w;
    w.type = ValType::F64;
    w.f64 = v;
    return w;
  }
};

// How a guest's run ended.
struct RunOutcome {
  enum class Kind : uint8_t { Returned, Exited, Trapped };
  Kind kind = Kind::Returned;
  int32_t exit_code = 0;  // Returned: 0; Exited: proc_exit's code; Trapped: 1
  std::string
      trap_message;  // Trapped: one line, e.g. "unreachable at abort (wasm-function[3]:0x2f)"
};

// A compiled module: compiled once, then instantiated by any number of stores on any threads,
// which share its machine code (including what TurboFan adds in the background).
class Module {
 public:
  // Reads `bytes` (copied) and checks its structure; `name` (usually the file name) appears in
  // error messages. Throws EngineError for a malformed module. V8 compiles and fully validates
  // it when the first store instantiates it (in that store's isolate, saving the cost of one
  // of its own); an invalid function body is reported then, and to every later store.
  static std::shared_ptr<const Module> compile(std::span<const uint8_t> bytes,
                                               const std::string& name);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  const std::string& name() const;
  bool has_export(const std::string& name) const;
  // The type of exported function `name`; nullptr when there is none or its type is not all
  // numeric.
  const FuncType* export_type(const std::string& name) const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  Module();
  std::unique_ptr<Impl> impl_;
};

// One isolate holding one instance of one module. Not thread-safe; one per thread.
class Store {
 public:
  Store();
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Checks every import of `module` against `linker` (all missing or mismatched imports are
  // listed in one EngineError), then instantiates it. The linker's functions must outlive the
  // store; the store keeps the module alive.
  void instantiate(std::shared_ptr<const Module> module, const Linker& linker);

  // Calls the export `name` (no params, no results), e.g. "_start".
  RunOutcome call(const std::string& name) { return call(name, {}, nullptr); }

  // Calls the export `name` with `args`, which must match its parameter types; its results go
  // to `results` when it returns (nullptr: the export must have none). EngineError when there
  // is no such function or the arguments or results do not match its type.
  RunOutcome call(const std::string& name, std::span<const WasmValue> args,
                  std::vector<WasmValue>* results);

  // The instance's exported "memory" (empty before instantiation or if none is exported).
  GuestMemory& memory();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nnwasm::engine
