// Guest: writes one line to stdout and one to stderr.
#include <stdio.h>

int main(void) {
  printf("hello stdout\n");
  fprintf(stderr, "hello stderr\n");
  return 0;
}
