// printable: what the guest sent, made safe for one line of the host's log.
#include "nn/nn_error.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using nnwasm::nn::printable;

TEST(Printable, ControlCharactersAreEscapedAndTextIsKept) {
  EXPECT_EQ(printable("tiny-llama"), "tiny-llama");
  EXPECT_EQ(printable("a\nb\x1b[31mc\x7f"), "a\\x0ab\\x1b[31mc\\x7f");
  EXPECT_EQ(printable(std::string("nul\0byte", 8)), "nul\\x00byte");
  // UTF-8 text stays; the two-byte encoding of the C1 control CSI (U+009B) does not.
  EXPECT_EQ(printable("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(printable("x\xc2\x9b"
                      "2J"),
            "x\\xc2\\x9b2J");
}

TEST(Printable, LongTextIsCutWithItsSize) {
  const std::string long_name(8 << 20, 'n');
  const std::string shown = printable(long_name);
  EXPECT_EQ(shown, std::string(128, 'n') + "... (8388608 bytes)");
  EXPECT_EQ(printable("abcdef", 3), "abc... (6 bytes)");
}

}  // namespace
