// GuestMemory bounds checks: overflowing ranges, zero-length at the end, views after growth.
#include "engine/guest_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

using nnwasm::engine::GuestMemory;

TEST(GuestMemory, RangeInsideIsAccepted) {
  std::vector<uint8_t> bytes(100);
  GuestMemory memory(bytes.data(), bytes.size());
  auto span = memory.slice(10, 90);
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(span->data(), bytes.data() + 10);
  EXPECT_EQ(span->size(), 90u);
}

TEST(GuestMemory, RangePastTheEndIsRejected) {
  std::vector<uint8_t> bytes(100);
  GuestMemory memory(bytes.data(), bytes.size());
  EXPECT_FALSE(memory.slice(10, 91).has_value());
  EXPECT_FALSE(memory.slice(100, 1).has_value());
  EXPECT_FALSE(memory.read<uint32_t>(97).has_value());
  EXPECT_TRUE(memory.read<uint32_t>(96).has_value());
}

TEST(GuestMemory, OverflowingPointerPlusLengthIsRejected) {
  std::vector<uint8_t> bytes(100);
  GuestMemory memory(bytes.data(), bytes.size());
  // 0xFFFFFFF0 + 0x20 wraps to 0x10 in 32-bit arithmetic; it must not pass as "in bounds".
  EXPECT_FALSE(memory.slice(0xFFFFFFF0u, 0x20).has_value());
  EXPECT_FALSE(memory.slice(1, UINT32_MAX).has_value());
  EXPECT_FALSE(memory.slice(0, UINT64_MAX).has_value());
  // 10 + (2^64 - 6) wraps to 4 in 64-bit arithmetic.
  EXPECT_FALSE(memory.contains(10, UINT64_MAX - 5));
  EXPECT_FALSE(memory.slice(UINT32_MAX, UINT64_MAX - UINT32_MAX + 2).has_value());
  EXPECT_FALSE(memory.write<uint64_t>(0xFFFFFFFCu, 1));
}

TEST(GuestMemory, ZeroLengthAtTheEndIsAcceptedButNotBeyond) {
  std::vector<uint8_t> bytes(100);
  GuestMemory memory(bytes.data(), bytes.size());
  EXPECT_TRUE(memory.slice(100, 0).has_value());
  EXPECT_FALSE(memory.slice(101, 0).has_value());
  EXPECT_TRUE(memory.write_bytes(100, nullptr, 0));
}

TEST(GuestMemory, EmptyMemoryRejectsEverything) {
  GuestMemory memory;
  EXPECT_FALSE(memory.slice(0, 0).has_value());
  EXPECT_FALSE(memory.read<uint8_t>(0).has_value());
}

TEST(GuestMemory, ResetAfterGrowExtendsTheView) {
  std::vector<uint8_t> small(64), grown(128);
  GuestMemory memory(small.data(), small.size());
  EXPECT_FALSE(memory.write<uint32_t>(100, 0xABCD));
  memory.reset(grown.data(), grown.size());
  EXPECT_TRUE(memory.write<uint32_t>(100, 0xABCD));
  EXPECT_EQ(memory.read<uint32_t>(100).value(), 0xABCDu);
  EXPECT_FALSE(memory.slice(128, 1).has_value());
}

TEST(GuestMemory, FailedWriteWritesNothing) {
  std::vector<uint8_t> bytes(8, 0);
  GuestMemory memory(bytes.data(), bytes.size());
  const char data[4] = {1, 2, 3, 4};
  EXPECT_FALSE(memory.write_bytes(6, data, 4));
  EXPECT_EQ(bytes, std::vector<uint8_t>(8, 0));
}
