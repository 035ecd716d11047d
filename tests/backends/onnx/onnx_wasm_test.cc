// The digits demo guest through the nnwasm binary (Wasm -> WASI-NN -> onnx plugin) against
// ONNX Runtime called directly: identical predictions and accuracy, for a named model and for a
// model loaded from guest bytes; and the HTTP example guest serving them on a preopened socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <onnxruntime_cxx_api.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "plugin_helpers.h"
#include "support/process.h"

namespace nnwasm::onnx_test {
namespace {

// Native predictions, one sample at a time, as the guest does.
std::string native_predictions() {
  const auto xb = read_file(model_path("digits_test_x.bin"));
  const size_t n = xb.size() / (64 * sizeof(float));
  Ort::InitApi(OrtGetApiBase()->GetApi(ORT_API_VERSION));
  Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "native-reference");
  Ort::Session session(env, model_path("digits.onnx").c_str(), Ort::SessionOptions{});
  auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  const char* in_names[] = {"input"};
  const char* out_names[] = {"logits"};
  std::string predictions;
  for (size_t i = 0; i < n; ++i) {
    const int64_t shape[] = {1, 64};
    auto input = Ort::Value::CreateTensor<float>(
        memory, reinterpret_cast<float*>(const_cast<uint8_t*>(xb.data())) + i * 64, 64, shape, 2);
    auto out = session.Run(Ort::RunOptions{nullptr}, in_names, &input, 1, out_names, 1);
    const float* logits = out[0].GetTensorData<float>();
    predictions += static_cast<char>('0' + (std::max_element(logits, logits + 10) - logits));
  }
  return predictions;
}

// A loopback port that was free a moment ago (for --tcplisten).
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return ntohs(address.sin_port);
}

// Connects to 127.0.0.1:`port`, retrying for up to 20 s while the server starts; -1 if never.
int connect_loopback(int port) {
  for (int attempt = 0; attempt < 400; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      timeval timeout{20, 0};  // a reply that never comes fails the test, not hangs it
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      return fd;
    }
    close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

// Sends `request` on a new connection and returns everything the server answers.
std::string http_exchange(int port, const std::string& request) {
  int fd = connect_loopback(port);
  if (fd < 0) return "<no connection>";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string reply;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) reply.append(buffer, n);
  close(fd);
  return reply;
}

std::string post_classify(const std::string& body) {
  return "POST /classify HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace

TEST(OnnxWasm, HttpGuestClassifiesOnAPreopenedSocketAndSurvivesBadClients) {
  const std::string native = native_predictions();
  const auto xb = read_file(model_path("digits_test_x.bin"));
  const float* x = reinterpret_cast<const float*>(xb.data());
  const int port = free_port();
  ASSERT_GT(port, 0);
  constexpr int kGood = 8;
  const std::vector<std::string> bad = {
      "GARBAGE\r\n\r\n",                                              // malformed request line
      "GET /classify HTTP/1.1\r\n\r\n",                               // wrong method
      "POST /elsewhere HTTP/1.1\r\nContent-Length: 0\r\n\r\n",        // unknown path
      post_classify("1,2,3"),                                         // too few values
      post_classify(std::string(64 * 2, '9')),                        // not separated
      "POST /classify HTTP/1.1\r\n\r\n",                              // no Content-Length
      "POST /classify HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",  // too large
  };
  const std::vector<std::string> expected_status = {"400", "405", "404", "400",
                                                    "400", "411", "413"};
  const int hangups = 2;    // clients that close mid-request
  const int tricklers = 1;  // a client that sends a byte now and then, never a whole request
  const int connections = kGood + static_cast<int>(bad.size()) + hangups + tricklers;

  nnwasm::test::ProcessResult server;
  std::thread server_thread([&] {
    server = nnwasm::test::run_process(
        {nnwasm::test::nnwasm_binary(), "run", "--tcplisten", "127.0.0.1:" + std::to_string(port),
         "--nn-preload", "digits:onnx:auto:" + model_path("digits.onnx"),
         nnwasm::test::guest_path("http-classify"), std::to_string(connections), "3", "1000"},
        {}, {}, 120);
  });
  // A client that hangs up in the middle of its headers, and one in the middle of its body.
  for (const std::string& partial :
       {std::string("POST /classify HTTP/1.1\r\nContent-Le"),
        std::string("POST /classify HTTP/1.1\r\nContent-Length: 200\r\n\r\n1,2,3")}) {
    int fd = connect_loopback(port);
    ASSERT_GE(fd, 0);
    send(fd, partial.data(), partial.size(), MSG_NOSIGNAL);
    close(fd);
  }
  {
    // One byte every 200 ms: each read is quick, but the request's 1 s deadline ends it, and
    // the good clients after it are still served.
    int fd = connect_loopback(port);
    ASSERT_GE(fd, 0);
    std::string reply;
    const std::string slow = "POST /classify HTTP/1.1\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaa";
    const auto start = std::chrono::steady_clock::now();
    for (char c : slow) {
      if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    char buffer[256];
    ssize_t n;
    while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) reply.append(buffer, n);
    close(fd);
    EXPECT_EQ(reply.substr(0, 12), "HTTP/1.1 408") << reply;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  }
  for (size_t i = 0; i < bad.size(); ++i) {
    std::string reply = http_exchange(port, bad[i]);
    EXPECT_EQ(reply.substr(0, 12), "HTTP/1.1 " + expected_status[i]) << bad[i] << " -> " << reply;
  }
  for (int i = 0; i < kGood; ++i) {
    std::string body = "[";
    for (int k = 0; k < 64; ++k) {
      body += std::to_string(static_cast<int>(x[i * 64 + k] * 16.0f + 0.5f));
      body += k < 63 ? ", " : "]";
    }
    std::string reply = http_exchange(port, post_classify(body));
    EXPECT_EQ(reply.substr(0, 15), "HTTP/1.1 200 OK") << reply;
    EXPECT_NE(reply.find(std::string("\r\n\r\n{\"digit\":") + native[i] + "}"), std::string::npos)
        << "sample " << i << ": " << reply;
  }
  server_thread.join();
  EXPECT_FALSE(server.timed_out);
  EXPECT_EQ(server.exit_code, 0) << server.err;  // served them all, then exited
}

TEST(OnnxWasm, DigitsThroughWasmEqualNativeOnnxRuntime) {
  const std::string native = native_predictions();
  ASSERT_GT(native.size(), 100u);
  const std::string models = NNWASM_MODEL_DIR;
  const std::vector<std::vector<std::string>> runs = {
      {nnwasm::test::nnwasm_binary(), "run", "--dir", models + "::/models", "--nn-preload",
       "digits:onnx:auto:" + model_path("digits.onnx"), nnwasm::test::guest_path("digits"),
       "/models"},
      {nnwasm::test::nnwasm_binary(), "run", "--dir", models + "::/models",
       nnwasm::test::guest_path("digits"), "/models", "/models/digits.onnx"},
  };
  for (const auto& argv : runs) {
    expect_digits_run_matches(nnwasm::test::run_process(argv), native);
  }
}

}  // namespace nnwasm::onnx_test
