// libFuzzer target: both WASI-NN import modules as a hostile guest calls them - any sequence of
// calls with any arguments, on a linear memory whose bytes the fuzzer also chooses - against
// the test "affine" backend (real plugin loading, graphs, contexts, tensors). No call may crash,
// leak, or touch memory outside the guest's; errors are codes.
//
// Input: a 2-byte length L, a memory image of L bytes (at most 4 KiB, copied to address 0), then
// calls of 1 + 4*6 bytes each:
// a function number and six u32 arguments, which address a 64 KiB memory mostly in range. A
// valid builder array, tensor and model text sit at fixed addresses (kFixtures) for the fuzzer
// to find.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "engine/host_function.h"
#include "nn/abi/ephemeral.h"
#include "nn/abi/legacy.h"
#include "nn/session.h"

namespace {

using nnwasm::engine::GuestMemory;
using nnwasm::engine::HostCall;

constexpr uint32_t kMemory = 64 * 1024;
constexpr uint32_t kImage = 4096;
constexpr uint32_t kFixtures = 0xF000;  // model text, builder, dims, tensor, name
constexpr int kMaxCalls = 64;

nnwasm::nn::NnRuntime& runtime() {
  static nnwasm::nn::NnRuntime* rt = [] {
    nnwasm::nn::BackendConfig config;
    config.dirs = {NNWASM_FUZZ_PLUGIN_DIR};
    config.keep_alive = true;  // one dlopen for the whole run
    auto* r = new nnwasm::nn::NnRuntime(config);
    static const std::string model =
        "/tmp/nnwasm_fuzz_affine_" + std::to_string(getpid()) + ".model";
    std::ofstream(model) << "AFFINE 3 1";
    std::atexit([] { std::remove(model.c_str()); });
    r->models.add({"lin", NNWASM_ENCODING_OPENVINO, NNWASM_TARGET_CPU, {model}});
    r->quotas.max_tensor_bytes = 1 << 20;
    return r;
  }();
  return *rt;
}

void put_u32(uint8_t* memory, uint32_t at, uint32_t value) {
  std::memcpy(memory + at, &value, 4);
}

// A builder {ptr, len} of "AFFINE 2 1" at +0x40, dims {1, 4} at +0x60, a tensor {dims, rank,
// type f32, data, len} at +0x80 (16 bytes of floats at +0xA0), the name "lin" at +0xC0.
void place_fixtures(uint8_t* memory) {
  static const char model[] = "AFFINE 2 1";
  std::memcpy(memory + kFixtures, model, sizeof model - 1);
  put_u32(memory, kFixtures + 0x40, kFixtures);
  put_u32(memory, kFixtures + 0x44, sizeof model - 1);
  put_u32(memory, kFixtures + 0x60, 1);
  put_u32(memory, kFixtures + 0x64, 4);
  put_u32(memory, kFixtures + 0x80, kFixtures + 0x60);
  put_u32(memory, kFixtures + 0x84, 2);
  put_u32(memory, kFixtures + 0x88, NNWASM_TENSOR_F32);
  put_u32(memory, kFixtures + 0x8C, kFixtures + 0xA0);
  put_u32(memory, kFixtures + 0x90, 16);
  std::memcpy(memory + kFixtures + 0xC0, "lin", 3);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::vector<uint8_t> memory(kMemory, 0);
  const size_t image = std::min<size_t>({size - 2, kImage, size_t{data[0]} | size_t{data[1]} << 8});
  data += 2;
  size -= 2;
  std::memcpy(memory.data(), data, image);
  place_fixtures(memory.data());
  data += image;
  size -= image;
  GuestMemory guest(memory.data(), memory.size());
  nnwasm::nn::Session session(runtime());
  nnwasm::nn::abi::EphemeralModule ephemeral(session);
  nnwasm::nn::abi::LegacyModule legacy(session);
  for (int call = 0; call < kMaxCalls && size >= 1; ++call) {
    const uint8_t op = data[0];
    uint32_t a[6] = {};
    for (size_t i = 0; i < 6 && size >= 1 + 4 * (i + 1); ++i) {
      std::memcpy(&a[i], data + 1 + 4 * i, 4);
      // Mostly addresses inside (or just past) the memory; the top bit of the op keeps raw
      // values, which reach the overflow paths.
      if ((op & 0x80) == 0) a[i] %= kMemory + 64;
    }
    const size_t used = std::min<size_t>(size, 25);
    data += used;
    size -= used;
    HostCall host(guest);
    try {
      switch (op % 21) {
        case 0:
          ephemeral.load(host, a[0], a[1] % 4, a[2], a[3], a[4]);
          break;
        case 1:
          ephemeral.load_by_name(host, a[0], a[1], a[2]);
          break;
        case 2:
          ephemeral.load_by_name_with_config(host, a[0], a[1], a[2], a[3], a[4]);
          break;
        case 3:
          ephemeral.init_execution_context(host, a[0] % 8, a[1]);
          break;
        case 4:
          ephemeral.set_input(host, a[0] % 8, a[1] % 4, a[2]);
          break;
        case 5:
          ephemeral.compute(host, a[0] % 8);
          break;
        case 6:
          ephemeral.get_output(host, a[0] % 8, a[1] % 4, a[2], a[3], a[4]);
          break;
        case 7:
          ephemeral.compute_single(host, a[0] % 8);
          break;
        case 8:
          ephemeral.get_output_single(host, a[0] % 8, a[1] % 4, a[2], a[3], a[4]);
          break;
        case 9:
          ephemeral.fini_single(host, a[0] % 8);
          break;
        case 10:
          ephemeral.unload(host, a[0] % 8);
          break;
        case 11:
          ephemeral.finalize_execution_context(host, a[0] % 8);
          break;
        case 12:
          legacy.load(host, a[0], a[1], a[2], a[3]);
          break;
        case 13:
          legacy.load_by_name(host, a[0], a[1], a[2]);
          break;
        case 14:
          legacy.init_execution_context(host, a[0] % 8, a[1]);
          break;
        case 15:
          legacy.set_input(host, a[0] % 8, a[1] % 4, a[2]);
          break;
        case 16:
          legacy.compute(host, a[0] % 8);
          break;
        case 17:
          legacy.get_output(host, a[0] % 8, a[1] % 4, a[2], a[3]);
          break;
        // The fixtures, so that whole happy paths are a few calls away.
        case 18:
          ephemeral.load(host, kFixtures + 0x40, 1, 5, 0, a[0]);
          break;
        case 19:
          ephemeral.set_input(host, a[0] % 8, 0, kFixtures + 0x80);
          break;
        case 20:
          ephemeral.load_by_name(host, kFixtures + 0xC0, 3, a[0]);
          break;
      }
    } catch (...) {
      // The engine's guest boundary turns these into the call's error code (tested elsewhere).
    }
  }
  return 0;
}
