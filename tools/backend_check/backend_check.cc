// nnwasm-backend-check PLUGIN.so MODEL [ENCODING] [--input I=TEXT] [--tensor I=TYPE:DIMS]
// [--option KEY=VALUE] (answered by the host's option callback, e.g. rpc.uri):
// runs a backend plugin through the contract of include/nnwasm/backend.h, as a third party
// would before shipping one. It checks the descriptor; every entry point with null and garbage
// arguments (an error status with a message, never a crash); loading from bytes, from the file,
// by an unknown name, and of a corrupt copy; the graph's description; a compute on inputs built
// from that description (or from --input / --tensor), with the outputs' types, dims and
// lifetime; that a failed set_input changes nothing; concurrent contexts when GRAPH_REENTRANT is
// declared; the streaming state machine when present; cancellation when CANCELLABLE is
// declared; and a restart after shutdown.
// Outputs of two computes on the same inputs must be equal: give a config that makes sampling
// deterministic (--input 1={"temp":0} for an LLM).
// Prints one line per check ("ok: ...", "FAIL: ...", "skip: ...") and exits 0 when all pass,
// 1 otherwise, 2 for usage errors.
#include <dlfcn.h>
#include <nnwasm/backend.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
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

void skip(const std::string& what, const std::string& why) {
  std::printf("skip: %s (%s)\n", what.c_str(), why.c_str());
}

// ---- the host side: log lines counted, cancellation per context token ----

struct Token {
  std::atomic<bool> cancel{false};
};

std::atomic<int> g_log_lines{0};

void host_log(void*, nnwasm_log_level level, const char* message) {
  ++g_log_lines;
  std::fprintf(stderr, "  [plugin log %u] %s\n", level, message ? message : "(null)");
}

int host_cancelled(void* token) {
  return token != nullptr && static_cast<Token*>(token)->cancel.load() ? 1 : 0;
}

std::map<std::string, std::string> g_host_options;  // --option KEY=VALUE

const char* host_option(const nnwasm_host*, const char* key) {
  auto it = key != nullptr ? g_host_options.find(key) : g_host_options.end();
  return it == g_host_options.end() ? nullptr : it->second.c_str();
}

void host_write_stdout(void*, const char* data, size_t size) {
  std::fwrite(data, 1, size, stdout);
}

// No memory budget: reserve_memory and release_memory are absent (everything is admitted).
const nnwasm_host kHost = {
    sizeof(nnwasm_host), NNWASM_BACKEND_ABI_VERSION, host_log, host_cancelled,
    host_option,         host_write_stdout,          nullptr,  nullptr};

size_t element_size(nnwasm_tensor_type type) {
  static const size_t sizes[] = {2, 4, 8, 1, 4, 8};
  return type <= NNWASM_TENSOR_I64 ? sizes[type] : 0;
}

bool parse_type(const std::string& text, nnwasm_tensor_type* type) {
  static const char* const names[] = {"f16", "f32", "f64", "u8", "i32", "i64"};
  for (uint32_t i = 0; i < 6; ++i) {
    if (text == names[i]) {
      *type = i;
      return true;
    }
  }
  return false;
}

// One input to set: a tensor over owned dims and data.
struct Input {
  uint32_t index = 0;
  nnwasm_tensor_type type = NNWASM_TENSOR_U8;
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;
  nnwasm_tensor view() const {
    return {dims.data(), static_cast<uint32_t>(dims.size()), type, data.data(), data.size()};
  }
};

Input text_input(uint32_t index, const std::string& text) {
  Input in;
  in.index = index;
  in.dims = {static_cast<uint32_t>(text.size())};
  in.data.assign(text.begin(), text.end());
  return in;
}

// A tensor of `type` and `dims` with a deterministic pattern of small values.
Input pattern_input(uint32_t index, nnwasm_tensor_type type, std::vector<uint32_t> dims) {
  Input in;
  in.index = index;
  in.type = type;
  in.dims = std::move(dims);
  size_t count = 1;
  for (uint32_t d : in.dims) count *= d;
  in.data.resize(count * element_size(type));
  for (size_t k = 0; k < count; ++k) {
    const double v = static_cast<double>(k % 7) * 0.5;
    uint8_t* p = in.data.data() + k * element_size(type);
    switch (type) {
      case NNWASM_TENSOR_F32: {
        const float f = static_cast<float>(v);
        std::memcpy(p, &f, 4);
        break;
      }
      case NNWASM_TENSOR_F64:
        std::memcpy(p, &v, 8);
        break;
      case NNWASM_TENSOR_I32: {
        const int32_t i = static_cast<int32_t>(k % 3);
        std::memcpy(p, &i, 4);
        break;
      }
      case NNWASM_TENSOR_I64: {
        const int64_t i = static_cast<int64_t>(k % 3);
        std::memcpy(p, &i, 8);
        break;
      }
      case NNWASM_TENSOR_U8:
        *p = static_cast<uint8_t>(k % 251);
        break;
      default:  // f16: 0x3800 (0.5) and 0
        p[0] = 0;
        p[1] = k % 2 ? 0x38 : 0;
        break;
    }
  }
  return in;
}

struct Options {
  std::string plugin, model;
  nnwasm_encoding encoding = 0;
  bool has_encoding = false;
  std::map<uint32_t, Input> given;  // --input / --tensor
};

class Checker {
 public:
  Checker(const nnwasm_backend& b, std::vector<uint8_t> model, const Options& options)
      : b_(b), model_(std::move(model)), options_(options) {
    load_options_.struct_size = sizeof load_options_;
    load_options_.encoding = options.has_encoding ? options.encoding : b.encodings[0];
    load_options_.target = NNWASM_TARGET_CPU;
    load_options_.device_index = 0;
  }

  // A failing call must return an error status and leave a message.
  void expect_error(nnwasm_status status, const std::string& what) {
    const char* message = status != NNWASM_SUCCESS ? b_.last_error() : nullptr;
    check(status != NNWASM_SUCCESS && message != nullptr && message[0] != '\0', what,
          status == NNWASM_SUCCESS ? "returned success" : "no last_error message");
  }

  void descriptor() {
    check(b_.abi_version == NNWASM_BACKEND_ABI_VERSION, "abi_version is this header's");
    check(b_.struct_size >= sizeof(nnwasm_backend), "struct_size covers the descriptor");
    check(b_.name != nullptr && b_.name[0] != '\0', "has a name");
    check(b_.version != nullptr, "has a version");
    check(b_.encoding_count > 0 && b_.encodings != nullptr, "lists its encodings");
    check((b_.flags & ~uint32_t{NNWASM_BACKEND_GRAPH_REENTRANT | NNWASM_BACKEND_CANCELLABLE}) == 0,
          "sets only flags this header defines");
    check(b_.probe && b_.sniff && b_.load && b_.graph_free && b_.graph_io_count && b_.graph_io &&
              b_.context_create && b_.context_free && b_.set_input && b_.compute && b_.get_output &&
              b_.last_error,
          "every required function is present");
    check(
        streams() == (b_.get_output_single != nullptr) && streams() == (b_.fini_single != nullptr),
        "streaming functions come all together or not at all");
  }

  void probe_and_sniff() {
    nnwasm_device devices[8];
    uint32_t count = 0;
    check(b_.probe(devices, 8, &count) == NNWASM_SUCCESS && count > 0, "probe reports a device");
    bool named = true;
    for (uint32_t i = 0; i < count && i < 8; ++i)
      named = named && devices[i].target <= NNWASM_TARGET_TPU &&
              std::memchr(devices[i].name, '\0', sizeof devices[i].name) != nullptr;
    check(named, "devices have a target and a NUL-terminated name");
    uint32_t all = 0;
    check(b_.probe(nullptr, 0, &all) == NNWASM_SUCCESS && all == count,
          "probe with no room still counts the devices");
    expect_error(b_.probe(devices, 8, nullptr), "probe with count NULL");

    nnwasm_sniff_result r{};
    check(b_.sniff(model_.data(), model_.size(), &r) == NNWASM_SUCCESS && r.confidence > 0 &&
              r.confidence <= 100,
          "sniff recognises the model");
    bool encoding_ok = r.encoding == NNWASM_ENCODING_AUTODETECT;
    for (uint32_t i = 0; i < b_.encoding_count; ++i) encoding_ok |= r.encoding == b_.encodings[i];
    check(encoding_ok, "sniff names one of its encodings (or autodetect)");
    check(std::memchr(r.format, '\0', sizeof r.format) != nullptr,
          "sniff's format is NUL-terminated");
    const uint8_t junk[] = {0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3};
    r.confidence = 100;
    check(b_.sniff(junk, sizeof junk, &r) == NNWASM_SUCCESS && r.confidence < 100,
          "sniff is not sure of junk bytes");
    r.confidence = 100;
    check(b_.sniff(nullptr, 0, &r) == NNWASM_SUCCESS && r.confidence == 0,
          "sniff of no bytes is 0");
    for (size_t n : {size_t{1}, size_t{4}, size_t{16}}) {
      std::vector<uint8_t> head(model_.begin(), model_.begin() + std::min(n, model_.size()));
      b_.sniff(head.data(), head.size(), &r);  // a heap copy: ASan sees a read past it
    }
    check(true, "sniff of 1, 4 and 16 leading bytes reads nothing past them");
    expect_error(b_.sniff(model_.data(), model_.size(), nullptr), "sniff with out NULL");
  }

  // Loads the model; nullptr (and a failure) when it does not load.
  nnwasm_graph* load() {
    const nnwasm_bytes builder{model_.data(), model_.size()};
    nnwasm_graph* graph = nullptr;
    nnwasm_status status = b_.load(&builder, 1, &load_options_, &graph);
    check(status == NNWASM_SUCCESS && graph != nullptr, "load from bytes",
          status == NNWASM_SUCCESS ? "" : b_.last_error());
    return status == NNWASM_SUCCESS ? graph : nullptr;
  }

  void bad_loads() {
    nnwasm_graph* graph = reinterpret_cast<nnwasm_graph*>(1);
    const nnwasm_bytes builder{model_.data(), model_.size()};
    expect_error(b_.load(&builder, 1, &load_options_, nullptr), "load with out NULL");
    expect_error(b_.load(nullptr, 1, &load_options_, &graph), "load with builders NULL");
    check(graph == nullptr || graph == reinterpret_cast<nnwasm_graph*>(1),
          "a failed load leaves no graph behind");
    graph = nullptr;
    expect_error(b_.load(&builder, 1, nullptr, &graph), "load with options NULL");
    const nnwasm_bytes empty{nullptr, 0};
    expect_error(b_.load(&empty, 1, &load_options_, &graph), "load of an empty builder");
    // The model cut to half and with its middle overwritten: an error, not a crash.
    std::vector<uint8_t> corrupt(model_.begin(), model_.begin() + model_.size() / 2);
    for (size_t i = corrupt.size() / 3; i < corrupt.size() / 3 + 64 && i < corrupt.size(); ++i)
      corrupt[i] = static_cast<uint8_t>(i * 37);
    const nnwasm_bytes broken{corrupt.data(), corrupt.size()};
    nnwasm_status status = b_.load(&broken, 1, &load_options_, &graph);
    if (status == NNWASM_SUCCESS) {
      b_.graph_free(graph);  // some formats load from a prefix; fine as long as it is sound
      check(true, "a corrupt model loads or fails cleanly");
    } else {
      expect_error(status, "a corrupt model fails cleanly");
    }
    if (b_.load_file != nullptr) {
      const char* missing = "/nonexistent/nnwasm-backend-check.model";
      graph = nullptr;
      status = b_.load_file(&missing, 1, &load_options_, &graph);
      expect_error(status, "load_file of a missing file");
      check(status == NNWASM_MODEL_NOT_FOUND, "a missing file is model_not_found",
            "got " + std::to_string(status));
      const char* path = options_.model.c_str();
      status = b_.load_file(&path, 1, &load_options_, &graph);
      check(status == NNWASM_SUCCESS && graph != nullptr, "load_file of the model",
            status == NNWASM_SUCCESS ? "" : b_.last_error());
      if (graph != nullptr) b_.graph_free(graph);
    }
    if (b_.load_by_name != nullptr) {
      nnwasm_load_options by_name = load_options_;
      by_name.encoding = NNWASM_ENCODING_AUTODETECT;
      by_name.target = NNWASM_TARGET_AUTO;
      const std::string name = "nnwasm-backend-check/no such model";
      graph = nullptr;
      status = b_.load_by_name(name.data(), name.size(), &by_name, &graph);
      check(status == NNWASM_NOT_FOUND && graph == nullptr,
            "load_by_name of an unknown name is not_found", "got " + std::to_string(status));
      expect_error(b_.load_by_name(name.data(), name.size(), &by_name, nullptr),
                   "load_by_name with out NULL");
    }
  }

  // The graph's inputs and outputs; the inputs to compute with.
  void describe(nnwasm_graph* graph) {
    for (nnwasm_io_kind kind : {NNWASM_IO_INPUT, NNWASM_IO_OUTPUT}) {
      const char* side = kind == NNWASM_IO_INPUT ? "inputs" : "outputs";
      uint32_t count = 0;
      nnwasm_status status = b_.graph_io_count(graph, kind, &count);
      if (status == NNWASM_UNSUPPORTED_OPERATION) {
        expect_error(status, std::string("graph_io_count of ") + side + " unsupported, with why");
        (kind == NNWASM_IO_INPUT ? inputs_known_ : outputs_known_) = false;
        continue;
      }
      check(status == NNWASM_SUCCESS && count < 100000, std::string("graph_io_count of ") + side,
            status == NNWASM_SUCCESS ? "" : b_.last_error());
      (kind == NNWASM_IO_INPUT ? inputs_known_ : outputs_known_) = status == NNWASM_SUCCESS;
      bool sound = true;
      std::string detail;
      for (uint32_t i = 0; i < count && status == NNWASM_SUCCESS; ++i) {
        nnwasm_tensor_desc d{};
        if (b_.graph_io(graph, kind, i, &d) != NNWASM_SUCCESS) {
          sound = false;
          detail = b_.last_error();
          break;
        }
        if (d.name == nullptr || (d.rank > 0 && d.dims == nullptr) ||
            (d.type > NNWASM_TENSOR_I64 && d.type != NNWASM_TENSOR_UNKNOWN)) {
          sound = false;
          detail = "entry " + std::to_string(i) + " has no name, dims or a known type";
        }
        (kind == NNWASM_IO_INPUT ? input_descs_ : output_descs_).push_back(d);
      }
      check(sound, std::string("graph_io describes every one of its ") + side, detail);
      nnwasm_tensor_desc d{};
      expect_error(b_.graph_io(graph, kind, count, &d), std::string("graph_io past the ") + side);
      expect_error(b_.graph_io(graph, kind, 0, nullptr), "graph_io with out NULL");
    }
    uint32_t count = 0;
    nnwasm_tensor_desc d{};
    expect_error(b_.graph_io_count(nullptr, NNWASM_IO_INPUT, &count), "graph_io_count of NULL");
    expect_error(b_.graph_io_count(graph, 7, &count), "graph_io_count of an unknown kind");
    expect_error(b_.graph_io(graph, 7, 0, &d), "graph_io of an unknown kind");
  }

  // Inputs from --input/--tensor, else from the description; false (with why) when one cannot
  // be made.
  bool build_inputs(std::string* why) {
    inputs_.clear();
    if (!inputs_known_) {
      for (const auto& [index, input] : options_.given) inputs_.push_back(input);
      if (inputs_.empty()) *why = "the graph does not declare its inputs; pass --tensor";
      return !inputs_.empty();
    }
    for (uint32_t i = 0; i < input_descs_.size(); ++i) {
      const nnwasm_tensor_desc& d = input_descs_[i];
      if (auto it = options_.given.find(i); it != options_.given.end()) {
        inputs_.push_back(it->second);
      } else if (d.flags & NNWASM_IO_OPTIONAL) {
        continue;
      } else if (d.flags & NNWASM_IO_TEXT) {
        inputs_.push_back(text_input(i, "Once upon a time"));
      } else if (d.type <= NNWASM_TENSOR_I64 && d.rank > 0) {
        std::vector<uint32_t> dims;
        for (uint32_t r = 0; r < d.rank; ++r) dims.push_back(d.dims[r] > 0 ? d.dims[r] : 1);
        inputs_.push_back(pattern_input(i, d.type, std::move(dims)));
      } else {
        *why = "input " + std::to_string(i) + " has no declared type and shape; pass --tensor";
        return false;
      }
    }
    return true;
  }

  bool set_inputs(nnwasm_context* c) {
    for (const Input& in : inputs_) {
      const nnwasm_tensor t = in.view();
      if (b_.set_input(c, in.index, &t) != NNWASM_SUCCESS) {
        check(false, "set_input " + std::to_string(in.index), b_.last_error());
        return false;
      }
    }
    return true;
  }

  // Every output after a compute, copied; checks each one's type, dims and size.
  std::vector<std::vector<uint8_t>> outputs(nnwasm_context* c, bool report) {
    std::vector<std::vector<uint8_t>> all;
    const uint32_t limit = outputs_known_ ? static_cast<uint32_t>(output_descs_.size()) : 64;
    bool sound = true;
    std::string detail;
    for (uint32_t i = 0; i < limit; ++i) {
      nnwasm_output out{};
      const nnwasm_status status = b_.get_output(c, i, &out);
      if (status != NNWASM_SUCCESS) {
        if (outputs_known_ || i == 0) {
          sound = false;
          detail = "output " + std::to_string(i) + ": " + b_.last_error();
        }
        break;
      }
      if (out.size > 0 && out.data == nullptr) {
        sound = false;
        detail = "output " + std::to_string(i) + " has bytes but no data";
        break;
      }
      if ((out.rank > 0 && out.dims == nullptr) ||
          (out.type > NNWASM_TENSOR_I64 && out.type != NNWASM_TENSOR_UNKNOWN)) {
        sound = false;
        detail = "output " + std::to_string(i) + " has no dims or an unknown type";
      } else if (element_size(out.type) != 0) {
        size_t elements = 1;
        for (uint32_t r = 0; r < out.rank; ++r) elements *= out.dims[r];
        if (elements * element_size(out.type) != out.size) {
          sound = false;
          detail = "output " + std::to_string(i) + ": " + std::to_string(out.size) +
                   " bytes for dims of " + std::to_string(elements) + " elements";
        }
      }
      all.emplace_back(out.data, out.data + out.size);
    }
    if (report) check(sound && !all.empty(), "outputs have a type, dims and matching size", detail);
    return all;
  }

  // compute on one context: before inputs, after them, output lifetime, determinism, a failed
  // set_input, another context's life and death in between.
  void compute(nnwasm_graph* graph) {
    std::string why;
    if (!build_inputs(&why)) {
      skip("compute checks", why);
      return;
    }
    nnwasm_context* c = nullptr;
    if (b_.context_create(graph, nullptr, &c) != NNWASM_SUCCESS) {
      check(false, "context_create for compute", b_.last_error());
      return;
    }
    nnwasm_output out{};
    // An LLM's text so far and its statistics are valid in every state (backend.h Streaming).
    if (!streams()) expect_error(b_.get_output(c, 0, &out), "get_output before any compute");
    if (inputs_known_ && !inputs_.empty()) expect_error(b_.compute(c), "compute before its inputs");
    if (!set_inputs(c)) return b_.context_free(c);
    nnwasm_status status = b_.compute(c);
    check(status == NNWASM_SUCCESS, "compute on the inputs", status ? b_.last_error() : "");
    if (status != NNWASM_SUCCESS) return b_.context_free(c);
    reference_ = outputs(c, true);

    // get_output of every index, again: output 0 still where it was, with the same bytes.
    nnwasm_output first{}, again{};
    b_.get_output(c, 0, &first);
    outputs(c, false);
    b_.get_output(c, 0, &again);
    check(first.data == again.data && first.size == again.size && !reference_.empty() &&
              std::memcmp(again.data, reference_[0].data(), again.size) == 0,
          "an output stays valid across get_output calls");

    // Another context of the graph computes and is freed: this one's output is untouched.
    nnwasm_context* other = nullptr;
    if (b_.context_create(graph, nullptr, &other) == NNWASM_SUCCESS) {
      if (set_inputs(other)) b_.compute(other);
      b_.context_free(other);
    }
    b_.get_output(c, 0, &again);
    check(again.size == reference_[0].size() &&
              std::memcmp(again.data, reference_[0].data(), again.size) == 0,
          "outputs survive another context's compute and free");

    // A set_input that fails changes nothing: the same inputs compute the same outputs.
    const Input& in = inputs_.front();
    const nnwasm_tensor t = in.view();
    expect_error(b_.set_input(c, 1000000, &t), "set_input of an index far out of range");
    status = b_.compute(c);
    check(status == NNWASM_SUCCESS && outputs(c, false) == reference_,
          "a second compute on the same inputs gives the same outputs",
          status ? b_.last_error() : "outputs differ (non-deterministic config?)");
    b_.context_free(c);
  }

  void contexts(nnwasm_graph* graph) {
    nnwasm_context* context = nullptr;
    expect_error(b_.context_create(nullptr, nullptr, &context), "context_create with graph NULL");
    expect_error(b_.context_create(graph, nullptr, nullptr), "context_create with out NULL");
    Token token;
    const nnwasm_context_options options{sizeof(nnwasm_context_options), &token};
    check(b_.context_create(graph, &options, &context) == NNWASM_SUCCESS && context != nullptr,
          "context_create with options", context ? "" : b_.last_error());
    if (context == nullptr) return;
    nnwasm_output out{};
    expect_error(b_.get_output(context, 1000000, &out), "get_output of an index far out of range");
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
    if (streams()) {
      expect_error(b_.compute_single(nullptr), "compute_single with context NULL");
      expect_error(b_.get_output_single(context, 0, nullptr), "get_output_single with out NULL");
    }
    b_.context_free(context);
    b_.context_free(nullptr);
    check(true, "context_free, also of NULL");

    // Many contexts of one graph at once, freed in another order than made.
    std::vector<nnwasm_context*> many(16, nullptr);
    bool all = true;
    for (auto& c : many) all = all && b_.context_create(graph, nullptr, &c) == NNWASM_SUCCESS;
    check(all, "16 contexts of one graph at once", all ? "" : b_.last_error());
    for (size_t i = 0; i < many.size(); i += 2) b_.context_free(many[i]);
    for (size_t i = 1; i < many.size(); i += 2) b_.context_free(many[i]);
  }

  // GRAPH_REENTRANT: contexts of one graph made, computed and freed on 4 threads at once, each
  // with the outputs of the single-threaded compute.
  void concurrency(nnwasm_graph* graph) {
    if (!(b_.flags & NNWASM_BACKEND_GRAPH_REENTRANT)) {
      skip("concurrent contexts", "the plugin does not declare GRAPH_REENTRANT");
      return;
    }
    const bool computes = !reference_.empty();
    std::vector<std::thread> threads;
    std::vector<int> good(4, 0);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 3; ++i) {
          nnwasm_context* c = nullptr;
          if (b_.context_create(graph, nullptr, &c) != NNWASM_SUCCESS) continue;
          bool ok = true;
          if (computes) {
            for (const Input& in : inputs_) {
              const nnwasm_tensor view = in.view();
              ok = ok && b_.set_input(c, in.index, &view) == NNWASM_SUCCESS;
            }
            ok = ok && b_.compute(c) == NNWASM_SUCCESS;
            nnwasm_output out{};
            ok = ok && b_.get_output(c, 0, &out) == NNWASM_SUCCESS &&
                 out.size == reference_[0].size() &&
                 std::memcmp(out.data, reference_[0].data(), out.size) == 0;
          }
          b_.context_free(c);
          good[t] += ok;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    check(good == std::vector<int>(4, 3),
          computes ? "4 threads computing on contexts of one graph get the same outputs"
                   : "contexts made and freed on 4 threads at once");
  }

  // The state machine of backend.h "Streaming".
  void streaming(nnwasm_graph* graph) {
    if (!streams()) {
      skip("streaming", "no compute_single");
      return;
    }
    nnwasm_context* c = nullptr;
    if (b_.context_create(graph, nullptr, &c) != NNWASM_SUCCESS) return;
    if (!reference_.empty() && set_inputs(c) &&
        b_.compute_single(c) == NNWASM_UNSUPPORTED_OPERATION) {
      // A plugin may stream some graphs only (the rpc backend: whatever the server's does).
      skip("streaming", std::string("this graph does not stream: ") + b_.last_error());
      return b_.context_free(c);
    }
    b_.context_free(c);
    c = nullptr;
    if (b_.context_create(graph, nullptr, &c) != NNWASM_SUCCESS) return;
    expect_error(b_.compute_single(c), "compute_single before a prompt");
    check(b_.fini_single(c) == NNWASM_SUCCESS, "fini_single before a prompt is a no-op");
    if (reference_.empty() || !set_inputs(c)) {
      skip("streaming a generation", "no inputs that compute");
      return b_.context_free(c);
    }
    auto stream = [&](std::string* text, nnwasm_status* end) {
      std::vector<std::string> pieces;
      for (int step = 0; step < 512; ++step) {
        const nnwasm_status s = b_.compute_single(c);
        if (s != NNWASM_SUCCESS && s < NNWASM_END_OF_SEQUENCE) {
          *end = s;
          return pieces;
        }
        nnwasm_output piece{};
        if (b_.get_output_single(c, 0, &piece) == NNWASM_SUCCESS)
          pieces.emplace_back(reinterpret_cast<const char*>(piece.data), piece.size);
        if (s != NNWASM_SUCCESS) {
          *end = s;
          break;
        }
      }
      for (const auto& p : pieces) *text += p;
      return pieces;
    };
    std::string text;
    nnwasm_status end = NNWASM_SUCCESS;
    const std::vector<std::string> pieces = stream(&text, &end);
    check(end >= NNWASM_END_OF_SEQUENCE && end <= NNWASM_PROMPT_TOO_LONG,
          "a stream ends with an LLM code within 512 steps", "ended with " + std::to_string(end));
    check(b_.compute_single(c) == end, "compute_single after the end returns the end again");
    nnwasm_output all{}, stats{}, stats_single{};
    b_.get_output(c, 0, &all);
    check(end != NNWASM_END_OF_SEQUENCE ||
              std::string(reinterpret_cast<const char*>(all.data), all.size) == text,
          "the pieces make output 0");
    const bool has_stats = b_.get_output(c, 1, &stats) == NNWASM_SUCCESS;
    const std::string stats_text(reinterpret_cast<const char*>(stats.data), stats.size);
    if (has_stats) {
      check(b_.get_output_single(c, 1, &stats_single) == NNWASM_SUCCESS &&
                stats_text == std::string(reinterpret_cast<const char*>(stats_single.data),
                                          stats_single.size),
            "get_output_single of index 1 is get_output's");
    }
    check(b_.fini_single(c) == NNWASM_SUCCESS, "fini_single after a stream");
    std::string again;
    nnwasm_status end_again = NNWASM_SUCCESS;
    stream(&again, &end_again);
    check(again == text && end_again == end, "after fini_single the same prompt streams again");
    const nnwasm_status s = b_.compute(c);
    nnwasm_output whole{};
    b_.get_output(c, 0, &whole);
    check((s == NNWASM_SUCCESS || s == NNWASM_CONTEXT_FULL) &&
              std::string(reinterpret_cast<const char*>(whole.data), whole.size) == text,
          "compute after streaming generates the streamed text");
    b_.context_free(c);
  }

  // CANCELLABLE: a compute whose token is cancelled stops with an error, and the context
  // computes again once the token is clear.
  void cancellation(nnwasm_graph* graph) {
    if (!(b_.flags & NNWASM_BACKEND_CANCELLABLE)) {
      skip("cancellation", "the plugin does not declare CANCELLABLE");
      return;
    }
    if (reference_.empty()) {
      skip("cancellation", "no inputs that compute");
      return;
    }
    Token token;
    const nnwasm_context_options options{sizeof(nnwasm_context_options), &token};
    nnwasm_context* c = nullptr;
    if (b_.context_create(graph, &options, &c) != NNWASM_SUCCESS || !set_inputs(c)) return;
    token.cancel = true;
    const auto start = std::chrono::steady_clock::now();
    const nnwasm_status status = b_.compute(c);
    const auto took = std::chrono::steady_clock::now() - start;
    expect_error(status, "a cancelled compute fails");
    check(status == NNWASM_RUNTIME_ERROR && took < std::chrono::seconds(5),
          "... with runtime_error, promptly", "status " + std::to_string(status));
    token.cancel = false;
    check(b_.compute(c) == NNWASM_SUCCESS && outputs(c, false) == reference_,
          "the context computes again after a cancellation");
    b_.context_free(c);
  }

  void graphs() {
    // Two graphs of the same model are independent: freeing one leaves the other usable.
    nnwasm_graph* first = load();
    nnwasm_graph* second = load();
    if (first == nullptr || second == nullptr) return;
    b_.graph_free(first);
    nnwasm_context* context = nullptr;
    check(b_.context_create(second, nullptr, &context) == NNWASM_SUCCESS,
          "a graph stays usable after another graph of its model is freed",
          context ? "" : b_.last_error());
    if (context != nullptr) b_.context_free(context);
    b_.graph_free(second);
    b_.graph_free(nullptr);
    check(true, "graph_free, also of NULL");
  }

 private:
  bool streams() const { return b_.compute_single != nullptr; }

  const nnwasm_backend& b_;
  std::vector<uint8_t> model_;
  const Options& options_;
  nnwasm_load_options load_options_{};
  bool inputs_known_ = false, outputs_known_ = false;
  std::vector<nnwasm_tensor_desc> input_descs_, output_descs_;
  std::vector<Input> inputs_;
  std::vector<std::vector<uint8_t>> reference_;  // outputs of the first compute
};

// --input I=TEXT and --tensor I=TYPE:D1xD2...
bool parse_given(const std::string& flag, const std::string& value, Options* options) {
  const size_t eq = value.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  const uint32_t index = static_cast<uint32_t>(std::stoul(value.substr(0, eq)));
  const std::string rest = value.substr(eq + 1);
  if (flag == "--input") {
    options->given[index] = text_input(index, rest);
    return true;
  }
  const size_t colon = rest.find(':');
  nnwasm_tensor_type type;
  if (colon == std::string::npos || !parse_type(rest.substr(0, colon), &type)) return false;
  std::vector<uint32_t> dims;
  for (size_t at = colon + 1; at < rest.size();) {
    const size_t x = rest.find('x', at);
    dims.push_back(static_cast<uint32_t>(std::stoul(rest.substr(at, x - at))));
    at = x == std::string::npos ? rest.size() : x + 1;
  }
  options->given[index] = pattern_input(index, type, std::move(dims));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--option" && i + 1 < argc) {
      const std::string kv = argv[++i];
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "--option %s: expected KEY=VALUE\n", kv.c_str());
        return 2;
      }
      g_host_options[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if ((arg == "--input" || arg == "--tensor") && i + 1 < argc) {
      if (!parse_given(arg, argv[++i], &options)) {
        std::fprintf(stderr, "%s %s: expected I=TEXT / I=TYPE:D1xD2\n", arg.c_str(), argv[i]);
        return 2;
      }
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() < 2 || positional.size() > 3) {
    std::fprintf(stderr,
                 "usage: %s PLUGIN.so MODEL [ENCODING] [--input I=TEXT] [--tensor I=TYPE:DIMS] "
                 "[--option KEY=VALUE]\n",
                 argv[0]);
    return 2;
  }
  options.plugin = positional[0];
  options.model = positional[1];
  if (positional.size() == 3) {
    options.encoding = static_cast<nnwasm_encoding>(std::stoul(positional[2]));
    options.has_encoding = true;
  }
  void* library = dlopen(options.plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    std::printf("FAIL: dlopen %s: %s\n", options.plugin.c_str(), dlerror());
    return 1;
  }
  auto entry =
      reinterpret_cast<nnwasm_backend_entry_fn>(dlsym(library, NNWASM_BACKEND_ENTRY_SYMBOL));
  const nnwasm_backend* backend = entry != nullptr ? entry(&kHost) : nullptr;
  if (backend == nullptr) {
    std::printf("FAIL: %s exports no usable %s\n", options.plugin.c_str(),
                NNWASM_BACKEND_ENTRY_SYMBOL);
    return 1;
  }
  std::ifstream in(options.model, std::ios::binary);
  std::vector<uint8_t> model{std::istreambuf_iterator<char>(in), {}};
  if (model.empty()) {
    std::fprintf(stderr, "%s: cannot read the model\n", options.model.c_str());
    return 2;
  }
  Checker checker(*backend, std::move(model), options);
  checker.descriptor();
  if (g_failures == 0) {
    checker.probe_and_sniff();
    checker.bad_loads();
    if (nnwasm_graph* graph = checker.load()) {
      checker.describe(graph);
      checker.contexts(graph);
      checker.compute(graph);
      checker.concurrency(graph);
      checker.streaming(graph);
      checker.cancellation(graph);
      backend->graph_free(graph);
    }
    checker.graphs();
    if (backend->shutdown != nullptr) {
      // The library stays mapped (no dlclose here): the entry point must start it over.
      backend->shutdown();
      const nnwasm_backend* again = entry(&kHost);
      uint32_t count = 0;
      check(again != nullptr && again->probe(nullptr, 0, &count) == NNWASM_SUCCESS && count > 0,
            "after shutdown the entry point starts the plugin over");
      if (again != nullptr && again->shutdown != nullptr) again->shutdown();
    }
  }
  std::printf("%s: %d checks failed\n", backend->name ? backend->name : "?", g_failures);
  return g_failures == 0 ? 0 : 1;
}
