// Store: host calls with every value type, memory views after memory.grow, exit and traps.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/process.h"

using namespace nnwasm::engine;

namespace {

struct TestHost {
  int32_t record(HostCall&, int32_t a, int64_t b, float c, double d) {
    ok = a == -5 && b == (int64_t{1} << 40) && c == 1.5f && d == 2.25;
    return ok ? 42 : 0;
  }
  int32_t peek(HostCall& call, uint32_t address) {
    seen_memory_size = call.memory().size();
    return call.memory().read<uint8_t>(address).value_or(-1);
  }
  void exit(HostCall& call, int32_t code) { call.exit(code); }
  void fail(HostCall& call) { call.trap("host says no"); }
  int32_t throw_with_code(HostCall&) { throw std::runtime_error("the backend blew up"); }
  void throw_plain(HostCall&) { throw std::out_of_range("map::at"); }
  static uint32_t code_77(void* self, const std::string& function, const char* what, bool) {
    static_cast<TestHost*>(self)->failure = function + ": " + what;
    return 77;
  }

  bool ok = false;
  size_t seen_memory_size = 0;
  std::string failure;  // what code_77 was told
};

void define_test_imports(Linker& linker, TestHost* host) {
  linker.define(bind_method<&TestHost::record>("test", "record", host));
  linker.define(bind_method<&TestHost::peek>("test", "peek", host));
  linker.define(bind_method<&TestHost::exit>("test", "exit", host));
  linker.define(bind_method<&TestHost::fail>("test", "fail", host));
  linker.define(
      bind_method<&TestHost::throw_with_code>("test", "throw_with_code", host, &TestHost::code_77));
  linker.define(bind_method<&TestHost::throw_plain>("test", "throw", host));
}

std::vector<uint8_t> host_calls_bytes() {
  std::ifstream in(nnwasm::test::guest_path("host_calls"), std::ios::binary);
  return std::vector<uint8_t>{std::istreambuf_iterator<char>(in), {}};
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    define_test_imports(linker, &host);
    store.instantiate(Module::compile(host_calls_bytes(), "host_calls.wasm"), linker);
  }

  TestHost host;
  Linker linker;
  Store store;
};

}  // namespace

TEST_F(StoreTest, HostCallReceivesAllValueTypes) {
  RunOutcome outcome = store.call("run_record");
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::Returned) << outcome.trap_message;
  EXPECT_TRUE(host.ok);
}

TEST_F(StoreTest, HostSeesMemoryAfterGrow) {
  EXPECT_EQ(store.memory().size(), 65536u);
  RunOutcome outcome = store.call("grow_and_peek");
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::Returned) << outcome.trap_message;
  EXPECT_EQ(host.seen_memory_size, 11u * 65536u);
  EXPECT_EQ(store.memory().size(), 11u * 65536u);
}

TEST_F(StoreTest, ExitStopsTheGuestImmediately) {
  RunOutcome outcome = store.call("exit_7");
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::Exited);
  EXPECT_EQ(outcome.exit_code, 7);
  // The store stays usable after an exit.
  EXPECT_EQ(store.call("run_record").kind, RunOutcome::Kind::Returned);
}

TEST_F(StoreTest, HostTrapCarriesItsMessage) {
  RunOutcome outcome = store.call("host_trap");
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::Trapped);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.trap_message, "host says no");
}

TEST_F(StoreTest, AThrowingHostFunctionGivesItsErrorCodeAndTheGuestGoesOn) {
  RunOutcome outcome = store.call("host_throw_code");
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::Returned) << outcome.trap_message;
  EXPECT_EQ(host.failure, "test.throw_with_code: the backend blew up");
  EXPECT_EQ(store.call("run_record").kind, RunOutcome::Kind::Returned);
}

TEST_F(StoreTest, AThrowingHostFunctionWithoutErrorCodesTrapsWithWhatItThrew) {
  RunOutcome outcome = store.call("host_throw_trap");
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::Trapped);
  EXPECT_EQ(outcome.trap_message, "test.throw failed: map::at");
  EXPECT_EQ(store.call("run_record").kind, RunOutcome::Kind::Returned);
}

TEST_F(StoreTest, StackOverflowIsATrap) {
  RunOutcome outcome = store.call("stack_overflow");
  EXPECT_EQ(outcome.kind, RunOutcome::Kind::Trapped);
  EXPECT_NE(outcome.trap_message.find("call stack exhausted"), std::string::npos)
      << outcome.trap_message;
}

TEST_F(StoreTest, UnknownExportIsAnError) {
  EXPECT_THROW(store.call("no_such_export"), EngineError);
}

TEST(StoreErrors, LinkErrorListsEveryMissingImport) {
  std::ifstream in(nnwasm::test::guest_path("missing_import"), std::ios::binary);
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  Store store;
  Linker linker;
  try {
    store.instantiate(Module::compile(bytes, "missing_import.wasm"), linker);
    FAIL() << "instantiate should fail";
  } catch (const EngineError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("'env'.'not_provided'"), std::string::npos) << message;
    EXPECT_NE(message.find("'wasi_snapshot_preview1'.'no_such_function'"), std::string::npos);
  }
}

TEST(StoreErrors, MalformedModuleNamesTheFile) {
  const uint8_t bytes[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 0xff};
  try {
    Module::compile(bytes, "broken.wasm");
    FAIL() << "compile should fail";
  } catch (const EngineError& e) {
    EXPECT_NE(std::string(e.what()).find("broken.wasm"), std::string::npos) << e.what();
  }
}

TEST(ModuleSharing, OneCompiledModuleServesManyStoresOnManyThreads) {
  std::shared_ptr<const Module> module = Module::compile(host_calls_bytes(), "host_calls.wasm");
  EXPECT_EQ(module->name(), "host_calls.wasm");
  EXPECT_TRUE(module->has_export("run_record"));
  EXPECT_FALSE(module->has_export("no_such_export"));
  constexpr int kThreads = 4;
  std::vector<int> ok(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      TestHost host;
      Linker linker;
      define_test_imports(linker, &host);
      Store store;
      store.instantiate(module, linker);
      // Each store has its own memory: growing one leaves the others alone.
      bool grew = store.call("grow_and_peek").kind == RunOutcome::Kind::Returned &&
                  host.seen_memory_size == 11u * 65536u;
      ok[t] = grew && store.call("run_record").kind == RunOutcome::Kind::Returned && host.ok;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(ok[t], 1) << "thread " << t;
  EXPECT_EQ(module.use_count(), 1);  // the stores are gone and released it
}

TEST(ModuleSharing, AStoreHoldsOneInstance) {
  TestHost host;
  Linker linker;
  define_test_imports(linker, &host);
  auto module = Module::compile(host_calls_bytes(), "host_calls.wasm");
  Store store;
  store.instantiate(module, linker);
  EXPECT_THROW(store.instantiate(module, linker), EngineError);
  EXPECT_THROW(store.instantiate(nullptr, linker), EngineError);
}

TEST(StoreErrors, InvalidFunctionBodyIsReportedWhenInstantiatedByEveryStore) {
  // Well-formed sections, but the body of `() -> i32` leaves nothing on the stack: only V8's
  // validation, run when the first store instantiates, finds it.
  const uint8_t bytes[] = {0, 'a',  's', 'm', 1, 0, 0,    0, 1, 5, 1, 0x60, 0,
                           1, 0x7f, 3,   2,   1, 0, 0x0a, 4, 1, 2, 0, 0x0b};
  auto module = Module::compile(bytes, "bad_body.wasm");
  Linker linker;
  for (int attempt = 0; attempt < 2; ++attempt) {
    Store store;
    try {
      store.instantiate(module, linker);
      FAIL() << "instantiate should fail";
    } catch (const EngineError& e) {
      std::string message = e.what();
      EXPECT_NE(message.find("bad_body.wasm: invalid module"), std::string::npos) << message;
    }
  }
}

// A store holding exports_with_values.wasm (no imports).
class StoreCalls : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(nnwasm::test::guest_path("exports_with_values"), std::ios::binary);
    std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
    store.instantiate(Module::compile(bytes, "exports_with_values.wasm"), linker);
  }
  Linker linker;
  Store store;
};

TEST_F(StoreCalls, ExportsTakeAndReturnEveryNumericType) {
  std::vector<WasmValue> results;
  const WasmValue mix_args[] = {WasmValue::of_i32(-2), WasmValue::of_i64(int64_t{1} << 40),
                                WasmValue::of_f32(0.5f), WasmValue::of_f64(0.25)};
  ASSERT_EQ(store.call("mix", mix_args, &results).kind, RunOutcome::Kind::Returned);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].type, ValType::F64);
  EXPECT_EQ(results[0].f64, -2.0 + 1099511627776.0 + 0.75);
  const WasmValue split_args[] = {WasmValue::of_i64(int64_t{0x123456789abcdef0})};
  ASSERT_EQ(store.call("split", split_args, &results).kind, RunOutcome::Kind::Returned);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].i32, static_cast<int32_t>(0x9abcdef0u));
  EXPECT_EQ(results[1].i64, 0x12345678);
  const WasmValue halve_args[] = {WasmValue::of_f32(3.0f)};
  ASSERT_EQ(store.call("halve", halve_args, &results).kind, RunOutcome::Kind::Returned);
  EXPECT_EQ(results.at(0).f32, 1.5f);
  // A trap inside a call with arguments is an outcome, not an exception.
  const WasmValue boom_args[] = {WasmValue::of_i32(1)};
  RunOutcome boom = store.call("boom", boom_args, &results);
  EXPECT_EQ(boom.kind, RunOutcome::Kind::Trapped);
  EXPECT_NE(boom.trap_message.find("unreachable"), std::string::npos) << boom.trap_message;
}

TEST_F(StoreCalls, MismatchedArgumentsAreErrorsNamingTheType) {
  std::vector<WasmValue> results;
  const WasmValue wrong[] = {WasmValue::of_i32(1)};
  auto message_of = [&](auto&& attempt) {
    try {
      attempt();
    } catch (const EngineError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_of([&] {
              store.call("halve", wrong, &results);
            }).find("'halve' has type (f32) -> (f32), called with arguments (i32)"),
            std::string::npos);
  EXPECT_NE(message_of([&] { store.call("split", {}, &results); }).find("(i64) -> (i32, i64)"),
            std::string::npos);
  EXPECT_NE(message_of([&] { store.call("halve", {}, nullptr); }).find("halve"), std::string::npos);
  EXPECT_NE(message_of([&] { store.call("takes_ref", {}, nullptr); }).find("externref"),
            std::string::npos);
  EXPECT_NE(message_of([&] { store.call("memory", {}, nullptr); }).find("no exported function"),
            std::string::npos);
  // The store is still usable afterwards.
  const WasmValue halve_args[] = {WasmValue::of_f32(8.0f)};
  ASSERT_EQ(store.call("halve", halve_args, &results).kind, RunOutcome::Kind::Returned);
  EXPECT_EQ(results.at(0).f32, 4.0f);
}
