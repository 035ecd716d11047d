/* WASI-NN for C/C++ guests (wasm32-wasi): declarations of both import modules nnwasm serves,
 * `wasi_ephemeral_nn` (with WasmEdge's streaming and unload extensions) and the legacy
 * `wasi_nn` (WAMR's older ABI), with their enums and structs. Header-only; include and call.
 *
 *   graph g; graph_execution_context c;
 *   graph_builder b = {model_bytes, model_len};
 *   wasi_nn_load(&b, 1, WASI_NN_ENCODING_AUTODETECT_WASMEDGE, WASI_NN_TARGET_CPU, &g);
 *
 * Every function returns a wasi_nn_error (0 = success). Handles start at 0.
 */
#ifndef NNWASM_SDK_WASI_NN_H_
#define NNWASM_SDK_WASI_NN_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t wasi_nn_error;
enum {
  WASI_NN_SUCCESS = 0,
  WASI_NN_INVALID_ARGUMENT = 1,
  WASI_NN_INVALID_ENCODING = 2,
  WASI_NN_MISSING_MEMORY = 3,
  WASI_NN_BUSY = 4,
  WASI_NN_RUNTIME_ERROR = 5,
  WASI_NN_UNSUPPORTED_OPERATION = 6,
  WASI_NN_TOO_LARGE = 7,
  WASI_NN_NOT_FOUND = 8,
  WASI_NN_END_OF_SEQUENCE = 100, /* WasmEdge LLM extensions */
  WASI_NN_CONTEXT_FULL = 101,
  WASI_NN_PROMPT_TOO_LONG = 102,
  WASI_NN_MODEL_NOT_FOUND = 103
};

typedef uint32_t graph_encoding;
enum {
  WASI_NN_ENCODING_OPENVINO = 0,
  WASI_NN_ENCODING_ONNX = 1,
  WASI_NN_ENCODING_TENSORFLOW = 2,
  WASI_NN_ENCODING_PYTORCH = 3,
  WASI_NN_ENCODING_TENSORFLOWLITE = 4,
  /* 5 and 6 mean different things to WasmEdge and WAMR; nnwasm decides by the model bytes
   * (GGUF -> ggml, otherwise autodetect), so either spelling works. */
  WASI_NN_ENCODING_AUTODETECT_WASMEDGE = 5,
  WASI_NN_ENCODING_GGML_WASMEDGE = 6,
  WASI_NN_ENCODING_GGML_WAMR = 5,
  WASI_NN_ENCODING_AUTODETECT_WAMR = 6
};

typedef uint32_t execution_target;
enum {
  WASI_NN_TARGET_CPU = 0,
  WASI_NN_TARGET_GPU = 1,
  WASI_NN_TARGET_TPU = 2,
  WASI_NN_TARGET_AUTO = 3
};

typedef uint8_t tensor_type;
enum {
  WASI_NN_TYPE_F16 = 0,
  WASI_NN_TYPE_F32 = 1,
  WASI_NN_TYPE_F64 = 2,
  WASI_NN_TYPE_U8 = 3,
  WASI_NN_TYPE_I32 = 4,
  WASI_NN_TYPE_I64 = 5
};

typedef uint32_t graph;
typedef uint32_t graph_execution_context;

typedef struct graph_builder {
  const uint8_t* buf;
  uint32_t size;
} graph_builder;

/* 20 bytes: dims, rank, type (u8 + padding), data, data length in bytes. */
typedef struct tensor {
  const uint32_t* dims;
  uint32_t rank;
  tensor_type type;
  const uint8_t* data;
  uint32_t data_len;
} tensor;

#define WASI_NN_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

/* ---- wasi_ephemeral_nn ---------------------------------------------------------------------- */
WASI_NN_IMPORT("wasi_ephemeral_nn", "load")
wasi_nn_error wasi_nn_load(const graph_builder* builders, uint32_t count, graph_encoding encoding,
                           execution_target target, graph* out);
WASI_NN_IMPORT("wasi_ephemeral_nn", "load_by_name")
wasi_nn_error wasi_nn_load_by_name(const char* name, uint32_t name_len, graph* out);
WASI_NN_IMPORT("wasi_ephemeral_nn", "load_by_name_with_config")
wasi_nn_error wasi_nn_load_by_name_with_config(const char* name, uint32_t name_len,
                                               const char* config, uint32_t config_len, graph* out);
WASI_NN_IMPORT("wasi_ephemeral_nn", "init_execution_context")
wasi_nn_error wasi_nn_init_execution_context(graph g, graph_execution_context* out);
WASI_NN_IMPORT("wasi_ephemeral_nn", "set_input")
wasi_nn_error wasi_nn_set_input(graph_execution_context ctx, uint32_t index, const tensor* t);
WASI_NN_IMPORT("wasi_ephemeral_nn", "compute")
wasi_nn_error wasi_nn_compute(graph_execution_context ctx);
WASI_NN_IMPORT("wasi_ephemeral_nn", "get_output")
wasi_nn_error wasi_nn_get_output(graph_execution_context ctx, uint32_t index, uint8_t* out,
                                 uint32_t out_max, uint32_t* bytes_written);
WASI_NN_IMPORT("wasi_ephemeral_nn", "compute_single")
wasi_nn_error wasi_nn_compute_single(graph_execution_context ctx);
WASI_NN_IMPORT("wasi_ephemeral_nn", "get_output_single")
wasi_nn_error wasi_nn_get_output_single(graph_execution_context ctx, uint32_t index, uint8_t* out,
                                        uint32_t out_max, uint32_t* bytes_written);
WASI_NN_IMPORT("wasi_ephemeral_nn", "fini_single")
wasi_nn_error wasi_nn_fini_single(graph_execution_context ctx);
WASI_NN_IMPORT("wasi_ephemeral_nn", "unload")
wasi_nn_error wasi_nn_unload(graph g);
WASI_NN_IMPORT("wasi_ephemeral_nn", "finalize_execution_context")
wasi_nn_error wasi_nn_finalize_execution_context(graph_execution_context ctx);

/* ---- wasi_nn (legacy) --------------------------------------------------------------------- */
typedef struct legacy_graph_builder_array {
  const graph_builder* builders;
  uint32_t count;
} legacy_graph_builder_array;

typedef struct legacy_tensor_dims {
  const uint32_t* dims;
  uint32_t rank;
} legacy_tensor_dims;

/* Legacy tensor types: f16 0, f32 1, u8 2, i32 3. No data length: product(dims) x size. */
enum {
  WASI_NN_LEGACY_F16 = 0,
  WASI_NN_LEGACY_F32 = 1,
  WASI_NN_LEGACY_U8 = 2,
  WASI_NN_LEGACY_I32 = 3
};
typedef struct legacy_tensor {
  const legacy_tensor_dims* dims;
  uint8_t type;
  const uint8_t* data;
} legacy_tensor;

WASI_NN_IMPORT("wasi_nn", "load")
wasi_nn_error wasi_nn_legacy_load(const legacy_graph_builder_array* builders,
                                  graph_encoding encoding, execution_target target, graph* out);
WASI_NN_IMPORT("wasi_nn", "load_by_name")
wasi_nn_error wasi_nn_legacy_load_by_name(const char* name, uint32_t name_len, graph* out);
WASI_NN_IMPORT("wasi_nn", "init_execution_context")
wasi_nn_error wasi_nn_legacy_init_execution_context(graph g, graph_execution_context* out);
WASI_NN_IMPORT("wasi_nn", "set_input")
wasi_nn_error wasi_nn_legacy_set_input(graph_execution_context ctx, uint32_t index,
                                       const legacy_tensor* t);
WASI_NN_IMPORT("wasi_nn", "compute")
wasi_nn_error wasi_nn_legacy_compute(graph_execution_context ctx);
/* *inout_size: capacity in bytes on the way in; the number of f32 elements on the way out. */
WASI_NN_IMPORT("wasi_nn", "get_output")
wasi_nn_error wasi_nn_legacy_get_output(graph_execution_context ctx, uint32_t index, uint8_t* out,
                                        uint32_t* inout_size);

#undef WASI_NN_IMPORT

#ifdef __cplusplus
}
#endif

#endif /* NNWASM_SDK_WASI_NN_H_ */
