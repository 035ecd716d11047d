/* nnwasm backend plugin ABI: the contract between the nnwasm runtime and an inference backend.
 *
 * A backend is a shared library that exports one C function, `nnwasm_backend_entry`, returning
 * a descriptor (`nnwasm_backend`) with the backend's identity and function pointers. nnwasm opens
 * plugins with dlopen(RTLD_NOW | RTLD_LOCAL), so every backend may link its own framework
 * without symbol clashes, and closes a plugin when its last graph is freed.
 *
 * Rules for every function below:
 * - It returns an `nnwasm_status`, the WASI-NN error code (0 = success). On failure it may leave
 *   a human-readable message for `last_error` (see there). No C++ exception may leave a call.
 * - Pointers passed in (model bytes, tensor data, dims, config text) are owned by the caller and
 *   valid only for the duration of the call; copy what must outlive it.
 * - Handles (`nnwasm_graph`, `nnwasm_context`) are opaque, created and freed by the backend.
 * - A graph may be shared by many contexts; each context is used by one thread at a time.
 *   Whether contexts of one graph may compute concurrently is declared in `flags`.
 *
 * Build a backend against this header alone; `nnwasm backends` lists what nnwasm found.
 */
#ifndef NNWASM_BACKEND_H_
#define NNWASM_BACKEND_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change; nnwasm skips plugins built for another version. */
#define NNWASM_BACKEND_ABI_VERSION 1u

/* ---- Enumerations (values are those of WASI-NN, see ABI.md) -------------------------------- */

typedef uint32_t nnwasm_status;
enum {
  NNWASM_SUCCESS = 0,
  NNWASM_INVALID_ARGUMENT = 1,
  NNWASM_INVALID_ENCODING = 2,
  NNWASM_MISSING_MEMORY = 3,
  NNWASM_BUSY = 4,
  NNWASM_RUNTIME_ERROR = 5,
  NNWASM_UNSUPPORTED_OPERATION = 6,
  NNWASM_TOO_LARGE = 7,
  NNWASM_NOT_FOUND = 8,
  /* LLM extensions (WasmEdge): */
  NNWASM_END_OF_SEQUENCE = 100,
  NNWASM_CONTEXT_FULL = 101,
  NNWASM_PROMPT_TOO_LONG = 102,
  NNWASM_MODEL_NOT_FOUND = 103
};

/* Graph encodings. 5 and 6 are ambiguous between runtimes; the core resolves them before any
 * backend sees them, so backends only ever receive the values below. */
typedef uint32_t nnwasm_encoding;
enum {
  NNWASM_ENCODING_OPENVINO = 0,
  NNWASM_ENCODING_ONNX = 1,
  NNWASM_ENCODING_TENSORFLOW = 2,
  NNWASM_ENCODING_PYTORCH = 3,
  NNWASM_ENCODING_TENSORFLOWLITE = 4,
  NNWASM_ENCODING_GGML = 6,
  NNWASM_ENCODING_AUTODETECT = 0xFFFFFFFFu /* only passed to sniff-selected backends */
};

/* Execution targets. AUTO lets the backend choose its best usable device. */
typedef uint32_t nnwasm_target;
enum {
  NNWASM_TARGET_CPU = 0,
  NNWASM_TARGET_GPU = 1,
  NNWASM_TARGET_TPU = 2,
  NNWASM_TARGET_AUTO = 3
};

/* Tensor element types (wasi_ephemeral_nn values; the legacy module's are mapped by the core). */
typedef uint32_t nnwasm_tensor_type;
enum {
  NNWASM_TENSOR_F16 = 0,
  NNWASM_TENSOR_F32 = 1,
  NNWASM_TENSOR_F64 = 2,
  NNWASM_TENSOR_U8 = 3,
  NNWASM_TENSOR_I32 = 4,
  NNWASM_TENSOR_I64 = 5
};

/* ---- Plain data ----------------------------------------------------------------------------- */

/* A byte range owned by the caller. */
typedef struct nnwasm_bytes {
  const uint8_t* data;
  size_t size;
} nnwasm_bytes;

/* An input tensor as the guest passed it (read-only, valid for the call only). `dims` is a copy
 * made by the core; `data` points into guest memory and holds `size` bytes. The core checks
 * the type is one of the six and the ranges lie in guest memory; checking dims and size
 * against the model is the backend's job (LLM backends, for instance, ignore dims). */
typedef struct nnwasm_tensor {
  const uint32_t* dims;
  uint32_t rank;
  nnwasm_tensor_type type;
  const uint8_t* data;
  size_t size;
} nnwasm_tensor;

/* An output as the backend holds it. `data` points into the backend's own buffer and stays
 * valid until the next compute/set_input on the context or its destruction; the core copies
 * it into guest memory. */
typedef struct nnwasm_output {
  const uint8_t* data;
  size_t size;
} nnwasm_output;

/* One device a backend can run on, reported by `probe`. */
typedef struct nnwasm_device {
  nnwasm_target target; /* CPU, GPU or TPU */
  int32_t index;        /* device index within its kind, e.g. CUDA ordinal */
  char name[64];        /* e.g. "cpu", "cuda:0 NVIDIA H100" (NUL-terminated) */
} nnwasm_device;

/* Load-time parameters. */
typedef struct nnwasm_load_options {
  nnwasm_encoding encoding;
  nnwasm_target target;    /* resolved by the core: a target the backend's probe reported */
  const char* config_json; /* JSON object text, or NULL; unknown keys must be ignored */
  size_t config_len;
} nnwasm_load_options;

typedef struct nnwasm_graph nnwasm_graph;     /* a loaded model, shared by contexts */
typedef struct nnwasm_context nnwasm_context; /* per-inference state (inputs, outputs) */

/* ---- Descriptor ----------------------------------------------------------------------------- */

/* flags */
enum {
  /* contexts of one graph may run compute() at the same time on different threads */
  NNWASM_BACKEND_GRAPH_REENTRANT = 1u << 0
};

typedef struct nnwasm_backend {
  uint32_t abi_version; /* NNWASM_BACKEND_ABI_VERSION */
  uint32_t struct_size; /* sizeof(nnwasm_backend) as compiled into the plugin */
  const char* name;     /* short unique name, e.g. "onnx" (used by --nn-backend-order) */
  const char* version;  /* backend and framework version, e.g. "1.0 (onnxruntime 1.29.0)" */
  const nnwasm_encoding* encodings; /* encodings handled, `encoding_count` entries */
  uint32_t encoding_count;
  uint32_t flags;   /* NNWASM_BACKEND_* */
  int32_t priority; /* tie-breaker when several backends fit equally; higher wins */

  /* Lists usable devices into `out` (capacity `cap`), total count in `*count` (may exceed
   * cap). Called once per process; must be cheap (no model loading). Required. */
  nnwasm_status (*probe)(nnwasm_device* out, uint32_t cap, uint32_t* count);

  /* Confidence 0..100 that `data` (the first builder, possibly only its first bytes) is a model
   * this backend loads: 100 = unmistakable magic, 0 = surely not. Required. */
  nnwasm_status (*sniff)(const uint8_t* data, size_t size, uint32_t* confidence);

  /* Loads a model from `count` byte ranges (guest builders or files read by the core). */
  nnwasm_status (*load)(const nnwasm_bytes* builders, uint32_t count,
                        const nnwasm_load_options* options, nnwasm_graph** out);

  /* Optional (NULL if absent): loads from files, letting the backend mmap them. */
  nnwasm_status (*load_file)(const char* const* paths, uint32_t count,
                             const nnwasm_load_options* options, nnwasm_graph** out);

  /* Frees a graph. The core frees every context of the graph before calling this. */
  void (*graph_free)(nnwasm_graph* graph);

  nnwasm_status (*context_create)(nnwasm_graph* graph, nnwasm_context** out);
  void (*context_free)(nnwasm_context* context);

  /* Sets input `index` (model order). Wrong type/shape/size: INVALID_ARGUMENT with a message. */
  nnwasm_status (*set_input)(nnwasm_context* context, uint32_t index, const nnwasm_tensor* tensor);

  /* Runs inference; replaces all previous outputs. */
  nnwasm_status (*compute)(nnwasm_context* context);

  /* Output `index` of the last compute (model order). Out of range: INVALID_ARGUMENT. */
  nnwasm_status (*get_output)(nnwasm_context* context, uint32_t index, nnwasm_output* out);

  /* Optional streaming (NULL if absent; the core then returns UNSUPPORTED_OPERATION):
   * one generation step, its output piece, and the end of a sequence. */
  nnwasm_status (*compute_single)(nnwasm_context* context);
  nnwasm_status (*get_output_single)(nnwasm_context* context, uint32_t index, nnwasm_output* out);
  nnwasm_status (*fini_single)(nnwasm_context* context);

  /* The message left by the last failing call made on the calling thread ("" if none). The
   * pointer stays valid until the next call into the backend on that thread. Required. */
  const char* (*last_error)(void);
} nnwasm_backend;

/* A manifest nnwasm reads from the plugin file without loading it: choosing a backend for an
 * explicit encoding then never loads the framework (ONNX Runtime, libtorch, ...) of a plugin
 * that cannot handle it. It must agree with the descriptor. Text, space-separated:
 *   NNWASM_BACKEND_MANIFEST("nnwasm-backend abi=1 name=llama encodings=6");
 * (several encodings: encodings=1,3). An optional magic=HEX[,HEX...] lists byte prefixes every
 * model of the backend starts with ("47475546" for GGUF): autodetection then opens the plugin
 * to sniff only bytes that start with one of them. Put it in one translation unit of the
 * plugin. Without a manifest a plugin still works; it is opened to learn what it handles. */
#define NNWASM_BACKEND_MANIFEST_SECTION "nnwasm_manifest"
#define NNWASM_BACKEND_MANIFEST(text)                                                          \
  __attribute__((                                                                              \
      used,                                                                                    \
      section(NNWASM_BACKEND_MANIFEST_SECTION))) static const char nnwasm_backend_manifest[] = \
      text

/* The one symbol a plugin exports. Returns a descriptor with static lifetime, or NULL when the
 * backend cannot work in this process (e.g. its framework failed to initialize). */
typedef const nnwasm_backend* (*nnwasm_backend_entry_fn)(void);
#define NNWASM_BACKEND_ENTRY_SYMBOL "nnwasm_backend_entry"

#ifdef __cplusplus
}
#endif

#endif /* NNWASM_BACKEND_H_ */
