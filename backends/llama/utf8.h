// Holding back an incomplete UTF-8 character at the end of streamed text, so a guest never
// receives half of a character that llama.cpp's byte tokens split across two steps.
#pragma once

#include <cstddef>
#include <string_view>

namespace nnwasm::llama_backend {

// Bytes of a sequence that starts with `lead`: 2..4, or 1 for ASCII and bytes that cannot
// start a valid sequence (those are passed through as they are: they never become complete).
inline size_t utf8_sequence_length(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 1;
}

// Length of the longest prefix of `text` that does not end inside a multi-byte character that
// may still be completed by more bytes: only a valid lead byte followed by too few
// continuation bytes at the very end is held back.
inline size_t utf8_complete_prefix(std::string_view text) {
  const size_t n = text.size();
  // A character is at most 4 bytes: only the last 3 can start an incomplete one.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto byte = static_cast<unsigned char>(text[n - back]);
    if ((byte & 0xC0) == 0x80) continue;  // continuation byte: look further back
    const size_t need = utf8_sequence_length(byte);
    return need > back ? n - back : n;
  }
  return n;
}

}  // namespace nnwasm::llama_backend
