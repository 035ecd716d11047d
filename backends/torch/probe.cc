// Device probing of the PyTorch backend (cpu always; CUDA devices when libtorch can use them,
// named through the CUDA driver loaded at run time) and sniffing of TorchScript zip archives.
#include <dlfcn.h>
#include <torch/cuda.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "torch_backend.h"

namespace nnwasm::torch_backend {
namespace {

void set_name(nnwasm_device& d, const std::string& name) {
  std::snprintf(d.name, sizeof d.name, "%s", name.c_str());
}

// The CUDA driver's name for device `index` ("" when the driver cannot say). The plugin links
// no CUDA library itself: libcuda.so.1 is opened here and kept open (it dislikes unloading).
std::string cuda_device_name(int index) {
  static void* cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (cuda == nullptr) return {};
  using InitFn = int (*)(unsigned);
  using GetFn = int (*)(int*, int);
  using NameFn = int (*)(char*, int, int);
  auto init = reinterpret_cast<InitFn>(dlsym(cuda, "cuInit"));
  auto get = reinterpret_cast<GetFn>(dlsym(cuda, "cuDeviceGet"));
  auto name = reinterpret_cast<NameFn>(dlsym(cuda, "cuDeviceGetName"));
  char buf[128] = {};
  int dev = 0;
  if (init == nullptr || get == nullptr || name == nullptr || init(0) != 0 ||
      get(&dev, index) != 0 || name(buf, sizeof buf - 1, dev) != 0)
    return {};
  return buf;
}

const std::vector<nnwasm_device>& devices() {
  static const std::vector<nnwasm_device> list = [] {
    std::vector<nnwasm_device> l;
    nnwasm_device cpu{};
    cpu.target = NNWASM_TARGET_CPU;
    cpu.index = 0;
    set_name(cpu, "cpu (" + std::to_string(cpus_available()) + " threads)");
    l.push_back(cpu);
    size_t n = 0;
    try {
      n = torch::cuda::is_available() ? torch::cuda::device_count() : 0;
    } catch (...) {
      n = 0;  // a broken CUDA setup means CPU only
    }
    for (size_t i = 0; i < n; ++i) {
      nnwasm_device d{};
      d.target = NNWASM_TARGET_GPU;
      d.index = static_cast<int32_t>(i);
      const std::string name = cuda_device_name(static_cast<int>(i));
      set_name(d, "cuda:" + std::to_string(i) + (name.empty() ? "" : " " + name));
      l.push_back(d);
    }
    return l;
  }();
  return list;
}

// ---- zip scanning ----

uint32_t u16(const uint8_t* p) {
  return p[0] | (p[1] << 8);
}
uint32_t u32(const uint8_t* p) {
  return u16(p) | (static_cast<uint32_t>(u16(p + 2)) << 16);
}
uint64_t u64(const uint8_t* p) {
  return u32(p) | (static_cast<uint64_t>(u32(p + 4)) << 32);
}

constexpr size_t kMaxEntries = 1 << 16;

// Entry names from the central directory; false when there is no well-formed one in range.
bool central_directory_names(const uint8_t* data, size_t size, std::vector<std::string>& names) {
  if (size < 22) return false;
  const size_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
  for (size_t eocd = size - 22 + 1; eocd-- > lowest;) {
    if (std::memcmp(data + eocd, "PK\x05\x06", 4) == 0) {
      uint64_t entries = u16(data + eocd + 10);
      uint64_t offset = u32(data + eocd + 16);
      if ((offset == 0xffffffffu || entries == 0xffffu) && eocd >= 20 &&
          std::memcmp(data + eocd - 20, "PK\x06\x07", 4) == 0) {  // zip64 locator
        const uint64_t record = u64(data + eocd - 20 + 8);
        if (record <= size && size - record >= 56 &&
            std::memcmp(data + record, "PK\x06\x06", 4) == 0) {
          entries = u64(data + record + 32);
          offset = u64(data + record + 48);
        }
      }
      size_t pos = offset;
      if (offset > size) continue;
      for (uint64_t i = 0; i < entries && i < kMaxEntries; ++i) {
        if (size - pos < 46 || std::memcmp(data + pos, "PK\x01\x02", 4) != 0) break;
        const size_t name_len = u16(data + pos + 28);
        const size_t skip = 46 + name_len + u16(data + pos + 30) + u16(data + pos + 32);
        if (size - pos < skip) break;
        names.emplace_back(reinterpret_cast<const char*>(data + pos + 46), name_len);
        pos += skip;
      }
      if (!names.empty()) return true;
    }
  }
  return false;
}

// Entry names of the local headers found in a prefix of an archive (no central directory).
void local_header_names(const uint8_t* data, size_t size, std::vector<std::string>& names) {
  for (size_t pos = 0; size >= 30 && pos <= size - 30 && names.size() < kMaxEntries; ++pos) {
    if (std::memcmp(data + pos, "PK\x03\x04", 4) != 0) continue;
    const size_t name_len = u16(data + pos + 26);
    if (name_len == 0 || size - pos - 30 < name_len) continue;
    names.emplace_back(reinterpret_cast<const char*>(data + pos + 30), name_len);
  }
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

}  // namespace

uint32_t cuda_device_count() {
  return static_cast<uint32_t>(devices().size() - 1);
}

nnwasm_status probe_devices(nnwasm_device* out, uint32_t cap, uint32_t* count) {
  const auto& list = devices();
  for (size_t i = 0; i < list.size() && i < cap && out != nullptr; ++i) out[i] = list[i];
  if (count != nullptr) *count = static_cast<uint32_t>(list.size());
  return NNWASM_SUCCESS;
}

uint32_t sniff_torchscript(const uint8_t* data, size_t size) {
  if (data == nullptr || size < 30 || std::memcmp(data, "PK\x03\x04", 4) != 0) return 0;
  std::vector<std::string> names;
  const bool complete = central_directory_names(data, size, names);
  if (!complete) local_header_names(data, size, names);
  if (names.empty()) return 10;
  // torch.jit.save writes every entry under one folder, "<archive>/".
  const auto slash = names[0].find('/');
  if (slash == std::string::npos || slash == 0) return 10;
  const std::string root = names[0].substr(0, slash + 1);
  bool data_pkl = false, code = false, constants = false, torch_like = false;
  for (const auto& n : names) {
    if (!starts_with(n, root)) continue;
    const std::string_view rest = std::string_view(n).substr(root.size());
    data_pkl |= rest == "data.pkl";
    code |= starts_with(rest, "code/");
    constants |= rest == "constants.pkl";
    torch_like |= rest == "version" || rest == "data.pkl" || starts_with(rest, "data/") ||
                  starts_with(rest, "code/") || rest == "constants.pkl";
  }
  if (data_pkl && (code || constants)) return 95;
  if (!complete && torch_like) return 50;  // a prefix of what looks like a torch archive
  if (data_pkl) return 30;                 // torch.save pickle archive: not TorchScript
  return 10;
}

}  // namespace nnwasm::torch_backend
