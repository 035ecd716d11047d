// nnwasm-backend-check PLUGIN.so MODEL [ENCODING]: runs a backend plugin through the contract
// of include/nnwasm/backend.h, as a third party would before shipping one. It checks the
// descriptor, then every entry point with null and garbage arguments (an error status with a
// message, never a crash), loading the model from bytes and from its file, a corrupt copy of
// it, context lifetimes (contexts outliving nothing, many at once, concurrent creation when the
// plugin declares GRAPH_REENTRANT) and the streaming entry points when present.
// Prints one line per check ("ok: ..." / "FAIL: ...") and exits 0 when all pass, 1 otherwise,
// 2 for usage errors.
#include <dlfcn.h>
#include <nnwasm/backend.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

int g_failures = 0;

void check(bool ok, const std::string& what, const std::string& detail = "") {
  if (ok) {
    std::printf("ok: %s\n", what.c_str());
  } else {
    ++g_failures;
    std::printf("FAIL: %s%s%s\n", what.c_str(), detail.empty() ? "" : ": ", detail.c_str());
  }
}

class Checker {
 public:
  Checker(const nnwasm_backend& b, std::vector<uint8_t> model, std::string path,
          nnwasm_encoding encoding)
      : b_(b), model_(std::move(model)), path_(std::move(path)) {
    options_.encoding = encoding;
    options_.target = NNWASM_TARGET_CPU;
  }

  // A failing call must return an error status and leave a message.
  void expect_error(nnwasm_status status, const std::string& what) {
    const char* message = b_.last_error();
    check(status != NNWASM_SUCCESS && message != nullptr && message[0] != '\0', what,
          status == NNWASM_SUCCESS ? "returned success" : "no last_error message");
  }

  void descriptor() {
    check(b_.abi_version == NNWASM_BACKEND_ABI_VERSION, "abi_version is this header's");
    check(b_.struct_size >= sizeof(nnwasm_backend), "struct_size covers the descriptor");
    check(b_.name != nullptr && b_.name[0] != '\0', "has a name");
    check(b_.encoding_count > 0 && b_.encodings != nullptr, "lists its encodings");
    check(b_.probe && b_.sniff && b_.load && b_.graph_free && b_.context_create &&
              b_.context_free && b_.set_input && b_.compute && b_.get_output && b_.last_error,
          "every required function is present");
    const bool streaming = b_.compute_single != nullptr;
    check(
        streaming == (b_.get_output_single != nullptr) && streaming == (b_.fini_single != nullptr),
        "streaming functions come all together or not at all");
  }

  void probe_and_sniff() {
    nnwasm_device devices[8];
    uint32_t count = 0;
    check(b_.probe(devices, 8, &count) == NNWASM_SUCCESS && count > 0, "probe reports a device");
    uint32_t all = 0;
    check(b_.probe(nullptr, 0, &all) == NNWASM_SUCCESS && all == count,
          "probe with no room still counts the devices");
    expect_error(b_.probe(devices, 8, nullptr), "probe with count NULL");
    uint32_t confidence = 0;
    check(b_.sniff(model_.data(), model_.size(), &confidence) == NNWASM_SUCCESS && confidence > 0,
          "sniff recognises the model");
    const uint8_t junk[] = {0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3};
    confidence = 100;
    check(b_.sniff(junk, sizeof junk, &confidence) == NNWASM_SUCCESS && confidence < 100,
          "sniff is not sure of junk bytes");
    confidence = 100;
    check(b_.sniff(nullptr, 0, &confidence) == NNWASM_SUCCESS && confidence == 0,
          "sniff of no bytes is 0");
    expect_error(b_.sniff(model_.data(), model_.size(), nullptr), "sniff with confidence NULL");
  }

  // Loads the model; nullptr (and a failure) when it does not load.
  nnwasm_graph* load() {
    const nnwasm_bytes builder{model_.data(), model_.size()};
    nnwasm_graph* graph = nullptr;
    nnwasm_status status = b_.load(&builder, 1, &options_, &graph);
    check(status == NNWASM_SUCCESS && graph != nullptr, "load from bytes", b_.last_error());
    return status == NNWASM_SUCCESS ? graph : nullptr;
  }

  void bad_loads() {
    nnwasm_graph* graph = reinterpret_cast<nnwasm_graph*>(1);
    const nnwasm_bytes builder{model_.data(), model_.size()};
    expect_error(b_.load(&builder, 1, &options_, nullptr), "load with out NULL");
    expect_error(b_.load(nullptr, 1, &options_, &graph), "load with builders NULL");
    check(graph == nullptr || graph == reinterpret_cast<nnwasm_graph*>(1),
          "a failed load leaves no graph behind");
    graph = nullptr;
    const nnwasm_bytes empty{nullptr, 0};
    expect_error(b_.load(&empty, 1, &options_, &graph), "load of an empty builder");
    // The model cut to half and with its middle overwritten: an error, not a crash.
    std::vector<uint8_t> corrupt(model_.begin(), model_.begin() + model_.size() / 2);
    for (size_t i = corrupt.size() / 3; i < corrupt.size() / 3 + 64 && i < corrupt.size(); ++i)
      corrupt[i] = static_cast<uint8_t>(i * 37);
    const nnwasm_bytes broken{corrupt.data(), corrupt.size()};
    nnwasm_status status = b_.load(&broken, 1, &options_, &graph);
    if (status == NNWASM_SUCCESS) {
      b_.graph_free(graph);  // some formats load from a prefix; fine as long as it is sound
      check(true, "a corrupt model loads or fails cleanly");
    } else {
      expect_error(status, "a corrupt model fails cleanly");
    }
    if (b_.load_file != nullptr) {
      const char* missing = "/nonexistent/nnwasm-backend-check.model";
      graph = nullptr;
      expect_error(b_.load_file(&missing, 1, &options_, &graph), "load_file of a missing file");
      const char* path = path_.c_str();
      check(b_.load_file(&path, 1, &options_, &graph) == NNWASM_SUCCESS && graph != nullptr,
            "load_file of the model", b_.last_error());
      if (graph != nullptr) b_.graph_free(graph);
    }
  }

  void contexts(nnwasm_graph* graph) {
    nnwasm_context* context = nullptr;
    expect_error(b_.context_create(nullptr, &context), "context_create with graph NULL");
    expect_error(b_.context_create(graph, nullptr), "context_create with out NULL");
    check(b_.context_create(graph, &context) == NNWASM_SUCCESS && context != nullptr,
          "context_create", b_.last_error());
    if (context == nullptr) return;
    nnwasm_output out{};
    nnwasm_status status = b_.get_output(context, 1000000, &out);
    expect_error(status, "get_output of an index far out of range");
    expect_error(b_.get_output(context, 0, nullptr), "get_output with out NULL");
    expect_error(b_.get_output(nullptr, 0, &out), "get_output with context NULL");
    expect_error(b_.set_input(context, 0, nullptr), "set_input with tensor NULL");
    expect_error(b_.compute(nullptr), "compute with context NULL");
    const uint32_t dims[2] = {1, 1};
    const uint8_t byte = 0;
    const nnwasm_tensor bad_type{dims, 2, 99, &byte, 1};
    expect_error(b_.set_input(context, 0, &bad_type), "set_input of an unknown tensor type");
    const nnwasm_tensor far{dims, 2, NNWASM_TENSOR_F32, &byte, 1};
    expect_error(b_.set_input(context, 1000000, &far), "set_input of an index far out of range");
    if (b_.compute_single != nullptr) {
      expect_error(b_.compute_single(nullptr), "compute_single with context NULL");
      expect_error(b_.get_output_single(context, 0, nullptr), "get_output_single with out NULL");
      check(b_.fini_single(context) == NNWASM_SUCCESS || b_.last_error()[0] != '\0',
            "fini_single on a fresh context is harmless");
    }
    b_.context_free(context);
    b_.context_free(nullptr);
    check(true, "context_free, also of NULL");

    // Many contexts of one graph at once, freed in another order than made.
    std::vector<nnwasm_context*> many(16, nullptr);
    bool all = true;
    for (auto& c : many) all = all && b_.context_create(graph, &c) == NNWASM_SUCCESS;
    check(all, "16 contexts of one graph at once", b_.last_error());
    for (size_t i = 0; i < many.size(); i += 2) b_.context_free(many[i]);
    for (size_t i = 1; i < many.size(); i += 2) b_.context_free(many[i]);

    if (b_.flags & NNWASM_BACKEND_GRAPH_REENTRANT) {
      std::vector<std::thread> threads;
      std::vector<int> made(4, 0);
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < 8; ++i) {
            nnwasm_context* c = nullptr;
            if (b_.context_create(graph, &c) == NNWASM_SUCCESS) {
              ++made[t];
              b_.context_free(c);
            }
          }
        });
      }
      for (auto& thread : threads) thread.join();
      check(made == std::vector<int>(4, 8), "contexts made and freed on 4 threads at once");
    }
  }

  void graphs() {
    // Two graphs of the same model are independent: freeing one leaves the other usable.
    nnwasm_graph* first = load();
    nnwasm_graph* second = load();
    if (first == nullptr || second == nullptr) return;
    b_.graph_free(first);
    nnwasm_context* context = nullptr;
    check(b_.context_create(second, &context) == NNWASM_SUCCESS,
          "a graph stays usable after another graph of its model is freed", b_.last_error());
    if (context != nullptr) b_.context_free(context);
    b_.graph_free(second);
    b_.graph_free(nullptr);
    check(true, "graph_free, also of NULL");
  }

 private:
  const nnwasm_backend& b_;
  std::vector<uint8_t> model_;
  std::string path_;
  nnwasm_load_options options_{};
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s PLUGIN.so MODEL [ENCODING]\n", argv[0]);
    return 2;
  }
  void* library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    std::printf("FAIL: dlopen %s: %s\n", argv[1], dlerror());
    return 1;
  }
  auto entry =
      reinterpret_cast<nnwasm_backend_entry_fn>(dlsym(library, NNWASM_BACKEND_ENTRY_SYMBOL));
  const nnwasm_backend* backend = entry != nullptr ? entry() : nullptr;
  if (backend == nullptr) {
    std::printf("FAIL: %s exports no usable %s\n", argv[1], NNWASM_BACKEND_ENTRY_SYMBOL);
    return 1;
  }
  std::ifstream in(argv[2], std::ios::binary);
  std::vector<uint8_t> model{std::istreambuf_iterator<char>(in), {}};
  if (model.empty()) {
    std::fprintf(stderr, "%s: cannot read the model\n", argv[2]);
    return 2;
  }
  const nnwasm_encoding encoding =
      argc == 4 ? static_cast<nnwasm_encoding>(std::stoul(argv[3])) : backend->encodings[0];
  Checker checker(*backend, std::move(model), argv[2], encoding);
  checker.descriptor();
  checker.probe_and_sniff();
  checker.bad_loads();
  if (nnwasm_graph* graph = checker.load()) {
    checker.contexts(graph);
    backend->graph_free(graph);
  }
  checker.graphs();
  std::printf("%s: %d checks failed\n", backend->name, g_failures);
  return g_failures == 0 ? 0 : 1;
}
