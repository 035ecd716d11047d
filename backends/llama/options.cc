// Parsing of the metadata JSON (docs/abi.md section 5) with nlohmann::json; no llama.cpp here.
#include "options.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "../common/plugin_support.h"

namespace nnwasm::llama_backend {

namespace {

using nlohmann::json;
using plugin_support::Error;

[[noreturn]] void wrong_type(const std::string& key, const char* expected, const json& value) {
  std::string shown = value.dump();  // the metadata's depth is bounded: dump cannot recurse deep
  if (shown.size() > 200) shown = shown.substr(0, 200) + "...";
  throw Error{NNWASM_INVALID_ARGUMENT,
              "metadata key '" + key + "' must be " + expected + ", got " + shown};
}

// Deepest nesting of `open`/`close` in `text`, outside "..." strings (with \ escapes) and,
// when `classes`, outside [...] character classes (GBNF). Iterative: this is how nesting that
// would make llama.cpp's recursive parsers overflow the stack is refused before they run.
size_t nesting_depth(std::string_view text, std::string_view open, std::string_view close,
                     bool classes) {
  size_t depth = 0, deepest = 0;
  char quote = 0;  // '"' inside a string, ']' inside a class
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"') {
      quote = '"';
    } else if (classes && c == '[') {
      quote = ']';
    } else if (open.find(c) != std::string_view::npos) {
      deepest = std::max(deepest, ++depth);
    } else if (close.find(c) != std::string_view::npos && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

void check_depth(const char* what, size_t depth, size_t limit) {
  if (depth > limit) {
    throw Error{NNWASM_INVALID_ARGUMENT, std::string(what) + " nests " + std::to_string(depth) +
                                             " levels deep; at most " + std::to_string(limit) +
                                             " are allowed"};
  }
}

// An integer in [lo, hi]; JSON floats with an integral value (2.0) are accepted.
int64_t integer(const std::string& key, const json& value, int64_t lo, int64_t hi) {
  double number = 0;
  if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{INT64_MAX}) {
    number = static_cast<double>(value.get<uint64_t>());  // out of every range below
  } else if (value.is_number_integer()) {
    number = static_cast<double>(value.get<int64_t>());
  } else if (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>()) {
    number = value.get<double>();
  } else {
    wrong_type(key, "an integer", value);
  }
  if (number < static_cast<double>(lo) || number > static_cast<double>(hi)) {
    throw Error{NNWASM_INVALID_ARGUMENT, "metadata key '" + key + "' = " + value.dump() +
                                             " is out of range [" + std::to_string(lo) + ", " +
                                             std::to_string(hi) + "]"};
  }
  return static_cast<int64_t>(number);
}

float real(const std::string& key, const json& value) {
  if (!value.is_number()) wrong_type(key, "a number", value);
  const double v = value.get<double>();
  if (!std::isfinite(v)) wrong_type(key, "a finite number", value);
  return static_cast<float>(v);
}

bool boolean(const std::string& key, const json& value) {
  if (!value.is_boolean()) wrong_type(key, "true or false", value);
  return value.get<bool>();
}

std::string text(const std::string& key, const json& value) {
  if (!value.is_string()) wrong_type(key, "a string", value);
  return value.get<std::string>();
}

// reverse-prompt: one string (WasmEdge) or a list of them; "" clears it.
std::vector<std::string> texts(const std::string& key, const json& value) {
  std::vector<std::string> out;
  if (value.is_string()) {
    if (!value.get<std::string>().empty()) out.push_back(value.get<std::string>());
    return out;
  }
  if (!value.is_array()) wrong_type(key, "a string or a list of strings", value);
  for (const auto& item : value) {
    if (!item.is_string() || item.get<std::string>().empty())
      wrong_type(key, "a list of non-empty strings", value);
    out.push_back(item.get<std::string>());
  }
  return out;
}

constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();
// Real grammars and schemas nest a few levels; these leave llama.cpp's recursion (about 1 KiB
// of stack per level) far from any thread's stack size.
constexpr size_t kMaxJsonDepth = 64;
constexpr size_t kMaxGrammarDepth = 128;

}  // namespace

void apply_options(const char* data, size_t size, Options& o) {
  // Before parsing: nlohmann's dump and llama.cpp's schema converter recurse per level.
  check_depth("the metadata JSON", nesting_depth({data, size}, "[{", "]}", false), kMaxJsonDepth);
  const json doc = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw Error{NNWASM_INVALID_ENCODING, "metadata is not valid JSON"};
  if (!doc.is_object()) {
    throw Error{NNWASM_INVALID_ARGUMENT,
                "metadata must be a JSON object, got " + std::string(doc.type_name())};
  }
  for (const auto& [key, value] : doc.items()) {
    if (key == "n-gpu-layers") {
      o.n_gpu_layers = static_cast<int32_t>(integer(key, value, -1, kMaxInt));
    } else if (key == "use-mmap") {
      o.use_mmap = boolean(key, value);
    } else if (key == "ctx-size") {
      o.ctx_size = static_cast<uint32_t>(integer(key, value, 0, kMaxInt));
    } else if (key == "batch-size") {
      o.batch_size = static_cast<uint32_t>(integer(key, value, 1, kMaxInt));
    } else if (key == "ubatch-size") {
      o.ubatch_size = static_cast<uint32_t>(integer(key, value, 1, kMaxInt));
    } else if (key == "threads") {
      o.threads = static_cast<int32_t>(integer(key, value, 0, 1024));
    } else if (key == "threads-batch") {
      o.threads_batch = static_cast<int32_t>(integer(key, value, 0, 1024));
    } else if (key == "embedding") {
      o.embedding = boolean(key, value);
    } else if (key == "n-predict") {
      o.n_predict = static_cast<int32_t>(integer(key, value, -1, kMaxInt));
    } else if (key == "temp") {
      o.temp = real(key, value);
    } else if (key == "top-p") {
      o.top_p = real(key, value);
    } else if (key == "top-k") {
      o.top_k = static_cast<int32_t>(integer(key, value, 0, kMaxInt));
    } else if (key == "min-p") {
      o.min_p = real(key, value);
    } else if (key == "repeat-penalty") {
      o.repeat_penalty = real(key, value);
    } else if (key == "repeat-last-n") {
      o.repeat_last_n = static_cast<int32_t>(integer(key, value, -1, kMaxInt));
    } else if (key == "presence-penalty") {
      o.presence_penalty = real(key, value);
    } else if (key == "frequency-penalty") {
      o.frequency_penalty = real(key, value);
    } else if (key == "seed") {
      // WasmEdge guests send -1 (u32 max, llama.cpp's "random") as well as plain seeds.
      o.seed = static_cast<uint32_t>(integer(key, value, -1, 0xFFFFFFFFll));
    } else if (key == "reverse-prompt") {
      o.reverse_prompt = texts(key, value);
    } else if (key == "grammar") {
      o.grammar = text(key, value);
      check_depth("the grammar's parentheses", nesting_depth(o.grammar, "(", ")", true),
                  kMaxGrammarDepth);
    } else if (key == "json-schema") {
      // A schema object or its text; an empty one clears it.
      if (value.is_object()) {
        o.json_schema = value.dump();
      } else {
        o.json_schema = text(key, value);
        check_depth("json-schema", nesting_depth(o.json_schema, "[{", "]}", false), kMaxJsonDepth);
      }
    } else if (key == "stream-stdout") {
      o.stream_stdout = boolean(key, value);
    } else if (key == "enable-log") {
      o.enable_log = boolean(key, value);
    } else if (key == "enable-debug-log") {
      o.enable_debug_log = boolean(key, value);
    }
  }
  if (o.repeat_penalty <= 0) {
    throw Error{NNWASM_INVALID_ARGUMENT, "metadata key 'repeat-penalty' must be > 0 (1 = off)"};
  }
}

}  // namespace nnwasm::llama_backend
