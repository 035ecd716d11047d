// Guest: prints a line, then traps (unreachable) in a named function.
#include <stdio.h>

__attribute__((noinline)) void crash_here(void) {
  __builtin_trap();
}

int main(void) {
  printf("before trap\n");
  fflush(stdout);
  crash_here();
  printf("after trap\n");
  return 0;
}
