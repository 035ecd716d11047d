// Guest: grows memory by ~64 MiB, then writes from the newly grown region through WASI,
// so the host must see memory as it is after memory.grow.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  size_t before = __builtin_wasm_memory_size(0);
  size_t size = 64u << 20;
  char* big = malloc(size);
  if (big == NULL) {
    fprintf(stderr, "FAIL: malloc of 64 MiB\n");
    return 1;
  }
  size_t after = __builtin_wasm_memory_size(0);
  if (after <= before) {
    fprintf(stderr, "FAIL: memory did not grow (%zu -> %zu pages)\n", before, after);
    return 1;
  }
  // Put a message at the very end of the new allocation and write it with fd_write.
  const char message[] = "written from grown memory\n";
  char* tail = big + size - sizeof message;
  memcpy(tail, message, sizeof message - 1);
  if (write(1, tail, sizeof message - 1) != (ssize_t)(sizeof message - 1)) {
    fprintf(stderr, "FAIL: write from grown memory\n");
    return 1;
  }
  printf("grew from %zu to %zu pages\n", before, after);
  return 0;
}
