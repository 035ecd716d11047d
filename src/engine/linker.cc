// Linker and FuncType: the engine-neutral half of host-function binding.
#include <algorithm>

#include "engine/host_function.h"

namespace nnwasm::engine {

const char* val_type_name(ValType type) {
  switch (type) {
    case ValType::I32:
      return "i32";
    case ValType::I64:
      return "i64";
    case ValType::F32:
      return "f32";
    case ValType::F64:
      return "f64";
  }
  return "?";
}

namespace {
std::string join(const std::vector<ValType>& types) {
  std::string out = "(";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i != 0) out += ", ";
    out += val_type_name(types[i]);
  }
  return out + ")";
}
}  // namespace

std::string FuncType::to_string() const {
  return join(params) + " -> " + join(results);
}

void Linker::define(HostFunction function) {
  auto same_name = [&](const HostFunction& f) {
    return f.module == function.module && f.name == function.name;
  };
  auto existing = std::find_if(functions_.begin(), functions_.end(), same_name);
  if (existing != functions_.end()) {
    *existing = std::move(function);  // a later definition replaces an earlier one
  } else {
    functions_.push_back(std::move(function));
  }
}

const HostFunction* Linker::find(std::string_view module, std::string_view name) const {
  for (const HostFunction& f : functions_) {
    if (f.module == module && f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace nnwasm::engine
