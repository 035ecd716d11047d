// NNRPC wire conventions shared by `nnwasm serve` (src/rpc) and the rpc backend plugin: how a
// WASI-NN code travels (gRPC status UNKNOWN + trailing metadata errno=<decimal>, as WasmEdge
// does), the session metadata key, and URI checks.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace nnwasm::rpc {

// Metadata naming the caller's session (nnwasm_rpc.proto); absent: the shared session.
inline constexpr char kSessionKey[] = "nnwasm-session";
// Trailing metadata carrying the WASI-NN code of a failed call.
inline constexpr char kErrnoKey[] = "errno";
// What WasmEdge's server sends as errno when a host call itself failed.
inline constexpr uint32_t kHostCallFailed = 0xFFFFFFFFu;

// Server side: the status for WASI-NN `code` with `message`, its errno trailer added to
// `context`. OK for code 0.
grpc::Status error_status(grpc::ServerContextBase* context, uint32_t code,
                          const std::string& message);

// Client side: the WASI-NN code a failed call carries (its errno trailer), or nullopt-like 0
// when the call succeeded; a failure without a parseable trailer (transport, permission,
// message too large) is runtime_error, as WasmEdge's client maps it.
uint32_t code_of(const grpc::ClientContext& context, const grpc::Status& status);
// Whether a failure was the server's WASI-NN answer (an errno trailer) rather than transport.
bool has_errno(const grpc::ClientContext& context);

// Metadata carrying the bearer token (`authorization: Bearer <token>`).
inline constexpr char kAuthorizationKey[] = "authorization";

// The contents of a file (a PEM certificate or key, a token file); false with `error` set.
bool read_text_file(const std::string& path, std::string* out, std::string* error);
// A token file's token: its text without surrounding whitespace; false when empty.
bool read_token_file(const std::string& path, std::string* token, std::string* error);

// The filesystem path of a unix: URI ("unix:///abs", "unix:/abs", "unix:rel"), or "" for
// any other URI.
std::string unix_socket_path(std::string_view uri);

}  // namespace nnwasm::rpc
