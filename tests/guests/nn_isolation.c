// Guest: models that crash their backend, for the tests of --nn-isolate
// (tests/guests/isolation_test.cc). One line per step on stdout, so the harness sees what the
// guest got after a crash as well as before it.
//
//   nn_isolation.wasm load FILE...      each FILE (under a preopened dir) loaded from its bytes
//                                       (autodetect); an AFFINE model then computes 2 -> y:
//                                       "FILE: load=E compute=E y=V"
//   nn_isolation.wasm named NAME...     each NAME (an AFFINE model) by load_by_name, then one
//                                       compute of 2 -> y: "NAME: load=E compute=E y=V"
//   nn_isolation.wasm stream NAME DIR   load_by_name NAME, one compute_single, then creates
//                                       DIR/ready and waits (60 s at most) for DIR/go before up
//                                       to 16 more: "step N: E"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest_check.h"
#include "wasi_nn.h"

static uint8_t* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  REQUIRE(f != NULL, path);
  size_t capacity = 1 << 16, used = 0;
  uint8_t* data = malloc(capacity);
  size_t n;
  while ((n = fread(data + used, 1, capacity - used, f)) > 0) {
    used += n;
    if (used == capacity) data = realloc(data, capacity *= 2);
  }
  fclose(f);
  *size = used;
  return data;
}

// One compute of an affine model: x = 2 in, y out.
static wasi_nn_error compute_affine(graph g, float* y) {
  graph_execution_context c;
  uint32_t dim = 1, written = 0;
  float x = 2;
  tensor t = {&dim, 1, WASI_NN_TYPE_F32, (const uint8_t*)&x, 4};
  wasi_nn_error e = wasi_nn_init_execution_context(g, &c);
  if (e == WASI_NN_SUCCESS) e = wasi_nn_set_input(c, 0, &t);
  if (e == WASI_NN_SUCCESS) e = wasi_nn_compute(c);
  if (e == WASI_NN_SUCCESS) e = wasi_nn_get_output(c, 0, (uint8_t*)y, 4, &written);
  return e;
}

static void load_each(int count, char** paths) {
  for (int i = 0; i < count; ++i) {
    size_t size = 0;
    uint8_t* bytes = read_file(paths[i], &size);
    graph_builder builder = {bytes, (uint32_t)size};
    graph g;
    wasi_nn_error load =
        wasi_nn_load(&builder, 1, WASI_NN_ENCODING_AUTODETECT_WASMEDGE, WASI_NN_TARGET_CPU, &g);
    wasi_nn_error compute = WASI_NN_SUCCESS;
    float y = 0;
    if (load == WASI_NN_SUCCESS && size > 6 && memcmp(bytes, "AFFINE", 6) == 0) {
      compute = compute_affine(g, &y);
    }
    printf("%s: load=%u compute=%u y=%g\n", paths[i], load, compute, y);
    fflush(stdout);
    free(bytes);
  }
}

static void load_named(int count, char** names) {
  for (int i = 0; i < count; ++i) {
    graph g;
    float y = 0;
    wasi_nn_error load = wasi_nn_load_by_name(names[i], (uint32_t)strlen(names[i]), &g);
    wasi_nn_error compute = load == WASI_NN_SUCCESS ? compute_affine(g, &y) : WASI_NN_SUCCESS;
    printf("%s: load=%u compute=%u y=%g\n", names[i], load, compute, y);
    fflush(stdout);
  }
}

static int exists(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f != NULL) fclose(f);
  return f != NULL;
}

// Tells the harness the first step is done, and waits for it to say go on.
static void handshake(const char* dir) {
  char ready[256], go[256];
  snprintf(ready, sizeof ready, "%s/ready", dir);
  snprintf(go, sizeof go, "%s/go", dir);
  FILE* f = fopen(ready, "wb");
  REQUIRE(f != NULL, ready);
  fclose(f);
  const struct timespec tick = {0, 10000000L};
  for (int i = 0; i < 6000 && !exists(go); ++i) nanosleep(&tick, NULL);
}

static void stream_after_handshake(const char* name, const char* dir) {
  graph g;
  graph_execution_context c;
  REQUIRE(wasi_nn_load_by_name(name, (uint32_t)strlen(name), &g) == 0, "load_by_name");
  REQUIRE(wasi_nn_init_execution_context(g, &c) == 0, "init_execution_context");
  static const char prompt[] = "Once upon a time";
  uint32_t dim = sizeof prompt - 1;
  tensor t = {&dim, 1, WASI_NN_TYPE_U8, (const uint8_t*)prompt, dim};
  REQUIRE(wasi_nn_set_input(c, 0, &t) == 0, "set_input");
  for (int step = 0; step < 17; ++step) {
    wasi_nn_error e = wasi_nn_compute_single(c);
    printf("step %d: %u\n", step, e);
    fflush(stdout);
    if (e != WASI_NN_SUCCESS) break;
    if (step == 0) handshake(dir);
  }
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "load") == 0) {
    load_each(argc - 2, argv + 2);
  } else if (argc >= 3 && strcmp(argv[1], "named") == 0) {
    load_named(argc - 2, argv + 2);
  } else if (argc == 4 && strcmp(argv[1], "stream") == 0) {
    stream_after_handshake(argv[2], argv[3]);
  } else {
    guest_fail("usage", "load FILE... | named NAME... | stream NAME DIR");
  }
  return 0;
}
