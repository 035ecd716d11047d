// bind_method: signatures derived from C++ types, arguments and results passed bit-exact.
#include "engine/host_function.h"

#include <gtest/gtest.h>

using namespace nnwasm::engine;

namespace {
struct Target {
  int32_t add(HostCall&, int32_t a, int64_t b, float c, double d) {
    last_float = c;
    last_double = d;
    return a + static_cast<int32_t>(b);
  }
  void stop(HostCall& call, int32_t code) { call.exit(code); }
  float last_float = 0;
  double last_double = 0;
};
}  // namespace

TEST(BindMethod, DerivesTheWasmSignature) {
  Target target;
  HostFunction f = bind_method<&Target::add>("m", "add", &target);
  EXPECT_EQ(f.type.to_string(), "(i32, i64, f32, f64) -> (i32)");
  HostFunction g = bind_method<&Target::stop>("m", "stop", &target);
  EXPECT_EQ(g.type.to_string(), "(i32) -> ()");
}

TEST(BindMethod, PassesArgumentsAndResultsThroughSlots) {
  Target target;
  HostFunction f = bind_method<&Target::add>("m", "add", &target);
  GuestMemory memory;
  HostCall call(memory);
  uint64_t args[4] = {static_cast<uint32_t>(-7), 10, detail::to_slot(1.5f), detail::to_slot(-2.25)};
  uint64_t results[1] = {};
  f.thunk(f.self, call, args, results);
  EXPECT_EQ(detail::from_slot<int32_t>(results[0]), 3);
  EXPECT_EQ(target.last_float, 1.5f);
  EXPECT_EQ(target.last_double, -2.25);
}

TEST(BindMethod, ExitIsRecordedOnTheCall) {
  Target target;
  HostFunction g = bind_method<&Target::stop>("m", "stop", &target);
  GuestMemory memory;
  HostCall call(memory);
  uint64_t args[1] = {42};
  g.thunk(g.self, call, args, nullptr);
  EXPECT_EQ(call.outcome(), HostCall::Outcome::Exit);
  EXPECT_EQ(call.exit_code(), 42);
}

TEST(Linker, FindsByModuleAndNameAndLaterDefinitionsReplace) {
  Target a, b;
  Linker linker;
  linker.define(bind_method<&Target::add>("m", "f", &a));
  linker.define(bind_method<&Target::stop>("n", "f", &a));
  EXPECT_EQ(linker.find("m", "f")->type.params.size(), 4u);
  EXPECT_EQ(linker.find("n", "f")->type.params.size(), 1u);
  EXPECT_EQ(linker.find("m", "g"), nullptr);
  linker.define(bind_method<&Target::stop>("m", "f", &b));
  EXPECT_EQ(linker.find("m", "f")->self, &b);
  EXPECT_EQ(linker.functions().size(), 2u);
}
