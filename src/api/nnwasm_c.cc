// The embedding C API (include/nnwasm/nnwasm.h) over the instance layer. Every entry point
// catches what the layers below throw and turns it into an nnwasm_error.
#include "nnwasm/nnwasm.h"

#include <dlfcn.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "frontend/model_specs.h"
#include "frontend/plugin_dirs.h"
#include "instance/instance.h"

struct nnwasm_error {
  std::string message;
};

struct nnwasm_runtime_config {
  std::vector<std::string> backend_dirs;
  std::vector<std::string> order;
  bool strict_target = false;
  nnwasm::nn::Quotas quotas;
  std::vector<nnwasm::nn::NamedModel> models;
};

struct nnwasm_runtime {
  explicit nnwasm_runtime(nnwasm::nn::BackendConfig config) : nn(std::move(config)) {}
  nnwasm::nn::NnRuntime nn;
};

struct nnwasm_module {
  std::shared_ptr<const nnwasm::engine::Module> module;
};

struct nnwasm_instance_config {
  nnwasm::wasi::WasiConfig wasi;
};

struct nnwasm_instance {
  std::unique_ptr<nnwasm::Instance> instance;
  std::string trap_message;  // what nnwasm_run_result.trap_message points to
};

namespace {

nnwasm_error* error(std::string message) {
  return new (std::nothrow) nnwasm_error{std::move(message)};
}

// Runs `body`, turning any exception into an nnwasm_error.
template <class Body>
nnwasm_error* guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return error("out of memory");
  } catch (const std::exception& e) {
    return error(e.what());
  } catch (...) {
    return error("unknown error");
  }
}

nnwasm::engine::WasmValue to_value(const nnwasm_val& v) {
  using nnwasm::engine::WasmValue;
  switch (v.kind) {
    case NNWASM_I64:
      return WasmValue::of_i64(v.of.i64);
    case NNWASM_F32:
      return WasmValue::of_f32(v.of.f32);
    case NNWASM_F64:
      return WasmValue::of_f64(v.of.f64);
    case NNWASM_I32:
    default:
      return WasmValue::of_i32(v.of.i32);
  }
}

nnwasm_val to_val(const nnwasm::engine::WasmValue& v) {
  using nnwasm::engine::ValType;
  nnwasm_val out{};
  switch (v.type) {
    case ValType::I32:
      out.kind = NNWASM_I32;
      out.of.i32 = v.i32;
      break;
    case ValType::I64:
      out.kind = NNWASM_I64;
      out.of.i64 = v.i64;
      break;
    case ValType::F32:
      out.kind = NNWASM_F32;
      out.of.f32 = v.f32;
      break;
    case ValType::F64:
      out.kind = NNWASM_F64;
      out.of.f64 = v.f64;
      break;
  }
  return out;
}

void fill_result(nnwasm_instance* instance, const nnwasm::engine::RunOutcome& outcome,
                 nnwasm_run_result* out) {
  using Kind = nnwasm::engine::RunOutcome::Kind;
  instance->trap_message = outcome.trap_message;
  out->kind = outcome.kind == Kind::Returned ? NNWASM_RUN_RETURNED
              : outcome.kind == Kind::Exited ? NNWASM_RUN_EXITED
                                             : NNWASM_RUN_TRAPPED;
  out->exit_code = outcome.exit_code;
  out->trap_message = instance->trap_message.c_str();
}

}  // namespace

extern "C" {

const char* nnwasm_error_message(const nnwasm_error* e) {
  return e != nullptr ? e->message.c_str() : "";
}

void nnwasm_error_delete(nnwasm_error* e) {
  delete e;
}

nnwasm_runtime_config* nnwasm_runtime_config_new(void) {
  return new (std::nothrow) nnwasm_runtime_config();
}

void nnwasm_runtime_config_delete(nnwasm_runtime_config* config) {
  delete config;
}

nnwasm_error* nnwasm_runtime_config_add_preload(nnwasm_runtime_config* config, const char* spec) {
  if (config == nullptr || spec == nullptr) return error("add_preload: null argument");
  return guarded([&]() -> nnwasm_error* {
    nnwasm::nn::NamedModel model;
    if (auto status = nnwasm::frontend::parse_preload(spec, &model); !status.is_ok()) {
      return error(status.message);
    }
    config->models.push_back(std::move(model));
    return nullptr;
  });
}

void nnwasm_runtime_config_add_backend_dir(nnwasm_runtime_config* config, const char* dir) {
  if (config != nullptr && dir != nullptr) config->backend_dirs.emplace_back(dir);
}

void nnwasm_runtime_config_set_backend_order(nnwasm_runtime_config* config, const char* names) {
  if (config == nullptr || names == nullptr) return;
  config->order.clear();
  std::string list = names;
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) config->order.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
}

void nnwasm_runtime_config_set_strict_target(nnwasm_runtime_config* config, bool strict) {
  if (config != nullptr) config->strict_target = strict;
}

void nnwasm_runtime_config_set_quotas(nnwasm_runtime_config* config, const nnwasm_quotas* q) {
  if (config == nullptr || q == nullptr) return;
  config->quotas = {q->max_graphs, q->max_contexts, q->max_tensor_bytes, q->max_model_bytes,
                    q->compute_timeout_ms};
}

nnwasm_error* nnwasm_runtime_new(const nnwasm_runtime_config* config, nnwasm_runtime** out) {
  if (config == nullptr || out == nullptr) return error("runtime_new: null argument");
  *out = nullptr;
  return guarded([&]() -> nnwasm_error* {
    nnwasm::nn::BackendConfig backends;
    backends.dirs = nnwasm::frontend::plugin_dirs(
        config->backend_dirs,
        nnwasm::frontend::library_path(reinterpret_cast<const void*>(&nnwasm_runtime_new)));
    backends.order = config->order;
    backends.strict_target = config->strict_target;
    auto runtime = std::make_unique<nnwasm_runtime>(std::move(backends));
    runtime->nn.quotas = config->quotas;
    for (const nnwasm::nn::NamedModel& model : config->models) runtime->nn.models.add(model);
    nnwasm::engine::initialize_engine({});
    *out = runtime.release();
    return nullptr;
  });
}

void nnwasm_runtime_delete(nnwasm_runtime* runtime) {
  delete runtime;
}

nnwasm_error* nnwasm_module_new(nnwasm_runtime* runtime, const uint8_t* bytes, size_t size,
                                const char* name, nnwasm_module** out) {
  if (runtime == nullptr || (bytes == nullptr && size != 0) || out == nullptr) {
    return error("module_new: null argument");
  }
  *out = nullptr;
  return guarded([&]() -> nnwasm_error* {
    auto module = std::make_unique<nnwasm_module>();
    module->module =
        nnwasm::engine::Module::compile({bytes, size}, name != nullptr ? name : "module");
    *out = module.release();
    return nullptr;
  });
}

nnwasm_error* nnwasm_module_from_file(nnwasm_runtime* runtime, const char* path,
                                      nnwasm_module** out) {
  if (runtime == nullptr || path == nullptr || out == nullptr) {
    return error("module_from_file: null argument");
  }
  *out = nullptr;
  std::ifstream in(path, std::ios::binary);
  if (!in) return error(std::string(path) + ": cannot open the module file");
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  return nnwasm_module_new(runtime, bytes.data(), bytes.size(), path, out);
}

void nnwasm_module_delete(nnwasm_module* module) {
  delete module;
}

nnwasm_instance_config* nnwasm_instance_config_new(void) {
  return new (std::nothrow) nnwasm_instance_config();
}

void nnwasm_instance_config_delete(nnwasm_instance_config* config) {
  delete config;
}

void nnwasm_instance_config_add_arg(nnwasm_instance_config* config, const char* arg) {
  if (config != nullptr && arg != nullptr) config->wasi.args.emplace_back(arg);
}

void nnwasm_instance_config_add_env(nnwasm_instance_config* config, const char* key,
                                    const char* value) {
  if (config == nullptr || key == nullptr || value == nullptr) return;
  config->wasi.env.push_back(std::string(key) + "=" + value);
}

void nnwasm_instance_config_add_preopen(nnwasm_instance_config* config, const char* host_path,
                                        const char* guest_path) {
  if (config == nullptr || host_path == nullptr || guest_path == nullptr) return;
  config->wasi.preopens.push_back({guest_path, host_path});
}

void nnwasm_instance_config_add_tcp_listen(nnwasm_instance_config* config, const char* address) {
  if (config != nullptr && address != nullptr) config->wasi.tcp_listen.emplace_back(address);
}

void nnwasm_instance_config_set_stdio(nnwasm_instance_config* config, int stdin_fd, int stdout_fd,
                                      int stderr_fd) {
  if (config == nullptr) return;
  config->wasi.stdin_fd = stdin_fd;
  config->wasi.stdout_fd = stdout_fd;
  config->wasi.stderr_fd = stderr_fd;
}

nnwasm_error* nnwasm_instance_new(nnwasm_runtime* runtime, const nnwasm_module* module,
                                  const nnwasm_instance_config* config, nnwasm_instance** out) {
  if (runtime == nullptr || module == nullptr || config == nullptr || out == nullptr) {
    return error("instance_new: null argument");
  }
  *out = nullptr;
  return guarded([&]() -> nnwasm_error* {
    auto instance = std::make_unique<nnwasm_instance>();
    instance->instance =
        std::make_unique<nnwasm::Instance>(module->module, runtime->nn, config->wasi);
    *out = instance.release();
    return nullptr;
  });
}

void nnwasm_instance_delete(nnwasm_instance* instance) {
  delete instance;
}

nnwasm_error* nnwasm_instance_run(nnwasm_instance* instance, nnwasm_run_result* out) {
  if (instance == nullptr || out == nullptr) return error("instance_run: null argument");
  return guarded([&]() -> nnwasm_error* {
    fill_result(instance, instance->instance->run(), out);
    return nullptr;
  });
}

nnwasm_error* nnwasm_instance_call(nnwasm_instance* instance, const char* name,
                                   const nnwasm_val* args, size_t arg_count, nnwasm_val* results,
                                   size_t results_cap, size_t* result_count,
                                   nnwasm_run_result* out) {
  if (instance == nullptr || name == nullptr || out == nullptr ||
      (args == nullptr && arg_count != 0) || (results == nullptr && results_cap != 0)) {
    return error("instance_call: null argument");
  }
  return guarded([&]() -> nnwasm_error* {
    const nnwasm::engine::FuncType* type = instance->instance->module().export_type(name);
    if (type != nullptr && type->results.size() > results_cap) {
      return error(std::string("instance_call: '") + name + "' returns " +
                   std::to_string(type->results.size()) + " results, room for " +
                   std::to_string(results_cap));
    }
    std::vector<nnwasm::engine::WasmValue> values;
    values.reserve(arg_count);
    for (size_t i = 0; i < arg_count; ++i) values.push_back(to_value(args[i]));
    std::vector<nnwasm::engine::WasmValue> returned;
    nnwasm::engine::RunOutcome outcome = instance->instance->call(name, values, &returned);
    for (size_t i = 0; i < returned.size() && i < results_cap; ++i)
      results[i] = to_val(returned[i]);
    if (result_count != nullptr) *result_count = returned.size();
    fill_result(instance, outcome, out);
    return nullptr;
  });
}

}  // extern "C"
