// libtorch side of the PyTorch backend, shared by graph.cc and context.cc (the only files that
// include torch headers): the loaded module, its forward schema, and c10::Error translation.
#pragma once

#include <torch/script.h>

#include <string>
#include <utility>
#include <vector>

#include "torch_backend.h"

namespace nnwasm::torch_backend {

// One argument of forward (self excluded).
struct InputInfo {
  std::string name;
  bool tensor = true;  // Tensor or Optional[Tensor]; anything else cannot come from WASI-NN
  std::string type;    // the schema's type text, for messages
  bool has_default = false;
  c10::IValue default_value;
};

// A module shared by every context of the graph: forward on a TorchScript module in eval mode
// is safe to call from several threads at once (the graph executor locks what it must).
struct GraphState {
  torch::jit::Module module;
  torch::jit::Method forward;
  c10::Device device{c10::kCPU};
  std::vector<InputInfo> inputs;

  GraphState(torch::jit::Module m, c10::Device d)
      : module(std::move(m)), forward(module.get_method("forward")), device(d) {}
};

// libtorch's message, headed by its last line when it carries a TorchScript traceback (the
// interpreter puts the actual error last).
inline std::string torch_message(const std::string& text) {
  if (text.find("Traceback of TorchScript") == std::string::npos) return text;
  size_t end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return text;
  const size_t begin = text.rfind('\n', end);
  const std::string last = text.substr(begin == std::string::npos ? 0 : begin + 1,
                                       end + 1 - (begin == std::string::npos ? 0 : begin + 1));
  return last + "\n" + text;
}

// Runs `body`, turning libtorch's errors (c10::Error without its C++ backtrace, and the
// interpreter's std::runtime_errors) into Error{status, "libtorch: " + message}.
template <typename Body>
auto torch_call(nnwasm_status status, const std::string& what, Body&& body) {
  try {
    return body();
  } catch (const c10::Error& e) {
    throw Error{status, what + "libtorch: " + torch_message(e.what_without_backtrace())};
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw Error{status, what + "libtorch: " + torch_message(e.what())};
  }
}

}  // namespace nnwasm::torch_backend
