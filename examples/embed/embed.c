/* Example: an application that embeds nnwasm through its C API (include/nnwasm/nnwasm.h).
 * It runs a WASI command module the way `nnwasm run` does and exits with the guest's code.
 *
 *   embed [--dir HOST::GUEST]... [--nn-preload NAME:ENC:TARGET:PATH]... MODULE.wasm [ARGS...]
 *
 * Build it against an installed nnwasm: find_package(nnwasm) (see CMakeLists.txt here) or
 * `cc embed.c $(pkg-config --cflags --libs nnwasm)`. */
#include <nnwasm/nnwasm.h>

#include <stdio.h>
#include <string.h>

/* Prints and frees `error`; true when there was one. */
static int failed(nnwasm_error* error) {
  if (error == NULL) return 0;
  fprintf(stderr, "embed: %s\n", nnwasm_error_message(error));
  nnwasm_error_delete(error);
  return 1;
}

int main(int argc, char** argv) {
  nnwasm_runtime_config* runtime_config = nnwasm_runtime_config_new();
  nnwasm_instance_config* instance_config = nnwasm_instance_config_new();
  int arg = 1;
  for (; arg + 1 < argc && strncmp(argv[arg], "--", 2) == 0; arg += 2) {
    if (strcmp(argv[arg], "--nn-preload") == 0) {
      if (failed(nnwasm_runtime_config_add_preload(runtime_config, argv[arg + 1]))) return 2;
    } else if (strcmp(argv[arg], "--dir") == 0 && strstr(argv[arg + 1], "::") != NULL) {
      char host[4096];
      const char* split = strstr(argv[arg + 1], "::");
      snprintf(host, sizeof host, "%.*s", (int)(split - argv[arg + 1]), argv[arg + 1]);
      nnwasm_instance_config_add_preopen(instance_config, host, split + 2);
    } else {
      fprintf(stderr, "embed: unknown option %s\n", argv[arg]);
      return 2;
    }
  }
  if (arg >= argc) {
    fprintf(stderr,
            "usage: embed [--dir HOST::GUEST]... [--nn-preload SPEC]... MODULE.wasm [ARGS...]\n");
    return 2;
  }
  for (int i = arg; i < argc; ++i) nnwasm_instance_config_add_arg(instance_config, argv[i]);

  nnwasm_runtime* runtime = NULL;
  nnwasm_module* module = NULL;
  nnwasm_instance* instance = NULL;
  nnwasm_run_result result = {NNWASM_RUN_TRAPPED, 1, ""};
  int code = 1;
  if (!failed(nnwasm_runtime_new(runtime_config, &runtime)) &&
      !failed(nnwasm_module_from_file(runtime, argv[arg], &module)) &&
      !failed(nnwasm_instance_new(runtime, module, instance_config, &instance)) &&
      !failed(nnwasm_instance_run(instance, &result))) {
    if (result.kind == NNWASM_RUN_TRAPPED) {
      fprintf(stderr, "embed: %s: wasm trap: %s\n", argv[arg], result.trap_message);
    }
    code = result.exit_code;
  }
  nnwasm_instance_delete(instance);
  nnwasm_module_delete(module);
  nnwasm_runtime_delete(runtime);
  nnwasm_instance_config_delete(instance_config);
  nnwasm_runtime_config_delete(runtime_config);
  return code;
}
