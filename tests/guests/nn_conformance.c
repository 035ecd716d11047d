// Guest: WASI-NN ABI conformance against the test "affine" backend (model "AFFINE scale bias",
// output = scale * x + bias). Covers both import modules, every function, and the error paths:
// bad pointers, unknown and finalized handles, wrong sizes, small buffers, use after unload.
// Run with: nnwasm run --nn-backend-dir PLUGINS --nn-preload lin:openvino:cpu:MODEL
// nn_conformance.wasm
#include <stdint.h>
#include <string.h>

#include "guest_check.h"
#include "wasi_nn.h"

static const char kModel[] = "AFFINE 2 1";  // y = 2x + 1
#define BAD_PTR ((void*)0xFFFFFFF0u)        // near the top of the 4 GiB space: never mapped

static int close_to(float a, float b) {
  return a - b < 1e-6f && b - a < 1e-6f;
}

static void ephemeral_happy_path(void) {
  graph g = 99;
  graph_builder builder = {(const uint8_t*)kModel, sizeof kModel - 1};
  CHECK(
      wasi_nn_load(&builder, 1, WASI_NN_ENCODING_AUTODETECT_WASMEDGE, WASI_NN_TARGET_CPU, &g) == 0,
      "load autodetect (5)");
  CHECK(g == 0, "first graph handle is 0");
  graph g2;
  CHECK(wasi_nn_load(&builder, 1, WASI_NN_ENCODING_AUTODETECT_WAMR, WASI_NN_TARGET_CPU, &g2) == 0 &&
            g2 == 1,
        "load autodetect (6) gives handle 1");
  graph_execution_context c;
  CHECK(wasi_nn_init_execution_context(g, &c) == 0 && c == 0, "init_execution_context");
  uint32_t dims[2] = {2, 2};
  float in[4] = {0, 1, 2, -3};
  tensor t = {dims, 2, WASI_NN_TYPE_F32, (const uint8_t*)in, sizeof in};
  CHECK(wasi_nn_set_input(c, 0, &t) == 0, "set_input");
  CHECK(wasi_nn_compute(c) == 0, "compute");
  float out[4] = {0};
  uint32_t written = 0;
  CHECK(wasi_nn_get_output(c, 0, (uint8_t*)out, sizeof out, &written) == 0 && written == 16,
        "get_output writes 16 bytes");
  CHECK(close_to(out[0], 1) && close_to(out[1], 3) && close_to(out[2], 5) && close_to(out[3], -5),
        "outputs are 2x + 1");

  // too_large protocol: required size reported, nothing copied.
  float small[2] = {42, 42};
  written = 0;
  CHECK(wasi_nn_get_output(c, 0, (uint8_t*)small, sizeof small, &written) == WASI_NN_TOO_LARGE,
        "small buffer -> too_large");
  CHECK(written == 16 && small[0] == 42 && small[1] == 42, "too_large reports 16, copies nothing");

  // Errors.
  CHECK(wasi_nn_get_output(c, 1, (uint8_t*)out, sizeof out, &written) == WASI_NN_INVALID_ARGUMENT,
        "output index out of range");
  CHECK(wasi_nn_set_input(c, 5, &t) == WASI_NN_INVALID_ARGUMENT, "input index out of range");
  tensor wrong_type = {dims, 2, WASI_NN_TYPE_I32, (const uint8_t*)in, sizeof in};
  CHECK(wasi_nn_set_input(c, 0, &wrong_type) == WASI_NN_INVALID_ARGUMENT, "wrong tensor type");
  tensor wrong_size = {dims, 2, WASI_NN_TYPE_F32, (const uint8_t*)in, 12};
  CHECK(wasi_nn_set_input(c, 0, &wrong_size) == WASI_NN_INVALID_ARGUMENT, "byte count != dims");
  tensor bad_type = {dims, 2, 9, (const uint8_t*)in, sizeof in};
  CHECK(wasi_nn_set_input(c, 0, &bad_type) == WASI_NN_INVALID_ARGUMENT, "unknown tensor type");
  tensor bad_data = {dims, 2, WASI_NN_TYPE_F32, (const uint8_t*)BAD_PTR, 4096};
  CHECK(wasi_nn_set_input(c, 0, &bad_data) == WASI_NN_INVALID_ARGUMENT, "data outside memory");
  tensor bad_dims = {(const uint32_t*)BAD_PTR, 8, WASI_NN_TYPE_F32, (const uint8_t*)in, sizeof in};
  CHECK(wasi_nn_set_input(c, 0, &bad_dims) == WASI_NN_INVALID_ARGUMENT, "dims outside memory");
  CHECK(wasi_nn_set_input(c, 0, (const tensor*)BAD_PTR) == WASI_NN_INVALID_ARGUMENT,
        "tensor struct outside memory");
  CHECK(wasi_nn_get_output(c, 0, (uint8_t*)BAD_PTR, 64, &written) == WASI_NN_INVALID_ARGUMENT,
        "output buffer outside memory");
  CHECK(wasi_nn_get_output(c, 0, (uint8_t*)out, sizeof out, (uint32_t*)BAD_PTR) ==
            WASI_NN_INVALID_ARGUMENT,
        "bytes_written outside memory");
  graph_builder bad_builder = {(const uint8_t*)BAD_PTR, 100};
  CHECK(wasi_nn_load(&bad_builder, 1, 5, 0, &g2) == WASI_NN_INVALID_ARGUMENT,
        "builder outside memory");
  CHECK(wasi_nn_load(&builder, 0x20000000u, 5, 0, &g2) == WASI_NN_INVALID_ARGUMENT,
        "overflowing builder count");
  CHECK(wasi_nn_load(&builder, 1, 5, 0, (graph*)BAD_PTR) == WASI_NN_INVALID_ARGUMENT,
        "graph out-pointer outside memory");
  CHECK(wasi_nn_load(&builder, 1, 77, 0, &g2) == WASI_NN_INVALID_ENCODING, "unknown encoding");
  CHECK(wasi_nn_load(&builder, 1, WASI_NN_ENCODING_TENSORFLOW, 0, &g2) == WASI_NN_NOT_FOUND,
        "encoding without a backend -> not_found");
  graph_builder junk = {(const uint8_t*)"junk bytes", 10};
  CHECK(wasi_nn_load(&junk, 1, 5, 0, &g2) == WASI_NN_INVALID_ENCODING, "unrecognised bytes");
  CHECK(wasi_nn_init_execution_context(12345, &c) == WASI_NN_INVALID_ARGUMENT, "unknown graph");
  CHECK(wasi_nn_compute(777) == WASI_NN_INVALID_ARGUMENT, "unknown context");
  CHECK(wasi_nn_compute_single(c) == WASI_NN_UNSUPPORTED_OPERATION, "compute_single unsupported");
  CHECK(wasi_nn_get_output_single(c, 0, (uint8_t*)out, sizeof out, &written) ==
            WASI_NN_UNSUPPORTED_OPERATION,
        "get_output_single unsupported");
  CHECK(wasi_nn_fini_single(c) == WASI_NN_UNSUPPORTED_OPERATION, "fini_single unsupported");

  // Lifetimes: finalize, unload, handles never reused.
  CHECK(wasi_nn_finalize_execution_context(c) == 0, "finalize_execution_context");
  CHECK(wasi_nn_compute(c) == WASI_NN_INVALID_ARGUMENT, "compute after finalize");
  CHECK(wasi_nn_finalize_execution_context(c) == WASI_NN_INVALID_ARGUMENT, "double finalize");
  graph_execution_context c2;
  CHECK(wasi_nn_init_execution_context(g, &c2) == 0 && c2 == 1, "context handles are not reused");
  CHECK(wasi_nn_unload(g) == 0, "unload");
  CHECK(wasi_nn_unload(g) == WASI_NN_INVALID_ARGUMENT, "double unload");
  CHECK(wasi_nn_init_execution_context(g, &c) == WASI_NN_INVALID_ARGUMENT, "use after unload");
  CHECK(wasi_nn_set_input(c2, 0, &t) == 0 && wasi_nn_compute(c2) == 0,
        "a context outlives the unload of its graph");
  graph g3;
  CHECK(wasi_nn_load(&builder, 1, 5, 0, &g3) == 0 && g3 == 2, "graph handles are not reused");
}

static void named_models(void) {
  graph g = 99, again = 98;
  CHECK(wasi_nn_load_by_name("lin", 3, &g) == 0, "load_by_name");
  CHECK(wasi_nn_load_by_name_with_config("lin", 3, "{}", 2, &again) == 0 && again == g,
        "same name returns the same handle");
  CHECK(wasi_nn_load_by_name("nope", 4, &g) == WASI_NN_NOT_FOUND, "unknown name -> not_found");
  CHECK(wasi_nn_load_by_name("/etc/passwd", 11, &g) == WASI_NN_NOT_FOUND, "a path is not a name");
  CHECK(wasi_nn_load_by_name((const char*)BAD_PTR, 64, &g) == WASI_NN_INVALID_ARGUMENT,
        "name outside memory");
  graph_execution_context c;
  uint32_t dim = 1;
  float x = 10, y = 0;
  uint32_t written;
  tensor t = {&dim, 1, WASI_NN_TYPE_F32, (const uint8_t*)&x, 4};
  CHECK(wasi_nn_load_by_name("lin", 3, &g) == 0 && wasi_nn_init_execution_context(g, &c) == 0 &&
            wasi_nn_set_input(c, 0, &t) == 0 && wasi_nn_compute(c) == 0 &&
            wasi_nn_get_output(c, 0, (uint8_t*)&y, 4, &written) == 0,
        "inference through a named model");
  CHECK(close_to(y, 31), "named model computes 3x + 1");  // preloaded as "AFFINE 3 1"
}

static void legacy_module(void) {
  graph g;
  graph_builder builder = {(const uint8_t*)kModel, sizeof kModel - 1};
  legacy_graph_builder_array array = {&builder, 1};
  CHECK(wasi_nn_legacy_load(&array, 6, WASI_NN_TARGET_CPU, &g) == 0, "legacy load");
  graph_execution_context c;
  CHECK(wasi_nn_legacy_init_execution_context(g, &c) == 0, "legacy init_execution_context");
  uint32_t dims_values[1] = {3};
  legacy_tensor_dims dims = {dims_values, 1};
  float in[3] = {1, 2, 3};
  legacy_tensor t = {&dims, WASI_NN_LEGACY_F32, (const uint8_t*)in};
  CHECK(wasi_nn_legacy_set_input(c, 0, &t) == 0, "legacy set_input");
  CHECK(wasi_nn_legacy_compute(c) == 0, "legacy compute");
  float out[3] = {0};
  uint32_t size = sizeof out;
  CHECK(wasi_nn_legacy_get_output(c, 0, (uint8_t*)out, &size) == 0, "legacy get_output");
  CHECK(size == 3, "legacy get_output reports the element count");
  CHECK(close_to(out[0], 3) && close_to(out[2], 7), "legacy outputs are 2x + 1");
  size = 4;
  CHECK(wasi_nn_legacy_get_output(c, 0, (uint8_t*)out, &size) == WASI_NN_TOO_LARGE,
        "legacy small buffer -> too_large");
  legacy_tensor bad = {&dims, 9, (const uint8_t*)in};
  CHECK(wasi_nn_legacy_set_input(c, 0, &bad) == WASI_NN_INVALID_ARGUMENT, "legacy unknown type");
  legacy_tensor_dims huge = {(const uint32_t*)BAD_PTR, 4};
  legacy_tensor bad_dims = {&huge, WASI_NN_LEGACY_F32, (const uint8_t*)in};
  CHECK(wasi_nn_legacy_set_input(c, 0, &bad_dims) == WASI_NN_INVALID_ARGUMENT,
        "legacy dims outside memory");
  CHECK(wasi_nn_legacy_load_by_name("lin", 3, &g) == 0, "legacy load_by_name");
}

int main(void) {
  graph_execution_context c;
  CHECK(wasi_nn_compute(0) == WASI_NN_INVALID_ARGUMENT, "compute before any load");
  CHECK(wasi_nn_init_execution_context(0, &c) == WASI_NN_INVALID_ARGUMENT,
        "init_execution_context before any load");
  ephemeral_happy_path();
  named_models();
  legacy_module();
  printf("all wasi-nn checks passed\n");
  return 0;
}
