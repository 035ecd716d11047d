// Reader for the type, import, function and export sections of a Wasm binary (see
// wasm_binary.h).
#include "engine/wasm_binary.h"

#include <algorithm>
#include <string_view>

namespace nnwasm::engine {

const char* extern_kind_name(ExternKind kind) {
  switch (kind) {
    case ExternKind::Func:
      return "function";
    case ExternKind::Table:
      return "table";
    case ExternKind::Memory:
      return "memory";
    case ExternKind::Global:
      return "global";
    case ExternKind::Tag:
      return "tag";
  }
  return "?";
}

namespace {

// Bounds-checked cursor over the binary; any overrun sets `failed` and yields zeros.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  bool failed() const { return failed_; }
  bool at_end() const { return pos_ >= bytes_.size(); }
  size_t pos() const { return pos_; }
  void seek(size_t pos) { pos_ = pos; }

  uint8_t byte() {
    if (pos_ >= bytes_.size()) return fail();
    return bytes_[pos_++];
  }

  uint64_t uleb(int max_bits = 32) {
    uint64_t result = 0;
    for (int shift = 0; shift < max_bits + 7; shift += 7) {
      uint8_t b = byte();
      if (failed_) return 0;
      result |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return result;
    }
    return fail();
  }

  std::string name() {
    uint64_t length = uleb();
    if (failed_ || length > bytes_.size() - pos_) return fail(), std::string();
    std::string out(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return out;
  }

  void limits() {
    uint8_t flags = byte();
    uleb(64);
    if (flags & 1) uleb(64);
  }

 private:
  uint8_t fail() {
    failed_ = true;
    pos_ = bytes_.size();
    return 0;
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  bool failed_ = false;
};

struct ParsedType {
  std::optional<FuncType> numeric;  // nullopt when a non-numeric type appears
  std::string text;
};

std::optional<ValType> numeric_type(uint8_t code) {
  switch (code) {
    case 0x7f:
      return ValType::I32;
    case 0x7e:
      return ValType::I64;
    case 0x7d:
      return ValType::F32;
    case 0x7c:
      return ValType::F64;
    default:
      return std::nullopt;
  }
}

// Wasm text name of a value type code (non-numeric ones only appear in messages).
std::string_view type_code_name(uint8_t code) {
  if (auto numeric = numeric_type(code)) return val_type_name(*numeric);
  switch (code) {
    case 0x7b:
      return "v128";
    case 0x70:
      return "funcref";
    case 0x6f:
      return "externref";
    default:
      return "?";
  }
}

bool read_types(Reader& r, std::vector<ValType>& numeric, bool& all_numeric, std::string& text) {
  uint64_t count = r.uleb();
  text += "(";
  for (uint64_t i = 0; i < count && !r.failed(); ++i) {
    uint8_t code = r.byte();
    if (i != 0) text += ", ";
    text += type_code_name(code);
    if (auto t = numeric_type(code))
      numeric.push_back(*t);
    else
      all_numeric = false;
  }
  text += ")";
  return !r.failed();
}

}  // namespace

std::optional<WasmModuleInfo> read_module_info(std::span<const uint8_t> bytes, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<WasmModuleInfo> {
    if (error) *error = why;
    return std::nullopt;
  };
  static constexpr uint8_t kHeader[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  if (bytes.size() < 8 || !std::equal(kHeader, kHeader + 8, bytes.begin())) {
    return fail("not a WebAssembly binary (expected magic \\0asm and version 1)");
  }
  Reader r(bytes.subspan(8));
  std::vector<ParsedType> types;
  std::vector<uint64_t> function_types;  // the function index space: imports, then definitions
  WasmModuleInfo info;
  while (!r.at_end()) {
    uint8_t id = r.byte();
    uint64_t size = r.uleb();
    size_t start = r.pos();
    if (r.failed() || size > bytes.size() - 8 - start) return fail("truncated section");
    Reader s(bytes.subspan(8 + start, size));
    if (id == 1) {  // type section
      uint64_t count = s.uleb();
      for (uint64_t i = 0; i < count && !s.failed(); ++i) {
        if (s.byte() != 0x60) return fail("unsupported type form in type section");
        ParsedType t;
        FuncType ft;
        bool all_numeric = true;
        read_types(s, ft.params, all_numeric, t.text);
        t.text += " -> ";
        read_types(s, ft.results, all_numeric, t.text);
        if (all_numeric) t.numeric = std::move(ft);
        types.push_back(std::move(t));
      }
    } else if (id == 2) {  // import section
      uint64_t count = s.uleb();
      for (uint64_t i = 0; i < count && !s.failed(); ++i) {
        WasmImport imp;
        imp.module = s.name();
        imp.name = s.name();
        imp.kind = static_cast<ExternKind>(s.byte());
        switch (imp.kind) {
          case ExternKind::Func: {
            uint64_t index = s.uleb();
            if (index >= types.size()) return fail("import refers to an unknown type");
            imp.func_type = types[index].numeric;
            imp.type_text = types[index].text;
            function_types.push_back(index);
            break;
          }
          case ExternKind::Table:
            s.byte();
            s.limits();
            break;
          case ExternKind::Memory:
            s.limits();
            break;
          case ExternKind::Global:
            s.byte();
            s.byte();
            break;
          case ExternKind::Tag:
            s.byte();
            s.uleb();
            break;
          default:
            return fail("unknown import kind");
        }
        info.imports.push_back(std::move(imp));
      }
    } else if (id == 3) {  // function section
      uint64_t count = s.uleb();
      for (uint64_t i = 0; i < count && !s.failed(); ++i) {
        uint64_t index = s.uleb();
        if (index >= types.size()) return fail("function refers to an unknown type");
        function_types.push_back(index);
      }
    } else if (id == 7) {  // export section
      uint64_t count = s.uleb();
      for (uint64_t i = 0; i < count && !s.failed(); ++i) {
        WasmExport exp;
        exp.name = s.name();
        exp.kind = static_cast<ExternKind>(s.byte());
        uint64_t index = s.uleb();
        if (exp.kind == ExternKind::Func && index < function_types.size()) {
          exp.func_type = types[function_types[index]].numeric;
          exp.type_text = types[function_types[index]].text;
        }
        info.exports.push_back(std::move(exp));
      }
    }
    if (s.failed()) return fail("malformed section " + std::to_string(id));
    r.seek(start + size);
  }
  return info;
}

}  // namespace nnwasm::engine
