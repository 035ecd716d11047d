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
// Metadata a client sends on every call of a run so that a load balancer keeps the run on one
// server (nnwasm_rpc.proto, "Routing").
inline constexpr char kRouteKey[] = "nnwasm-route";
// Trailers marking a call for a session the server does not hold, and one refused by a draining
// server.
inline constexpr char kNoSessionKey[] = "nnwasm-no-session";
inline constexpr char kDrainingKey[] = "nnwasm-draining";
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

// Whether a failed call carries trailer `key` (kNoSessionKey, kDrainingKey).
bool has_trailer(const grpc::ClientContext& context, const char* key);

// 128 random bits from the kernel as 32 hex digits: session ids and routing keys.
std::string random_id();

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
