/* nnwasm backend plugin ABI, version 2: the contract between the nnwasm runtime ("the core") and
 * an inference backend ("the plugin").
 *
 * A backend is a shared library named libnnwasm-<name>.so that exports one C function,
 * `nnwasm_backend_entry`, returning a descriptor (`nnwasm_backend`): the backend's identity, what
 * it handles and a table of function pointers. This header is all a backend author needs; the
 * sections below say, for every function, what it must do, who owns what, and which calls may
 * run at the same time. `nnwasm-backend-check PLUGIN.so MODEL` runs a plugin through this
 * contract and exits 0 when it passes.
 *
 * Lifecycle of a plugin in one process:
 *
 *   dlopen(RTLD_NOW | RTLD_LOCAL)     every plugin may link its own framework, no symbol clashes
 *   nnwasm_backend_entry(host)        once per dlopen; returns the descriptor (or NULL)
 *   probe, sniff, load, ...           any number of times, see "Threading" below
 *   shutdown()                        once, after the last graph is freed (optional)
 *   dlclose                           when no graph of the plugin is alive (unless kept loaded)
 *
 * A plugin may be opened again after it was closed; a plugin that stays mapped (linked with
 * -z nodelete, or a sanitizer build) then sees `nnwasm_backend_entry` again after `shutdown`,
 * and must be able to start over.
 *
 * Rules for every function:
 * - It returns an `nnwasm_status`, the WASI-NN error code (0 = success), and never lets a C++
 *   exception, a longjmp or a signal escape. A failure leaves a message for `last_error`.
 * - Pointers passed in (model bytes, tensor data, dims, config text, names) are owned by the
 *   caller and valid only for the duration of the call: copy what must outlive it.
 * - Handles (`nnwasm_graph`, `nnwasm_context`) are opaque pointers created and freed by the
 *   backend. The core never passes a handle after freeing it, never frees a graph while one of
 *   its contexts is alive, and never calls a function that the descriptor leaves NULL.
 *   Defensive checks are still expected: a NULL handle or out-pointer is INVALID_ARGUMENT.
 * - Guest-supplied data (tensor bytes, dims, config JSON, model bytes) is hostile: check sizes,
 *   bound recursion and allocation, never trust a length field in a model file.
 *
 * Changes from ABI 1 (plugins built for ABI 1 are refused with a message to rebuild them):
 * - `nnwasm_backend_entry` receives the host's callbacks (`nnwasm_host`: log, cancellation).
 * - outputs carry their element type and dims; `graph_io_count`/`graph_io` describe a graph's
 *   inputs and outputs (names, types, shapes).
 * - `nnwasm_load_options` has a `struct_size` and a `device_index`; the core always resolves
 *   NNWASM_TARGET_AUTO before `load`, so a backend never receives it there.
 * - `sniff` fills an `nnwasm_sniff_result` (confidence, encoding, format name); its status is
 *   honoured.
 * - `context_create` receives `nnwasm_context_options` (the host token for callbacks).
 * - new optional entries: `load_by_name` (backends that resolve model names themselves, such as
 *   the rpc backend) and `shutdown` (a hook before dlclose).
 * - `struct_size` of the descriptor may grow: see "Evolution" below.
 */
#ifndef NNWASM_BACKEND_H_
#define NNWASM_BACKEND_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The major version of this ABI. The core refuses a plugin whose descriptor has another one. */
#define NNWASM_BACKEND_ABI_VERSION 2u

/* Evolution. Within major version 2, new fields are only ever appended to the end of
 * `nnwasm_backend`, `nnwasm_host`, `nnwasm_load_options` and `nnwasm_context_options`, each of
 * which starts with (or carries) the `struct_size` its writer was compiled with. A reader uses a
 * field only when it lies within that size (NNWASM_HAS_FIELD), and treats a missing field as
 * NULL/0. So a plugin built against a later 2.x header loads into an earlier core and the other
 * way round. Every other struct here (tensors, outputs, devices, descriptions, sniff results) is
 * fixed for major version 2; changing one means version 3. */
#define NNWASM_HAS_FIELD(ptr, type, field) \
  ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* Marks the entry point as exported from a plugin built with -fvisibility=hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define NNWASM_BACKEND_EXPORT __attribute__((visibility("default")))
#else
#define NNWASM_BACKEND_EXPORT
#endif

/* ==== Enumerations (values are those of WASI-NN, see docs/abi.md) =========================== */

typedef uint32_t nnwasm_status;
enum {
  NNWASM_SUCCESS = 0,
  NNWASM_INVALID_ARGUMENT = 1, /* a bad handle, index, tensor, config value */
  NNWASM_INVALID_ENCODING = 2, /* model bytes that are not (or not valid) this format */
  NNWASM_MISSING_MEMORY = 3,
  NNWASM_BUSY = 4,
  NNWASM_RUNTIME_ERROR = 5,         /* the framework failed; also: a cancelled compute */
  NNWASM_UNSUPPORTED_OPERATION = 6, /* valid but not supported by this backend or model */
  NNWASM_TOO_LARGE = 7,             /* a size over a limit (say which, and how to raise it) */
  NNWASM_NOT_FOUND = 8,             /* load_by_name: this backend does not know the name */
  /* LLM results (WasmEdge's extension); see "Streaming" below. They are results, not
   * failures, but still leave a message for last_error. */
  NNWASM_END_OF_SEQUENCE = 100,
  NNWASM_CONTEXT_FULL = 101,
  NNWASM_PROMPT_TOO_LONG = 102,
  NNWASM_MODEL_NOT_FOUND = 103 /* a model file that does not exist */
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
  NNWASM_ENCODING_GGML = 6
};
/* The guest asked for autodetection and this backend won by sniffing: `load` receives the
 * encoding its `sniff` reported instead, so a backend only sees this in `sniff` results that
 * do not know the encoding. A macro: ISO C limits enumerators to the range of int. */
#define NNWASM_ENCODING_AUTODETECT ((nnwasm_encoding)0xFFFFFFFFu)

/* Execution targets. The core picks the target (and device) before `load` and `load_file`: it
 * is never AUTO there. AUTO appears in what the guest asked for, and in `load_by_name`, where
 * the model (and so its device) is the backend's own business. */
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
  NNWASM_TENSOR_U8 = 3, /* also: text (UTF-8) and opaque bytes */
  NNWASM_TENSOR_I32 = 4,
  NNWASM_TENSOR_I64 = 5
};
/* graph_io only: not declared, or none of the six (a macro, as NNWASM_ENCODING_AUTODETECT). */
#define NNWASM_TENSOR_UNKNOWN ((nnwasm_tensor_type)0xFFFFFFFFu)

/* Log levels of `nnwasm_host.log`, lowest first. */
typedef uint32_t nnwasm_log_level;
enum { NNWASM_LOG_DEBUG = 0, NNWASM_LOG_INFO = 1, NNWASM_LOG_WARN = 2, NNWASM_LOG_ERROR = 3 };

/* ==== Plain data ============================================================================ */

/* A byte range owned by the caller. */
typedef struct nnwasm_bytes {
  const uint8_t* data;
  size_t size;
} nnwasm_bytes;

/* An input tensor as the guest passed it (read-only, valid for the call only). `dims` is a copy
 * made by the core; `data` points into guest memory and holds `size` bytes. The core checks
 * that the type is one of the six and that the ranges lie in guest memory; checking dims and
 * size against the model is the backend's job (LLM backends, for instance, ignore dims). */
typedef struct nnwasm_tensor {
  const uint32_t* dims;
  uint32_t rank;
  nnwasm_tensor_type type;
  const uint8_t* data;
  size_t size;
} nnwasm_tensor;

/* An output as the backend holds it, filled by get_output / get_output_single (the core zeroes
 * it before the call).
 * Lifetime: `data` and `dims` point into the backend's own buffers and stay valid until the
 * next set_input, compute, compute_single or fini_single on the same context, or its
 * context_free - whichever comes first. get_output calls in between (of any index) must not
 * invalidate them. The core copies the bytes out before calling the context again.
 * `type` is the element type of `data` (U8 for text; UNKNOWN for raw bytes of an element type
 * outside the six, e.g. bool), `dims`/`rank` its shape (rank 1 and dims {size} for text or
 * bytes). For the six types, size == product(dims) * element size. */
typedef struct nnwasm_output {
  const uint8_t* data;
  size_t size;
  nnwasm_tensor_type type;
  uint32_t rank;
  const uint32_t* dims; /* `rank` entries; may be NULL when rank is 0 */
} nnwasm_output;

/* One device a backend can run on, reported by `probe`. */
typedef struct nnwasm_device {
  nnwasm_target target; /* CPU, GPU or TPU, never AUTO */
  int32_t index;        /* index within its kind, e.g. the CUDA ordinal; the core passes it
                           back as nnwasm_load_options.device_index */
  char name[64];        /* e.g. "cpu", "cuda:0 NVIDIA H100" (NUL-terminated) */
} nnwasm_device;

/* What `sniff` found. */
typedef struct nnwasm_sniff_result {
  uint32_t confidence;      /* 0..100: 100 = unmistakable magic, 0 = surely not this format */
  nnwasm_encoding encoding; /* the encoding of the bytes when recognised, else AUTODETECT */
  char format[48];          /* e.g. "GGUF v3", "ONNX ir 8, opset 17"; "" when unknown */
} nnwasm_sniff_result;

/* Which side of a graph `graph_io_count` / `graph_io` describe. */
typedef uint32_t nnwasm_io_kind;
enum { NNWASM_IO_INPUT = 0, NNWASM_IO_OUTPUT = 1 };

/* flags of nnwasm_tensor_desc */
enum {
  NNWASM_IO_TEXT = 1u << 0,    /* UTF-8 text in a U8 tensor (an LLM prompt or its answer) */
  NNWASM_IO_JSON = 1u << 1,    /* a JSON object in a U8 tensor (LLM metadata, statistics) */
  NNWASM_IO_OPTIONAL = 1u << 2 /* an input compute does not need (it has a default) */
};

/* One input or output of a graph, as the model declares it. Strings and dims are owned by the
 * backend and stay valid while the graph lives. */
typedef struct nnwasm_tensor_desc {
  const char* name;        /* the model's name for it; "" when it has none */
  nnwasm_tensor_type type; /* NNWASM_TENSOR_UNKNOWN when undeclared or none of the six */
  uint32_t rank;           /* entries in `dims`; 0 with dims NULL when the shape is unknown */
  const int64_t* dims;     /* -1 = a dimension fixed only when the tensor is set */
  uint32_t flags;          /* NNWASM_IO_* */
} nnwasm_tensor_desc;

/* Load-time parameters, written by the core. */
typedef struct nnwasm_load_options {
  uint32_t struct_size; /* sizeof(nnwasm_load_options) as the core was compiled */
  nnwasm_encoding encoding;
  nnwasm_target target;    /* CPU, GPU or TPU: one the backend's probe reported (AUTO only in
                              load_by_name) */
  int32_t device_index;    /* nnwasm_device.index of the device to load on, of kind `target` */
  const char* config_json; /* JSON object text, or NULL; unknown keys must be ignored */
  size_t config_len;
  /* Added in 2.2 (check NNWASM_HAS_FIELD): for backends that run models on a server (rpc), the
   * URI of the server to load on, NUL-terminated; NULL leaves the choice to the backend. The
   * core sets it to run a model in its supervised backend process (--nn-isolate); other
   * backends ignore it. */
  const char* server_uri;
} nnwasm_load_options;

/* Per-context parameters, written by the core. */
typedef struct nnwasm_context_options {
  uint32_t struct_size; /* sizeof(nnwasm_context_options) as the core was compiled */
  /* Opaque value the backend passes back to nnwasm_host.cancelled / .log for work done for
   * this context (may be NULL). Valid until context_free. */
  void* host_token;
} nnwasm_context_options;

/* ==== Host callbacks ======================================================================= */

/* Services the core offers a backend, passed to `nnwasm_backend_entry`. The struct and its
 * functions stay valid until the plugin is closed. Every function may be called from any
 * thread, including a framework's worker threads. */
typedef struct nnwasm_host {
  uint32_t struct_size; /* sizeof(nnwasm_host) as the core was compiled */
  uint32_t abi_version; /* NNWASM_BACKEND_ABI_VERSION of the core */
  /* Writes one message through the host's logger, filtered by the host's log level. Use it
   * instead of the process's stderr, including for the framework's own log output.
   * `host_token` is the context's token (NULL when not about one context); `message` is one
   * line without a trailing newline. */
  void (*log)(void* host_token, nnwasm_log_level level, const char* message);
  /* Nonzero when the work of the context with `host_token` should stop: the guest's deadline
   * (--nn-compute-timeout) passed. Cheap (an atomic load and
   * a clock read): poll it between steps of a long compute (e.g. between generated tokens, or
   * in a framework's abort callback) and return NNWASM_RUNTIME_ERROR with a message saying it
   * was cancelled. A backend that polls it sets NNWASM_BACKEND_CANCELLABLE. */
  int (*cancelled)(void* host_token);
  /* The host's setting `key` for backends (e.g. "rpc.uri", from nnwasm run --nn-rpc-uri), or
   * NULL when unset; `host` is the pointer the entry point received. The text stays valid until
   * the plugin is closed. Added in 2.1: check NNWASM_HAS_FIELD(host, nnwasm_host, option). */
  const char* (*option)(const struct nnwasm_host* host, const char* key);
  /* Writes `size` bytes to the standard output of the guest whose context has `host_token`
   * (the process's own when NULL): what an LLM backend prints for "stream-stdout", so that each
   * instance's text goes to that instance's stdout. Added in 2.3: check
   * NNWASM_HAS_FIELD(host, nnwasm_host, write_stdout). */
  void (*write_stdout)(void* host_token, const char* data, size_t size);
  /* Memory accounting, added in 2.4. Before allocating a large buffer for the context with
   * `host_token` (a KV cache, compute buffers), a backend asks the host to admit its estimate of
   * `bytes` on the device of the context's graph: 0 when admitted; otherwise nonzero, with why
   * (the limit passed, and the flag that raises it) in `reason` (NUL-terminated, `reason_size`
   * bytes at most): the backend then fails the call with NNWASM_TOO_LARGE and that reason,
   * having allocated nothing. What was admitted is given back with release_memory once freed;
   * the host takes back whatever is left when the context is freed. */
  int (*reserve_memory)(void* host_token, uint64_t bytes, char* reason, size_t reason_size);
  void (*release_memory)(void* host_token, uint64_t bytes);
} nnwasm_host;

/* ==== Descriptor ============================================================================ */

typedef struct nnwasm_graph nnwasm_graph;     /* a loaded model, shared by contexts */
typedef struct nnwasm_context nnwasm_context; /* per-inference state (inputs, outputs) */

/* flags */
enum {
  /* compute / compute_single of different contexts of one graph may run at the same time;
   * without it the core runs at most one of them per graph at a time. */
  NNWASM_BACKEND_GRAPH_REENTRANT = 1u << 0,
  /* compute / compute_single poll nnwasm_host.cancelled. */
  NNWASM_BACKEND_CANCELLABLE = 1u << 1
};

/* Threading. The core calls:
 * - probe, sniff, graph_io_count, graph_io: from any thread, at any time, concurrently with
 *   each other and with every other call (they must not mutate shared state unsafely);
 * - load, load_file, load_by_name: concurrently with each other and with calls on other graphs;
 * - context_create: concurrently, also for the same graph;
 * - the functions taking a context: one thread at a time per context (the core serializes
 *   them), while other contexts of the same graph are used on other threads. set_input,
 *   get_output, get_output_single and fini_single are never serialized across contexts;
 *   compute and compute_single are, per graph, unless GRAPH_REENTRANT is set;
 * - graph_free: once per graph, after all its contexts are freed, never concurrently with a
 *   call on that graph;
 * - shutdown: once, with no graph alive and no other call in flight;
 * - last_error: on the thread that made the failing call, right after it.
 * Work may fan out to the backend's own threads, but a call must have finished with them when
 * it returns (no callback into the core after a call returned, except host callbacks). */

/* Streaming (LLM backends; present when compute_single is not NULL, and then all three are).
 * A context goes through these states:
 *   NO_PROMPT  --set_input(0, prompt)-->  READY      (any state: a new prompt resets the
 *                                                     sequence, KV cache and outputs)
 *   READY      --compute_single-->        STREAMING  (evaluates the prompt, samples 1 token)
 *   STREAMING  --compute_single-->        STREAMING  (one more token, returns 0)
 *   STREAMING  --compute_single-->        ENDED      (returns END_OF_SEQUENCE, CONTEXT_FULL or
 *                                                     PROMPT_TOO_LONG)
 *   ENDED      --compute_single-->        ENDED      (returns the same code, generates nothing)
 *   any but NO_PROMPT --fini_single-->    READY      (the prompt stays; the next compute_single
 *                                                     starts the same prompt anew)
 *   any but NO_PROMPT --compute-->        READY      (a whole generation from the prompt; it
 *                                                     replaces what was streamed)
 * compute or compute_single in NO_PROMPT is INVALID_ARGUMENT; fini_single there is a no-op.
 * Other inputs (index 1: metadata JSON) may be set in any state and apply from the next READY.
 * get_output_single(0) is the text piece of the last compute_single ("" before the first, and
 * whole UTF-8 characters only); get_output(0) all text generated so far; other indices are
 * the same as get_output's (index 1: the token statistics JSON, valid in every state). */

typedef struct nnwasm_backend {
  uint32_t abi_version; /* NNWASM_BACKEND_ABI_VERSION */
  uint32_t struct_size; /* sizeof(nnwasm_backend) as compiled into the plugin */
  const char* name;     /* short unique name, e.g. "onnx" (--nn-backend-order, messages) */
  const char* version;  /* backend and framework version, e.g. "2.0 (onnxruntime 1.29.0)" */
  const nnwasm_encoding* encodings; /* encodings handled, `encoding_count` entries */
  uint32_t encoding_count;
  uint32_t flags;   /* NNWASM_BACKEND_* */
  int32_t priority; /* tie-breaker when several backends fit equally; higher wins */

  /* Lists usable devices into `out` (capacity `cap`, may be 0 with `out` NULL), the total count
   * in `*count` (may exceed cap). Called once per open; cheap (no model loading). A CPU device
   * should always be listed when the backend can run on the CPU; a backend that lists none is
   * not used (it cannot work here). Required. */
  nnwasm_status (*probe)(nnwasm_device* out, uint32_t cap, uint32_t* count);

  /* Looks at the start of a model (`size` may be only the first kilobytes, `data` may be NULL
   * when size is 0) and fills `*out`. Never reads past `size`, never loads anything. A status
   * other than success means "could not look" and drops the backend from autodetection.
   * Required. */
  nnwasm_status (*sniff)(const uint8_t* data, size_t size, nnwasm_sniff_result* out);

  /* Loads a model from `count` byte ranges (guest builders, or a file the core mapped).
   * Bytes that are not a valid model: INVALID_ENCODING with what is wrong. Required. */
  nnwasm_status (*load)(const nnwasm_bytes* builders, uint32_t count,
                        const nnwasm_load_options* options, nnwasm_graph** out);

  /* Loads from files (named models), letting the backend mmap them. Missing file:
   * MODEL_NOT_FOUND. Optional (NULL: the core maps the files and calls load). */
  nnwasm_status (*load_file)(const char* const* paths, uint32_t count,
                             const nnwasm_load_options* options, nnwasm_graph** out);

  /* Loads a model the backend itself knows by name (models on a remote server, say), for a
   * load_by_name whose name the core's registry does not hold. `name` is not NUL-terminated;
   * `options` has encoding AUTODETECT, target AUTO and the guest's config. An unknown name:
   * NOT_FOUND (the core then tries other backends). Optional; say names=1 in the manifest. */
  nnwasm_status (*load_by_name)(const char* name, size_t name_len,
                                const nnwasm_load_options* options, nnwasm_graph** out);

  /* Frees a graph (NULL: no-op). The core frees every context of the graph first. Required. */
  void (*graph_free)(nnwasm_graph* graph);

  /* The number of inputs or outputs the graph declares. A graph whose count is only known after
   * a compute (TorchScript outputs) returns UNSUPPORTED_OPERATION. Required. */
  nnwasm_status (*graph_io_count)(nnwasm_graph* graph, nnwasm_io_kind kind, uint32_t* count);
  /* Describes input or output `index` (model order) into `*out`. Index out of range:
   * INVALID_ARGUMENT. Required. */
  nnwasm_status (*graph_io)(nnwasm_graph* graph, nnwasm_io_kind kind, uint32_t index,
                            nnwasm_tensor_desc* out);

  /* Creates a context on `graph` (`options` may be NULL: no host token). Required. */
  nnwasm_status (*context_create)(nnwasm_graph* graph, const nnwasm_context_options* options,
                                  nnwasm_context** out);
  /* Frees a context (NULL: no-op). Required. */
  void (*context_free)(nnwasm_context* context);

  /* Sets input `index` (model order), copying what it keeps. Wrong type, shape or size:
   * INVALID_ARGUMENT with what was expected. A failed set_input leaves the context as it was.
   * Required. */
  nnwasm_status (*set_input)(nnwasm_context* context, uint32_t index, const nnwasm_tensor* tensor);

  /* Runs inference on the inputs set so far; replaces all previous outputs. A required input
   * not set: INVALID_ARGUMENT. Required. */
  nnwasm_status (*compute)(nnwasm_context* context);

  /* Output `index` (model order) of the last compute, see nnwasm_output for its lifetime.
   * Out of range, or no compute yet: INVALID_ARGUMENT (LLM outputs are valid in every state,
   * see "Streaming"). Required. */
  nnwasm_status (*get_output)(nnwasm_context* context, uint32_t index, nnwasm_output* out);

  /* Streaming, see "Streaming" above. Optional, all three or none (the core then answers the
   * guest UNSUPPORTED_OPERATION). */
  nnwasm_status (*compute_single)(nnwasm_context* context);
  nnwasm_status (*get_output_single)(nnwasm_context* context, uint32_t index, nnwasm_output* out);
  nnwasm_status (*fini_single)(nnwasm_context* context);

  /* The message left by the last failing call made on the calling thread, NUL-terminated.
   * The core reads it only right after a call returned a nonzero status, so a backend need not
   * clear it on success; the pointer stays valid until the next call into the backend on that
   * thread. Required. */
  const char* (*last_error)(void);

  /* Called once before dlclose, when no graph is alive: release what the framework holds
   * process-wide (thread pools, log hooks pointing into this library). Optional. */
  void (*shutdown)(void);

  /* Added in 2.4 (check NNWASM_HAS_FIELD): the memory of device (`target`, `index`), as probe
   * listed it, in bytes; 0 or NULL when unknown. The core admits loads and contexts to a GPU
   * only while its estimates fit (and otherwise falls back to the CPU, or fails under
   * --nn-strict-target), so that backends sharing a device cannot starve each other. */
  uint64_t (*device_memory)(nnwasm_target target, int32_t index);
} nnwasm_backend;

/* A manifest nnwasm reads from the plugin file without loading it: choosing a backend for an
 * explicit encoding then never loads the framework (ONNX Runtime, libtorch, ...) of a plugin
 * that cannot handle it. It must agree with the descriptor (the core checks on first open).
 * Text, space-separated:
 *   NNWASM_BACKEND_MANIFEST("nnwasm-backend abi=2 name=llama encodings=6 magic=47475546");
 * encodings=1,3 for several; magic=HEX[,HEX...] lists byte prefixes every model of the backend
 * starts with ("47475546" is "GGUF"): autodetection then opens the plugin to sniff only bytes
 * that start with one of them; names=1 says the descriptor has load_by_name, so the plugin is
 * opened for unknown names; requires=KEY says the plugin is of no use unless the host sets the
 * option KEY (nnwasm_host.option), so it is not even opened otherwise. Put it in one translation
 * unit of the plugin. Without a manifest a plugin still works: it is opened to learn what it
 * handles. */
#define NNWASM_BACKEND_MANIFEST_SECTION "nnwasm_manifest"
#define NNWASM_BACKEND_MANIFEST(text)                                                          \
  __attribute__((                                                                              \
      used,                                                                                    \
      section(NNWASM_BACKEND_MANIFEST_SECTION))) static const char nnwasm_backend_manifest[] = \
      text

/* The one symbol a plugin exports. Called once per dlopen with the host's callbacks (valid
 * until dlclose; tools outside nnwasm may pass NULL, and a plugin then logs to stderr); returns a
 * descriptor with static lifetime, or NULL when the backend cannot work in this process (its
 * framework failed to initialize: log why through host->log). Define it as NNWASM_BACKEND_EXPORT
 * const nnwasm_backend* nnwasm_backend_entry(const nnwasm_host* host);
 */
typedef const nnwasm_backend* (*nnwasm_backend_entry_fn)(const nnwasm_host* host);
#define NNWASM_BACKEND_ENTRY_SYMBOL "nnwasm_backend_entry"

#ifdef __cplusplus
}
#endif

#endif /* NNWASM_BACKEND_H_ */
