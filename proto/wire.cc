// NNRPC wire conventions (wire.h).
#include "wire.h"

#include <charconv>

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

std::string unix_socket_path(std::string_view uri) {
  constexpr std::string_view kUnix = "unix:";
  if (uri.substr(0, kUnix.size()) != kUnix) return {};
  std::string_view path = uri.substr(kUnix.size());
  if (path.substr(0, 2) == "//") path.remove_prefix(2);  // unix:///abs -> /abs
  return std::string(path);
}

}  // namespace nnwasm::rpc
