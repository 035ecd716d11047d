// Execution contexts of the PyTorch backend: inputs checked against forward's schema and copied
// into context-owned tensors (storage reused while shape and type stay), forward under
// InferenceMode on the graph's device, and the result flattened into contiguous CPU tensors.
#include <cstring>
#include <string>

#include "torch_impl.h"

namespace nnwasm::torch_backend {
namespace {

c10::ScalarType torch_type_of(nnwasm_tensor_type type) {
  switch (type) {
    case NNWASM_TENSOR_F16:
      return c10::kHalf;
    case NNWASM_TENSOR_F32:
      return c10::kFloat;
    case NNWASM_TENSOR_F64:
      return c10::kDouble;
    case NNWASM_TENSOR_U8:
      return c10::kByte;
    case NNWASM_TENSOR_I32:
      return c10::kInt;
    default:
      return c10::kLong;
  }
}

// The WASI-NN type of a tensor's elements; UNKNOWN outside the six (bool, int8, bfloat16, ...).
nnwasm_tensor_type wasi_type_of(c10::ScalarType type) {
  switch (type) {
    case c10::kHalf:
      return NNWASM_TENSOR_F16;
    case c10::kFloat:
      return NNWASM_TENSOR_F32;
    case c10::kDouble:
      return NNWASM_TENSOR_F64;
    case c10::kByte:
      return NNWASM_TENSOR_U8;
    case c10::kInt:
      return NNWASM_TENSOR_I32;
    case c10::kLong:
      return NNWASM_TENSOR_I64;
    default:
      return NNWASM_TENSOR_UNKNOWN;
  }
}

// Appends every tensor in `v` (tensor, tuple, list, dict values in the dict's order, nested);
// numbers and booleans become 0-d tensors, None is skipped.
void flatten(const c10::IValue& v, std::vector<at::Tensor>& out) {
  if (v.isTensor()) {
    out.push_back(v.toTensor());
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) flatten(e, out);
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toListRef()) flatten(e, out);
  } else if (v.isGenericDict()) {
    for (const auto& entry : v.toGenericDict()) flatten(entry.value(), out);
  } else if (v.isInt()) {
    out.push_back(at::scalar_tensor(v.toInt(), at::kLong));
  } else if (v.isDouble()) {
    out.push_back(at::scalar_tensor(v.toDouble(), at::kDouble));
  } else if (v.isBool()) {
    out.push_back(at::scalar_tensor(v.toBool() ? 1 : 0, at::kByte));
  } else if (!v.isNone()) {
    throw Error{NNWASM_UNSUPPORTED_OPERATION,
                "the model returned a " + v.tagKind() + ", which WASI-NN outputs cannot carry"};
  }
}

class TorchContext final : public Context {
 public:
  explicit TorchContext(std::shared_ptr<GraphState> graph)
      : graph_(std::move(graph)), inputs_(graph_->inputs.size()) {}

  void set_input(uint32_t index, const nnwasm_tensor& t) override {
    const auto& infos = graph_->inputs;
    if (index >= infos.size())
      throw Error{NNWASM_INVALID_ARGUMENT, "input index " + std::to_string(index) +
                                               " out of range: the model has " +
                                               std::to_string(infos.size()) + " input(s)"};
    const InputInfo& info = infos[index];
    if (!info.tensor)
      throw Error{NNWASM_UNSUPPORTED_OPERATION,
                  "input '" + info.name + "' (index " + std::to_string(index) + ") has type " +
                      info.type + ", not Tensor; WASI-NN cannot feed it"};
    if (t.type > NNWASM_TENSOR_I64)
      fail_input(index, "unknown tensor type " + std::to_string(t.type) +
                            " (expected 0..5: f16, f32, f64, u8, i32, i64)");
    if (t.rank > 0 && t.dims == nullptr) fail_input(index, "dims pointer is NULL");
    const c10::ScalarType dtype = torch_type_of(t.type);
    const size_t esize = c10::elementSize(dtype);
    size_t elements = 1, bytes = 0;
    std::vector<int64_t> shape(t.dims, t.dims + t.rank);
    for (uint32_t d = 0; d < t.rank; ++d)
      if (__builtin_mul_overflow(elements, static_cast<size_t>(t.dims[d]), &elements) ||
          elements > (size_t{1} << 48))
        fail_input(index, "shape " + dims_text(t.dims, t.rank) + " is too large");
    if (__builtin_mul_overflow(elements, esize, &bytes))
      fail_input(index, "shape " + dims_text(t.dims, t.rank) + " is too large");
    if (t.size != bytes)
      fail_input(index, "data size: expected " + std::to_string(bytes) + " bytes (" +
                            std::to_string(elements) + " x " + std::to_string(esize) + "-byte " +
                            wasi_type_name(t.type) + " for shape " + dims_text(t.dims, t.rank) +
                            "), given " + std::to_string(t.size));
    if (bytes > 0 && t.data == nullptr) fail_input(index, "data pointer is NULL");

    // The guest's data is valid only during this call: copy it into a tensor this context owns,
    // reusing the storage when shape and type are unchanged and nothing else holds it.
    at::Tensor& slot = inputs_[index];
    torch_call(NNWASM_RUNTIME_ERROR, "", [&] {
      if (!slot.defined() || slot.scalar_type() != dtype || !slot.sizes().equals(shape) ||
          slot.use_count() > 1 || slot.storage().use_count() > 1)
        slot = at::empty(shape, at::TensorOptions().dtype(dtype));
      if (bytes > 0) std::memcpy(slot.data_ptr(), t.data, bytes);
    });
  }

  void compute() override {
    std::vector<c10::IValue> args;
    args.reserve(inputs_.size());
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const InputInfo& info = graph_->inputs[i];
      if (inputs_[i].defined())
        args.emplace_back(graph_->device.is_cpu() ? inputs_[i] : inputs_[i].to(graph_->device));
      else if (info.has_default)
        args.push_back(info.default_value);
      else
        throw Error{NNWASM_INVALID_ARGUMENT,
                    "input '" + info.name + "' (index " + std::to_string(i) +
                        ") is not set; call set_input for all " + std::to_string(inputs_.size()) +
                        " model input(s) before compute"};
    }
    have_outputs_ = false;
    outputs_.clear();  // each compute replaces the previous outputs, never appends
    output_dims_.clear();
    torch_call(NNWASM_RUNTIME_ERROR, "", [&] {
      c10::InferenceMode guard;
      c10::IValue result = graph_->forward(std::move(args));
      std::vector<at::Tensor> tensors;
      flatten(result, tensors);
      for (auto& tensor : tensors) {
        if (tensor.layout() != c10::kStrided)
          throw Error{NNWASM_UNSUPPORTED_OPERATION, "the model returned a sparse tensor"};
        // One device-to-host copy per output (a no-op for contiguous CPU tensors).
        outputs_.push_back(tensor.to(c10::kCPU).contiguous());
      }
    });
    output_dims_.resize(outputs_.size());
    have_outputs_ = true;
  }

  nnwasm_output output(uint32_t index) override {
    if (!have_outputs_)
      throw Error{NNWASM_INVALID_ARGUMENT,
                  "no outputs: compute has not succeeded on this context yet"};
    if (index >= outputs_.size())
      throw Error{NNWASM_INVALID_ARGUMENT, "output index " + std::to_string(index) +
                                               " out of range: the model returned " +
                                               std::to_string(outputs_.size()) + " output(s)"};
    const at::Tensor& t = outputs_[index];
    std::vector<uint32_t>& dims = output_dims_[index];
    if (dims.empty() && t.dim() > 0) {
      for (int64_t d : t.sizes()) dims.push_back(static_cast<uint32_t>(d));
    }
    return nnwasm_output{static_cast<const uint8_t*>(t.data_ptr()), t.nbytes(),
                         wasi_type_of(t.scalar_type()), static_cast<uint32_t>(t.dim()),
                         dims.data()};
  }

 private:
  [[noreturn]] void fail_input(uint32_t index, const std::string& what) const {
    throw Error{NNWASM_INVALID_ARGUMENT, "input '" + graph_->inputs[index].name + "' (index " +
                                             std::to_string(index) + "): " + what};
  }

  std::shared_ptr<GraphState> graph_;
  std::vector<at::Tensor> inputs_;   // context-owned copies of the guest's inputs (CPU)
  std::vector<at::Tensor> outputs_;  // flattened result of the last compute (contiguous, CPU)
  std::vector<std::vector<uint32_t>> output_dims_;  // filled by output(), once per compute
  bool have_outputs_ = false;
};

}  // namespace

std::unique_ptr<Context> make_context(std::shared_ptr<GraphState> graph) {
  return std::make_unique<TorchContext>(std::move(graph));
}

}  // namespace nnwasm::torch_backend
