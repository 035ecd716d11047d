/* Test-only backend plugin that exercises the plugin mechanism with real arithmetic: a model is
 * the text "<MAGIC> <scale> <bias>" and compute maps one f32 tensor x to scale * x + bias.
 * Built several times with different names/magics (and one with a wrong ABI version) so that
 * tests can load two plugins with identical symbols side by side. */
#include <nnwasm/backend.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef AFFINE_NAME
#define AFFINE_NAME "affine"
#endif
#ifndef AFFINE_MAGIC
#define AFFINE_MAGIC "AFFINE"
#endif
#ifndef AFFINE_ABI_VERSION
#define AFFINE_ABI_VERSION NNWASM_BACKEND_ABI_VERSION
#endif

static _Thread_local char last_message[256];

static nnwasm_status fail(nnwasm_status code, const char* message) {
  snprintf(last_message, sizeof last_message, "%s", message);
  return code;
}

struct nnwasm_graph {
  float scale, bias;
};
struct nnwasm_context {
  struct nnwasm_graph* graph;
  float* input;
  float* output;
  size_t count;
  int has_input;
};

static nnwasm_status probe(nnwasm_device* out, uint32_t cap, uint32_t* count) {
  if (count == NULL) return fail(NNWASM_INVALID_ARGUMENT, "probe: count is NULL");
  *count = 1;
  if (cap >= 1 && out != NULL) {
    out[0].target = NNWASM_TARGET_CPU;
    out[0].index = 0;
    snprintf(out[0].name, sizeof out[0].name, "cpu");
  }
  return NNWASM_SUCCESS;
}

static nnwasm_status sniff(const uint8_t* data, size_t size, uint32_t* confidence) {
  if (confidence == NULL) return fail(NNWASM_INVALID_ARGUMENT, "sniff: confidence is NULL");
  size_t n = strlen(AFFINE_MAGIC);
  *confidence = size > n && memcmp(data, AFFINE_MAGIC, n) == 0 && data[n] == ' ' ? 100 : 0;
  return NNWASM_SUCCESS;
}

static nnwasm_status load(const nnwasm_bytes* builders, uint32_t count,
                          const nnwasm_load_options* options, nnwasm_graph** out) {
  (void)options;
  uint32_t confidence = 0;
  if (out == NULL) return fail(NNWASM_INVALID_ARGUMENT, "load: out is NULL");
  if (count != 1 || builders == NULL)
    return fail(NNWASM_INVALID_ARGUMENT, "expected exactly one builder");
  if (builders[0].data == NULL) return fail(NNWASM_INVALID_ENCODING, "the builder is empty");
  sniff(builders[0].data, builders[0].size, &confidence);
  if (confidence == 0) return fail(NNWASM_INVALID_ENCODING, "not an " AFFINE_MAGIC " model");
  char text[128];
  size_t n = builders[0].size < sizeof text - 1 ? builders[0].size : sizeof text - 1;
  memcpy(text, builders[0].data, n);
  text[n] = '\0';
  struct nnwasm_graph graph;
  if (sscanf(text + strlen(AFFINE_MAGIC), "%f %f", &graph.scale, &graph.bias) != 2) {
    return fail(NNWASM_INVALID_ENCODING, "corrupt model: expected '" AFFINE_MAGIC " scale bias'");
  }
  *out = malloc(sizeof graph);
  if (*out == NULL) return fail(NNWASM_RUNTIME_ERROR, "out of memory");
  **out = graph;
  return NNWASM_SUCCESS;
}

// Named models arrive as files: read the (tiny) file and load its bytes.
static nnwasm_status load_file(const char* const* paths, uint32_t count,
                               const nnwasm_load_options* options, nnwasm_graph** out) {
  if (count != 1 || paths == NULL || paths[0] == NULL)
    return fail(NNWASM_INVALID_ARGUMENT, "expected exactly one model file");
  FILE* f = fopen(paths[0], "rb");
  if (f == NULL) return fail(NNWASM_MODEL_NOT_FOUND, "cannot open the model file");
  uint8_t text[128];
  size_t n = fread(text, 1, sizeof text, f);
  fclose(f);
  nnwasm_bytes bytes = {text, n};
  return load(&bytes, 1, options, out);
}

static void graph_free(nnwasm_graph* graph) {
  free(graph);
}

static nnwasm_status context_create(nnwasm_graph* graph, nnwasm_context** out) {
  if (graph == NULL || out == NULL)
    return fail(NNWASM_INVALID_ARGUMENT, "context_create: graph or out is NULL");
  *out = calloc(1, sizeof **out);
  if (*out == NULL) return fail(NNWASM_RUNTIME_ERROR, "out of memory");
  (*out)->graph = graph;
  return NNWASM_SUCCESS;
}

static void context_free(nnwasm_context* c) {
  if (c == NULL) return;
  free(c->input);
  free(c->output);
  free(c);
}

static nnwasm_status set_input(nnwasm_context* c, uint32_t index, const nnwasm_tensor* t) {
  if (c == NULL || t == NULL) return fail(NNWASM_INVALID_ARGUMENT, "set_input: NULL argument");
  if (index != 0) return fail(NNWASM_INVALID_ARGUMENT, "input index out of range (model has 1)");
  if (t->type != NNWASM_TENSOR_F32) return fail(NNWASM_INVALID_ARGUMENT, "input must be f32");
  size_t elements = 1;
  for (uint32_t i = 0; i < t->rank; ++i) elements *= t->dims[i];
  if (elements * 4 != t->size)
    return fail(NNWASM_INVALID_ARGUMENT, "byte size does not match dims");
  float* input = realloc(c->input, t->size ? t->size : 1);
  if (input == NULL) return fail(NNWASM_RUNTIME_ERROR, "out of memory");
  memcpy(input, t->data, t->size);
  c->input = input;
  c->count = elements;
  c->has_input = 1;
  return NNWASM_SUCCESS;
}

static nnwasm_status compute(nnwasm_context* c) {
  if (c == NULL) return fail(NNWASM_INVALID_ARGUMENT, "compute: context is NULL");
  if (!c->has_input) return fail(NNWASM_INVALID_ARGUMENT, "input 0 is not set");
  float* output = realloc(c->output, c->count * 4 + 1);
  if (output == NULL) return fail(NNWASM_RUNTIME_ERROR, "out of memory");
  for (size_t i = 0; i < c->count; ++i) output[i] = c->graph->scale * c->input[i] + c->graph->bias;
  c->output = output;
  return NNWASM_SUCCESS;
}

static nnwasm_status get_output(nnwasm_context* c, uint32_t index, nnwasm_output* out) {
  if (c == NULL || out == NULL) return fail(NNWASM_INVALID_ARGUMENT, "get_output: NULL argument");
  if (index != 0) return fail(NNWASM_INVALID_ARGUMENT, "output index out of range (model has 1)");
  if (c->output == NULL) return fail(NNWASM_INVALID_ARGUMENT, "no output: compute first");
  out->data = (const uint8_t*)c->output;
  out->size = c->count * 4;
  return NNWASM_SUCCESS;
}

static const char* last_error(void) {
  return last_message;
}

static const nnwasm_encoding encodings[] = {NNWASM_ENCODING_OPENVINO};

/* What nnwasm reads without loading the plugin; the "scale" build has none, to test that
 * plugins without one are opened instead. */
#ifdef AFFINE_MANIFEST_ABI
#ifndef AFFINE_MANIFEST_ENCODINGS
#define AFFINE_MANIFEST_ENCODINGS "0" /* what the descriptor says; the liar plugin says more */
#endif
NNWASM_BACKEND_MANIFEST("nnwasm-backend abi=" AFFINE_MANIFEST_ABI " name=" AFFINE_NAME
                        " encodings=" AFFINE_MANIFEST_ENCODINGS " magic=" AFFINE_MAGIC_HEX);
#endif

static const nnwasm_backend backend = {
    .abi_version = AFFINE_ABI_VERSION,
    .struct_size = sizeof(nnwasm_backend),
    .name = AFFINE_NAME,
    .version = "1.0 (test plugin)",
    .encodings = encodings,
    .encoding_count = 1,
    .flags = NNWASM_BACKEND_GRAPH_REENTRANT,
    .priority = 0,
    .probe = probe,
    .sniff = sniff,
    .load = load,
    .load_file = load_file,
    .graph_free = graph_free,
    .context_create = context_create,
    .context_free = context_free,
    .set_input = set_input,
    .compute = compute,
    .get_output = get_output,
    .compute_single = NULL,
    .get_output_single = NULL,
    .fini_single = NULL,
    .last_error = last_error,
};

__attribute__((visibility("default"))) const nnwasm_backend* nnwasm_backend_entry(void) {
  return &backend;
}
