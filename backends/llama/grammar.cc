// json-schema -> GBNF through llama.cpp's own converter (llama-common), so a schema constrains
// generation exactly as llama.cpp's tools do. The only file that sees llama-common.
#include <json-schema-to-grammar.h>

#include <exception>

#include "llama_backend.h"

namespace nnwasm::llama_backend {

std::string grammar_from_json_schema(const std::string& schema) {
  const common_json doc = common_json::parse_no_throw(schema);
  if (doc.is_discarded()) throw Error{NNWASM_INVALID_ARGUMENT, "json-schema is not valid JSON"};
  try {
    return json_schema_to_grammar(doc);
  } catch (const std::exception& e) {
    throw Error{NNWASM_INVALID_ARGUMENT, std::string("json-schema: ") + e.what()};
  }
}

}  // namespace nnwasm::llama_backend
