// The same generation done by calling llama.cpp directly (no nnwasm code involved), for tests
// that check the llama backend's output byte for byte: greedy sampling, the prompt tokenized
// with BOS and special tokens, decoded in chunks of `batch_size`, generation stopping at an
// end-of-generation token, after `n_predict` tokens, or when the context is full.
#pragma once

#include <string>
#include <vector>

namespace nnwasm::llama_test {

struct ReferenceParams {
  std::string model_path;
  std::string prompt;
  int n_predict = 16;    // tokens to generate at most (-1: until end of generation or full)
  int ctx_size = 512;    // llama context size (tokens)
  int batch_size = 512;  // logical batch for the prompt
  int threads = 1;       // generation and batch threads
};

struct ReferenceResult {
  std::string text;                 // concatenation of every generated token's piece
  std::vector<std::string> pieces;  // one raw piece per generated token (special tokens: "")
  int input_tokens = 0;             // prompt tokens including BOS
  int output_tokens = 0;            // generated tokens, an end-of-generation token included
  bool ended_by_eog = false;        // stopped on an end-of-generation token
  bool context_full = false;        // stopped because the next token would not fit
};

// Runs the generation; fails the current test (and returns what it has) on llama.cpp errors.
ReferenceResult greedy_reference(const ReferenceParams& params);

}  // namespace nnwasm::llama_test
