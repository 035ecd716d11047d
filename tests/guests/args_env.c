// Guest: prints its arguments and selected environment variables, one per line.
#include <stdio.h>
#include <stdlib.h>

extern char** environ;

int main(int argc, char** argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  int count = 0;
  for (char** e = environ; *e != NULL; ++e) ++count;
  printf("envc=%d\n", count);
  for (char** e = environ; *e != NULL; ++e) printf("env:%s\n", *e);
  return 0;
}
