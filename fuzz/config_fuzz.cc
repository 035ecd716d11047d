// libFuzzer target: what nnwasm parses from guests, plugin files and the command line, other
// than Wasm itself - the llama backend's metadata/config JSON (WasmEdge's keys, grammar and
// json-schema nesting bounds), plugin manifests, a plugin file's ELF headers (checked before
// dlopen), and named-model specs. Bad input gives an error, never a crash, a hang or unbounded
// recursion.
//
// Input: one byte choosing the parser, then the text or file bytes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "frontend/model_specs.h"
#include "llama/options.h"
#include "nn/plugin_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const char* text = reinterpret_cast<const char*>(data + 1);
  const std::string_view view(text, size - 1);
  switch (data[0] % 4) {
    case 0: {
      nnwasm::llama_backend::Options options;
      try {
        nnwasm::llama_backend::apply_options(text, size - 1, options);
      } catch (...) {
        // plugin_support::Error (invalid_argument with a message): what the guest gets
      }
      break;
    }
    case 1:
      nnwasm::nn::parse_plugin_manifest(view);
      break;
    case 2: {
      nnwasm::nn::NamedModel model;
      nnwasm::frontend::parse_preload(std::string(view), &model);
      nnwasm::frontend::parse_graph_dir(std::string(view), &model);
      break;
    }
    case 3: {
      // As a file in the backend path: the checks before dlopen, and the manifest read.
      const int fd = memfd_create("nnwasm-fuzz-plugin", MFD_CLOEXEC);
      if (fd < 0 || write(fd, text, size - 1) != static_cast<ssize_t>(size - 1)) {
        if (fd >= 0) close(fd);
        break;
      }
      const std::string path = "/proc/self/fd/" + std::to_string(fd);
      if (nnwasm::nn::plugin_file_problem(path).empty()) nnwasm::nn::read_plugin_manifest(path);
      close(fd);
      break;
    }
  }
  return 0;
}
