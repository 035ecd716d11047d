// The llama plugin called through its C ABI (as nnwasm does) against the same generation on
// llama.cpp directly (llama_reference.h): greedy text byte for byte, streaming, the LLM codes,
// the metadata keys, embeddings, UTF-8 streaming and concurrent contexts of one model.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include "llama/utf8.h"
#include "llama_helpers.h"

namespace nnwasm::llama_test {
namespace {

const std::string kPrompt = "Once upon a time, in a small village by the sea,";
const std::string kOtherPrompt = "The three primary colours are";

// Streams with compute_single until it stops; returns the concatenated pieces and the codes.
struct Stream {
  std::vector<std::string> pieces;
  std::vector<nnwasm_status> codes;
  std::string text() const {
    std::string all;
    for (const auto& p : pieces) all += p;
    return all;
  }
};
Stream stream(Llm& llm, size_t max_calls = 1000) {
  Stream s;
  for (size_t i = 0; i < max_calls; ++i) {
    const nnwasm_status code = llm.compute_single();
    s.codes.push_back(code);
    if (code != NNWASM_SUCCESS && code != NNWASM_END_OF_SEQUENCE) break;
    s.pieces.push_back(llm.piece());
    if (code == NNWASM_END_OF_SEQUENCE) break;
  }
  return s;
}

TEST(LlamaPlugin, DescriptorNamesGgmlStreamingAndLlamaCppVersion) {
  const nnwasm_backend* b = backend();
  ASSERT_NE(b, nullptr);
  EXPECT_STREQ(b->name, "llama");
  ASSERT_EQ(b->encoding_count, 1u);
  EXPECT_EQ(b->encodings[0], NNWASM_ENCODING_GGML);
  EXPECT_NE(b->load_file, nullptr);
  EXPECT_NE(b->compute_single, nullptr);
  EXPECT_NE(b->get_output_single, nullptr);
  EXPECT_NE(b->fini_single, nullptr);
  EXPECT_TRUE(contains(b->version, "llama.cpp v0.5.0")) << b->version;
  uint32_t count = 0;
  nnwasm_device devices[4];
  ASSERT_EQ(b->probe(devices, 4, &count), NNWASM_SUCCESS);
  ASSERT_GE(count, 1u);
  EXPECT_EQ(devices[0].target, NNWASM_TARGET_CPU);
}

TEST(LlamaPlugin, SniffsGgufMagicOnly) {
  const auto gguf = read_file(tiny_model());
  nnwasm_sniff_result result{};
  ASSERT_EQ(backend()->sniff(gguf.data(), 64, &result), NNWASM_SUCCESS);
  EXPECT_EQ(result.confidence, 100u);
  EXPECT_EQ(result.encoding, NNWASM_ENCODING_GGML);
  EXPECT_STREQ(result.format, "GGUF v3");
  const auto onnx = read_file(model_path("digits.onnx"));
  ASSERT_EQ(backend()->sniff(onnx.data(), onnx.size(), &result), NNWASM_SUCCESS);
  EXPECT_EQ(result.confidence, 0u);
  EXPECT_EQ(result.encoding, NNWASM_ENCODING_AUTODETECT);
  ASSERT_EQ(backend()->sniff(gguf.data(), 3, &result), NNWASM_SUCCESS);
  EXPECT_EQ(result.confidence, 0u);
}

TEST(LlamaPlugin, MissingFileIsModelNotFoundAndCorruptGgufInvalidEncoding) {
  plugin_test::Graph graph(backend());
  const std::string config = "{}";
  const auto opts = load_options(NNWASM_ENCODING_GGML, NNWASM_TARGET_CPU, &config);
  const char* missing[] = {"/nonexistent/model.gguf"};
  EXPECT_EQ(backend()->load_file(missing, 1, &opts, &graph.g), NNWASM_MODEL_NOT_FOUND);
  EXPECT_TRUE(contains(last_error(), "/nonexistent/model.gguf")) << last_error();

  auto corrupt = read_file(tiny_model());
  corrupt.resize(4096);  // the magic and the start of the header, no tensors
  const nnwasm_bytes builder{corrupt.data(), corrupt.size()};
  EXPECT_EQ(backend()->load(&builder, 1, &opts, &graph.g), NNWASM_INVALID_ENCODING);
  EXPECT_TRUE(contains(last_error(), "cannot load GGUF model")) << last_error();
  EXPECT_EQ(graph.g, nullptr);

  const std::string not_json = "{ctx-size";
  const auto bad = load_options(NNWASM_ENCODING_GGML, NNWASM_TARGET_CPU, &not_json);
  const char* path[] = {tiny_model().c_str()};
  EXPECT_EQ(backend()->load_file(path, 1, &bad, &graph.g), NNWASM_INVALID_ENCODING);
}

TEST(LlamaPlugin, GreedyComputeEqualsLlamaCppAndNPredictIsHonoured) {
  const auto p = reference_params(kPrompt, 24);
  const ReferenceResult ref = greedy_reference(p);
  ASSERT_FALSE(ref.text.empty());
  ASSERT_EQ(ref.output_tokens, 24) << "the tiny model should not end this early";
  Llm llm;
  ASSERT_EQ(llm.metadata(greedy_metadata(p)), NNWASM_SUCCESS) << last_error();
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS) << last_error();
  ASSERT_EQ(llm.compute(), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(llm.text(), ref.text);
  const auto counts = llm.counts();
  EXPECT_EQ(counts["input_tokens"], ref.input_tokens);
  EXPECT_EQ(counts["output_tokens"], 24);
}

TEST(LlamaPlugin, StreamedPiecesConcatenateToTheComputedText) {
  const auto p = reference_params(kPrompt, 20);
  const ReferenceResult ref = greedy_reference(p);
  Llm llm;
  ASSERT_EQ(llm.metadata(greedy_metadata(p)), NNWASM_SUCCESS) << last_error();
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
  const Stream s = stream(llm);
  // One token per call: 20 calls return 0, the 21st reports the end.
  ASSERT_EQ(s.codes.size(), 21u);
  EXPECT_EQ(s.codes.back(), NNWASM_END_OF_SEQUENCE);
  EXPECT_EQ(s.text(), ref.text);
  EXPECT_EQ(llm.text(), ref.text);
  EXPECT_EQ(llm.counts()["output_tokens"], 20);
  // A new compute_single after the end keeps reporting the end until fini_single.
  EXPECT_EQ(llm.compute_single(), NNWASM_END_OF_SEQUENCE);
  ASSERT_EQ(backend()->fini_single(llm.ctx.c), NNWASM_SUCCESS);
  EXPECT_EQ(stream(llm).text(), ref.text);
}

TEST(LlamaPlugin, PromptsLongerThanTheBatchAreDecodedInChunks) {
  std::string prompt;
  for (int i = 0; i < 12; ++i) prompt += kOtherPrompt + " red, green and blue. ";
  auto p = reference_params(prompt, 12);
  p.batch_size = 16;
  const ReferenceResult ref = greedy_reference(p);
  ASSERT_GT(ref.input_tokens, 3 * p.batch_size);
  Llm llm;
  ASSERT_EQ(llm.metadata(greedy_metadata(p)), NNWASM_SUCCESS) << last_error();
  ASSERT_EQ(llm.prompt(prompt), NNWASM_SUCCESS);
  ASSERT_EQ(llm.compute(), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(llm.text(), ref.text);
}

TEST(LlamaPlugin, SetInputTwiceKeepsOnlyTheSecondPromptAndItsCounts) {
  const auto p = reference_params(kOtherPrompt, 10);
  const ReferenceResult ref = greedy_reference(p);
  Llm llm;
  ASSERT_EQ(llm.metadata(greedy_metadata(p)), NNWASM_SUCCESS);
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
  ASSERT_EQ(llm.compute(), NNWASM_SUCCESS);
  ASSERT_EQ(llm.prompt(kOtherPrompt), NNWASM_SUCCESS);
  // Valid before compute: the new prompt's tokens, nothing generated yet, the build identity.
  auto counts = llm.counts();
  EXPECT_EQ(counts["input_tokens"], ref.input_tokens);
  EXPECT_EQ(counts["output_tokens"], 0);
  EXPECT_EQ(counts["llama_build_number"], NNWASM_LLAMA_BUILD_NUMBER);
  EXPECT_EQ(counts["llama_commit"], NNWASM_LLAMA_COMMIT);
  EXPECT_EQ(counts.size(), 4u);
  EXPECT_EQ(llm.text(), "");
  ASSERT_EQ(llm.compute(), NNWASM_SUCCESS);
  EXPECT_EQ(llm.text(), ref.text);  // the KV cache held nothing of the first prompt
  EXPECT_EQ(llm.counts()["input_tokens"], ref.input_tokens);
}

TEST(LlamaPlugin, MetadataIsValidJsonBeforeAnyPrompt) {
  Llm llm;
  const auto counts = llm.counts();
  EXPECT_EQ(counts["input_tokens"], 0);
  EXPECT_EQ(counts["output_tokens"], 0);
  EXPECT_EQ(llm.compute(), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "set input 0")) << last_error();
}

TEST(LlamaPlugin, TinyContextIsContextFullWithTheTextSoFarAndALargerOneTakesEffect) {
  auto p = reference_params(kOtherPrompt, -1, 24);
  const ReferenceResult ref = greedy_reference(p);
  ASSERT_TRUE(ref.context_full);
  Llm llm;
  ASSERT_EQ(llm.metadata(greedy_metadata(p)), NNWASM_SUCCESS);
  ASSERT_EQ(llm.prompt(kOtherPrompt), NNWASM_SUCCESS);
  EXPECT_EQ(llm.compute(), NNWASM_CONTEXT_FULL);
  EXPECT_TRUE(contains(last_error(), "ctx-size")) << last_error();
  EXPECT_EQ(llm.text(), ref.text);
  EXPECT_EQ(llm.counts()["output_tokens"], 24 - ref.input_tokens);

  // ctx-size changed on input 1 takes effect at the next compute (WasmEdge ignores it).
  p.ctx_size = 40;
  const ReferenceResult larger = greedy_reference(p);
  ASSERT_EQ(llm.metadata("{\"ctx-size\":40}"), NNWASM_SUCCESS);
  EXPECT_EQ(llm.compute(), NNWASM_CONTEXT_FULL);
  EXPECT_EQ(llm.text(), larger.text);
  EXPECT_EQ(llm.counts()["output_tokens"], 40 - ref.input_tokens);

  // Streaming reports the same code once the context is full.
  ASSERT_EQ(llm.metadata("{\"ctx-size\":24}"), NNWASM_SUCCESS);
  const Stream s = stream(llm);
  EXPECT_EQ(s.codes.back(), NNWASM_CONTEXT_FULL);
  EXPECT_EQ(s.text(), ref.text);
}

TEST(LlamaPlugin, PromptLongerThanContextMinusFourIsPromptTooLong) {
  Llm llm;
  ASSERT_EQ(llm.metadata("{\"ctx-size\":16,\"temp\":0}"), NNWASM_SUCCESS);
  std::string prompt;
  for (int i = 0; i < 4; ++i) prompt += kPrompt;
  ASSERT_EQ(llm.prompt(prompt), NNWASM_SUCCESS);
  EXPECT_EQ(llm.compute(), NNWASM_PROMPT_TOO_LONG);
  EXPECT_EQ(llm.compute_single(), NNWASM_PROMPT_TOO_LONG);
  // 12 tokens fit a 16-token context, 13 do not.
  ASSERT_EQ(
      llm.metadata("{\"ctx-size\":" + std::to_string(llm.counts()["input_tokens"].get<int>() + 4) +
                   ",\"n-predict\":1}"),
      NNWASM_SUCCESS);
  EXPECT_EQ(llm.compute(), NNWASM_SUCCESS) << last_error();
}

TEST(LlamaPlugin, GrammarConstrainsTheOutputAndEndsWithEndOfSequence) {
  Llm llm;
  ASSERT_EQ(
      llm.metadata(R"({"temp":0,"n-predict":50,"grammar":"root ::= (\"yes\" | \"no\") \".\""})"),
      NNWASM_SUCCESS)
      << last_error();
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
  ASSERT_EQ(llm.compute(), NNWASM_SUCCESS) << last_error();
  const std::string text = llm.text();
  EXPECT_TRUE(text == "yes." || text == "no.") << text;
  // The end token is what stopped it: streaming reports end_of_sequence right after the text.
  const Stream s = stream(llm);
  EXPECT_EQ(s.text(), text);
  EXPECT_EQ(s.codes.back(), NNWASM_END_OF_SEQUENCE);
  EXPECT_EQ(llm.counts()["output_tokens"].get<int>(), static_cast<int>(s.codes.size()));

  ASSERT_EQ(llm.metadata(R"({"grammar":"root ::= ("})"), NNWASM_SUCCESS);
  EXPECT_EQ(llm.compute(), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "grammar")) << last_error();
  // llama.cpp's own reason is part of the message (its parser prints the details on stderr).
  EXPECT_TRUE(contains(last_error(), "failed to parse grammar")) << last_error();
}

TEST(LlamaPlugin, JsonSchemaBecomesAGrammar) {
  Llm llm;
  const std::string schema =
      R"({"type":"object","properties":{"n":{"type":"integer","minimum":0,"maximum":99}},)"
      R"("required":["n"],"additionalProperties":false})";
  ASSERT_EQ(llm.metadata(R"({"temp":0,"n-predict":64,"json-schema":)" + schema + "}"),
            NNWASM_SUCCESS)
      << last_error();
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
  ASSERT_EQ(llm.compute(), NNWASM_SUCCESS) << last_error();
  const auto doc = nlohmann::json::parse(llm.text(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << llm.text();
  ASSERT_TRUE(doc.contains("n")) << llm.text();
  EXPECT_TRUE(doc["n"].is_number_integer()) << llm.text();
  EXPECT_EQ(doc.size(), 1u);
}

TEST(LlamaPlugin, ReversePromptStopsRightAfterItAppears) {
  const auto p = reference_params(kPrompt, 30);
  const ReferenceResult ref = greedy_reference(p);
  // A stop string taken from the reference's 10th piece: generation ends on that piece.
  size_t stop_at = 9;
  while (stop_at < ref.pieces.size() && ref.pieces[stop_at].size() < 2) ++stop_at;
  ASSERT_LT(stop_at, ref.pieces.size());
  const std::string stop = ref.pieces[stop_at];
  std::string expected;
  for (const auto& piece : ref.pieces) {
    expected += piece;
    if (expected.find(stop) != std::string::npos) break;
  }
  Llm llm;
  nlohmann::json meta = nlohmann::json::parse(greedy_metadata(p));
  meta["reverse-prompt"] = stop;
  ASSERT_EQ(llm.metadata(meta.dump()), NNWASM_SUCCESS) << last_error();
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
  ASSERT_EQ(llm.compute(), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(llm.text(), expected);
  EXPECT_LT(llm.text().size(), ref.text.size());
}

TEST(LlamaPlugin, MultiByteCharactersSplitAcrossTokensArriveWhole) {
  // The vocabulary has no token for this emoji: it comes as four byte tokens.
  const std::string llama = "\xF0\x9F\xA6\x99";
  Llm llm;
  ASSERT_EQ(
      llm.metadata(R"({"temp":0,"n-predict":20,"grammar":"root ::= \")" + llama + R"(\" \"!\""})"),
      NNWASM_SUCCESS)
      << last_error();
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
  const Stream s = stream(llm);
  EXPECT_EQ(s.text(), llama + "!");
  ASSERT_GE(s.pieces.size(), 4u) << "expected byte tokens";
  for (const auto& piece : s.pieces) {
    EXPECT_TRUE(piece.empty() || piece == llama || piece == "!" || piece == llama + "!")
        << "half a character handed out: " << piece.size() << " bytes";
  }
}

TEST(LlamaPlugin, Utf8CompletePrefixHoldsBackOnlyAnUnfinishedCharacter) {
  using llama_backend::utf8_complete_prefix;
  EXPECT_EQ(utf8_complete_prefix("abc"), 3u);
  EXPECT_EQ(utf8_complete_prefix("a\xE2\x82"), 1u);      // € missing its last byte
  EXPECT_EQ(utf8_complete_prefix("a\xE2\x82\xAC"), 4u);  // whole €
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\xA6"), 0u);   // 3 of 4 bytes
  EXPECT_EQ(utf8_complete_prefix("\x80\x80"), 2u);       // stray continuations pass
  EXPECT_EQ(utf8_complete_prefix("\xE2"
                                 "a"),
            2u);  // broken sequence passes
  EXPECT_EQ(utf8_complete_prefix(""), 0u);
}

TEST(LlamaPlugin, EmbeddingModeReturnsANormalizedVectorOfTheModelWidth) {
  Llm llm(R"({"embedding":true})");
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
  ASSERT_EQ(llm.compute(), NNWASM_SUCCESS) << last_error();
  const auto first = nlohmann::json::parse(llm.text());
  const int width = tiny_model_facts()["n_embd"].get<int>();
  EXPECT_EQ(first["n_embedding"], width);
  ASSERT_EQ(first["embedding"].size(), static_cast<size_t>(width));
  double norm = 0;
  for (const auto& v : first["embedding"]) norm += v.get<double>() * v.get<double>();
  EXPECT_NEAR(norm, 1.0, 1e-4);
  ASSERT_EQ(llm.prompt(kOtherPrompt), NNWASM_SUCCESS);
  ASSERT_EQ(llm.compute(), NNWASM_SUCCESS);
  EXPECT_NE(nlohmann::json::parse(llm.text())["embedding"], first["embedding"]);
  EXPECT_EQ(llm.compute_single(), NNWASM_UNSUPPORTED_OPERATION);
}

TEST(LlamaPlugin, EncoderEmbeddingModelsEmbedButDoNotGenerate) {
  const std::string bert = model_path("tiny-bert.gguf");
  const auto facts = nlohmann::json::parse(read_file(model_path("tiny-bert.json")));
  Llm embed(R"({"embedding":true})", bert);
  ASSERT_EQ(embed.prompt("hello world"), NNWASM_SUCCESS) << last_error();
  ASSERT_EQ(embed.compute(), NNWASM_SUCCESS) << last_error();
  const auto doc = nlohmann::json::parse(embed.text());
  EXPECT_EQ(doc["n_embedding"], facts["n_embd"]);
  double norm = 0;
  for (const auto& v : doc["embedding"]) norm += v.get<double>() * v.get<double>();
  EXPECT_NEAR(norm, 1.0, 1e-4);
  // A BERT model has no language-model head: generating must be an error, not an abort.
  Llm generate(R"({"temp":0,"n-predict":4})", bert);
  ASSERT_EQ(generate.prompt("hello world"), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(generate.compute(), NNWASM_UNSUPPORTED_OPERATION);
  EXPECT_TRUE(contains(last_error(), "cannot generate text")) << last_error();
  EXPECT_EQ(generate.compute_single(), NNWASM_UNSUPPORTED_OPERATION);
}

TEST(LlamaPlugin, BadMetadataAndInputsGetPreciseCodes) {
  Llm llm;
  EXPECT_EQ(llm.metadata("{\"n-predict\":"), NNWASM_INVALID_ENCODING);
  EXPECT_EQ(llm.metadata(R"({"n-predict":"ten"})"), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "n-predict")) << last_error();
  EXPECT_EQ(llm.metadata(R"({"temp":true})"), NNWASM_INVALID_ARGUMENT);
  EXPECT_EQ(llm.metadata(R"({"seed":18446744073709551615})"), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "out of range")) << last_error();
  EXPECT_EQ(llm.metadata("[1,2]"), NNWASM_INVALID_ARGUMENT);
  EXPECT_EQ(llm.metadata(R"({"some-future-key":1,"n-predict":3,"temp":0})"), NNWASM_SUCCESS);
  EXPECT_EQ(llm.prompt(""), NNWASM_INVALID_ARGUMENT);
  EXPECT_EQ(llm.input(2, "x"), NNWASM_INVALID_ARGUMENT);
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
  ASSERT_EQ(llm.compute(), NNWASM_SUCCESS);
  EXPECT_EQ(llm.counts()["output_tokens"], 3);  // the bad metadata changed nothing
  nnwasm_output out{};
  EXPECT_EQ(backend()->get_output(llm.ctx.c, 2, &out), NNWASM_INVALID_ARGUMENT);
}

TEST(LlamaPlugin, LoadConfigIsEveryContextsDefaultAndGuestBytesLoadToo) {
  const auto p = reference_params(kOtherPrompt, 7);
  const ReferenceResult ref = greedy_reference(p);
  const std::string config = greedy_metadata(p);
  // The model's bytes as a guest would pass them (no file on the host side).
  const auto bytes = read_file(tiny_model());
  plugin_test::Graph graph(backend());
  const auto opts = load_options(NNWASM_ENCODING_GGML, NNWASM_TARGET_CPU, &config);
  const nnwasm_bytes builder{bytes.data(), bytes.size()};
  ASSERT_EQ(backend()->load(&builder, 1, &opts, &graph.g), NNWASM_SUCCESS) << last_error();
  plugin_test::Context ctx(backend());
  make_context(graph, ctx);
  const nnwasm_tensor prompt = text_tensor(kOtherPrompt);
  ASSERT_EQ(backend()->set_input(ctx.c, 0, &prompt), NNWASM_SUCCESS);
  ASSERT_EQ(backend()->compute(ctx.c), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(Llm::as_string(output_bytes(ctx, 0)), ref.text);
}

TEST(LlamaPlugin, ReloadingFiveTimesGivesTheSameText) {
  const auto p = reference_params(kPrompt, 8);
  const ReferenceResult ref = greedy_reference(p);
  for (int i = 0; i < 5; ++i) {
    Llm llm(greedy_metadata(p));
    ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
    ASSERT_EQ(llm.compute(), NNWASM_SUCCESS) << last_error();
    EXPECT_EQ(llm.text(), ref.text) << "load " << i;
  }
}

// Mappings of the tiny model file in this process (llama.cpp mmaps the weights once per load).
size_t model_mappings() {
  std::ifstream maps("/proc/self/maps");
  size_t count = 0;
  for (std::string line; std::getline(maps, line);) count += contains(line, "tiny-llama.gguf");
  return count;
}

TEST(LlamaPlugin, GraphsOfOneFileShareTheWeightsButKeepTheirOwnConfig) {
  const size_t before = model_mappings();
  Llm three(R"({"n-predict":3,"temp":0})");
  const size_t one = model_mappings();
  ASSERT_GT(one, before) << "the weights should be mmapped from the file";
  Llm five(R"({"n-predict":5,"temp":0})");
  EXPECT_EQ(model_mappings(), one) << "a second graph of the same file mapped it again";
  ASSERT_EQ(three.prompt(kPrompt), NNWASM_SUCCESS);
  ASSERT_EQ(five.prompt(kPrompt), NNWASM_SUCCESS);
  ASSERT_EQ(three.compute(), NNWASM_SUCCESS);
  ASSERT_EQ(five.compute(), NNWASM_SUCCESS);
  EXPECT_EQ(three.counts()["output_tokens"], 3);
  EXPECT_EQ(five.counts()["output_tokens"], 5);
  EXPECT_EQ(five.text().rfind(three.text(), 0), 0u);  // greedy: the same start
}

TEST(LlamaPlugin, ContextsOfOneModelGenerateConcurrentlyAsAlone) {
  const auto p = reference_params(kPrompt, 16);
  const auto q = reference_params(kOtherPrompt, 16);
  const ReferenceResult ref_p = greedy_reference(p), ref_q = greedy_reference(q);
  Llm llm(greedy_metadata(p));
  plugin_test::Context second(backend());
  make_context(llm.graph, second);
  const nnwasm_tensor other = text_tensor(kOtherPrompt);
  ASSERT_EQ(backend()->set_input(second.c, 0, &other), NNWASM_SUCCESS);
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
  nnwasm_status a = NNWASM_RUNTIME_ERROR, b = NNWASM_RUNTIME_ERROR;
  std::thread ta([&] { a = llm.compute(); });
  std::thread tb([&] { b = backend()->compute(second.c); });
  ta.join();
  tb.join();
  ASSERT_EQ(a, NNWASM_SUCCESS);
  ASSERT_EQ(b, NNWASM_SUCCESS);
  EXPECT_EQ(llm.text(), ref_p.text);
  EXPECT_EQ(Llm::as_string(output_bytes(second, 0)), ref_q.text);
}

// ---- limits on what a guest may ask (hardening) ----

TEST(LlamaInputs, AFailedSetInputChangesNothingMidStream) {
  // Streams 8 tokens with two failing set_input calls after the third: bad metadata (a value
  // of the wrong type after a good key) and an empty prompt. The text is the same as without
  // them, token for token: no setting half applied, the sequence not restarted.
  const ReferenceParams p = reference_params("Once upon a time", 8, 128);
  Llm alone, interrupted;
  for (Llm* llm : {&alone, &interrupted}) {
    ASSERT_EQ(llm->metadata(greedy_metadata(p)), NNWASM_SUCCESS) << last_error();
    ASSERT_EQ(llm->prompt(p.prompt), NNWASM_SUCCESS) << last_error();
  }
  for (int step = 0; step < 8; ++step) {
    ASSERT_EQ(alone.compute_single(), NNWASM_SUCCESS) << last_error();
    ASSERT_EQ(interrupted.compute_single(), NNWASM_SUCCESS) << last_error();
    if (step == 2) {
      EXPECT_EQ(interrupted.metadata(R"({"temp":1.5,"top-k":"many"})"), NNWASM_INVALID_ARGUMENT);
      EXPECT_NE(std::string(last_error()).find("top-k"), std::string::npos) << last_error();
      EXPECT_EQ(interrupted.prompt(""), NNWASM_INVALID_ARGUMENT);
    }
    EXPECT_EQ(interrupted.piece(), alone.piece()) << "step " << step;
  }
  EXPECT_EQ(interrupted.text(), alone.text());
}

TEST(LlamaLimits, DeeplyNestedGrammarsAndSchemasAreRefusedBeforeLlamaCppRecurses) {
  Llm llm;
  const std::string deep_grammar =
      "root ::= " + std::string(20000, '(') + "\"a\"" + std::string(20000, ')');
  EXPECT_EQ(llm.metadata(nlohmann::json{{"grammar", deep_grammar}}.dump()),
            NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "grammar's parentheses nests 20000 levels deep; at most 128"))
      << last_error();
  std::string deep_schema;
  for (int i = 0; i < 20000; ++i) deep_schema += R"({"type":"array","items":)";
  deep_schema += R"({"type":"string"})" + std::string(20000, '}');
  // As a string, and as the object itself inside the metadata.
  EXPECT_EQ(llm.metadata(nlohmann::json{{"json-schema", deep_schema}}.dump()),
            NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "json-schema nests 20001 levels deep")) << last_error();
  EXPECT_EQ(llm.metadata("{\"json-schema\":" + deep_schema + "}"), NNWASM_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(last_error(), "the metadata JSON nests 20002 levels deep")) << last_error();
  // Brackets inside GBNF strings and character classes are not nesting.
  EXPECT_EQ(llm.metadata(nlohmann::json{{"grammar", "root ::= \"((((\" [(]+"}}.dump()),
            NNWASM_SUCCESS)
      << last_error();
  // A failed metadata left the context as it was: it still generates.
  ASSERT_EQ(llm.metadata(R"({"n-predict":4,"temp":0,"grammar":""})"), NNWASM_SUCCESS);
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
  EXPECT_EQ(llm.compute(), NNWASM_SUCCESS) << last_error();
}

TEST(LlamaLimits, CtxSizeBeyondTheTrainingContextIsClampedAndThreadsToTheCpus) {
  Llm llm;
  ASSERT_EQ(llm.metadata(R"({"ctx-size":2147483647,"threads":1024,"n-predict":4,"temp":0})"),
            NNWASM_SUCCESS);
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS) << last_error();  // allocates the context
  EXPECT_EQ(llm.compute(), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(llm.counts()["output_tokens"], 4);
  // Unclamped, the KV cache alone took over 8 GB here.
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  EXPECT_LT(usage.ru_maxrss, 2L * 1024 * 1024) << "peak RSS KiB";
}

TEST(LlamaLimits, AHugePromptIsPromptTooLongWithoutBeingTokenized) {
  Llm llm;
  ASSERT_EQ(llm.metadata(R"({"temp":0})"), NNWASM_SUCCESS);
  const std::string huge(64u << 20, 'a');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(llm.prompt(huge), NNWASM_SUCCESS) << last_error();
  EXPECT_EQ(llm.compute(), NNWASM_PROMPT_TOO_LONG);
  EXPECT_EQ(llm.compute_single(), NNWASM_PROMPT_TOO_LONG);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // A normal prompt afterwards is served.
  ASSERT_EQ(llm.metadata(R"({"n-predict":2,"temp":0})"), NNWASM_SUCCESS);
  ASSERT_EQ(llm.prompt(kPrompt), NNWASM_SUCCESS);
  EXPECT_EQ(llm.compute(), NNWASM_SUCCESS) << last_error();
}

}  // namespace
}  // namespace nnwasm::llama_test
