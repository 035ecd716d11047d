// Device probing (CPU always; CUDA when ONNX Runtime has the provider and a device works) and
// sniffing of ONNX protobuf model bytes.
#include "onnx_backend.h"

#include <dlfcn.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

namespace nnwasm::onnx {
namespace {

struct DeviceList {
  std::vector<nnwasm_device> devices;
  bool cuda = false;
};

void set_name(nnwasm_device& d, const std::string& name) {
  std::snprintf(d.name, sizeof d.name, "%s", name.c_str());
}

// True if ONNX Runtime can use its CUDA provider: either compiled in (listed by
// GetAvailableProviders) or, as in the official CPU build plus the separately shipped provider,
// libonnxruntime_providers_cuda.so sits next to libonnxruntime (ORT's provider bridge loads it
// from there on SessionOptionsAppendExecutionProvider_CUDA, without listing it as available).
bool ort_has_cuda_provider() {
  const auto providers = Ort::GetAvailableProviders();
  if (std::find(providers.begin(), providers.end(), "CUDAExecutionProvider") != providers.end())
    return true;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&OrtGetApiBase), &info) == 0 || info.dli_fname == nullptr)
    return false;
  std::string dir = info.dli_fname;
  const auto slash = dir.rfind('/');
  dir = slash == std::string::npos ? "." : dir.substr(0, slash);
  return access((dir + "/libonnxruntime_providers_cuda.so").c_str(), R_OK) == 0;
}

// CUDA devices through the driver API, loaded at run time (the plugin never links CUDA).
void add_cuda_devices(std::vector<nnwasm_device>& out) {
  // Kept open for the life of the process: the driver does not like being unloaded.
  void* cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (cuda == nullptr) return;
  using InitFn = int (*)(unsigned);
  using CountFn = int (*)(int*);
  using GetFn = int (*)(int*, int);
  using NameFn = int (*)(char*, int, int);
  auto init = reinterpret_cast<InitFn>(dlsym(cuda, "cuInit"));
  auto count = reinterpret_cast<CountFn>(dlsym(cuda, "cuDeviceGetCount"));
  auto get = reinterpret_cast<GetFn>(dlsym(cuda, "cuDeviceGet"));
  auto name = reinterpret_cast<NameFn>(dlsym(cuda, "cuDeviceGetName"));
  int n = 0;
  if (init == nullptr || count == nullptr || init(0) != 0 || count(&n) != 0) return;
  for (int i = 0; i < n; ++i) {
    nnwasm_device d{};
    d.target = NNWASM_TARGET_GPU;
    d.index = i;
    char buf[128] = {};
    int dev = 0;
    if (get != nullptr && name != nullptr && get(&dev, i) == 0 &&
        name(buf, sizeof buf - 1, dev) == 0)
      set_name(d, "cuda:" + std::to_string(i) + " " + buf);
    else
      set_name(d, "cuda:" + std::to_string(i));
    out.push_back(d);
  }
}

const DeviceList& devices() {
  static const DeviceList list = [] {
    DeviceList l;
    nnwasm_device cpu{};
    cpu.target = NNWASM_TARGET_CPU;
    cpu.index = 0;
    cpu_set_t set;
    long cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    set_name(cpu, "cpu (" + std::to_string(cpus) + " threads)");
    l.devices.push_back(cpu);
    try {
      if (ort_has_cuda_provider()) add_cuda_devices(l.devices);
    } catch (...) {
      // No provider list: CPU only.
    }
    l.cuda = l.devices.size() > 1;
    return l;
  }();
  return list;
}

// ---- protobuf scanning ----

// Reads a base-128 varint at `pos`; false if it runs past `size` or over 10 bytes.
bool read_varint(const uint8_t* data, size_t size, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 70 && pos < size; shift += 7) {
    const uint8_t b = data[pos++];
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// Wire type each known ModelProto field must have (0 varint, 2 length-delimited), -1 unknown.
int model_field_wire_type(uint64_t field) {
  switch (field) {
    case 1:
    case 5:
      return 0;  // ir_version, model_version
    case 2:
    case 3:
    case 4:
    case 6:
    case 7:  // producer_*, domain, doc_string, graph
    case 8:
    case 14:
    case 20:
    case 25:
    case 26:  // opset_import, metadata, training, ...
      return 2;
    default:
      return -1;
  }
}

}  // namespace

bool cuda_usable() {
  return devices().cuda;
}

nnwasm_status probe_devices(nnwasm_device* out, uint32_t cap, uint32_t* count) {
  const auto& list = devices().devices;
  for (size_t i = 0; i < list.size() && i < cap && out != nullptr; ++i) out[i] = list[i];
  if (count != nullptr) *count = static_cast<uint32_t>(list.size());
  return NNWASM_SUCCESS;
}

uint32_t sniff_onnx(const uint8_t* data, size_t size) {
  if (data == nullptr || size < 2 || data[0] != 0x08) return 0;
  size_t pos = 1;
  uint64_t ir_version = 0;
  if (!read_varint(data, size, pos, ir_version) || ir_version < 3 || ir_version > 12) return 0;
  // Walk the following top-level fields until the graph (field 7) shows up. Data that ends
  // early after at least 16 well-formed bytes is taken for a prefix of a model: 40.
  const auto prefix = [&] { return pos >= 16 ? 40u : 0u; };
  while (pos < size) {
    uint64_t tag = 0;
    if (!read_varint(data, size, pos, tag)) return pos >= size ? prefix() : 0u;
    const uint64_t field = tag >> 3;
    const int wire = static_cast<int>(tag & 7);
    const int expected = model_field_wire_type(field);
    if (field == 0 || (expected >= 0 && wire != expected)) return 0;
    if (field == 7) return 90;
    uint64_t value = 0;
    switch (wire) {
      case 0:
        if (!read_varint(data, size, pos, value)) return pos >= size ? prefix() : 0u;
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2:
        if (!read_varint(data, size, pos, value)) return pos >= size ? prefix() : 0u;
        if (value > size - pos) return prefix();  // field runs past the data
        pos += value;
        break;
      default:
        return 0;  // groups (3, 4) and invalid wire types never appear in ModelProto
    }
  }
  return prefix();
}

void sniff_onnx(const uint8_t* data, size_t size, nnwasm_sniff_result* out) {
  out->confidence = sniff_onnx(data, size);
  if (out->confidence == 0) return;
  out->encoding = NNWASM_ENCODING_ONNX;
  size_t pos = 1;
  uint64_t ir_version = 0;
  read_varint(data, size, pos, ir_version);  // succeeded in sniff_onnx
  std::snprintf(out->format, sizeof out->format, "ONNX (ir version %u)",
                static_cast<unsigned>(ir_version));
}

}  // namespace nnwasm::onnx
