// read_module_info: imports with their types, exports, and rejection of non-Wasm bytes.
#include "engine/wasm_binary.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "support/process.h"

using namespace nnwasm::engine;

namespace {
std::vector<uint8_t> read_guest(const std::string& name) {
  std::ifstream in(nnwasm::test::guest_path(name), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST(WasmBinary, ReadsImportsWithTypesAndExports) {
  std::vector<uint8_t> bytes = read_guest("host_calls");
  ASSERT_FALSE(bytes.empty());
  std::string error;
  auto info = read_module_info(bytes, &error);
  ASSERT_TRUE(info.has_value()) << error;
  ASSERT_EQ(info->imports.size(), 6u);
  EXPECT_EQ(info->imports[0].module, "test");
  EXPECT_EQ(info->imports[0].name, "record");
  ASSERT_TRUE(info->imports[0].func_type.has_value());
  EXPECT_EQ(info->imports[0].func_type->to_string(), "(i32, i64, f32, f64) -> (i32)");
  EXPECT_EQ(info->imports[2].type_text, "(i32) -> ()");
  EXPECT_EQ(info->imports[4].type_text, "() -> (i32)");
  bool has_memory = false;
  for (const WasmExport& e : info->exports)
    has_memory |= e.name == "memory" && e.kind == ExternKind::Memory;
  EXPECT_TRUE(has_memory);
}

TEST(WasmBinary, RejectsNonWasmAndTruncatedInput) {
  std::string error;
  const uint8_t text[] = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  EXPECT_FALSE(read_module_info(text, &error).has_value());
  EXPECT_NE(error.find("not a WebAssembly binary"), std::string::npos);

  std::vector<uint8_t> bytes = read_guest("host_calls");
  ASSERT_GT(bytes.size(), 20u);
  bytes.resize(bytes.size() / 2);
  EXPECT_FALSE(read_module_info(bytes, &error).has_value());
}

TEST(WasmBinary, HugeSectionSizeDoesNotOverrun) {
  const uint8_t bytes[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 1};
  std::string error;
  EXPECT_FALSE(read_module_info(bytes, &error).has_value());
}
