/* Test-only backend plugin that exercises the plugin mechanism with real arithmetic: a model is
 * the text "<MAGIC> <scale> <bias> [spin]" and compute maps one f32 tensor x to scale * x + bias
 * ("spin": compute first waits, up to 10 s, for the host to cancel it, to test cancellation;
 * "abort": load aborts; "crash": compute raises SIGSEGV - to test the backend process).
 * load_by_name knows the names "<name>:<scale>:<bias>". Built several times with different
 * names/magics (and one for ABI 1) so that tests can load two plugins with identical symbols side
 * by side. Written in C against backend.h alone, as a third party would.
 * NNWASM_TEST_SHUTDOWN_LOG names a file that shutdown appends "shutdown <name>" to. */
#include <nnwasm/backend.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
static const nnwasm_host* host; /* from the entry point; may be NULL outside nnwasm */

static nnwasm_status fail(nnwasm_status code, const char* message) {
  snprintf(last_message, sizeof last_message, "%s", message);
  return code;
}

#define MAX_RANK 8

struct nnwasm_graph {
  float scale, bias;
  int spin;
  int crash; /* compute faults (SIGSEGV), as a framework on a corrupt model may */
};
struct nnwasm_context {
  struct nnwasm_graph* graph;
  void* host_token;
  float* input;
  float* output;
  size_t count;
  uint32_t rank, dims[MAX_RANK];
  int has_input;
};

static const int64_t any_length[] = {-1};

static nnwasm_status probe(nnwasm_device* out, uint32_t cap, uint32_t* count) {
  if (count == NULL) return fail(NNWASM_INVALID_ARGUMENT, "probe: count is NULL");
  *count = 1;
  if (cap >= 1 && out != NULL) {
    out[0].target = NNWASM_TARGET_CPU;
    out[0].index = 0;
    snprintf(out[0].name, sizeof out[0].name, "cpu");
  }
#ifdef AFFINE_GPU_MEMORY
  /* A pretend GPU of AFFINE_GPU_MEMORY bytes (the math runs on the CPU all the same), for the
   * core's per-device memory admission. */
  *count = 2;
  if (cap >= 2 && out != NULL) {
    out[1].target = NNWASM_TARGET_GPU;
    out[1].index = 0;
    snprintf(out[1].name, sizeof out[1].name, "test gpu");
  }
#endif
  return NNWASM_SUCCESS;
}

#ifdef AFFINE_GPU_MEMORY
static uint64_t device_memory(nnwasm_target target, int32_t index) {
  return target == NNWASM_TARGET_GPU && index == 0 ? AFFINE_GPU_MEMORY : 0;
}
#endif

static uint32_t confidence_of(const uint8_t* data, size_t size) {
  size_t n = strlen(AFFINE_MAGIC);
  return data != NULL && size > n && memcmp(data, AFFINE_MAGIC, n) == 0 && data[n] == ' ' ? 100 : 0;
}

static nnwasm_status sniff(const uint8_t* data, size_t size, nnwasm_sniff_result* out) {
  if (out == NULL) return fail(NNWASM_INVALID_ARGUMENT, "sniff: out is NULL");
  out->confidence = confidence_of(data, size);
  out->encoding = out->confidence ? NNWASM_ENCODING_OPENVINO : NNWASM_ENCODING_AUTODETECT;
  snprintf(out->format, sizeof out->format, "%s", out->confidence ? AFFINE_MAGIC " text" : "");
  return NNWASM_SUCCESS;
}

static nnwasm_status load(const nnwasm_bytes* builders, uint32_t count,
                          const nnwasm_load_options* options, nnwasm_graph** out) {
  if (out == NULL || options == NULL) return fail(NNWASM_INVALID_ARGUMENT, "load: NULL argument");
  if (count != 1 || builders == NULL)
    return fail(NNWASM_INVALID_ARGUMENT, "expected exactly one builder");
  if (builders[0].data == NULL) return fail(NNWASM_INVALID_ENCODING, "the builder is empty");
  if (confidence_of(builders[0].data, builders[0].size) == 0)
    return fail(NNWASM_INVALID_ENCODING, "not an " AFFINE_MAGIC " model");
  char text[128];
  size_t n = builders[0].size < sizeof text - 1 ? builders[0].size : sizeof text - 1;
  memcpy(text, builders[0].data, n);
  text[n] = '\0';
  struct nnwasm_graph graph;
  char mode[8] = "";
  int fields = sscanf(text + strlen(AFFINE_MAGIC), "%f %f %7s", &graph.scale, &graph.bias, mode);
  graph.spin = fields == 3 && strcmp(mode, "spin") == 0;
  graph.crash = fields == 3 && strcmp(mode, "crash") == 0;
  if (fields < 2) {
    return fail(NNWASM_INVALID_ENCODING, "corrupt model: expected '" AFFINE_MAGIC " scale bias'");
  }
  if (fields == 3 && strcmp(mode, "abort") == 0) abort(); /* as a framework's assert does */
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

/* "<name>:<scale>:<bias>" -> that graph; any other name is someone else's. */
static nnwasm_status load_by_name(const char* name, size_t len, const nnwasm_load_options* options,
                                  nnwasm_graph** out) {
  if (out == NULL || options == NULL || (name == NULL && len != 0))
    return fail(NNWASM_INVALID_ARGUMENT, "load_by_name: NULL argument");
  *out = NULL;
  const size_t prefix = strlen(AFFINE_NAME);
  char text[64];
  if (len <= prefix + 1 || len >= sizeof text || memcmp(name, AFFINE_NAME ":", prefix + 1) != 0)
    return fail(NNWASM_NOT_FOUND, "load_by_name: not a name of this backend");
  memcpy(text, name, len);
  text[len] = '\0';
  struct nnwasm_graph graph = {0, 0, 0, 0};
  char end;
  if (sscanf(text + prefix + 1, "%f:%f%c", &graph.scale, &graph.bias, &end) != 2)
    return fail(NNWASM_INVALID_ARGUMENT, "load_by_name: expected " AFFINE_NAME ":SCALE:BIAS");
  *out = malloc(sizeof graph);
  if (*out == NULL) return fail(NNWASM_RUNTIME_ERROR, "out of memory");
  **out = graph;
  return NNWASM_SUCCESS;
}

static void graph_free(nnwasm_graph* graph) {
  free(graph);
}

static nnwasm_status graph_io_count(nnwasm_graph* graph, nnwasm_io_kind kind, uint32_t* count) {
  if (graph == NULL || count == NULL) return fail(NNWASM_INVALID_ARGUMENT, "graph_io_count: NULL");
  if (kind > NNWASM_IO_OUTPUT) return fail(NNWASM_INVALID_ARGUMENT, "graph_io_count: bad kind");
  *count = 1;
  return NNWASM_SUCCESS;
}

static nnwasm_status graph_io(nnwasm_graph* graph, nnwasm_io_kind kind, uint32_t index,
                              nnwasm_tensor_desc* out) {
  if (graph == NULL || out == NULL) return fail(NNWASM_INVALID_ARGUMENT, "graph_io: NULL");
  if (kind > NNWASM_IO_OUTPUT || index != 0)
    return fail(NNWASM_INVALID_ARGUMENT, "graph_io: the model has one input and one output");
  out->name = kind == NNWASM_IO_INPUT ? "x" : "y";
  out->type = NNWASM_TENSOR_F32;
  out->rank = 1;
  out->dims = any_length;
  out->flags = 0;
  return NNWASM_SUCCESS;
}

static nnwasm_status context_create(nnwasm_graph* graph, const nnwasm_context_options* options,
                                    nnwasm_context** out) {
  if (graph == NULL || out == NULL)
    return fail(NNWASM_INVALID_ARGUMENT, "context_create: graph or out is NULL");
  *out = calloc(1, sizeof **out);
  if (*out == NULL) return fail(NNWASM_RUNTIME_ERROR, "out of memory");
  (*out)->graph = graph;
  if (options != NULL && NNWASM_HAS_FIELD(options, nnwasm_context_options, host_token))
    (*out)->host_token = options->host_token;
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
  if (t->rank > MAX_RANK) return fail(NNWASM_INVALID_ARGUMENT, "input rank over 8");
  if (t->rank > 0 && t->dims == NULL) return fail(NNWASM_INVALID_ARGUMENT, "dims is NULL");
  size_t elements = 1;
  for (uint32_t i = 0; i < t->rank; ++i) {
    if (t->dims[i] != 0 && elements > SIZE_MAX / 4 / t->dims[i])
      return fail(NNWASM_INVALID_ARGUMENT, "dims overflow");
    elements *= t->dims[i];
  }
  if (elements * 4 != t->size)
    return fail(NNWASM_INVALID_ARGUMENT, "byte size does not match dims");
  if (t->size > 0 && t->data == NULL) return fail(NNWASM_INVALID_ARGUMENT, "data is NULL");
  float* input = realloc(c->input, t->size ? t->size : 1);
  if (input == NULL) return fail(NNWASM_RUNTIME_ERROR, "out of memory");
  memcpy(input, t->data, t->size);
  c->input = input;
  c->count = elements;
  c->rank = t->rank;
  if (t->rank > 0) memcpy(c->dims, t->dims, t->rank * sizeof(uint32_t));
  c->has_input = 1;
  return NNWASM_SUCCESS;
}

static nnwasm_status compute(nnwasm_context* c) {
  if (c == NULL) return fail(NNWASM_INVALID_ARGUMENT, "compute: context is NULL");
  if (!c->has_input) return fail(NNWASM_INVALID_ARGUMENT, "input 0 is not set");
  if (c->graph->crash) raise(SIGSEGV);
  /* Polls the host's cancellation once, or (spin) every millisecond for up to 10 s, as a long
   * compute would. */
  for (int i = 0; i < (c->graph->spin ? 10000 : 1); ++i) {
    if (host != NULL && host->cancelled(c->host_token))
      return fail(NNWASM_RUNTIME_ERROR, "compute cancelled by the host");
    struct timespec ms = {0, 1000000};
    if (c->graph->spin) nanosleep(&ms, NULL);
  }
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
  out->type = NNWASM_TENSOR_F32;
  out->rank = c->rank;
  out->dims = c->dims;
  return NNWASM_SUCCESS;
}

static const char* last_error(void) {
  return last_message;
}

static void shutdown(void) {
  const char* log = getenv("NNWASM_TEST_SHUTDOWN_LOG");
  FILE* f = log != NULL ? fopen(log, "a") : NULL;
  if (f != NULL) {
    fprintf(f, "shutdown %s\n", AFFINE_NAME);
    fclose(f);
  }
  host = NULL;
}

static const nnwasm_encoding encodings[] = {NNWASM_ENCODING_OPENVINO};

/* What nnwasm reads without loading the plugin; the "scale" build has none, to test that
 * plugins without one are opened instead. */
#ifdef AFFINE_MANIFEST_ABI
#ifndef AFFINE_MANIFEST_ENCODINGS
#define AFFINE_MANIFEST_ENCODINGS "0" /* what the descriptor says; the liar plugin says more */
#endif
NNWASM_BACKEND_MANIFEST("nnwasm-backend abi=" AFFINE_MANIFEST_ABI " name=" AFFINE_NAME
                        " encodings=" AFFINE_MANIFEST_ENCODINGS " magic=" AFFINE_MAGIC_HEX
                        " names=1");
#endif

static const nnwasm_backend backend = {
    .abi_version = AFFINE_ABI_VERSION,
    .struct_size = sizeof(nnwasm_backend),
    .name = AFFINE_NAME,
    .version = "1.0 (test plugin)",
    .encodings = encodings,
    .encoding_count = 1,
    .flags = NNWASM_BACKEND_GRAPH_REENTRANT | NNWASM_BACKEND_CANCELLABLE,
    .priority = 0,
    .probe = probe,
    .sniff = sniff,
    .load = load,
    .load_file = load_file,
    .load_by_name = load_by_name,
    .graph_free = graph_free,
    .graph_io_count = graph_io_count,
    .graph_io = graph_io,
    .context_create = context_create,
    .context_free = context_free,
    .set_input = set_input,
    .compute = compute,
    .get_output = get_output,
    .compute_single = NULL,
    .get_output_single = NULL,
    .fini_single = NULL,
    .last_error = last_error,
    .shutdown = shutdown,
#ifdef AFFINE_GPU_MEMORY
    .device_memory = device_memory,
#endif
};

NNWASM_BACKEND_EXPORT const nnwasm_backend* nnwasm_backend_entry(const nnwasm_host* h) {
  host = h;
  return &backend;
}
