// Guest: exits with the status given as argv[1] (through proc_exit), after printing a line.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  int code = argc > 1 ? atoi(argv[1]) : 0;
  printf("exiting with %d\n", code);
  fflush(stdout);
  exit(code);
  // not reached: proc_exit must stop the guest immediately
  printf("after exit\n");
  return 99;
}
