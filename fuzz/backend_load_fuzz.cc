// libFuzzer target: a backend plugin's sniff and load on mutated model bytes, then a context and
// a compute on whatever loaded - what a guest's load from bytes reaches. The plugin is the
// environment's NNWASM_FUZZ_PLUGIN (libnnwasm-onnx.so, -torch, -llama). The frameworks are not
// instrumented and some abort on corrupt models (llama.cpp's asserts): that is what
// --nn-isolate is for, so scripts/fuzz.sh runs this target with -fork and -ignore_crashes and
// reports the crashes per backend instead of failing on them.
#include <dlfcn.h>
#include <nnwasm/backend.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

const nnwasm_backend* backend() {
  static const nnwasm_backend* b = [] {
    const char* path = std::getenv("NNWASM_FUZZ_PLUGIN");
    void* library = path != nullptr ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : nullptr;
    auto entry =
        library != nullptr
            ? reinterpret_cast<nnwasm_backend_entry_fn>(dlsym(library, NNWASM_BACKEND_ENTRY_SYMBOL))
            : nullptr;
    const nnwasm_backend* found = entry != nullptr ? entry(nullptr) : nullptr;
    if (found == nullptr) {
      std::fprintf(stderr, "set NNWASM_FUZZ_PLUGIN to a backend plugin (%s)\n",
                   path == nullptr ? "unset" : dlerror());
      std::exit(2);
    }
    return found;
  }();
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nnwasm_backend& b = *backend();
  nnwasm_sniff_result sniffed{};
  if (b.sniff(data, size, &sniffed) != NNWASM_SUCCESS || sniffed.confidence == 0) return 0;
  const nnwasm_bytes builder{data, size};
  const nnwasm_load_options options{
      sizeof options, sniffed.encoding, NNWASM_TARGET_CPU, 0, nullptr, 0, nullptr};
  nnwasm_graph* graph = nullptr;
  if (b.load(&builder, 1, &options, &graph) != NNWASM_SUCCESS || graph == nullptr) return 0;
  nnwasm_context* context = nullptr;
  if (b.context_create(graph, nullptr, &context) == NNWASM_SUCCESS) {
    // A text prompt for LLMs; another backend refuses it as the wrong tensor.
    static const uint8_t prompt[] = "Once upon a time";
    const uint32_t dims[1] = {sizeof prompt - 1};
    const nnwasm_tensor tensor{dims, 1, NNWASM_TENSOR_U8, prompt, sizeof prompt - 1};
    if (b.set_input(context, 0, &tensor) == NNWASM_SUCCESS && b.compute_single != nullptr) {
      b.compute_single(context);
    }
    b.context_free(context);
  }
  b.graph_free(graph);
  return 0;
}
