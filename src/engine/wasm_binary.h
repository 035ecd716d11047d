// A minimal reader of a Wasm binary's type, import, function and export sections: enough to
// check imports against host signatures, name what is missing before V8 instantiates, and
// check the arguments of a call to an export.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/host_function.h"

namespace nnwasm::engine {

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3, Tag = 4 };

const char* extern_kind_name(ExternKind kind);

struct WasmImport {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  // For functions whose types are all numeric; nullopt for v128/reference types.
  std::optional<FuncType> func_type;
  std::string type_text;  // human-readable type, e.g. "(i32, i32) -> (i32)"
};

struct WasmExport {
  std::string name;
  ExternKind kind = ExternKind::Func;
  // For exported functions whose types are all numeric (else nullopt), as for imports.
  std::optional<FuncType> func_type;
  std::string type_text;
};

struct WasmModuleInfo {
  std::vector<WasmImport> imports;
  std::vector<WasmExport> exports;
};

// Reads the sections above. Returns nullopt with `error` set when the bytes are not a
// well-formed Wasm binary as far as these sections go (V8's validator gives the full verdict).
std::optional<WasmModuleInfo> read_module_info(std::span<const uint8_t> bytes, std::string* error);

}  // namespace nnwasm::engine
