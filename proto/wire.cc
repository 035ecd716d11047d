// NNRPC wire conventions (wire.h).
#include "wire.h"

#include <sys/random.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>

namespace nnwasm::rpc {

grpc::Status error_status(grpc::ServerContextBase* context, uint32_t code,
                          const std::string& message) {
  if (code == 0) return grpc::Status::OK;
  context->AddTrailingMetadata(kErrnoKey, std::to_string(code));
  return grpc::Status(grpc::StatusCode::UNKNOWN, message);
}

namespace {

bool errno_of(const grpc::ClientContext& context, uint32_t* code) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(kErrnoKey);
  if (it == trailers.end()) return false;
  const grpc::string_ref& value = it->second;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), *code);
  return ec == std::errc() && end == value.data() + value.size();
}

}  // namespace

uint32_t code_of(const grpc::ClientContext& context, const grpc::Status& status) {
  if (status.ok()) return 0;
  uint32_t code = 0;
  if (errno_of(context, &code) && code != 0 && code != kHostCallFailed) return code;
  return 5;  // runtime_error
}

bool has_errno(const grpc::ClientContext& context) {
  uint32_t code = 0;
  return errno_of(context, &code);
}

bool has_trailer(const grpc::ClientContext& context, const char* key) {
  const auto& trailers = context.GetServerTrailingMetadata();
  return trailers.find(key) != trailers.end();
}

std::string random_id() {
  uint8_t bits[16];
  for (size_t got = 0; got < sizeof bits;) {
    const ssize_t n = getrandom(bits + got, sizeof bits - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(2 * sizeof bits, '0');
  for (size_t i = 0; i < sizeof bits; ++i) {
    id[2 * i] = kHex[bits[i] >> 4];
    id[2 * i + 1] = kHex[bits[i] & 15];
  }
  return id;
}

bool read_text_file(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), {});
  return true;
}

bool read_token_file(const std::string& path, std::string* token, std::string* error) {
  if (!read_text_file(path, token, error)) return false;
  const size_t begin = token->find_first_not_of(" \t\r\n");
  const size_t end = token->find_last_not_of(" \t\r\n");
  if (begin == std::string::npos) {
    *error = "the token file " + path + " is empty";
    return false;
  }
  *token = token->substr(begin, end + 1 - begin);
  return true;
}

std::string unix_socket_path(std::string_view uri) {
  constexpr std::string_view kUnix = "unix:";
  if (uri.substr(0, kUnix.size()) != kUnix) return {};
  std::string_view path = uri.substr(kUnix.size());
  if (path.substr(0, 2) == "//") path.remove_prefix(2);  // unix:///abs -> /abs
  return std::string(path);
}

}  // namespace nnwasm::rpc
