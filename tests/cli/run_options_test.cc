// --dir/--map-dir spellings of WasmEdge, Wasmtime and WAMR, and --env parsing.
#include "run_options.h"

#include <gtest/gtest.h>

#include <cstdlib>

using nnwasm::cli::parse_dir;
using nnwasm::cli::parse_env;
using nnwasm::wasi::Preopen;

TEST(ParseDir, PlainDirectoryMapsToItself) {
  Preopen p;
  EXPECT_EQ(parse_dir("data", false, p), "");
  EXPECT_EQ(p.guest_path, "data");
  EXPECT_EQ(p.host_path, "data");
}

TEST(ParseDir, WasmEdgeGuestColonHost) {
  Preopen p;
  EXPECT_EQ(parse_dir("/sandbox:/tmp/x", false, p), "");
  EXPECT_EQ(p.guest_path, "/sandbox");
  EXPECT_EQ(p.host_path, "/tmp/x");
}

TEST(ParseDir, WasmtimeHostDoubleColonGuest) {
  Preopen p;
  EXPECT_EQ(parse_dir("/tmp/x::/sandbox", false, p), "");
  EXPECT_EQ(p.guest_path, "/sandbox");
  EXPECT_EQ(p.host_path, "/tmp/x");
}

TEST(ParseDir, WamrMapDirGuestDoubleColonHost) {
  Preopen p;
  EXPECT_EQ(parse_dir("/sandbox::/tmp/x", true, p), "");
  EXPECT_EQ(p.guest_path, "/sandbox");
  EXPECT_EQ(p.host_path, "/tmp/x");
}

TEST(ParseDir, MalformedValuesAreErrors) {
  Preopen p;
  EXPECT_NE(parse_dir("", false, p), "");
  EXPECT_NE(parse_dir("::/x", false, p), "");
  EXPECT_NE(parse_dir("/x:", false, p), "");
  EXPECT_NE(parse_dir("nocolons", true, p), "");
}

TEST(ParseEnv, KeyValueAndInheritance) {
  std::vector<std::string> env;
  EXPECT_EQ(parse_env("A=1", env), "");
  EXPECT_EQ(parse_env("B=", env), "");
  setenv("NNWASM_TEST_INHERITED", "yes", 1);
  EXPECT_EQ(parse_env("NNWASM_TEST_INHERITED", env), "");
  EXPECT_EQ(parse_env("NNWASM_TEST_SURELY_UNSET_VAR", env), "");
  EXPECT_EQ(env, (std::vector<std::string>{"A=1", "B=", "NNWASM_TEST_INHERITED=yes"}));
  EXPECT_NE(parse_env("=x", env), "");
}
