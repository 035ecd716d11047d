// The demo guest: greets from inside the WebAssembly sandbox.
#include <stdio.h>

int main(int argc, char** argv) {
  printf("Hello from WebAssembly, running in nnwasm as '%s'", argc > 0 ? argv[0] : "?");
  for (int i = 1; i < argc; ++i) printf(" %s", argv[i]);
  printf("\n");
  return 0;
}
