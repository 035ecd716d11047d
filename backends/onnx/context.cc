// Execution contexts of the ONNX Runtime backend: input validation against the model, owned
// input buffers, Session::Run with reused output tensors, and zero-copy output views.
#include "onnx_backend.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

namespace nnwasm::onnx {
namespace {

constexpr size_t kAlignment = 64;

}  // namespace

void Buffer::Free::operator()(uint8_t* p) const {
  std::free(p);
}

size_t Buffer::capacity_for(size_t size) const {
  size = std::max<size_t>(size, 1);
  return size <= capacity_ ? capacity_ : (size + kAlignment - 1) / kAlignment * kAlignment;
}

bool Buffer::reserve(size_t size) {
  const size_t rounded = capacity_for(size);
  if (rounded == capacity_) return false;
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(kAlignment, rounded));
  if (p == nullptr) throw std::bad_alloc();
  data_.reset(p);
  capacity_ = rounded;
  return true;
}

Context::Context(std::shared_ptr<GraphState> graph, void* host_token)
    : graph_(std::move(graph)),
      cpu_memory_(Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault)),
      slots_(graph_->inputs.size()),
      views_(graph_->outputs.size()),
      memory_(host_token) {
  // Failures reach the caller through last_error; ONNX Runtime need not print them as well.
  run_options_.SetRunLogSeverityLevel(ORT_LOGGING_LEVEL_FATAL);
  input_values_.resize(graph_->inputs.size());
  outputs_.resize(graph_->outputs.size());
  // Non-tensor outputs (sequences, maps) cannot serve as preallocated destinations.
  reuse_outputs_ = std::all_of(graph_->outputs.begin(), graph_->outputs.end(),
                               [](const TensorInfo& t) { return t.is_tensor; });
}

void Context::fail_input(uint32_t index, const std::string& what) const {
  throw Error{NNWASM_INVALID_ARGUMENT, "input '" + graph_->inputs[index].name + "' (index " +
                                           std::to_string(index) + "): " + what};
}

void Context::set_input(uint32_t index, const nnwasm_tensor& t) {
  const auto& inputs = graph_->inputs;
  if (index >= inputs.size())
    throw Error{NNWASM_INVALID_ARGUMENT, "input index " + std::to_string(index) +
                                             " out of range: the model has " +
                                             std::to_string(inputs.size()) + " input(s)"};
  const TensorInfo& info = inputs[index];
  if (!info.is_tensor)
    throw Error{NNWASM_UNSUPPORTED_OPERATION,
                "input '" + info.name + "' (index " + std::to_string(index) +
                    ") is not a tensor (sequence, map or optional); WASI-NN cannot feed it"};

  // Element type.
  const ONNXTensorElementDataType given = onnx_type_of(t.type);
  if (given == ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED)
    fail_input(index, "unknown tensor type " + std::to_string(t.type) +
                          " (expected 0..5: f16, f32, f64, u8, i32, i64)");
  if (given != info.type) {
    std::string expected(onnx_type_name(info.type));
    for (nnwasm_tensor_type w = NNWASM_TENSOR_F16; w <= NNWASM_TENSOR_I64; ++w)
      if (onnx_type_of(w) == info.type)
        expected = std::string(wasi_type_name(w)) + " (" + expected + ")";
    if (expected == onnx_type_name(info.type)) expected += ", which WASI-NN tensors cannot express";
    fail_input(index, "element type: expected " + expected + ", given " +
                          std::string(wasi_type_name(t.type)) + " (" +
                          std::string(onnx_type_name(given)) + ")");
  }

  // Shape: rank, then every fixed dimension; dynamic ones (negative) take any value.
  if (t.rank > 0 && t.dims == nullptr) fail_input(index, "dims pointer is NULL");
  if (t.rank != info.shape.size())
    fail_input(index, "rank: expected " + std::to_string(info.shape.size()) + " " +
                          format_shape(info.shape, info.dim_names) + ", given " +
                          std::to_string(t.rank) + " " + dims_text(t.dims, t.rank));
  size_t elements = 1;
  for (uint32_t d = 0; d < t.rank; ++d) {
    if (info.shape[d] >= 0 && info.shape[d] != static_cast<int64_t>(t.dims[d]))
      fail_input(index, "dimension " + std::to_string(d) + ": expected " +
                            std::to_string(info.shape[d]) + ", given " + std::to_string(t.dims[d]) +
                            " (model shape " + format_shape(info.shape, info.dim_names) +
                            ", given " + dims_text(t.dims, t.rank) + ")");
    if (__builtin_mul_overflow(elements, static_cast<size_t>(t.dims[d]), &elements))
      fail_input(index, "shape " + dims_text(t.dims, t.rank) + " is too large");
  }
  const size_t esize = element_size(t.type);
  size_t bytes = 0;
  if (__builtin_mul_overflow(elements, esize, &bytes))
    fail_input(index, "shape " + dims_text(t.dims, t.rank) + " is too large");
  if (t.size != bytes)
    fail_input(index, "data size: expected " + std::to_string(bytes) + " bytes (" +
                          std::to_string(elements) + " x " + std::to_string(esize) + "-byte " +
                          std::string(wasi_type_name(t.type)) + " for shape " +
                          dims_text(t.dims, t.rank) + "), given " + std::to_string(t.size));
  if (bytes > 0 && t.data == nullptr) fail_input(index, "data pointer is NULL");

  // Copy into the slot; the tensor over it is rebuilt only when the shape changes.
  InputSlot& slot = slots_[index];
  Ort::Value& value = input_values_[index];
  const bool same_shape =
      value && slot.dims.size() == t.rank &&
      std::equal(slot.dims.begin(), slot.dims.end(), t.dims,
                 [](int64_t a, uint32_t b) { return a == static_cast<int64_t>(b); });
  if (!same_shape) {
    // A bigger buffer is admitted first: refused, nothing has changed.
    const uint64_t grown = slot.buffer.capacity_for(bytes) - slot.buffer.capacity();
    if (grown != 0) memory_.set(memory_.bytes() + grown);
    input_bytes_ += grown;
    slot.set = false;
    value = Ort::Value{nullptr};
    slot.dims.assign(t.dims, t.dims + t.rank);
    slot.buffer.reserve(bytes);
    value = Ort::Value::CreateTensor(cpu_memory_, slot.buffer.data(), bytes, slot.dims.data(),
                                     slot.dims.size(), info.type);
    shapes_changed_ = true;
  }
  if (bytes > 0) std::memcpy(slot.buffer.data(), t.data, bytes);
  slot.set = true;
}

void Context::run() {
  graph_->session.Run(run_options_, graph_->input_names.data(), input_values_.data(),
                      input_values_.size(), graph_->output_names.data(), outputs_.data(),
                      outputs_.size());
}

void Context::compute() {
  for (size_t i = 0; i < slots_.size(); ++i)
    if (!slots_[i].set)
      throw Error{NNWASM_INVALID_ARGUMENT,
                  "input '" + graph_->inputs[i].name + "' (index " + std::to_string(i) +
                      ") is not set; call set_input for all " + std::to_string(slots_.size()) +
                      " model input(s) before compute"};
  // The previous outputs are handed to Run as destinations when the input shapes have not
  // changed: ONNX Runtime then writes into them and nothing is allocated. Otherwise (or when a
  // model's output shapes depend on the data, detected by a failing reuse) it allocates anew.
  const bool reuse = have_outputs_ && reuse_outputs_ && !shapes_changed_;
  have_outputs_ = false;
  if (!reuse)
    for (auto& v : outputs_) v = Ort::Value{nullptr};
  bool fresh = !reuse;  // Run allocates the outputs (their addresses and sizes are new)
  try {
    run();
  } catch (const Ort::Exception&) {
    for (auto& v : outputs_) v = Ort::Value{nullptr};
    memory_.set(input_bytes_);  // the dropped outputs
    if (!reuse) throw;
    fresh = true;
    run();  // a failure here is the model's own; it propagates
    reuse_outputs_ = false;
  }
  if (fresh) {
    describe_outputs();
    // ONNX Runtime allocated the outputs: they count from now until the next fresh ones. A
    // refusal drops them (the guest gets too_large, as for an input too big).
    uint64_t output_bytes = 0;
    for (const OutputView& view : views_) output_bytes += view.bytes.size;
    try {
      memory_.set(input_bytes_ + output_bytes);
    } catch (const Error&) {
      for (auto& v : outputs_) v = Ort::Value{nullptr};
      memory_.set(input_bytes_);
      throw;
    }
  }
  shapes_changed_ = false;
  have_outputs_ = true;
}

void Context::describe_outputs() {
  for (size_t i = 0; i < outputs_.size(); ++i) {
    OutputView& view = views_[i];
    const Ort::Value& v = outputs_[i];
    view = OutputView{};
    if (!v || !v.IsTensor() ||
        v.GetTensorTypeAndShapeInfo().GetElementType() == ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING) {
      view.status = NNWASM_UNSUPPORTED_OPERATION;
      continue;
    }
    const Ort::TensorTypeAndShapeInfo info = v.GetTensorTypeAndShapeInfo();
    view.dims.clear();
    for (int64_t d : info.GetShape()) view.dims.push_back(static_cast<uint32_t>(d));
    view.bytes.size = v.GetTensorSizeInBytes();
    view.bytes.data = static_cast<const uint8_t*>(v.GetTensorRawData());
    view.bytes.type = wasi_type_of(info.GetElementType());
    view.bytes.rank = static_cast<uint32_t>(view.dims.size());
    view.bytes.dims = view.dims.data();
  }
}

nnwasm_output Context::output(uint32_t index) const {
  if (index >= outputs_.size())
    throw Error{NNWASM_INVALID_ARGUMENT, "output index " + std::to_string(index) +
                                             " out of range: the model has " +
                                             std::to_string(outputs_.size()) + " output(s)"};
  if (!have_outputs_)
    throw Error{NNWASM_INVALID_ARGUMENT,
                "no outputs: compute has not succeeded on this context yet"};
  const OutputView& view = views_[index];
  if (view.status != NNWASM_SUCCESS)
    throw Error{view.status, "output '" + graph_->outputs[index].name + "' (index " +
                                 std::to_string(index) +
                                 ") is not a numeric tensor (string, sequence or map); WASI-NN "
                                 "cannot return it"};
  return view.bytes;
}

}  // namespace nnwasm::onnx
