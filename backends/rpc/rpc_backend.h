// Internal interface of the rpc backend: WASI-NN forwarded to nnwasm (or WasmEdge) NNRPC servers.
// Servers (client.cc) hold a channel and, on nnwasm servers, a session each; graphs and contexts
// (context.cc) live on the server that loaded them. plugin.cc is the traits of the shared ABI
// boundary. Only this folder links gRPC on the client side.
#pragma once

#include <grpcpp/grpcpp.h>
#include <nnwasm/backend.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../common/plugin_support.h"
#include "nnwasm_rpc.grpc.pb.h"
#include "wasi_ephemeral_nn.grpc.pb.h"

namespace nnwasm::rpc_backend {

using plugin_support::Error;
namespace wire = ::wasi_ephemeral_nn;
namespace v1 = ::nnwasm::rpc::v1;

// Chunks of Load and SetInputStream streams: well under any server's message limit (4 MiB).
inline constexpr size_t kChunk = 1u << 20;

// Sends `size` bytes of `data` through a client stream in kChunk pieces, `chunk` (its header
// set) carrying the first (so a header always goes, even with no data); stops early when the
// server has answered (an error, which the caller's Finish reads).
template <typename Writer, typename Chunk>
void write_chunks(Writer& writer, Chunk& chunk, const uint8_t* data, size_t size) {
  size_t at = 0;
  do {
    const size_t piece = std::min(kChunk, size - at);
    chunk.set_data(data + at, piece);
    if (!writer.Write(chunk)) break;
    chunk.Clear();
    at += piece;
  } while (at < size);
  writer.WritesDone();
}

// One server: its channel and stubs, whether it speaks nnwasm's extensions, and our session.
class Server {
 public:
  // `tls_ca`: PEM of the CA to trust ("" for plain text); `token`: bearer token ("" for none).
  // `named`: a server the core named for a load (its backend process), whose messages need not
  // say which server they come from.
  Server(std::string uri, std::chrono::milliseconds connect_timeout, const std::string& tls_ca,
         std::string token, bool named = false);
  ~Server();

  const std::string& uri() const { return uri_; }
  // Connects (once, within the timeout), learns whether the server has nnwasm's extensions and
  // opens a session there; throws Error naming the server when it cannot be reached.
  void ensure_ready();
  bool extended() const { return extended_; }

  // A context for one call: the session metadata, and a deadline for calls that must be quick.
  void prepare(grpc::ClientContext* context, bool quick) const;
  // Throws the WASI-NN code of a failed call (with the server's message), or runtime_error
  // naming the server for transport failures.
  void check(const grpc::ClientContext& context, const grpc::Status& status,
             const char* what) const;

  wire::Graph::Stub& graph() { return *graph_; }
  wire::GraphResource::Stub& resource() { return *resource_; }
  wire::GraphExecutionContextResource::Stub& context() { return *context_; }
  v1::Nnwasm::Stub& nnwasm() { return *nnwasm_; }

 private:
  // A channel (and its stubs) to the server; to a known nnwasm server with keepalive pings,
  // which other servers may refuse.
  void open_channel(bool nnwasm_server);
  bool connect();  // within the timeout; false when refused or unanswered
  Error unreachable() const;
  // One try at what ensure_ready does; false when the server that answered drains (a balancer
  // may send another routing key elsewhere).
  bool try_ready();
  bool open_session();  // false when the server drains
  // What a call that found no session means: the session's server went away, or a load
  // balancer without affinity sent the call to another server.
  std::string no_session_cause(const grpc::Status& status) const;
  // " (this run's session is on SERVER)", or "" before a session opened.
  std::string session_server() const;

  const std::string uri_;
  const std::chrono::milliseconds timeout_;
  const std::string tls_ca_;         // PEM, or empty for plain text
  const std::string authorization_;  // "Bearer <token>" or empty
  const bool named_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<wire::Graph::Stub> graph_;
  std::unique_ptr<wire::GraphResource::Stub> resource_;
  std::unique_ptr<wire::GraphExecutionContextResource::Stub> context_;
  std::unique_ptr<v1::Nnwasm::Stub> nnwasm_;
  std::mutex ready_mutex_;
  bool ready_ = false;
  bool extended_ = false;
  bool keepalive_ = false;  // channel_ pings the server (an nnwasm server's channel)
  // Sent on every call (wire.h kRouteKey) so that a load balancer keeps this run on one server;
  // redrawn only before the session opens, when a draining server refused it.
  std::string route_;
  std::string session_id_;
  std::string session_server_;  // the server's name for itself, from the session's first event
  // The session stream ended while this client still runs: its server went away (or ended it).
  std::atomic<bool> session_lost_{false};
  std::unique_ptr<grpc::ClientContext> session_call_;  // the open OpenSession call
  std::unique_ptr<grpc::ClientReader<v1::SessionEvent>> session_reader_;
  std::thread session_thread_;  // waits for the session stream to end
};

// The servers of rpc.uri, in order; empty without the option.
std::vector<std::shared_ptr<Server>>& servers();
// Reads rpc.uri / rpc.timeout_ms from the host (at every plugin entry).
void configure_servers();
void close_servers();

// A graph on a server.
struct Graph {
  std::shared_ptr<Server> server;
  uint32_t handle = 0;
  std::string name;  // "model 'x'" or "guest model", for messages
  ~Graph();          // unloads it there (where the server can)
};

std::shared_ptr<Graph> load_by_name(std::string_view name, const nnwasm_load_options& options);
std::shared_ptr<Graph> load_bytes(const nnwasm_bytes& model, const nnwasm_load_options& options);

// A context on the graph's server; outputs are copied here until the next call.
class Context {
 public:
  explicit Context(std::shared_ptr<Graph> graph);
  ~Context();  // finalizes it there (where the server can)
  void set_input(uint32_t index, const nnwasm_tensor& tensor);
  nnwasm_status compute();
  nnwasm_output output(uint32_t index);
  nnwasm_status compute_single();
  nnwasm_output output_single(uint32_t index);
  void fini_single();

 private:
  nnwasm_status run(bool single);
  nnwasm_output fetch(uint32_t index, bool single);
  // Keeps `bytes` as output `index` until the next call that replaces outputs (backend.h:
  // get_output of another index must not invalidate it).
  nnwasm_output hold(bool single, uint32_t index, std::string bytes, uint32_t type,
                     std::vector<uint32_t> dims);
  void drop_outputs() { outputs_.clear(); }
  // Ends the Generate call, if one is open (cancelling it when `cancel`): its status and call.
  std::pair<grpc::Status, std::unique_ptr<grpc::ClientContext>> close_stream(bool cancel);
  // Before a call that starts the sequence over: the stream ends and outputs are dropped.
  void start_over();

  std::shared_ptr<Graph> graph_;
  uint32_t handle_ = 0;
  struct Held {
    std::string bytes;
    uint32_t type = NNWASM_TENSOR_UNKNOWN;
    std::vector<uint32_t> dims;
  };
  std::map<std::pair<bool, uint32_t>, Held> outputs_;  // (single, index) -> bytes; few entries
  // Streaming through Generate (nnwasm servers): the server generates ahead while the guest
  // reads pieces; `last_` is the step the guest is at (its piece, text size and statistics).
  std::unique_ptr<grpc::ClientContext> stream_call_;
  std::unique_ptr<grpc::ClientReader<v1::GeneratePiece>> stream_;
  v1::GeneratePiece last_;
  bool stepped_ = false;  // last_ holds a step the guest made through Generate
  std::string text_;      // output 0 at the guest's step, rebuilt from the pieces' text deltas
};

}  // namespace nnwasm::rpc_backend
