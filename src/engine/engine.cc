// Module: compiled once (in the isolate of the first store that instantiates it), its native
// code shared by every store.
// Store: one V8 isolate running one Wasm instance. Links host functions through V8's JS API
// (WebAssembly.Instance), calls exports and turns traps/proc_exit into outcomes.
#include "engine/engine.h"

#include <v8.h>

#include <deque>
#include <mutex>
#include <optional>
#include <string_view>

#include "engine/wasm_binary.h"

namespace nnwasm::engine {

// State the host trampoline needs: the memory to refresh and where a guest exit is recorded.
struct StoreState {
  v8::Isolate* isolate = nullptr;
  v8::Global<v8::WasmMemoryObject> memory_object;
  GuestMemory memory;
  std::optional<RunOutcome> ended_by_host;  // set when a host function exits or traps

  void refresh_memory() {
    if (memory_object.IsEmpty()) return;
    v8::Local<v8::ArrayBuffer> buffer = memory_object.Get(isolate)->Buffer();
    memory.reset(static_cast<uint8_t*>(buffer->Data()), buffer->ByteLength());
  }
};

// One host function bound to one import; V8 holds a pointer to it as the callback's data.
struct Binding {
  const HostFunction* function;
  StoreState* store;
};

namespace {

v8::Local<v8::String> v8_str(v8::Isolate* isolate, std::string_view s) {
  return v8::String::NewFromUtf8(isolate, s.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(s.size()))
      .ToLocalChecked();
}

std::string to_std(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value utf8(isolate, value);
  return *utf8 ? std::string(*utf8, utf8.length()) : std::string();
}

// One line: "<message> (at <function> wasm-function[N]:0xOFF)" from a caught exception.
std::string describe_exception(v8::Isolate* isolate, v8::Local<v8::Context> ctx,
                               const v8::TryCatch& try_catch) {
  v8::Local<v8::Value> exception = try_catch.Exception();
  if (exception.IsEmpty()) return "unknown error";
  std::string message;
  std::string frame;
  if (exception->IsObject()) {
    v8::Local<v8::Object> object = exception.As<v8::Object>();
    v8::Local<v8::Value> value;
    if (object->Get(ctx, v8_str(isolate, "message")).ToLocal(&value))
      message = to_std(isolate, value);
    if (object->Get(ctx, v8_str(isolate, "stack")).ToLocal(&value) && value->IsString()) {
      std::string stack = to_std(isolate, value);
      size_t at = stack.find("\n    at ");
      if (at != std::string::npos) {
        size_t end = stack.find('\n', at + 1);
        frame = stack.substr(at + 8, end == std::string::npos ? std::string::npos : end - at - 8);
        // "wasm://wasm/<hash>:wasm-function[3]:0x2f" -> "wasm-function[3]:0x2f"
        size_t url = frame.find("wasm://wasm/");
        if (url != std::string::npos) {
          size_t colon = frame.find(':', url + 12);
          if (colon != std::string::npos) frame.erase(url, colon + 1 - url);
        }
      }
    }
  }
  if (message.empty()) message = to_std(isolate, exception);
  if (message == "Maximum call stack size exceeded") message = "call stack exhausted";
  return frame.empty() ? message : message + " (at " + frame + ")";
}

// An isolate with its own array buffer allocator, disposed with it.
struct OwnedIsolate {
  OwnedIsolate() {
    initialize_engine(EngineConfig{});  // a no-op once the engine is set up
    allocator.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator.get();
    isolate = v8::Isolate::New(params);
  }
  ~OwnedIsolate() { isolate->Dispose(); }
  OwnedIsolate(const OwnedIsolate&) = delete;
  OwnedIsolate& operator=(const OwnedIsolate&) = delete;

  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator;
  v8::Isolate* isolate = nullptr;
};

}  // namespace

struct Module::Impl {
  std::string name;
  WasmModuleInfo info;
  // V8 compiles inside an isolate, and making one costs ~3 ms, so the first store to
  // instantiate compiles in its own; the native code then outlives it in `compiled`.
  mutable std::mutex mutex;
  mutable std::vector<uint8_t> bytes;  // until compiled
  mutable std::optional<v8::CompiledWasmModule> compiled;
  mutable std::string error;  // V8's verdict when it would not compile

  // The export called `name` (names are unique in a module); nullptr when there is none.
  const WasmExport* find_export(const std::string& export_name) const {
    for (const WasmExport& e : info.exports) {
      if (e.name == export_name) return &e;
    }
    return nullptr;
  }

  // The module object for `isolate` (compiling on first use); empty with `error` set if invalid.
  v8::MaybeLocal<v8::WasmModuleObject> object_in(v8::Isolate* isolate,
                                                 v8::Local<v8::Context> ctx) const {
    std::lock_guard<std::mutex> lock(mutex);
    if (compiled) return v8::WasmModuleObject::FromCompiledModule(isolate, *compiled);
    if (!error.empty()) return {};
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::WasmModuleObject> object;
    if (!v8::WasmModuleObject::Compile(isolate, {bytes.data(), bytes.size()}).ToLocal(&object)) {
      error = name + ": invalid module: " + describe_exception(isolate, ctx, try_catch);
      return {};
    }
    compiled.emplace(object->GetCompiledModule());
    std::vector<uint8_t>().swap(bytes);
    return object;
  }
};

Module::Module() : impl_(std::make_unique<Impl>()) {}
Module::~Module() = default;

std::shared_ptr<const Module> Module::compile(std::span<const uint8_t> bytes,
                                              const std::string& name) {
  std::shared_ptr<Module> module(new Module());
  Impl& m = *module->impl_;
  m.name = name;
  std::string why;
  std::optional<WasmModuleInfo> info = read_module_info(bytes, &why);
  if (!info) throw EngineError(name + ": invalid module: " + why);
  m.info = std::move(*info);
  m.bytes.assign(bytes.begin(), bytes.end());
  return module;
}

const std::string& Module::name() const {
  return impl_->name;
}

const FuncType* Module::export_type(const std::string& name) const {
  const WasmExport* e = impl_->find_export(name);
  return e != nullptr && e->kind == ExternKind::Func && e->func_type ? &*e->func_type : nullptr;
}

bool Module::has_export(const std::string& name) const {
  return impl_->find_export(name) != nullptr;
}

struct Store::Impl {
  OwnedIsolate owned;
  v8::Isolate* isolate = owned.isolate;
  v8::Global<v8::Context> context;
  v8::Global<v8::Object> exports;
  std::shared_ptr<const Module> module;
  StoreState state;
  std::deque<Binding> bindings;  // deque: stable addresses for V8's callback data

  static void host_trampoline(const v8::FunctionCallbackInfo<v8::Value>& info);
  std::string describe(const v8::TryCatch& try_catch) {
    return describe_exception(isolate, context.Get(isolate), try_catch);
  }
  const std::string& module_name() const { return module->name(); }
};

namespace {

uint64_t arg_slot(const v8::Local<v8::Value>& value, ValType type) {
  switch (type) {
    case ValType::I32:
      return static_cast<uint32_t>(value.As<v8::Int32>()->Value());
    case ValType::I64:
      return static_cast<uint64_t>(value.As<v8::BigInt>()->Int64Value());
    case ValType::F32:
      return detail::to_slot(static_cast<float>(value.As<v8::Number>()->Value()));
    case ValType::F64:
      return detail::to_slot(value.As<v8::Number>()->Value());
  }
  return 0;
}

v8::Local<v8::Value> result_value(v8::Isolate* isolate, uint64_t slot, ValType type) {
  switch (type) {
    case ValType::I32:
      return v8::Integer::New(isolate, detail::from_slot<int32_t>(slot));
    case ValType::I64:
      return v8::BigInt::New(isolate, static_cast<int64_t>(slot));
    case ValType::F32:
      return v8::Number::New(isolate, detail::from_slot<float>(slot));
    case ValType::F64:
      return v8::Number::New(isolate, detail::from_slot<double>(slot));
  }
  return v8::Undefined(isolate);
}

// A host function threw: its ABI's error code, or a trap. Allocates only for the message; when
// even that fails, the guest traps with a message short enough to need no allocation.
void fail_host_call(const HostFunction& fn, HostCall& call, uint64_t* results, const char* what,
                    bool out_of_memory) noexcept {
  try {
    const std::string function = fn.module + "." + fn.name;
    if (fn.failed != nullptr && fn.type.results.size() == 1) {
      results[0] = fn.failed(fn.self, function, what, out_of_memory);
      return;
    }
    call.trap(function + " failed: " + what);
  } catch (...) {
    call.trap(std::string("out of memory"));  // fits the small-string buffer
  }
}

// The one guest boundary (host_function.h): whatever a host function throws ends here, inside
// the catch blocks (an exception's what() lives only there).
void call_guarded(const HostFunction& fn, HostCall& call, const uint64_t* args,
                  uint64_t* results) noexcept {
  try {
    fn.thunk(fn.self, call, args, results);
  } catch (const std::bad_alloc&) {
    fail_host_call(fn, call, results, "out of memory", true);
  } catch (const std::exception& e) {
    fail_host_call(fn, call, results, e.what(), false);
  } catch (...) {
    fail_host_call(fn, call, results, "an exception that is not a std::exception", false);
  }
}

}  // namespace

void Store::Impl::host_trampoline(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* binding = static_cast<Binding*>(info.Data().As<v8::External>()->Value());
  const HostFunction& fn = *binding->function;
  StoreState& state = *binding->store;

  uint64_t args[kMaxHostParams];
  const size_t param_count = fn.type.params.size();
  for (size_t i = 0; i < param_count; ++i)
    args[i] = arg_slot(info[static_cast<int>(i)], fn.type.params[i]);

  state.refresh_memory();
  HostCall call(state.memory);
  uint64_t results[kMaxHostResults] = {};
  call_guarded(fn, call, args, results);

  if (call.outcome() != HostCall::Outcome::Return) {
    RunOutcome outcome;
    if (call.outcome() == HostCall::Outcome::Exit) {
      outcome.kind = RunOutcome::Kind::Exited;
      outcome.exit_code = call.exit_code();
    } else {
      outcome.kind = RunOutcome::Kind::Trapped;
      outcome.exit_code = 1;
      outcome.trap_message = call.trap_message();
    }
    state.ended_by_host = std::move(outcome);
    // Throwing unwinds the Wasm frames at once; terminating also defeats a guest catch_all.
    state.isolate->ThrowException(v8::Null(state.isolate));
    state.isolate->TerminateExecution();
    return;
  }

  const auto& result_types = fn.type.results;
  if (result_types.size() == 1) {
    info.GetReturnValue().Set(result_value(state.isolate, results[0], result_types[0]));
  } else if (result_types.size() > 1) {
    v8::Local<v8::Array> array =
        v8::Array::New(state.isolate, static_cast<int>(result_types.size()));
    v8::Local<v8::Context> context = state.isolate->GetCurrentContext();
    for (size_t i = 0; i < result_types.size(); ++i) {
      array
          ->Set(context, static_cast<uint32_t>(i),
                result_value(state.isolate, results[i], result_types[i]))
          .Check();
    }
    info.GetReturnValue().Set(array);
  }
}

Store::Store() : impl_(std::make_unique<Impl>()) {
  impl_->state.isolate = impl_->isolate;
  v8::Isolate::Scope isolate_scope(impl_->isolate);
  v8::HandleScope handles(impl_->isolate);
  impl_->context.Reset(impl_->isolate, v8::Context::New(impl_->isolate));
}

Store::~Store() {
  impl_->exports.Reset();
  impl_->state.memory_object.Reset();
  impl_->context.Reset();
}

void Store::instantiate(std::shared_ptr<const Module> module, const Linker& linker) {
  Impl& s = *impl_;
  if (module == nullptr) throw EngineError("instantiate: no module");
  if (s.module != nullptr)
    throw EngineError(s.module_name() + ": this store already holds an instance");
  s.module = std::move(module);
  const Module::Impl& m = s.module->impl();
  v8::Isolate* isolate = s.isolate;
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> ctx = s.context.Get(isolate);
  v8::Context::Scope context_scope(ctx);

  // Resolve every import first so that one error lists all problems.
  std::string problems;
  v8::Local<v8::Object> imports = v8::Object::New(isolate);
  for (const WasmImport& imp : m.info.imports) {
    std::string where = "'" + imp.module + "'.'" + imp.name + "'";
    if (imp.kind != ExternKind::Func) {
      problems += "\n  " + where + ": imported " + extern_kind_name(imp.kind) +
                  "s are not supported (only functions)";
      continue;
    }
    const HostFunction* fn = linker.find(imp.module, imp.name);
    if (fn == nullptr) {
      problems +=
          "\n  " + where + ": unknown import (the module expects a function " + imp.type_text + ")";
      continue;
    }
    if (!imp.func_type || *imp.func_type != fn->type) {
      problems += "\n  " + where + ": signature mismatch: module expects " + imp.type_text +
                  ", host provides " + fn->type.to_string();
      continue;
    }
    s.bindings.push_back(Binding{fn, &s.state});
    v8::Local<v8::Function> function =
        v8::Function::New(ctx, &Impl::host_trampoline,
                          v8::External::New(isolate, &s.bindings.back()),
                          static_cast<int>(fn->type.params.size()), v8::ConstructorBehavior::kThrow)
            .ToLocalChecked();
    v8::Local<v8::Value> namespace_value;
    v8::Local<v8::String> module_key = v8_str(isolate, imp.module);
    if (!imports->Get(ctx, module_key).ToLocal(&namespace_value) || !namespace_value->IsObject()) {
      namespace_value = v8::Object::New(isolate);
      imports->Set(ctx, module_key, namespace_value).Check();
    }
    namespace_value.As<v8::Object>()->Set(ctx, v8_str(isolate, imp.name), function).Check();
  }
  if (!problems.empty()) throw EngineError(s.module_name() + ": cannot link module:" + problems);

  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Object> webassembly =
      ctx->Global()->Get(ctx, v8_str(isolate, "WebAssembly")).ToLocalChecked().As<v8::Object>();
  v8::Local<v8::Function> instance_ctor =
      webassembly->Get(ctx, v8_str(isolate, "Instance")).ToLocalChecked().As<v8::Function>();
  v8::Local<v8::WasmModuleObject> module_object;
  if (!m.object_in(isolate, ctx).ToLocal(&module_object)) {
    throw EngineError(m.error.empty() ? s.module_name() + ": cannot load the compiled module"
                                      : m.error);
  }
  v8::Local<v8::Value> ctor_args[] = {module_object, imports};
  v8::Local<v8::Object> instance;
  if (!instance_ctor->NewInstance(ctx, 2, ctor_args).ToLocal(&instance)) {
    std::string why =
        s.state.ended_by_host ? "the start function ended the guest" : s.describe(try_catch);
    isolate->CancelTerminateExecution();
    throw EngineError(s.module_name() + ": instantiation failed: " + why);
  }
  v8::Local<v8::Object> exports =
      instance->Get(ctx, v8_str(isolate, "exports")).ToLocalChecked().As<v8::Object>();
  s.exports.Reset(isolate, exports);
  v8::Local<v8::Value> memory;
  if (exports->Get(ctx, v8_str(isolate, "memory")).ToLocal(&memory) &&
      memory->IsWasmMemoryObject()) {
    s.state.memory_object.Reset(isolate, memory.As<v8::WasmMemoryObject>());
    s.state.refresh_memory();
  }
}

GuestMemory& Store::memory() {
  v8::Isolate::Scope isolate_scope(impl_->isolate);
  v8::HandleScope handles(impl_->isolate);
  impl_->state.refresh_memory();
  return impl_->state.memory;
}

namespace {

std::string value_types_text(std::span<const WasmValue> values) {
  std::string text = "(";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i != 0) text += ", ";
    text += val_type_name(values[i].type);
  }
  return text + ")";
}

// WasmValues through the host-call slot conversions above.
v8::Local<v8::Value> to_v8(v8::Isolate* isolate, const WasmValue& value) {
  uint64_t slot = value.type == ValType::I32   ? detail::to_slot(value.i32)
                  : value.type == ValType::I64 ? detail::to_slot(value.i64)
                  : value.type == ValType::F32 ? detail::to_slot(value.f32)
                                               : detail::to_slot(value.f64);
  return result_value(isolate, slot, value.type);
}

WasmValue from_v8(v8::Local<v8::Value> value, ValType type) {
  const uint64_t slot = arg_slot(value, type);
  switch (type) {
    case ValType::I32:
      return WasmValue::of_i32(detail::from_slot<int32_t>(slot));
    case ValType::I64:
      return WasmValue::of_i64(detail::from_slot<int64_t>(slot));
    case ValType::F32:
      return WasmValue::of_f32(detail::from_slot<float>(slot));
    case ValType::F64:
      return WasmValue::of_f64(detail::from_slot<double>(slot));
  }
  return WasmValue{};
}

}  // namespace

RunOutcome Store::call(const std::string& name, std::span<const WasmValue> args,
                       std::vector<WasmValue>* results) {
  Impl& s = *impl_;
  v8::Isolate* isolate = s.isolate;
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> ctx = s.context.Get(isolate);
  v8::Context::Scope context_scope(ctx);
  if (s.exports.IsEmpty()) throw EngineError("call: module is not instantiated");

  const WasmExport* exported = s.module->impl().find_export(name);
  v8::Local<v8::Value> export_value;
  if (exported == nullptr || exported->kind != ExternKind::Func ||
      !s.exports.Get(isolate)->Get(ctx, v8_str(isolate, name)).ToLocal(&export_value) ||
      !export_value->IsFunction()) {
    throw EngineError(s.module_name() + ": no exported function '" + name + "'");
  }
  // The arguments must match the export's type exactly, as Wasmtime's typed calls check.
  if (!exported->func_type) {
    throw EngineError(s.module_name() + ": export '" + name + "' has type " + exported->type_text +
                      ", which calls from the host cannot pass");
  }
  const FuncType& type = *exported->func_type;
  bool match = type.params.size() == args.size() && (results != nullptr || type.results.empty());
  for (size_t i = 0; match && i < args.size(); ++i) match = args[i].type == type.params[i];
  if (!match) {
    throw EngineError(
        s.module_name() + ": export '" + name + "' has type " + type.to_string() +
        ", called with arguments " + value_types_text(args) +
        (results == nullptr && !type.results.empty() ? " and no room for results" : ""));
  }
  std::vector<v8::Local<v8::Value>> argv;
  argv.reserve(args.size());
  for (const WasmValue& arg : args) argv.push_back(to_v8(isolate, arg));

  s.state.ended_by_host.reset();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> result;
  if (export_value.As<v8::Function>()
          ->Call(ctx, v8::Undefined(isolate), static_cast<int>(argv.size()), argv.data())
          .ToLocal(&result)) {
    if (results != nullptr) {
      results->clear();
      if (type.results.size() == 1) {
        results->push_back(from_v8(result, type.results[0]));
      } else if (type.results.size() > 1) {
        v8::Local<v8::Array> array = result.As<v8::Array>();
        for (uint32_t i = 0; i < type.results.size(); ++i) {
          results->push_back(from_v8(array->Get(ctx, i).ToLocalChecked(), type.results[i]));
        }
      }
    }
    return RunOutcome{};
  }
  if (s.state.ended_by_host) {
    // Clears the termination whether or not it was already delivered, so the store stays usable.
    isolate->CancelTerminateExecution();
    return *s.state.ended_by_host;
  }
  RunOutcome trapped;
  trapped.kind = RunOutcome::Kind::Trapped;
  trapped.exit_code = 1;
  trapped.trap_message = s.describe(try_catch);
  return trapped;
}

}  // namespace nnwasm::engine
