// LLM guests through the nnwasm binary (Wasm -> WASI-NN -> llama plugin) against llama.cpp
// called directly (llama_reference.h): greedy text byte for byte via compute and via streaming,
// n-predict, the LLM error codes, the named model's life cycle, two instances sharing one model,
// the llm-stream example, and up to eight instances whose generations are batched together. Guests:
// tests/guests/llm_generate.c, llm_lifecycle.c.
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "llama_helpers.h"
#include "llama_reference.h"
#include "support/process.h"

namespace nnwasm::llama_test {
namespace {

using nnwasm::test::guest_path;
using nnwasm::test::nnwasm_binary;
using nnwasm::test::ProcessResult;
using nnwasm::test::run_process;

const std::string kModel = std::string(NNWASM_MODEL_DIR) + "/tiny-llama.gguf";
const std::string kPrompt = "Once upon a time, in a small village by the sea,";
const std::string kOtherPrompt = "The three primary colours are";

// Exactly the plugin under test, not whatever else lives in a backend directory.
std::string plugin_dir() {
  return std::filesystem::path(NNWASM_LLAMA_PLUGIN).parent_path().string();
}

// CPU, not AUTO: the reference runs on the CPU, and GPU kernels may round differently.
std::string preload(const std::string& name = "default", const std::string& path = kModel) {
  return name + ":GGML:CPU:" + path;
}

ReferenceParams params(const std::string& prompt, int n_predict, int ctx_size = 512) {
  ReferenceParams p;
  p.model_path = kModel;
  p.prompt = prompt;
  p.n_predict = n_predict;
  p.ctx_size = ctx_size;
  return p;
}

// Metadata asking the backend for exactly the greedy generation of `p` (repeat-penalty 1.0:
// no penalty, as in the reference).
std::string metadata(const ReferenceParams& p) {
  return "{\"ctx-size\":" + std::to_string(p.ctx_size) +
         ",\"n-predict\":" + std::to_string(p.n_predict) +
         ",\"batch-size\":" + std::to_string(p.batch_size) +
         ",\"threads\":" + std::to_string(p.threads) + ",\"temp\":0.0,\"repeat-penalty\":1.0}";
}

// The reference for `p`, checked to be worth comparing against (text not empty).
ReferenceResult reference(const ReferenceParams& p) {
  ReferenceResult ref = greedy_reference(p);
  EXPECT_FALSE(ref.text.empty()) << "reference generated no text for: " << p.prompt;
  return ref;
}

// llm_generate NAME MODE PROMPT METADATA CONFIG on the named model "default", with
// `host_options` for nnwasm run.
ProcessResult run_generate(const std::string& mode, const std::string& prompt,
                           const std::string& meta, const std::string& config = "{}",
                           const std::vector<std::string>& host_options = {}) {
  std::vector<std::string> argv{nnwasm_binary(), "run",          "--nn-backend-dir",
                                plugin_dir(),    "--nn-preload", preload()};
  argv.insert(argv.end(), host_options.begin(), host_options.end());
  argv.insert(argv.end(), {guest_path("llm_generate"), "default", mode, prompt, meta, config});
  return run_process(argv);
}

// The values of every line "KEY: VALUE" of a guest's output, in order.
std::vector<std::string> fields(const std::string& out, const std::string& key) {
  std::vector<std::string> values;
  const std::string start = "\n" + key + ": ";
  const std::string text = "\n" + out;
  for (size_t at = text.find(start); at != std::string::npos; at = text.find(start, at + 1)) {
    size_t begin = at + start.size();
    values.push_back(text.substr(begin, text.find('\n', begin) - begin));
  }
  return values;
}

// The value of the first such line; "<missing KEY>" when there is none.
std::string field(const std::string& out, const std::string& key) {
  const std::vector<std::string> values = fields(out, key);
  return values.empty() ? "<missing " + key + ">" : values[0];
}

// The bytes a guest printed as hex ("<not hex: ...>" for anything else, e.g. a missing line).
std::string unhex(const std::string& hex) {
  if (hex.size() % 2 != 0 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return "<not hex: " + hex + ">";
  }
  std::string bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

struct Counts {
  int input = -1, output = -1;
};

// Output 1, which must be exactly {"input_tokens":N,"output_tokens":M,"llama_build_number":B,
// "llama_commit":"..."} (guests parse it strictly).
Counts counts(const std::string& json) {
  static const std::regex re(
      R"(\{"input_tokens":(\d+),"output_tokens":(\d+),"llama_build_number":-?\d+,"llama_commit":"[^"]*"\})");
  std::smatch m;
  Counts c;
  EXPECT_TRUE(std::regex_match(json, m, re)) << json;
  if (!m.empty()) c = {std::stoi(m[1]), std::stoi(m[2])};
  return c;
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

// Checks a stream run labelled `label` against `ref`: concatenated pieces and output 0 equal the
// reference text, output 1 its counts, the last code is `last_rc`.
void expect_stream_matches(const std::string& out, const std::string& label,
                           const ReferenceResult& ref, int last_rc) {
  std::string joined;
  for (const std::string& piece : fields(out, label + "_piece")) joined += unhex(piece);
  EXPECT_EQ(joined, ref.text) << label;
  EXPECT_EQ(unhex(field(out, label + "_text")), ref.text) << label;
  EXPECT_EQ(field(out, label + "_rc"), std::to_string(last_rc)) << label;
  Counts c = counts(field(out, label + "_metadata"));
  EXPECT_EQ(c.input, ref.input_tokens) << label;
  EXPECT_EQ(c.output, ref.output_tokens) << label;
}

TEST(LlamaWasmGenerate, ComputeEqualsLlamaCppAndHonoursNPredict) {
  const ReferenceParams p = params(kPrompt, 24);
  const ReferenceResult ref = reference(p);
  ASSERT_EQ(ref.output_tokens, 24) << "the reference stopped early; pick another prompt";

  ProcessResult r = run_generate("compute", kPrompt, metadata(p));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(field(r.out, "compute_rc"), "0");
  EXPECT_EQ(unhex(field(r.out, "compute_text")), ref.text);
  Counts c = counts(field(r.out, "compute_metadata"));
  EXPECT_EQ(c.input, ref.input_tokens);
  EXPECT_EQ(c.output, 24);
}

TEST(LlamaWasmGenerate, StreamedPiecesEqualTheComputedTextOneTokenPerCall) {
  const ReferenceParams p = params(kPrompt, 24);
  const ReferenceResult ref = reference(p);
  ASSERT_EQ(ref.output_tokens, 24) << "the reference stopped early; pick another prompt";
  ASSERT_FALSE(ref.ended_by_eog);

  ProcessResult r = run_generate("both", kPrompt, metadata(p));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(unhex(field(r.out, "compute_text")), ref.text);
  // n-predict 24: 24 calls return 0, the 25th says end_of_sequence.
  expect_stream_matches(r.out, "stream", ref, 100);
  EXPECT_EQ(field(r.out, "stream_steps_ok"), "24");
  const std::vector<std::string> pieces = fields(r.out, "stream_piece");
  ASSERT_EQ(pieces.size(), 25u);
  // Where no token splits a UTF-8 character, each call's piece is exactly its token's piece;
  // otherwise each piece at least holds only whole characters.
  bool whole = true;
  for (const std::string& piece : ref.pieces) whole = whole && valid_utf8(piece);
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (whole) {
      EXPECT_EQ(unhex(pieces[i]), i < ref.pieces.size() ? ref.pieces[i] : "") << "step " << i;
    } else if (valid_utf8(ref.text)) {
      EXPECT_TRUE(valid_utf8(unhex(pieces[i]))) << "step " << i << ": " << pieces[i];
    }
  }
}

TEST(LlamaWasmGenerate, MetadataAsLoadConfigIsHonoured) {
  const ReferenceParams p = params(kOtherPrompt, 12, 256);
  const ReferenceResult ref = reference(p);
  ASSERT_EQ(ref.output_tokens, 12) << "the reference stopped early; pick another prompt";

  ProcessResult r = run_generate("both", kOtherPrompt, "", metadata(p));  // no set_input(1)
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(unhex(field(r.out, "compute_text")), ref.text);
  EXPECT_EQ(counts(field(r.out, "compute_metadata")).output, 12);
  expect_stream_matches(r.out, "stream", ref, 100);
}

TEST(LlamaWasmGenerate, FiniSingleRestartsTheSequenceFromThePrompt) {
  const ReferenceParams p = params(kPrompt, 10);
  const ReferenceResult ref = reference(p);
  ProcessResult r = run_generate("restream", kPrompt, metadata(p));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_stream_matches(r.out, "stream", ref, 100);
  expect_stream_matches(r.out, "stream2", ref, 100);
}

TEST(LlamaWasmGenerate, CharactersSplitOverTokensArriveWholeAndGenerationEndsAtEog) {
  // A grammar allowing only `expected` makes even a random model spell it, the emoji as four
  // byte tokens (no token of the vocabulary holds it), then end with the EOS token.
  const std::string expected = "\xF0\x9F\x98\x80 \xC3\xA9\xF0\x9F\x98\x80";  // "😀 é😀"
  const std::string meta =
      "{\"n-predict\":40,\"temp\":0,\"threads\":1,\"grammar\":\"root ::= \\\"" + expected +
      "\\\"\"}";
  ProcessResult r = run_generate("both", "Say it:", meta);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(field(r.out, "compute_rc"), "0");
  EXPECT_EQ(unhex(field(r.out, "compute_text")), expected);
  const Counts c = counts(field(r.out, "compute_metadata"));

  // Streaming ends with end_of_sequence on the EOS token, which the counts include.
  EXPECT_EQ(field(r.out, "stream_rc"), "100");
  EXPECT_EQ(field(r.out, "stream_steps_ok"), std::to_string(c.output - 1));
  EXPECT_EQ(counts(field(r.out, "stream_metadata")).output, c.output);
  std::string joined;
  int held = 0;  // steps whose token only began a character
  const std::vector<std::string> pieces = fields(r.out, "stream_piece");
  for (size_t i = 0; i < pieces.size(); ++i) {
    const std::string piece = unhex(pieces[i]);
    EXPECT_TRUE(valid_utf8(piece)) << "step " << i << ": " << pieces[i];
    held += piece.empty() && i + 1 < pieces.size();
    joined += piece;
  }
  EXPECT_EQ(joined, expected);
  EXPECT_GE(held, 3) << "the emoji's first three bytes should each have been held back";
}

TEST(LlamaWasmLimits, ContextFullIs101AndKeepsTheText) {
  const ReferenceParams p = params(kPrompt, -1, 32);  // unlimited: runs into the context's end
  const ReferenceResult ref = reference(p);
  ASSERT_TRUE(ref.context_full) << "the reference ended otherwise; pick another prompt";

  ProcessResult r = run_generate("both", kPrompt, metadata(p));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(field(r.out, "compute_rc"), "101");
  EXPECT_EQ(unhex(field(r.out, "compute_text")), ref.text);
  EXPECT_EQ(counts(field(r.out, "compute_metadata")).output, ref.output_tokens);
  expect_stream_matches(r.out, "stream", ref, 101);
}

TEST(LlamaWasmLimits, PromptLongerThanTheContextIs102) {
  // Several hundred tokens against a context of 64 (and of 256, should llama.cpp pad it).
  std::string prompt;
  for (int i = 0; i < 150; ++i) prompt += "one two three four five ";
  ReferenceParams p = params(prompt, 8, 64);
  ProcessResult r = run_generate("both", prompt, metadata(p));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(field(r.out, "compute_rc"), "102");
  EXPECT_EQ(field(r.out, "stream_rc"), "102");
  EXPECT_EQ(field(r.out, "stream_steps_ok"), "0");
}

TEST(LlamaWasmLifecycle, ReloadsSetInputTwiceMetadataBeforeComputeAndErrorCodes) {
  const ReferenceParams p = params(kPrompt, 16);
  const ReferenceResult ref = reference(p);
  ReferenceParams other = p;
  other.prompt = kOtherPrompt;
  const ReferenceResult ref_other = reference(other);

  ProcessResult r =
      run_process({nnwasm_binary(), "run", "--nn-backend-dir", plugin_dir(), "--nn-preload",
                   preload(), "--nn-preload", preload("missing", "/nonexistent/tiny-llama.gguf"),
                   guest_path("llm_lifecycle"), "default", metadata(p), kPrompt, kOtherPrompt,
                   "missing", "nosuch"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // and compare what it printed before failing
  EXPECT_NE(r.out.find("lifecycle checks passed"), std::string::npos) << r.out;
  Counts fresh = counts(field(r.out, "fresh_metadata"));
  EXPECT_EQ(fresh.input, 0);
  EXPECT_EQ(fresh.output, 0);
  counts(field(r.out, "before_compute_metadata"));  // valid before compute
  // The second set_input replaced the first prompt.
  EXPECT_EQ(unhex(field(r.out, "twice_text")), ref_other.text);
  Counts twice = counts(field(r.out, "twice_metadata"));
  EXPECT_EQ(twice.input, ref_other.input_tokens);
  EXPECT_EQ(twice.output, ref_other.output_tokens);
  EXPECT_EQ(unhex(field(r.out, "a_text")), ref.text);
  EXPECT_EQ(counts(field(r.out, "a_metadata")).input, ref.input_tokens);
  // Reloaded with the metadata as load config (the guest checks all five texts are equal).
  EXPECT_EQ(unhex(field(r.out, "reload_text")), ref.text)
      << "after unload, load_by_name_with_config's new config must apply (docs/abi.md section 4); "
         "the first load's config asked for 3 tokens";
  EXPECT_EQ(fields(r.out, "reload_again_text").size(), 4u);
}

TEST(LlamaWasmInstances, TwoInstancesStreamingFromOneModelMatchOneAlone) {
  const ReferenceParams p = params(kPrompt, 48);
  const ReferenceResult ref = reference(p);
  ProcessResult alone = run_generate("stream", kPrompt, metadata(p));
  ASSERT_EQ(alone.exit_code, 0) << alone.out << alone.err;
  expect_stream_matches(alone.out, "stream", ref, 100);

  ProcessResult r = run_process({NNWASM_TEST_INSTANCES, "2", guest_path("llm_generate"),
                                 "--nn-preload", preload(), "--nn-backend-dir", plugin_dir(),
                                 "--print-output", "default", "stream", kPrompt, metadata(p)});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string first_ok = "=== instance 0 exit 0\n", second_ok = "=== instance 1 exit 0\n";
  const size_t second = r.out.find("=== instance 1 exit ");
  ASSERT_EQ(r.out.rfind(first_ok, 0), 0u) << r.out << r.err;
  ASSERT_NE(second, std::string::npos) << r.out;
  EXPECT_EQ(r.out.compare(second, second_ok.size(), second_ok), 0) << r.out << r.err;
  for (const std::string& out : {r.out.substr(0, second), r.out.substr(second)}) {
    expect_stream_matches(out, "stream", ref, 100);
    EXPECT_EQ(fields(out, "stream_piece"), fields(alone.out, "stream_piece"));
  }
}

TEST(LlamaWasmExample, LlmStreamPrintsTheGreedyTextAndTokenCounts) {
  const ReferenceParams p = params(kPrompt, 20);
  const ReferenceResult ref = reference(p);
  const std::string guest = guest_path("llm-stream");
  ProcessResult r =
      run_process({nnwasm_binary(), "run", "--nn-backend-dir", plugin_dir(), "--nn-preload",
                   preload(), guest, "default", kPrompt, metadata(p)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ref.text + "\n");
  EXPECT_NE(r.err.find("input tokens: " + std::to_string(ref.input_tokens) +
                       ", output tokens: " + std::to_string(ref.output_tokens)),
            std::string::npos)
      << r.err;

  // Failures name the function and the code.
  r = run_process({nnwasm_binary(), "run", "--nn-backend-dir", plugin_dir(), "--nn-preload",
                   preload("default", "/nonexistent/m.gguf"), guest, "default", kPrompt});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("load_by_name_with_config failed: error 103 (model_not_found"),
            std::string::npos)
      << r.err;
  r = run_process({nnwasm_binary(), "run", "--nn-backend-dir", plugin_dir(), "--nn-preload",
                   preload(), guest, "other", kPrompt});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("load_by_name_with_config failed: error 8 (not_found"), std::string::npos)
      << r.err;
}

TEST(LlamaWasmTarget, GpuFallsBackToCpuWithAWarningOrFailsUnderStrictTarget) {
  uint32_t devices = 0;
  ASSERT_EQ(backend()->probe(nullptr, 0, &devices), NNWASM_SUCCESS);
  const bool has_gpu = devices > 1;  // cpu first, then GPUs
  const ReferenceParams p = params(kPrompt, 8);
  const ReferenceResult ref = reference(p);
  const std::string gpu_preload = "default:GGML:GPU:" + kModel;
  ProcessResult r =
      run_process({nnwasm_binary(), "run", "--nn-backend-dir", plugin_dir(), "--nn-preload",
                   gpu_preload, guest_path("llm-stream"), "default", kPrompt, metadata(p)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (!has_gpu) {
    EXPECT_EQ(r.out, ref.text + "\n");  // the CPU fallback computes exactly the CPU result
    EXPECT_NE(r.err.find("has no gpu device; running on cpu"), std::string::npos) << r.err;
  }
  ProcessResult strict =
      run_process({nnwasm_binary(), "run", "--nn-strict-target", "--nn-backend-dir", plugin_dir(),
                   "--nn-preload", gpu_preload, guest_path("llm-stream"), "default", kPrompt});
  if (has_gpu) {
    EXPECT_EQ(strict.exit_code, 0) << strict.err;
  } else {
    EXPECT_EQ(strict.exit_code, 1);
    EXPECT_NE(strict.err.find("--nn-strict-target forbids CPU fallback"), std::string::npos)
        << strict.err;
  }
}

TEST(LlamaWasmTarget, DefaultThreadsAreTheCpusTheProcessMayRunOn) {
  // docs/abi.md section 5: more threads than CPUs makes ggml's threads spin against each other
  // (100x slower).
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
  int first_cpu = 0;
  while (!CPU_ISSET(first_cpu, &allowed)) ++first_cpu;
  ProcessResult one = run_process({"taskset", "-c", std::to_string(first_cpu), nnwasm_binary(),
                                   "backends", "--nn-backend-dir", plugin_dir()});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("cpu (1 threads)"), std::string::npos) << one.out;
}

TEST(LlamaWasmHostOutput, StreamStdoutPrintsTheTextOnTheHostAndEnableLogShowsLlamaCpp) {
  ReferenceParams p = params(kPrompt, 12);
  const ReferenceResult ref = reference(p);
  std::string meta = metadata(p);
  meta.back() = ',';
  ProcessResult quiet = run_generate("compute", kPrompt, metadata(p));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out.find(ref.text), std::string::npos) << "the guest prints hex only";
  EXPECT_EQ(quiet.err.find("llama_"), std::string::npos) << "llama.cpp is quiet by default";

  // stream-stdout: the host writes each piece to its stdout as it is generated.
  ProcessResult streamed = run_generate("compute", kPrompt, meta + "\"stream-stdout\":true}");
  ASSERT_EQ(streamed.exit_code, 0) << streamed.err;
  EXPECT_NE(streamed.out.find(ref.text), std::string::npos) << streamed.out;

  // enable-log in the load config: llama.cpp's own log (model loading) reaches stderr, one whole
  // line at a time through the host's logger (backend.h nnwasm_host.log).
  ProcessResult logged = run_generate("compute", kPrompt, metadata(p), "{\"enable-log\":true}");
  ASSERT_EQ(logged.exit_code, 0) << logged.err;
  EXPECT_NE(logged.err.find("nnwasm: info: llama.cpp: llama_"), std::string::npos) << logged.err;
}

TEST(LlamaWasmLimits, AContextOverMaxMemoryIsTooLargeBeforeItIsAllocated) {
  // The named model is the process's; the context (KV cache and compute buffers, about 67 MiB
  // at ctx-size 512 by the backend's estimate) is the instance's, and 1 MB is not enough.
  const ReferenceParams p = params(kPrompt, 4);
  ProcessResult r =
      run_generate("compute", kPrompt, metadata(p), "{}", {"--nn-max-memory", "1000000"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("wasi-nn set_input"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(too_large)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the context needs about 67.1 MiB, and 0 bytes of --nn-max-memory"),
            std::string::npos)
      << r.err;
  // With room for it, the same generation works.
  ProcessResult ok =
      run_generate("compute", kPrompt, metadata(p), "{}", {"--nn-max-memory", "100000000"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(LlamaWasmLimits, TheHostMayAllowACtxSizeBeyondTheTrainingContext) {
  ReferenceParams p = params(kPrompt, 4);
  std::string meta = metadata(p);
  meta.back() = ',';
  meta += "\"ctx-size\":4096}";  // the tiny model was trained for 2048
  auto generate = [&](const std::vector<std::string>& options) {
    return run_generate("compute", kPrompt, meta, "{}", options);
  };
  ProcessResult clamped = generate({});
  ASSERT_EQ(clamped.exit_code, 0) << clamped.err;
  EXPECT_NE(clamped.err.find("ctx-size 4096 is more than the model's training context (2048); "
                             "using 2048 (a host may allow more with --nn-backend-option "
                             "llama.max-ctx=N)"),
            std::string::npos)
      << clamped.err;
  ProcessResult allowed = generate({"--nn-backend-option", "llama.max-ctx=8192"});
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(allowed.err.find("ctx-size 4096 is more"), std::string::npos) << allowed.err;
  ProcessResult capped = generate({"--nn-backend-option", "llama.max-ctx=3000"});
  EXPECT_NE(capped.err.find("ctx-size 4096 is more than llama.max-ctx (3000); using 3000"),
            std::string::npos)
      << capped.err;
  ProcessResult bad = generate({"--nn-backend-option", "llama.max-ctx"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("expected KEY=VALUE"), std::string::npos) << bad.err;
}

TEST(LlamaWasmHostOutput, StreamStdoutGoesToEachInstancesOwnStdout) {
  // Two instances in one process, each with its stdout captured apart (nnwasm_test_instances
  // --print-output): the host-written text of each lands in its own section, none outside.
  ReferenceParams p = params(kPrompt, 12);
  const ReferenceResult ref = reference(p);
  std::string meta = metadata(p);
  meta.back() = ',';
  ProcessResult r =
      run_process({NNWASM_TEST_INSTANCES, "2", guest_path("llm_generate"), "--nn-preload",
                   preload(), "--nn-backend-dir", plugin_dir(), "--print-output", "default",
                   "compute", kPrompt, meta + "\"stream-stdout\":true}"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_EQ(r.out.rfind("=== instance 0 exit 0\n", 0), 0u) << r.out;  // nothing before it
  const size_t second = r.out.find("=== instance 1 exit 0\n");
  ASSERT_NE(second, std::string::npos) << r.out;
  EXPECT_NE(r.out.substr(0, second).find(ref.text), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(ref.text, second), std::string::npos) << r.out;
}

TEST(LlamaWasmHostOutput, EnableLogAppliesToTheContextThatAsksForIt) {
  ProcessResult r =
      run_process({nnwasm_binary(), "run", "--nn-backend-dir", plugin_dir(), "--nn-preload",
                   preload(), guest_path("llm_two_contexts"), "default"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const size_t loud = r.err.find("--- loud\n"), quiet = r.err.find("--- quiet again\n"),
               end = r.err.find("--- end\n");
  ASSERT_TRUE(loud != std::string::npos && quiet > loud && end > quiet) << r.err;
  const std::string kLine = "nnwasm: info: llama.cpp: ";
  EXPECT_EQ(r.err.substr(0, loud).find(kLine), std::string::npos) << r.err;
  EXPECT_NE(r.err.substr(loud, quiet - loud).find(kLine + "llama_context"), std::string::npos)
      << r.err;
  // Context A makes a new llama context too, which llama.cpp would log: A did not ask.
  EXPECT_EQ(r.err.substr(quiet).find(kLine), std::string::npos) << r.err;
}

// ---- continuous batching: instances streaming from one named model at once ----

// nnwasm_test_instances N llm_generate --vary GUEST_ARGS: the stdout of each instance, in order
// (a guest argument "a|b" is a for even instances, b for odd ones); every one must exit 0.
std::vector<std::string> run_instances(int n, const std::vector<std::string>& guest_args,
                                       const std::vector<std::string>& host_options = {}) {
  std::vector<std::string> argv{
      NNWASM_TEST_INSTANCES, std::to_string(n), guest_path("llm_generate"),
      "--nn-preload",        preload(),         "--nn-backend-dir",
      plugin_dir()};
  argv.insert(argv.end(), host_options.begin(), host_options.end());
  argv.insert(argv.end(), {"--print-output", "--vary"});
  argv.insert(argv.end(), guest_args.begin(), guest_args.end());
  ProcessResult r = run_process(argv);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<std::string> outputs;
  for (int i = 0; i < n; ++i) {
    const std::string header = "=== instance " + std::to_string(i) + " exit 0\n";
    const size_t begin = r.out.find(header);
    if (begin == std::string::npos) {
      ADD_FAILURE() << "instance " << i << " did not exit 0:\n" << r.out << r.err;
      outputs.emplace_back();
      continue;
    }
    const size_t end = r.out.find("=== instance ", begin + header.size());
    outputs.push_back(r.out.substr(begin + header.size(), end - begin - header.size()));
  }
  return outputs;
}

std::vector<long long> piece_times(const std::string& out, const std::string& label) {
  std::vector<long long> times;
  for (const std::string& t : fields(out, label + "_piece_ns")) times.push_back(std::stoll(t));
  return times;
}

TEST(LlamaWasmBatching, TwoFourAndEightGuestsStreamingAtOnceEachGetTheirAloneText) {
  // Two prompts of different lengths, so sequences of unequal positions share every step.
  const ReferenceResult refs[2] = {reference(params(kPrompt, 48)),
                                   reference(params(kOtherPrompt, 48))};
  const std::string meta = metadata(params(kPrompt, 48));
  for (int n : {2, 4, 8}) {
    const std::vector<std::string> outs =
        run_instances(n, {"default", "stream", kPrompt + "|" + kOtherPrompt, meta});
    for (int i = 0; i < static_cast<int>(outs.size()); ++i) {
      expect_stream_matches(outs[i], "stream", refs[i % 2], 100);
      EXPECT_EQ(fields(outs[i], "stream_piece").size(), 49u) << n << " guests, instance " << i;
    }
  }
}

TEST(LlamaWasmBatching, SequencesThatEndLeaveWithoutDisturbingTheOthers) {
  // Instance 0 fills its 32-token context (101), 1 stops after 5 tokens, 2 ends on the EOS
  // token its grammar forces, 3 generates 48: all in the same steps.
  const ReferenceResult full = reference(params(kPrompt, -1, 32));
  ASSERT_TRUE(full.context_full);
  const ReferenceResult five = reference(params(kOtherPrompt, 5));
  const ReferenceResult long_run = reference(params(kOtherPrompt, 48));
  const std::string grammar_meta =
      "{\"n-predict\":40,\"temp\":0,\"grammar\":\"root ::= \\\"yes, yes\\\"\"}";
  const std::vector<std::string> outs = run_instances(
      4, {"default", "stream", kPrompt + "|" + kOtherPrompt + "|Say it:|" + kOtherPrompt,
          metadata(params(kPrompt, -1, 32)) + "|" + metadata(params(kOtherPrompt, 5)) + "|" +
              grammar_meta + "|" + metadata(params(kOtherPrompt, 48))});
  ASSERT_EQ(outs.size(), 4u);
  expect_stream_matches(outs[0], "stream", full, 101);
  expect_stream_matches(outs[1], "stream", five, 100);
  EXPECT_EQ(unhex(field(outs[2], "stream_text")), "yes, yes");
  EXPECT_EQ(field(outs[2], "stream_rc"), "100");
  expect_stream_matches(outs[3], "stream", long_run, 100);
}

TEST(LlamaWasmBatching, AGuestJoiningRunningStreamsGetsItsFirstTokenWhileTheyStream) {
  // Three guests stream 160 tokens; the fourth streams 16 after three warm-up streams of 16
  // (48 steps of theirs: mid-way, whatever the machine's speed).
  const ReferenceResult long_run = reference(params(kPrompt, 160));
  const ReferenceResult late = reference(params(kOtherPrompt, 16));
  const std::vector<std::string> outs = run_instances(
      4, {"default", "stream+times|stream+times|stream+times|joiner+times",
          kPrompt + "|" + kPrompt + "|" + kPrompt + "|" + kOtherPrompt,
          metadata(params(kPrompt, 160)) + "|" + metadata(params(kPrompt, 160)) + "|" +
              metadata(params(kPrompt, 160)) + "|" + metadata(params(kOtherPrompt, 16))});
  ASSERT_EQ(outs.size(), 4u);
  for (int i = 0; i < 3; ++i) expect_stream_matches(outs[i], "stream", long_run, 100);
  expect_stream_matches(outs[3], "stream", late, 100);
  // The newcomer's whole stream lies within the others': it did not wait for them to end, and
  // they went on streaming while its prompt was decoded.
  const std::vector<long long> joined = piece_times(outs[3], "stream");
  ASSERT_FALSE(joined.empty());
  for (int i = 0; i < 3; ++i) {
    const std::vector<long long> running = piece_times(outs[i], "stream");
    ASSERT_GT(running.size(), 2u);
    EXPECT_LT(running.front(), joined.front()) << "instance " << i << " started after the late one";
    EXPECT_GT(running.back(), joined.back()) << "instance " << i << " ended before the late one";
  }
}

TEST(LlamaWasmBatching, FinalizingAContextMidStreamLeavesTheOthersIntact) {
  // Instance 0 finalizes its context after 5 tokens (its sequence leaves mid-batch), then
  // streams the prompt again in a new context; the others stream throughout.
  const ReferenceResult ref = reference(params(kPrompt, 48));
  const std::vector<std::string> outs =
      run_instances(4, {"default", "drop|stream", kPrompt, metadata(params(kPrompt, 48))});
  ASSERT_EQ(outs.size(), 4u);
  const std::vector<std::string> dropped = fields(outs[0], "dropped_piece");
  ASSERT_EQ(dropped.size(), 5u);
  for (size_t i = 0; i < dropped.size(); ++i) EXPECT_EQ(unhex(dropped[i]), ref.pieces[i]) << i;
  for (const std::string& out : outs) expect_stream_matches(out, "stream", ref, 100);
}

TEST(LlamaWasmBatching, SeededSamplingGivesEachSequenceTheTextItGetsAlone) {
  const std::string meta[2] = {
      "{\"n-predict\":32,\"temp\":0.9,\"top-k\":50,\"seed\":1234,\"ctx-size\":256}",
      "{\"n-predict\":32,\"temp\":1.2,\"seed\":77,\"repeat-penalty\":1.1,\"ctx-size\":512}"};
  const std::string prompts[2] = {kPrompt, kOtherPrompt};
  std::string alone[2];
  for (int k = 0; k < 2; ++k) {
    ProcessResult r = run_generate("stream", prompts[k], meta[k]);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    alone[k] = field(r.out, "stream_text");
    ASSERT_GT(alone[k].size(), 16u);
  }
  ASSERT_NE(alone[0], alone[1]);
  const std::vector<std::string> outs = run_instances(
      4, {"default", "stream", prompts[0] + "|" + prompts[1], meta[0] + "|" + meta[1]});
  for (size_t i = 0; i < outs.size(); ++i) {
    EXPECT_EQ(field(outs[i], "stream_text"), alone[i % 2]) << "instance " << i;
  }
}

TEST(LlamaWasmBatching, BeyondTheParallelCapSequencesWaitForAFreeOne) {
  // llama.parallel=1: one sequence at a time, so a guest's first token comes only after the
  // one running has taken its last (it leaves when it reaches n-predict) - and each text is
  // still its own.
  const ReferenceResult refs[2] = {reference(params(kPrompt, 24)),
                                   reference(params(kOtherPrompt, 24))};
  const std::vector<std::string> outs = run_instances(
      3, {"default", "stream+times", kPrompt + "|" + kOtherPrompt, metadata(params(kPrompt, 24))},
      {"--nn-backend-option", "llama.parallel=1"});
  ASSERT_EQ(outs.size(), 3u);
  std::vector<std::vector<long long>> times;
  for (size_t i = 0; i < outs.size(); ++i) {
    expect_stream_matches(outs[i], "stream", refs[i % 2], 100);
    times.push_back(piece_times(outs[i], "stream"));
    ASSERT_EQ(times.back().size(), 25u) << outs[i];
  }
  std::sort(times.begin(), times.end());
  // The 24th token (the last before the end code) is taken before the next sequence's first.
  for (size_t i = 1; i < times.size(); ++i) EXPECT_GT(times[i].front(), times[i - 1][23]);
}

TEST(LlamaWasmBatching, AnIdleSequenceIsSwappedOutForAWaitingOneAndBackIn) {
  // One seat (llama.parallel=1): instance 0 takes it, rests 600 ms after its third token;
  // instance 1, asking 150 ms in, gets the seat once 0 has been idle 100 ms, streams to its end
  // during the rest, and 0 then goes on from where it was (its KV cells back from host memory).
  const ReferenceResult first = reference(params(kPrompt, 24));
  const ReferenceResult second = reference(params(kOtherPrompt, 12));
  const std::vector<std::string> outs =
      run_instances(2,
                    {"default", "pause+times|late+times", kPrompt + "|" + kOtherPrompt,
                     metadata(params(kPrompt, 24)) + "|" + metadata(params(kOtherPrompt, 12))},
                    {"--nn-backend-option", "llama.parallel=1"});
  ASSERT_EQ(outs.size(), 2u);
  expect_stream_matches(outs[0], "stream", first, 100);
  expect_stream_matches(outs[1], "stream", second, 100);
  const std::vector<long long> paused = piece_times(outs[0], "stream");
  const std::vector<long long> joined = piece_times(outs[1], "stream");
  ASSERT_EQ(paused.size(), 25u);
  ASSERT_EQ(joined.size(), 13u);
  EXPECT_GT(joined.front(), paused[2]);
  EXPECT_LT(joined.back(), paused[3]) << "the waiting guest did not stream while the seat's "
                                         "holder was idle";
}

TEST(LlamaWasmBatching, ACancelledGenerationLeavesTheOthersStreaming) {
  // A 300 ms compute deadline: instance 0's whole-context compute (thousands of tokens) is
  // cancelled inside a step it shares with instance 1, whose short calls stream on unharmed.
  const ReferenceResult ref = reference(params(kOtherPrompt, 48));
  const std::string endless = "{\"ctx-size\":4096,\"n-predict\":-1,\"temp\":0}";
  const std::vector<std::string> outs =
      run_instances(2,
                    {"default", "compute|stream", kPrompt + "|" + kOtherPrompt,
                     endless + "|" + metadata(params(kOtherPrompt, 48))},
                    {"--nn-compute-timeout-ms", "300"});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(field(outs[0], "compute_rc"), "5") << "runtime_error: cancelled";
  EXPECT_GT(counts(field(outs[0], "compute_metadata")).output, 0);
  expect_stream_matches(outs[1], "stream", ref, 100);
}

TEST(LlamaWasmBatching, AnAmbiguousGrammarStallsOnlyItsOwnGuest) {
  // llama.cpp's grammar sampler takes seconds per token on this grammar (its stacks multiply).
  // Sampled inside the shared step, it held every other sequence of the model for as long; now
  // a grammar is sampled on its own guest's thread, and the other guest streams its whole text
  // before the grammar's first token.
  const ReferenceResult ref = reference(params(kOtherPrompt, 48));
  const std::string ambiguous =
      R"({"n-predict":2,"temp":0,"grammar":"root ::= x*\nx ::= [a-z ]* [a-z ]* [a-z ]*"})";
  const std::vector<std::string> outs =
      run_instances(2, {"default", "stream+times", kPrompt + "|" + kOtherPrompt,
                        ambiguous + "|" + metadata(params(kOtherPrompt, 48))});
  ASSERT_EQ(outs.size(), 2u);
  expect_stream_matches(outs[1], "stream", ref, 100);
  const std::vector<long long> grammar = piece_times(outs[0], "stream");
  const std::vector<long long> other = piece_times(outs[1], "stream");
  ASSERT_FALSE(grammar.empty()) << outs[0];
  ASSERT_FALSE(other.empty()) << outs[1];
  EXPECT_LT(other.back(), grammar.front()) << "the other guest waited for the grammar's sampling";
}

TEST(LlamaWasmBatching, TheParallelOptionIsCheckedAndPassedToTheBackend) {
  ProcessResult bad = run_generate("stream", kPrompt, metadata(params(kPrompt, 4)), "{}",
                                   {"--nn-llama-parallel", "0"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--nn-llama-parallel"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("expected a whole number greater than 0, got '0'"), std::string::npos)
      << bad.err;
  const ReferenceResult ref = reference(params(kPrompt, 4));
  ProcessResult one = run_generate("stream", kPrompt, metadata(params(kPrompt, 4)), "{}",
                                   {"--nn-llama-parallel", "1"});
  ASSERT_EQ(one.exit_code, 0) << one.out << one.err;
  expect_stream_matches(one.out, "stream", ref, 100);
}

}  // namespace
}  // namespace nnwasm::llama_test
