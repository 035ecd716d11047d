// llama.cpp process setup (once), its log, device probing, GGUF sniffing and model loading.
#include <fcntl.h>
#include <llama.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <vector>

#include "llama_backend.h"

namespace nnwasm::llama_backend {

namespace {

// Log levels shown on this thread (LogScope); errors are never shown but kept for messages,
// since each failure reaches the user once, through the WASI-NN error report.
thread_local bool t_log_info = false;
thread_local bool t_log_debug = false;

// Plain arrays: a thread_local with a destructor would keep the plugin from unloading.
constexpr size_t kLlamaErrorCapacity = 1024;
thread_local char g_llama_error[kLlamaErrorCapacity];
thread_local ggml_log_level g_previous_level = GGML_LOG_LEVEL_NONE;
thread_local char g_log_line[1024];  // a line llama.cpp logs in pieces, until its newline
thread_local size_t g_log_line_size = 0;

// Shown lines go through the host's logger, one whole line at a time.
void forward_log(ggml_log_level level, const char* text) {
  const nnwasm_log_level host_level =
      level == GGML_LOG_LEVEL_WARN ? NNWASM_LOG_WARN : NNWASM_LOG_INFO;
  for (const char* p = text; *p != '\0'; ++p) {
    const bool full = g_log_line_size == sizeof g_log_line - 1;
    if (*p != '\n' && !full) {
      g_log_line[g_log_line_size++] = *p;
      continue;
    }
    g_log_line[g_log_line_size] = '\0';
    plugin_support::log(nullptr, host_level, "llama.cpp: %s", g_log_line);
    g_log_line_size = 0;
    if (*p != '\n') g_log_line[g_log_line_size++] = *p;
  }
}

void on_llama_log(ggml_log_level level, const char* text, void*) {
  if (level == GGML_LOG_LEVEL_CONT) level = g_previous_level;
  g_previous_level = level;
  if (level == GGML_LOG_LEVEL_ERROR) {
    // Keep the last line, without its newline.
    std::snprintf(g_llama_error, kLlamaErrorCapacity, "%s", text);
    size_t n = std::strlen(g_llama_error);
    while (n > 0 && (g_llama_error[n - 1] == '\n' || g_llama_error[n - 1] == ' '))
      g_llama_error[--n] = '\0';
  }
  const bool show =
      level == GGML_LOG_LEVEL_DEBUG ? t_log_debug : level != GGML_LOG_LEVEL_NONE && t_log_info;
  if (show) forward_log(level, text);
}

std::string reason() {
  return g_llama_error[0] != '\0' ? std::string(g_llama_error) : "llama.cpp gave no reason";
}

Options load_time_options(const nnwasm_load_options& load) {
  Options options;
  if (load.config_json != nullptr && load.config_len > 0) {
    apply_options(load.config_json, load.config_len, options);
  }
  return options;
}

std::shared_ptr<const Weights> load_weights(const char* path, const char* shown_name,
                                            const Options& options, nnwasm_target target) {
  LogScope log(options);
  llama_model_params params = llama_model_default_params();
  // Without a GPU in `target` nothing is offloaded; on a GPU target every layer is.
  params.n_gpu_layers = options.n_gpu_layers >= 0     ? options.n_gpu_layers
                        : target == NNWASM_TARGET_GPU ? 999
                                                      : 0;
  params.load_mode = options.use_mmap ? LLAMA_LOAD_MODE_MMAP : LLAMA_LOAD_MODE_NONE;
  clear_llama_error();
  auto weights = std::make_shared<Weights>();
  weights->model = llama_model_load_from_file(path, params);
  if (weights->model == nullptr) {
    throw Error{NNWASM_INVALID_ENCODING,
                std::string("cannot load GGUF model ") + shown_name + ": " + reason()};
  }
  weights->vocab = llama_model_get_vocab(weights->model);
  // One pass over the vocabulary (a few ms for 128k tokens) bounds the tokens of any prompt.
  char piece[256];
  for (llama_token id = 0; id < llama_vocab_n_tokens(weights->vocab); ++id) {
    const int32_t n = llama_token_to_piece(weights->vocab, id, piece, sizeof piece, 0, true);
    weights->max_token_bytes =
        std::max<uint32_t>(weights->max_token_bytes, static_cast<uint32_t>(n < 0 ? -n : n));
  }
  return weights;
}

std::shared_ptr<Model> make_model(std::shared_ptr<const Weights> weights, Options options) {
  return std::make_shared<Model>(Model{std::move(weights), std::move(options)});
}

// Weights of live graphs by file identity and load-time settings. A static with a destructor
// is fine here (unlike a thread_local): it runs when the plugin is closed.
std::mutex g_weights_mutex;
std::map<std::string, std::weak_ptr<const Weights>> g_weights;

// An anonymous in-memory file holding `size` bytes (closed on error).
int memory_file(const uint8_t* data, size_t size) {
  int fd = memfd_create("nnwasm-gguf", MFD_CLOEXEC);
  if (fd < 0) {
    throw Error{NNWASM_RUNTIME_ERROR,
                std::string("cannot create a memory file for the model: ") + std::strerror(errno)};
  }
  for (size_t done = 0; done < size;) {
    ssize_t n = write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      close(fd);
      throw Error{NNWASM_RUNTIME_ERROR,
                  std::string("cannot buffer the model bytes: ") + std::strerror(saved)};
    }
    done += static_cast<size_t>(n);
  }
  return fd;
}

}  // namespace

Weights::~Weights() {
  if (model != nullptr) llama_model_free(model);
}

void init_llama() {
  llama_log_set(on_llama_log, nullptr);  // again after a shutdown, when the plugin stayed mapped
  // A failed GGML_ASSERT (a corrupt model) would otherwise attach gdb to the process to print
  // a backtrace of every thread: slow, and dozens of lines where the host says one.
  setenv("GGML_NO_BACKTRACE", "1", 0);
  static std::once_flag once;
  std::call_once(once, [] { llama_backend_init(); });
}

void shutdown_llama() {
  // libllama and ggml cannot be unloaded (they have unique symbols), so they would outlive this
  // plugin and call its log function after dlclose: hand the log back to llama.cpp first.
  llama_log_set(nullptr, nullptr);
}

LogScope::LogScope(const Options& options) : info_(t_log_info), debug_(t_log_debug) {
  t_log_info = options.enable_log || options.enable_debug_log;
  t_log_debug = options.enable_debug_log;
}

LogScope::~LogScope() {
  t_log_info = info_;
  t_log_debug = debug_;
}

const char* last_llama_error() {
  return g_llama_error;
}

void clear_llama_error() {
  g_llama_error[0] = '\0';
}

std::string llama_reason() {
  return g_llama_error[0] != '\0' ? g_llama_error : "llama.cpp gave no reason";
}

nnwasm_status probe_devices(nnwasm_device* out, uint32_t cap, uint32_t* count) {
  static const std::vector<nnwasm_device> devices = [] {
    std::vector<nnwasm_device> list;
    // The thread count every context uses unless its metadata sets "threads".
    nnwasm_device cpu{NNWASM_TARGET_CPU, 0, ""};
    std::snprintf(cpu.name, sizeof(cpu.name), "cpu (%d threads)", cpus_available());
    list.push_back(cpu);
    int32_t gpu_index = 0;
    for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
      ggml_backend_dev_t dev = ggml_backend_dev_get(i);
      const auto type = ggml_backend_dev_type(dev);
      if (type != GGML_BACKEND_DEVICE_TYPE_GPU && type != GGML_BACKEND_DEVICE_TYPE_IGPU) continue;
      nnwasm_device d{NNWASM_TARGET_GPU, gpu_index++, ""};
      std::snprintf(d.name, sizeof(d.name), "%s %s", ggml_backend_dev_name(dev),
                    ggml_backend_dev_description(dev));
      list.push_back(d);
    }
    return list;
  }();
  *count = static_cast<uint32_t>(devices.size());
  for (uint32_t i = 0; i < cap && i < devices.size(); ++i) out[i] = devices[i];
  return NNWASM_SUCCESS;
}

void sniff_gguf(const uint8_t* data, size_t size, nnwasm_sniff_result* out) {
  out->confidence = sniff_gguf(data, size);
  if (out->confidence == 0) return;
  out->encoding = NNWASM_ENCODING_GGML;
  uint32_t version = 0;
  if (size >= 8) std::memcpy(&version, data + 4, 4);  // little-endian, as GGUF is
  std::snprintf(out->format, sizeof out->format, "GGUF v%u", version);
}

namespace {
// Inputs and outputs of every LLM graph (docs/abi.md section 5).
const nnwasm_tensor_desc kInputs[] = {
    {"prompt", NNWASM_TENSOR_U8, 0, nullptr, NNWASM_IO_TEXT},
    {"metadata", NNWASM_TENSOR_U8, 0, nullptr, NNWASM_IO_JSON | NNWASM_IO_OPTIONAL},
};
const nnwasm_tensor_desc kOutputs[] = {
    {"text", NNWASM_TENSOR_U8, 0, nullptr, NNWASM_IO_TEXT},
    {"stats", NNWASM_TENSOR_U8, 0, nullptr, NNWASM_IO_JSON},
};
}  // namespace

uint32_t Model::io_count(nnwasm_io_kind kind) const {
  return kind == NNWASM_IO_INPUT ? std::size(kInputs) : std::size(kOutputs);
}

nnwasm_tensor_desc Model::io(nnwasm_io_kind kind, uint32_t index) const {
  if (index >= io_count(kind)) {
    throw Error{NNWASM_INVALID_ARGUMENT,
                std::string(kind == NNWASM_IO_INPUT ? "input " : "output ") +
                    std::to_string(index) + " does not exist: an LLM graph has 2"};
  }
  return kind == NNWASM_IO_INPUT ? kInputs[index] : kOutputs[index];
}

uint32_t sniff_gguf(const uint8_t* data, size_t size) {
  return data != nullptr && size >= 4 && std::memcmp(data, "GGUF", 4) == 0 ? 100 : 0;
}

const char* backend_version() {
  return "2.0 (llama.cpp " NNWASM_LLAMA_TAG " " NNWASM_LLAMA_COMMIT ")";
}

std::shared_ptr<Model> load_model_file(const char* path, const nnwasm_load_options& load) {
  struct stat st;
  if (stat(path, &st) != 0) {
    throw Error{NNWASM_MODEL_NOT_FOUND,
                std::string("model file '") + path + "': " + std::strerror(errno)};
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error{NNWASM_MODEL_NOT_FOUND, std::string("model path '") + path + "' is not a file"};
  }
  Options options = load_time_options(load);
  // The same file (device, inode, size, mtime) with the same load-time settings.
  const std::string key = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
                          std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
                          "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
                          std::to_string(options.n_gpu_layers) + ":" +
                          std::to_string(options.use_mmap) + ":" + std::to_string(load.target);
  std::lock_guard lock(g_weights_mutex);
  std::shared_ptr<const Weights> weights = g_weights[key].lock();
  if (!weights) {
    std::erase_if(g_weights, [](const auto& entry) { return entry.second.expired(); });
    weights = load_weights(path, (std::string("'") + path + "'").c_str(), options, load.target);
    g_weights[key] = weights;
  }
  return make_model(std::move(weights), std::move(options));
}

std::shared_ptr<Model> load_model_bytes(const uint8_t* data, size_t size,
                                        const nnwasm_load_options& load) {
  if (sniff_gguf(data, size) == 0) {
    throw Error{NNWASM_INVALID_ENCODING, "the model bytes are not GGUF (no 'GGUF' magic)"};
  }
  Options options = load_time_options(load);
  // llama.cpp loads only from files: an anonymous one, never visible in the file system.
  const int fd = memory_file(data, size);
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  std::shared_ptr<const Weights> weights;
  try {
    weights = load_weights(path, "(guest bytes)", options, load.target);
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);  // a mapping of the file keeps its pages alive
  return make_model(std::move(weights), std::move(options));
}

}  // namespace nnwasm::llama_backend
