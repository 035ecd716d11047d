/* nnwasm embedding API: run WASI command modules with WASI-NN from an application.
 *
 * The objects, from the longest-lived:
 *   nnwasm_runtime   the process's WASI-NN state: backend plugins, named (preloaded) models,
 *                    quotas. One per application is usual; every instance made from it shares
 *                    its plugins and its named models (each loaded once).
 *   nnwasm_module    a compiled module: compile once, instantiate many times, on any threads.
 *   nnwasm_instance  one guest: its memory, WASI state (args, env, preopens, stdio) and WASI-NN
 *                    session. Use one instance from one thread at a time.
 * Create each with its *_new function and free it with its *_delete function. The runtime must
 * outlive every module and instance made from it; a module may be deleted while instances made
 * from it live on.
 *
 * Errors are values: a function that can fail returns an nnwasm_error* (NULL on success) whose
 * message says what failed and what to do; free it with nnwasm_error_delete. No function
 * aborts the process on bad input; a guest's trap is a run result, not an error.
 *
 * Link with -lnnwasm (pkg-config nnwasm, or find_package(nnwasm) and nnwasm::nnwasm).
 */
#ifndef NNWASM_NNWASM_H_
#define NNWASM_NNWASM_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NNWASM_API __attribute__((visibility("default")))

/* ---- Errors --------------------------------------------------------------------------------- */

typedef struct nnwasm_error nnwasm_error;

/* The message, e.g. "digits.wasm: cannot link module: 'env'.'f': unknown import ...". Valid
 * until the error is deleted. */
NNWASM_API const char* nnwasm_error_message(const nnwasm_error* error);
NNWASM_API void nnwasm_error_delete(nnwasm_error* error);

/* ---- Runtime -------------------------------------------------------------------------------- */

typedef struct nnwasm_runtime_config nnwasm_runtime_config;
typedef struct nnwasm_runtime nnwasm_runtime;

/* Per-instance WASI-NN limits; a limit that is exceeded is the guest's too_large error. */
typedef struct nnwasm_quotas {
  uint32_t max_graphs;         /* graphs an instance may hold (default 64) */
  uint32_t max_contexts;       /* execution contexts an instance may hold (default 256) */
  uint64_t max_tensor_bytes;   /* bytes of one input tensor (default 1 GiB) */
  uint64_t max_model_bytes;    /* bytes of a model loaded from guest memory (default 4 GiB) */
  uint32_t compute_timeout_ms; /* a compute running longer is cancelled where its backend
                                  polls for it (NNWASM_BACKEND_CANCELLABLE); 0 = no limit */
} nnwasm_quotas;

/* A configuration with the defaults: plugins from NNWASM_BACKEND_PATH and from the
 * `nnwasm/backends` folder beside the library, no named models, default quotas. */
NNWASM_API nnwasm_runtime_config* nnwasm_runtime_config_new(void);
NNWASM_API void nnwasm_runtime_config_delete(nnwasm_runtime_config* config);

/* A named model, in WasmEdge's --nn-preload syntax NAME:ENCODING:TARGET:PATH[:PATH...], e.g.
 * "digits:onnx:auto:/models/digits.onnx". Loaded when a guest first asks for it by name. */
NNWASM_API nnwasm_error* nnwasm_runtime_config_add_preload(nnwasm_runtime_config* config,
                                                           const char* spec);
/* A folder searched for backend plugins (libnnwasm-*.so) before the default ones. */
NNWASM_API void nnwasm_runtime_config_add_backend_dir(nnwasm_runtime_config* config,
                                                      const char* dir);
/* Backends to prefer, by name, in this order, e.g. "torch,onnx". */
NNWASM_API void nnwasm_runtime_config_set_backend_order(nnwasm_runtime_config* config,
                                                        const char* comma_separated_names);
/* Fail loads asked for on gpu/tpu when that device is missing, instead of using the CPU. */
NNWASM_API void nnwasm_runtime_config_set_strict_target(nnwasm_runtime_config* config, bool strict);
NNWASM_API void nnwasm_runtime_config_set_quotas(nnwasm_runtime_config* config,
                                                 const nnwasm_quotas* quotas);

/* Makes a runtime from `config` (which may be deleted afterwards). */
NNWASM_API nnwasm_error* nnwasm_runtime_new(const nnwasm_runtime_config* config,
                                            nnwasm_runtime** out);
/* Frees the runtime: named models and plugins are released. */
NNWASM_API void nnwasm_runtime_delete(nnwasm_runtime* runtime);

/* ---- Modules -------------------------------------------------------------------------------- */

typedef struct nnwasm_module nnwasm_module;

/* Compiles a module from its bytes (copied). `name` (e.g. the file name) appears in messages.
 * Malformed bytes are an error here; V8 finishes validating when the module is first
 * instantiated. */
NNWASM_API nnwasm_error* nnwasm_module_new(nnwasm_runtime* runtime, const uint8_t* bytes,
                                           size_t size, const char* name, nnwasm_module** out);
/* Reads and compiles a module file. */
NNWASM_API nnwasm_error* nnwasm_module_from_file(nnwasm_runtime* runtime, const char* path,
                                                 nnwasm_module** out);
/* Instances made from the module keep what they need: it may be deleted while they run. */
NNWASM_API void nnwasm_module_delete(nnwasm_module* module);

/* ---- Instances ------------------------------------------------------------------------------ */

typedef struct nnwasm_instance_config nnwasm_instance_config;
typedef struct nnwasm_instance nnwasm_instance;

/* Empty arguments and environment, no preopens, the process's stdin/stdout/stderr. */
NNWASM_API nnwasm_instance_config* nnwasm_instance_config_new(void);
NNWASM_API void nnwasm_instance_config_delete(nnwasm_instance_config* config);
/* Appends one argument; the first one is the program name the guest sees (argv[0]). */
NNWASM_API void nnwasm_instance_config_add_arg(nnwasm_instance_config* config, const char* arg);
/* Sets one guest environment variable (the host's environment is never inherited). */
NNWASM_API void nnwasm_instance_config_add_env(nnwasm_instance_config* config, const char* key,
                                               const char* value);
/* Makes host directory `host_path` visible to the guest as `guest_path`. */
NNWASM_API void nnwasm_instance_config_add_preopen(nnwasm_instance_config* config,
                                                   const char* host_path, const char* guest_path);
/* Preopens a listening TCP socket on "HOST:PORT" (after the directories). */
NNWASM_API void nnwasm_instance_config_add_tcp_listen(nnwasm_instance_config* config,
                                                      const char* address);
/* The host fds behind the guest's fds 0, 1 and 2 (not closed by nnwasm; -1: none). */
NNWASM_API void nnwasm_instance_config_set_stdio(nnwasm_instance_config* config, int stdin_fd,
                                                 int stdout_fd, int stderr_fd);

/* Opens the configured preopens, binds WASI and WASI-NN and instantiates `module`. Errors:
 * a missing or mismatched import (all are listed), an unusable preopen or socket, an invalid
 * module. */
NNWASM_API nnwasm_error* nnwasm_instance_new(nnwasm_runtime* runtime, const nnwasm_module* module,
                                             const nnwasm_instance_config* config,
                                             nnwasm_instance** out);
/* Frees the instance: its WASI-NN contexts and graphs, then its fds. */
NNWASM_API void nnwasm_instance_delete(nnwasm_instance* instance);

/* How a run or call ended. */
typedef enum nnwasm_run_kind {
  NNWASM_RUN_RETURNED = 0, /* the function returned */
  NNWASM_RUN_EXITED = 1,   /* the guest called proc_exit */
  NNWASM_RUN_TRAPPED = 2   /* a trap (unreachable, out of bounds, stack exhausted, ...) */
} nnwasm_run_kind;

typedef struct nnwasm_run_result {
  nnwasm_run_kind kind;
  int32_t exit_code; /* RETURNED: 0; EXITED: proc_exit's code; TRAPPED: 1 */
  /* TRAPPED: one line saying what and where; "" otherwise. Valid until the next run or call
   * on the instance or its deletion. */
  const char* trap_message;
} nnwasm_run_result;

/* Runs the WASI command's `_start`. */
NNWASM_API nnwasm_error* nnwasm_instance_run(nnwasm_instance* instance, nnwasm_run_result* out);

typedef enum nnwasm_valkind {
  NNWASM_I32 = 0,
  NNWASM_I64 = 1,
  NNWASM_F32 = 2,
  NNWASM_F64 = 3
} nnwasm_valkind;

typedef struct nnwasm_val {
  nnwasm_valkind kind;
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
  } of;
} nnwasm_val;

/* Calls the exported function `name` with `args` (which must match its parameter types) and,
 * when it returns, writes its results to `results` (`results_cap` entries; `*result_count`
 * gets how many it has). A type mismatch, too small a results array or an unknown export is an
 * error; a trap is a result. */
NNWASM_API nnwasm_error* nnwasm_instance_call(nnwasm_instance* instance, const char* name,
                                              const nnwasm_val* args, size_t arg_count,
                                              nnwasm_val* results, size_t results_cap,
                                              size_t* result_count, nnwasm_run_result* out);

#ifdef __cplusplus
}
#endif

#endif /* NNWASM_NNWASM_H_ */
