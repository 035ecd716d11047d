// Example guest: a tiny HTTP/1.1 server that classifies 8x8 digits through WASI-NN. It serves
// the listening socket the host preopens (Wasmtime's --tcplisten), one request per connection:
//
//   nnwasm run --tcplisten 127.0.0.1:8080 \
//       --nn-preload digits:onnx:auto:build/models/digits.onnx build/guests/http-classify.wasm
//   curl -d "0,0,5,13,9,1,0,0, ... (64 values)" http://127.0.0.1:8080/classify
//   -> {"digit":0}
//
// POST /classify takes 64 pixel values from 0 to 16 (scikit-learn's 8x8 digits), separated by
// commas or whitespace, optionally as a JSON array. Anything else gets a 4xx answer; a client
// that hangs up mid-request only loses its own connection, and one that has not sent a whole
// request 5 s after it was accepted gets 408 (one request at a time: that bounds how long a slow
// client delays the others).
// argv[1] (optional): serve this many connections, then exit 0 (default: forever).
// argv[2] (optional): the listening fd (default 3, the first preopen when no --dir is given).
// argv[3] (optional): the time a client has to send its whole request, in ms (default 5000).
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "wasi_nn.h"

enum { kMaxRequest = 16384 };  // header and body together

static long request_timeout_ms = 5000;  // a whole request, from accept: slower clients get 408

static char request[kMaxRequest + 1];

static void send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = send(fd, data, size, 0);
    if (n <= 0) return;  // the client went away: nothing more to do for it
    data += n;
    size -= (size_t)n;
  }
}

// Sends a whole response; returns 0 so that serve() can `return respond(...)`.
static int respond(int fd, int status, const char* reason, const char* extra_header,
                   const char* body) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                   "Connection: close\r\n\r\n",
                   status, reason, status == 200 ? "application/json" : "text/plain", strlen(body),
                   extra_header);
  send_all(fd, head, (size_t)n);
  send_all(fd, body, strlen(body));
  return 0;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// Reads from `fd` into request[used..] until `deadline_ms`; returns the bytes read, 0 when the
// client closed the connection, -1 on error or timeout (`*timed_out` tells which). The deadline
// is for the whole request, so a client trickling bytes cannot hold the server either.
static ssize_t read_some(int fd, size_t used, long long deadline_ms, int* timed_out) {
  struct pollfd p = {fd, POLLIN, 0};
  long long left = deadline_ms - now_ms();
  *timed_out = 0;
  int ready = left > 0 ? poll(&p, 1, (int)left) : 0;
  if (ready == 0) *timed_out = 1;
  if (ready <= 0) return -1;
  return recv(fd, request + used, kMaxRequest - used, 0);
}

// The value of header `name` (case-insensitive) in the header block, or NULL.
static const char* header_value(const char* headers, const char* name) {
  size_t length = strlen(name);
  for (const char* line = strstr(headers, "\r\n"); line != NULL; line = strstr(line, "\r\n")) {
    line += 2;
    if (strncasecmp(line, name, length) == 0 && line[length] == ':') {
      const char* value = line + length + 1;
      while (*value == ' ' || *value == '\t') ++value;
      return value;
    }
  }
  return NULL;
}

// Parses 64 pixel values (0..16) from `body`, scaled to 0..1 as the model expects.
static const char* parse_pixels(const char* body, float* pixels) {
  const char* at = body;
  int count = 0;
  while (*at != '\0') {
    if (strchr(" \t\r\n,[]", *at) != NULL) {
      ++at;
      continue;
    }
    char* end;
    errno = 0;
    float value = strtof(at, &end);
    if (end == at || errno != 0) return "the body must be numbers separated by commas";
    if (!(value >= 0.0f && value <= 16.0f)) return "pixel values must be between 0 and 16";
    if (count == 64) return "expected exactly 64 pixel values, got more";
    pixels[count++] = value / 16.0f;
    at = end;
  }
  return count == 64 ? NULL : "expected exactly 64 pixel values, got fewer";
}

static int classify(graph_execution_context ctx, const float* pixels, int* digit) {
  uint32_t dims[2] = {1, 64};
  tensor input = {dims, 2, WASI_NN_TYPE_F32, (const uint8_t*)pixels, 64 * sizeof(float)};
  float logits[10];
  uint32_t written = 0;
  if (wasi_nn_set_input(ctx, 0, &input) != WASI_NN_SUCCESS ||
      wasi_nn_compute(ctx) != WASI_NN_SUCCESS ||
      wasi_nn_get_output(ctx, 0, (uint8_t*)logits, sizeof logits, &written) != WASI_NN_SUCCESS ||
      written != sizeof logits) {
    return -1;
  }
  *digit = 0;
  for (int k = 1; k < 10; ++k) {
    if (logits[k] > logits[*digit]) *digit = k;
  }
  return 0;
}

// Reads one request from `fd` and answers it (always 0).
static int serve(int fd, graph_execution_context ctx) {
  const long long deadline = now_ms() + request_timeout_ms;
  size_t used = 0;
  char* body = NULL;
  int timed_out = 0;
  while (body == NULL) {  // the header block
    if (used == kMaxRequest)
      return respond(fd, 413, "Payload Too Large", "", "request too large\n");
    ssize_t n = read_some(fd, used, deadline, &timed_out);
    if (n <= 0) {
      if (timed_out) return respond(fd, 408, "Request Timeout", "", "request incomplete\n");
      return 0;  // closed mid-request: nobody to answer
    }
    used += (size_t)n;
    request[used] = '\0';
    body = strstr(request, "\r\n\r\n");
  }
  *body = '\0';
  body += 4;
  const size_t header_size = (size_t)(body - request);

  char method[8], path[64], version[16];
  if (sscanf(request, "%7s %63s %15s", method, path, version) != 3 ||
      strncmp(version, "HTTP/1.", 7) != 0) {
    return respond(fd, 400, "Bad Request", "", "malformed request line\n");
  }
  if (strcmp(path, "/classify") != 0) return respond(fd, 404, "Not Found", "", "try /classify\n");
  if (strcmp(method, "POST") != 0) {
    return respond(fd, 405, "Method Not Allowed", "Allow: POST\r\n", "use POST\n");
  }
  const char* length_text = header_value(request, "Content-Length");
  char* end = NULL;
  long length = length_text != NULL ? strtol(length_text, &end, 10) : -1;
  if (length_text == NULL || end == length_text || length < 0) {
    return respond(fd, 411, "Length Required", "", "Content-Length is required\n");
  }
  if ((size_t)length > kMaxRequest - header_size) {
    return respond(fd, 413, "Payload Too Large", "", "body too large\n");
  }
  while (used - header_size < (size_t)length) {  // the rest of the body
    ssize_t n = read_some(fd, used, deadline, &timed_out);
    if (n <= 0) {
      if (timed_out) return respond(fd, 408, "Request Timeout", "", "body incomplete\n");
      return 0;
    }
    used += (size_t)n;
  }
  body[length] = '\0';

  float pixels[64];
  const char* problem = parse_pixels(body, pixels);
  if (problem != NULL) {
    char message[128];
    snprintf(message, sizeof message, "%s\n", problem);
    return respond(fd, 400, "Bad Request", "", message);
  }
  int digit;
  if (classify(ctx, pixels, &digit) != 0) {
    return respond(fd, 500, "Internal Server Error", "", "inference failed\n");
  }
  char answer[32];
  snprintf(answer, sizeof answer, "{\"digit\":%d}", digit);
  return respond(fd, 200, "OK", "", answer);
}

int main(int argc, char** argv) {
  long max_connections = argc > 1 ? strtol(argv[1], NULL, 10) : -1;
  int listener = argc > 2 ? atoi(argv[2]) : 3;
  if (argc > 3 && atol(argv[3]) > 0) request_timeout_ms = atol(argv[3]);

  graph g;
  graph_execution_context ctx;
  wasi_nn_error err = wasi_nn_load_by_name("digits", 6, &g);
  if (err == WASI_NN_SUCCESS) err = wasi_nn_init_execution_context(g, &ctx);
  if (err != WASI_NN_SUCCESS) {
    fprintf(stderr, "http-classify: no model 'digits' (error %u): give it with --nn-preload\n",
            err);
    return 1;
  }
  fprintf(stderr, "http-classify: serving POST /classify on fd %d\n", listener);
  for (long served = 0; max_connections < 0 || served < max_connections; ++served) {
    __wasi_fd_t connection;
    __wasi_errno_t e = __wasi_sock_accept((__wasi_fd_t)listener, 0, &connection);
    if (e != 0) {
      fprintf(stderr, "http-classify: sock_accept on fd %d failed: %s (start with --tcplisten)\n",
              listener, strerror(e));
      return 1;
    }
    serve((int)connection, ctx);
    shutdown((int)connection, SHUT_RDWR);
    close((int)connection);
  }
  return 0;
}
