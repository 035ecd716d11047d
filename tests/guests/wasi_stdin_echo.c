// Guest: copies stdin to stdout byte for byte until EOF (raw read/write, no stdio buffering).
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

static char buffer[65536];

int main(void) {
  for (;;) {
    ssize_t n = read(0, buffer, sizeof buffer);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      fprintf(stderr, "FAIL: read stdin: errno %d\n", errno);
      return 1;
    }
    ssize_t done = 0;
    while (done < n) {
      ssize_t w = write(1, buffer + done, (size_t)(n - done));
      if (w < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        fprintf(stderr, "FAIL: write stdout: errno %d\n", errno);
        return 1;
      }
      done += w;
    }
  }
}
