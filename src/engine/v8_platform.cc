// Process-wide V8 setup: flags, the trap handler and the platform (worker threads), done once.
#include <libplatform/libplatform.h>
#include <v8.h>

#include <memory>
#include <mutex>
#include <string>

#include "engine/engine.h"

namespace nnwasm::engine {

namespace {
std::unique_ptr<v8::Platform> g_platform;  // lives until process exit; V8 is never torn down
}

void initialize_engine(const EngineConfig& config) {
  static std::once_flag once;
  std::call_once(once, [&] {
    std::string flags;
    switch (config.tiering) {
      case Tiering::Eager:
        // Measured on a libc-sized guest: Liftoff compiles it in ~3 ms where TurboFan takes
        // ~30 ms, so start on Liftoff and let TurboFan replace all functions in the background
        // (dynamic tiering would only promote hot functions; V8 has no OSR for Wasm loops).
        flags = "--no-wasm-dynamic-tiering";
        break;
      case Tiering::Optimizing:
        flags = "--no-liftoff";
        break;
      case Tiering::Baseline:
        flags = "--liftoff-only";
        break;
      case Tiering::Dynamic:
        break;
    }
    if (!config.v8_flags.empty()) flags += " " + config.v8_flags;
    if (!flags.empty()) v8::V8::SetFlagsFromString(flags.c_str(), flags.size());
    if (config.trap_handler) v8::V8::EnableWebAssemblyTrapHandler(/*use_v8_signal_handler=*/true);
    g_platform = v8::platform::NewDefaultPlatform();
    v8::V8::InitializePlatform(g_platform.get());
    v8::V8::Initialize();
  });
}

}  // namespace nnwasm::engine
