// `nnwasm serve` on the wire, checked with raw gRPC clients built from the protos (not with our
// rpc backend): WasmEdge's plain services and their errno trailers, nnwasm's extensions
// (sessions, Load, Unload, Finalize, ListModels, Generate), health, big tensors, the socket's
// mode and its removal at shutdown.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "nnwasm_rpc.grpc.pb.h"
#include "rpc/rpc_test_support.h"
#include "support/process.h"
#include "support/server_process.h"
#include "wasi_ephemeral_nn.grpc.pb.h"

namespace {

namespace fs = std::filesystem;
namespace wire = wasi_ephemeral_nn;
namespace v1 = nnwasm::rpc::v1;
using nnwasm::test::model_path;
using nnwasm::test::ServerProcess;

// The errno trailer of a failed call (-1 when absent).
long errno_of(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("errno");
  return it == trailers.end() ? -1 : std::stol(std::string(it->second.data(), it->second.size()));
}

class RpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("nnwasm_rpc_" + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
    std::ofstream(dir / "lin.model") << "AFFINE 3 1";
    socket = (dir / "nn.sock").string();
    server = std::make_unique<ServerProcess>(
        std::vector<std::string>{nnwasm::test::nnwasm_binary(), "serve", "--nn-rpc-uri",
                                 "unix://" + socket, "--nn-backend-dir",
                                 nnwasm::test::test_plugin_dir(), "--nn-preload",
                                 "lin:openvino:cpu:" + (dir / "lin.model").string(), "--nn-preload",
                                 "tiny:ggml:cpu:" + model_path("tiny-llama.gguf")},
        "listening on");
    ASSERT_TRUE(server->ready()) << server->output();
    channel = grpc::CreateChannel("unix://" + socket, grpc::InsecureChannelCredentials());
    graph = wire::Graph::NewStub(channel);
    resource = wire::GraphResource::NewStub(channel);
    context = wire::GraphExecutionContextResource::NewStub(channel);
    nnwasm = v1::Nnwasm::NewStub(channel);
  }
  void TearDown() override {
    if (server) server->stop(SIGTERM);
    fs::remove_all(dir);
  }

  // LoadByName + InitExecutionContext on the session named by `session` ("" = shared).
  uint32_t context_of(const std::string& name, const std::string& session = "") {
    grpc::ClientContext c1, c2;
    if (!session.empty()) {
      c1.AddMetadata("nnwasm-session", session);
      c2.AddMetadata("nnwasm-session", session);
    }
    wire::LoadByNameRequest load;
    load.set_name(name);
    wire::LoadByNameResult loaded;
    EXPECT_TRUE(graph->LoadByName(&c1, load, &loaded).ok());
    wire::InitExecutionContextRequest init;
    init.set_resource_handle(loaded.graph_handle());
    wire::InitExecutionContextResult ctx;
    EXPECT_TRUE(resource->InitExecutionContext(&c2, init, &ctx).ok());
    return ctx.ctx_handle();
  }

  grpc::Status set_f32(uint32_t ctx, const std::vector<float>& values,
                       const std::string& session = "", uint32_t type = 1) {
    grpc::ClientContext c;
    if (!session.empty()) c.AddMetadata("nnwasm-session", session);
    wire::SetInputRequest request;
    request.set_resource_handle(ctx);
    request.mutable_tensor()->add_dimensions(static_cast<uint32_t>(values.size()));
    request.mutable_tensor()->set_ty(static_cast<wire::TensorType>(type));
    request.mutable_tensor()->set_data(values.data(), values.size() * 4);
    google::protobuf::Empty empty;
    return context->SetInput(&c, request, &empty);
  }

  // An LLM context's prompt (input 0) and metadata (input 1), as u8 tensors (raw witx value 3).
  bool set_prompt(uint32_t ctx, const std::string& prompt, const std::string& metadata) {
    for (uint32_t index : {0u, 1u}) {
      grpc::ClientContext c;
      wire::SetInputRequest request;
      request.set_resource_handle(ctx);
      request.set_index(index);
      request.mutable_tensor()->add_dimensions(1);
      request.mutable_tensor()->set_ty(static_cast<wire::TensorType>(3));
      request.mutable_tensor()->set_data(index == 0 ? prompt : metadata);
      google::protobuf::Empty empty;
      if (!context->SetInput(&c, request, &empty).ok()) return false;
    }
    return true;
  }

  grpc::Status compute(uint32_t ctx, const std::string& session = "") {
    grpc::ClientContext c;
    if (!session.empty()) c.AddMetadata("nnwasm-session", session);
    wire::ComputeRequest request;
    request.set_resource_handle(ctx);
    google::protobuf::Empty empty;
    return context->Compute(&c, request, &empty);
  }

  std::string output(uint32_t ctx, uint32_t index, const std::string& session = "",
                     long* code = nullptr) {
    grpc::ClientContext c;
    if (!session.empty()) c.AddMetadata("nnwasm-session", session);
    wire::GetOutputRequest request;
    request.set_resource_handle(ctx);
    request.set_index(index);
    wire::GetOutputResult result;
    grpc::Status status = context->GetOutput(&c, request, &result);
    if (code != nullptr) *code = status.ok() ? 0 : errno_of(c);
    return result.data();
  }

  fs::path dir;
  std::string socket;
  std::unique_ptr<ServerProcess> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<wire::Graph::Stub> graph;
  std::unique_ptr<wire::GraphResource::Stub> resource;
  std::unique_ptr<wire::GraphExecutionContextResource::Stub> context;
  std::unique_ptr<v1::Nnwasm::Stub> nnwasm;
};

TEST_F(RpcServerTest, PlainServicesComputeAndErrorsCarryErrno) {
  const uint32_t ctx = context_of("lin");
  ASSERT_TRUE(set_f32(ctx, {1, 2}).ok());
  ASSERT_TRUE(compute(ctx).ok());
  const std::string y = output(ctx, 0);
  ASSERT_EQ(y.size(), 8u);
  float values[2];
  std::memcpy(values, y.data(), 8);
  EXPECT_EQ(values[0], 4.0f);  // 3x + 1
  EXPECT_EQ(values[1], 7.0f);

  grpc::ClientContext c;
  wire::LoadByNameRequest load;
  load.set_name("nope");
  wire::LoadByNameResult loaded;
  grpc::Status status = graph->LoadByName(&c, load, &loaded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(errno_of(c), 8) << status.error_message();  // not_found
  EXPECT_NE(status.error_message().find("no model named 'nope'"), std::string::npos);
  long code = 0;
  output(777, 0, "", &code);
  EXPECT_EQ(code, 1);                           // invalid_argument: unknown context
  EXPECT_FALSE(set_f32(ctx, {1}, "", 9).ok());  // tensor type 9 does not exist
  EXPECT_FALSE(set_f32(ctx, {1}, "", 3).ok());  // u8 where the model takes f32

  // The socket is only this user's, and goes away with the server.
  struct stat st;
  ASSERT_EQ(stat(socket.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(server->stop(SIGTERM), 0) << server->output();
  // Nothing was in flight: no waiting for the drain time, though the client is still connected.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_FALSE(fs::exists(socket));
  server.reset();
}

// A SetInputStream of `values` in 1 MiB chunks (as the rpc backend sends a big tensor); the
// number of chunks written before the server answered goes to `written`.
grpc::Status stream_f32(v1::Nnwasm::Stub& stub, uint32_t ctx, const std::vector<float>& values,
                        const std::string& token = "", int* written = nullptr) {
  grpc::ClientContext c;
  if (!token.empty()) c.AddMetadata("authorization", "Bearer " + token);
  google::protobuf::Empty empty;
  auto writer = stub.SetInputStream(&c, &empty);
  v1::SetInputChunk chunk;
  chunk.set_ctx_handle(ctx);
  chunk.add_dimensions(static_cast<uint32_t>(values.size()));
  chunk.set_type(1);  // f32
  chunk.set_size(values.size() * 4);
  const auto* bytes = reinterpret_cast<const char*>(values.data());
  int n = 0;
  for (size_t at = 0; at < values.size() * 4; at += 1u << 20, ++n) {
    chunk.set_data(bytes + at, std::min<size_t>(1u << 20, values.size() * 4 - at));
    if (!writer->Write(chunk)) break;
    chunk.Clear();
  }
  writer->WritesDone();
  if (written != nullptr) *written = n;
  return writer->Finish();
}

TEST_F(RpcServerTest, TensorsOverOneMessageArriveInChunksAndOneBigMessageIsRefused) {
  const uint32_t ctx = context_of("lin");
  // The server takes messages of 4 MiB at most, as WasmEdge's: a longer one is refused from its
  // length prefix, before its bytes are read.
  grpc::ChannelArguments unlimited;
  unlimited.SetMaxReceiveMessageSize(-1);
  unlimited.SetMaxSendMessageSize(-1);
  auto big_channel =
      grpc::CreateCustomChannel("unix://" + socket, grpc::InsecureChannelCredentials(), unlimited);
  EXPECT_EQ(set_f32(ctx, std::vector<float>(5u << 18, 1.0f)).error_code(),  // 5 MiB
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  std::vector<float> big(16u << 20, 1.0f);  // 64 MiB, in 1 MiB chunks
  const grpc::Status streamed = stream_f32(*v1::Nnwasm::NewStub(big_channel), ctx, big);
  ASSERT_TRUE(streamed.ok()) << streamed.error_message();
  ASSERT_TRUE(compute(ctx).ok());
  grpc::ClientContext c;
  c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  wire::GetOutputRequest request;
  request.set_resource_handle(ctx);
  wire::GetOutputResult result;
  // Outputs come back whole: the client's own receive limit must be raised (a channel argument).
  auto stub = wire::GraphExecutionContextResource::NewStub(big_channel);
  ASSERT_TRUE(stub->GetOutput(&c, request, &result).ok());
  ASSERT_EQ(result.data().size(), big.size() * 4);
  float last;
  std::memcpy(&last, result.data().data() + result.data().size() - 4, 4);
  EXPECT_EQ(last, 4.0f);
}

TEST_F(RpcServerTest, SessionsAreIsolatedAndFreedWhenTheirCallEnds) {
  auto open = [&](grpc::ClientContext* c, v1::SessionEvent* event) {
    v1::OpenSessionRequest request;
    request.set_client("rpc_server_test");
    auto reader = nnwasm->OpenSession(c, request);
    EXPECT_TRUE(reader->Read(event));
    return reader;
  };
  grpc::ClientContext a_call, b_call;
  v1::SessionEvent a, b;
  auto a_reader = open(&a_call, &a);
  auto b_reader = open(&b_call, &b);
  ASSERT_FALSE(a.session_id().empty());
  ASSERT_NE(a.session_id(), b.session_id());

  const uint32_t in_a = context_of("lin", a.session_id());
  ASSERT_TRUE(set_f32(in_a, {2}, a.session_id()).ok());
  ASSERT_TRUE(compute(in_a, a.session_id()).ok());
  long code = 0;
  output(in_a, 0, b.session_id(), &code);
  EXPECT_EQ(code, 1) << "a handle of session a is unknown in session b";
  output(in_a, 0, "", &code);
  EXPECT_EQ(code, 1) << "... and in the shared session";
  EXPECT_EQ(output(in_a, 0, a.session_id(), &code).size(), 4u);

  // A guessed session id is refused.
  grpc::ClientContext guess;
  guess.AddMetadata("nnwasm-session", "0123456789abcdef0123456789abcdef");
  wire::LoadByNameRequest load;
  load.set_name("lin");
  wire::LoadByNameResult loaded;
  EXPECT_EQ(graph->LoadByName(&guess, load, &loaded).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Ending session a frees what it held (logged), and its id stops working.
  a_call.TryCancel();
  for (int i = 0; i < 200 && server->output().find("ended: freed 1 graph(s) and 1 context(s)") ==
                                 std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(server->output().find("ended: freed 1 graph(s) and 1 context(s)"), std::string::npos)
      << server->output();
  grpc::ClientContext late;
  late.AddMetadata("nnwasm-session", a.session_id());
  EXPECT_EQ(graph->LoadByName(&late, load, &loaded).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  b_call.TryCancel();
}

TEST_F(RpcServerTest, ExtensionsLoadUnloadFinalizeListAndHealth) {
  grpc::ClientContext c;
  v1::LoadResult loaded;
  auto writer = nnwasm->Load(&c, &loaded);
  const std::string model = "AFFINE 5 0";
  v1::LoadChunk head;
  head.set_encoding(0);
  head.set_target(0);
  head.add_builder_sizes(model.size());
  head.set_data(model.substr(0, 4));
  v1::LoadChunk rest;
  rest.set_data(model.substr(4));
  ASSERT_TRUE(writer->Write(head) && writer->Write(rest));
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());

  grpc::ClientContext c2;
  wire::InitExecutionContextRequest init;
  init.set_resource_handle(loaded.graph_handle());
  wire::InitExecutionContextResult ctx;
  ASSERT_TRUE(resource->InitExecutionContext(&c2, init, &ctx).ok());
  ASSERT_TRUE(set_f32(ctx.ctx_handle(), {2}).ok());
  ASSERT_TRUE(compute(ctx.ctx_handle()).ok());
  grpc::ClientContext c3;
  wire::GetOutputRequest get;
  get.set_resource_handle(ctx.ctx_handle());
  v1::TypedOutput typed;
  ASSERT_TRUE(nnwasm->GetOutputTyped(&c3, get, &typed).ok());
  EXPECT_EQ(typed.type(), 1u);  // f32
  ASSERT_EQ(typed.dimensions_size(), 1);
  EXPECT_EQ(typed.dimensions(0), 1u);
  float y;
  std::memcpy(&y, typed.data().data(), 4);
  EXPECT_EQ(y, 10.0f);

  grpc::ClientContext c4, c5, c6, c7;
  v1::FinalizeRequest finalize;
  finalize.set_ctx_handle(ctx.ctx_handle());
  google::protobuf::Empty empty;
  EXPECT_TRUE(nnwasm->FinalizeExecutionContext(&c4, finalize, &empty).ok());
  EXPECT_FALSE(nnwasm->FinalizeExecutionContext(&c5, finalize, &empty).ok());
  EXPECT_EQ(errno_of(c5), 1);
  v1::UnloadRequest unload;
  unload.set_graph_handle(loaded.graph_handle());
  EXPECT_TRUE(nnwasm->Unload(&c6, unload, &empty).ok());

  v1::ModelList list;
  ASSERT_TRUE(nnwasm->ListModels(&c7, empty, &list).ok());
  ASSERT_EQ(list.models_size(), 2);
  EXPECT_EQ(list.models(0).name(), "lin");
  EXPECT_EQ(list.models(1).name(), "tiny");
  EXPECT_EQ(list.models(1).encoding(), "ggml");
  EXPECT_NE(list.server_version().find("nnwasm"), std::string::npos);

  // A declared size over the server's limit is refused before anything is read.
  grpc::ClientContext c8;
  auto huge = nnwasm->Load(&c8, &loaded);
  v1::LoadChunk lie;
  lie.add_builder_sizes(1ull << 62);
  huge->Write(lie);
  huge->WritesDone();
  EXPECT_FALSE(huge->Finish().ok());
  EXPECT_EQ(errno_of(c8), 7);  // too_large

  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext c9;
  grpc::health::v1::HealthCheckRequest check;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&c9, check, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(RpcServerTest, StreamingPerTokenAndWithGenerateGiveTheSameText) {
  auto prompt = [&](uint32_t ctx) {
    ASSERT_TRUE(set_prompt(ctx, "Once upon a time", R"({"n-predict":12,"temp":0})"));
  };
  const uint32_t single = context_of("tiny");
  prompt(single);
  std::string per_token;
  long end = 0;
  for (int i = 0; i < 64 && end == 0; ++i) {
    grpc::ClientContext c;
    wire::ComputeRequest request;
    request.set_resource_handle(single);
    google::protobuf::Empty empty;
    grpc::Status status = context->ComputeSingle(&c, request, &empty);
    end = status.ok() ? 0 : errno_of(c);
    grpc::ClientContext g;
    wire::GetOutputRequest get;
    get.set_resource_handle(single);
    wire::GetOutputResult piece;
    ASSERT_TRUE(context->GetOutputSingle(&g, get, &piece).ok());
    per_token += piece.data();
  }
  EXPECT_EQ(end, 100);  // end_of_sequence after n-predict
  EXPECT_EQ(per_token, output(single, 0));
  EXPECT_FALSE(per_token.empty());

  const uint32_t streamed = context_of("tiny");
  prompt(streamed);
  grpc::ClientContext c;
  v1::GenerateRequest request;
  request.set_ctx_handle(streamed);
  auto reader = nnwasm->Generate(&c, request);
  std::string generated;
  v1::GeneratePiece piece;
  uint32_t last = 0;
  while (reader->Read(&piece)) {
    generated += piece.piece();
    last = piece.code();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(last, 100u);
  EXPECT_EQ(generated, per_token);
}

TEST_F(RpcServerTest, ConcurrentGeneratesOnOneModelEachGetTheTextTheyGetAlone) {
  // Four clients stream at once from the one model (their steps batched in the server's llama
  // backend); each text must be what the same request gives alone.
  const std::string prompts[2] = {"Once upon a time", "The three primary colours are"};
  const std::string meta = R"({"n-predict":40,"temp":0,"ctx-size":256})";
  auto generate = [&](const std::string& prompt, std::string* text, uint32_t* last) {
    const uint32_t ctx = context_of("tiny");
    ASSERT_TRUE(set_prompt(ctx, prompt, meta));
    grpc::ClientContext c;
    v1::GenerateRequest request;
    request.set_ctx_handle(ctx);
    auto reader = nnwasm->Generate(&c, request);
    v1::GeneratePiece piece;
    while (reader->Read(&piece)) {
      *text += piece.piece();
      *last = piece.code();
    }
    ASSERT_TRUE(reader->Finish().ok());
  };
  std::string alone[2];
  for (int k = 0; k < 2; ++k) {
    uint32_t last = 0;
    generate(prompts[k], &alone[k], &last);
    EXPECT_EQ(last, 100u);
    ASSERT_FALSE(alone[k].empty());
  }
  ASSERT_NE(alone[0], alone[1]);
  std::string texts[4];
  uint32_t lasts[4] = {};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] { generate(prompts[i % 2], &texts[i], &lasts[i]); });
  }
  for (std::thread& t : clients) t.join();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(texts[i], alone[i % 2]) << "client " << i;
    EXPECT_EQ(lasts[i], 100u) << "client " << i;
  }
}

}  // namespace

namespace {

// Clients without a session (WasmEdge's) never finalize: their idle contexts are reaped.
TEST_F(RpcServerTest, AGenerateWhoseClientStopsReadingDoesNotBlockOthersForever) {
  server->stop(SIGTERM);
  server = std::make_unique<ServerProcess>(
      std::vector<std::string>{nnwasm::test::nnwasm_binary(), "serve", "--nn-rpc-uri",
                               "unix://" + socket, "--nn-preload",
                               "tiny:ggml:cpu:" + model_path("tiny-llama.gguf"),
                               "--nn-rpc-idle-timeout", "1"},
      "listening on");
  ASSERT_TRUE(server->ready()) << server->output();
  const uint32_t ctx = context_of("tiny");
  ASSERT_TRUE(set_prompt(ctx, "Once upon a time", R"({"n-predict":-1,"ctx-size":4096,"temp":0})"));
  // A reader with a tiny flow-control window that reads one piece and then nothing: the
  // server's Generate blocks in Write, holding the context.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  auto slow = v1::Nnwasm::NewStub(
      grpc::CreateCustomChannel("unix://" + socket, grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext g;
  v1::GenerateRequest request;
  request.set_ctx_handle(ctx);
  auto reader = slow->Generate(&g, request);
  v1::GeneratePiece piece;
  ASSERT_TRUE(reader->Read(&piece));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // Another call on that context gives up after the idle timeout with busy (4).
  const auto start = std::chrono::steady_clock::now();
  long code = 0;
  output(ctx, 0, "", &code);
  EXPECT_EQ(code, 4);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  // The stuck reader cancels: the context is free again.
  g.TryCancel();
  reader->Finish();
  std::string text;
  for (int i = 0; i < 100 && code != 0; ++i) {
    text = output(ctx, 0, "", &code);
    if (code != 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(code, 0);
  EXPECT_FALSE(text.empty());
}

TEST_F(RpcServerTest, IdleContextsOfTheSharedSessionAreFinalized) {
  server->stop(SIGTERM);
  server = std::make_unique<ServerProcess>(
      std::vector<std::string>{
          nnwasm::test::nnwasm_binary(), "serve", "--nn-rpc-uri", "unix://" + socket,
          "--nn-backend-dir", nnwasm::test::test_plugin_dir(), "--nn-preload",
          "lin:openvino:cpu:" + (dir / "lin.model").string(), "--nn-rpc-idle-timeout", "0.2"},
      "listening on");
  ASSERT_TRUE(server->ready()) << server->output();
  const uint32_t ctx = context_of("lin");
  ASSERT_TRUE(set_f32(ctx, {1}).ok());
  for (int i = 0; i < 300 && server->output().find("finalized 1 context(s)") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(server->output().find("shared session: finalized 1 context(s) unused for"),
            std::string::npos)
      << server->output();
  long code = 0;
  output(ctx, 0, "", &code);
  EXPECT_EQ(code, 1);  // gone: unknown context
}

}  // namespace

namespace {

// WasmEdge's load_by_name_with_config: the same config again gives the same graph; another config
// gives a graph with that config (the weights shared), and a config a fresh load would refuse is
// refused, not ignored because the name is loaded.
TEST_F(RpcServerTest, AnotherConfigForALoadedNameGivesAGraphWithThatConfig) {
  auto load = [&](const std::string& config, long* code) {
    grpc::ClientContext c;
    wire::LoadByNameWithConfigRequest request;
    request.set_name("tiny");
    request.set_config(config);
    wire::LoadByNameWithConfigResult result;
    const grpc::Status status = graph->LoadByNameWithConfig(&c, request, &result);
    *code = status.ok() ? 0 : errno_of(c);
    return result.graph_handle();
  };
  long code = 0;
  const uint32_t four = load(R"({"n-predict":4})", &code);
  ASSERT_EQ(code, 0);
  EXPECT_EQ(load(R"({"n-predict":4})", &code), four);
  const uint32_t twelve = load(R"({"n-predict":12})", &code);
  ASSERT_EQ(code, 0);
  EXPECT_NE(twelve, four);
  load(R"({"n-predict":"many"})", &code);
  EXPECT_EQ(code, 1);  // invalid_argument, as a fresh load of that config
  std::string texts[2];
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext c;
    wire::InitExecutionContextRequest init;
    init.set_resource_handle(i == 0 ? four : twelve);
    wire::InitExecutionContextResult ctx;
    ASSERT_TRUE(resource->InitExecutionContext(&c, init, &ctx).ok());
    ASSERT_TRUE(set_prompt(ctx.ctx_handle(), "Once upon a time", R"({"temp":0})"));
    ASSERT_TRUE(compute(ctx.ctx_handle()).ok());
    texts[i] = output(ctx.ctx_handle(), 0);
  }
  EXPECT_FALSE(texts[0].empty());
  EXPECT_LT(texts[0].size(), texts[1].size());
  EXPECT_EQ(texts[1].substr(0, texts[0].size()), texts[0]);
}

// A Load stream is admitted with its declared size against --nn-max-memory before its bytes are
// taken: a client cannot make the server hold more than the budget while it streams.
TEST_F(RpcServerTest, ALoadOverTheMemoryBudgetIsRefusedBeforeItsBytes) {
  server->stop(SIGTERM);
  server = std::make_unique<ServerProcess>(
      std::vector<std::string>{nnwasm::test::nnwasm_binary(), "serve", "--nn-rpc-uri",
                               "unix://" + socket, "--nn-backend-dir",
                               nnwasm::test::test_plugin_dir(), "--nn-max-memory", "100000000"},
      "listening on");
  ASSERT_TRUE(server->ready()) << server->output();
  grpc::ClientContext c;
  v1::LoadResult loaded;
  auto writer = nnwasm->Load(&c, &loaded);
  v1::LoadChunk head;
  head.add_builder_sizes(1ull << 30);  // 1 GiB declared, under --nn-max-model-bytes
  head.set_data(std::string(1 << 20, 'x'));
  writer->Write(head);
  writer->WritesDone();
  const grpc::Status refused = writer->Finish();
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(errno_of(c), 7);  // too_large
  EXPECT_NE(refused.error_message().find("--nn-max-memory"), std::string::npos)
      << refused.error_message();
  // What was admitted for it went back: a small model loads.
  grpc::ClientContext c2;
  auto small = nnwasm->Load(&c2, &loaded);
  const std::string model = "AFFINE 5 0";
  v1::LoadChunk whole;
  whole.add_builder_sizes(model.size());
  whole.set_data(model);
  ASSERT_TRUE(small->Write(whole));
  small->WritesDone();
  const grpc::Status status = small->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace

namespace {

// A call stuck in a framework (llama.cpp's grammar sampler on an ambiguous grammar takes minutes
// per token) does not keep the server from stopping: SIGTERM drains for --nn-rpc-drain, cancels,
// and exits without waiting for it.
TEST_F(RpcServerTest, SigtermStopsTheServerWithinItsDrainTimeWhateverACallIsDoing) {
  server->stop(SIGTERM);
  server = std::make_unique<ServerProcess>(
      std::vector<std::string>{
          nnwasm::test::nnwasm_binary(), "serve", "--nn-rpc-uri", "unix://" + socket,
          "--nn-preload", "tiny:ggml:cpu:" + model_path("tiny-llama.gguf"), "--nn-rpc-drain", "1"},
      "listening on");
  ASSERT_TRUE(server->ready()) << server->output();
  const uint32_t ctx = context_of("tiny");
  ASSERT_TRUE(set_prompt(ctx, "Once upon a time",
                         R"({"n-predict":4,"temp":0,"grammar":"root ::= x*\nx ::= )"
                         R"([a-z ]* [a-z ]* [a-z ]* [a-z ]* [a-z ]* [a-z ]*"})"));
  std::thread stuck([&] { compute(ctx); });  // ends with an error when the server goes
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // inside the sampler by now
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server->stop(SIGTERM, 60), 0) << server->output();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8)) << server->output();
  EXPECT_NE(server->output().find("still inside a backend"), std::string::npos) << server->output();
  EXPECT_FALSE(fs::exists(socket));
  stuck.join();
  server.reset();
}

}  // namespace

namespace {

// A client without the token is refused on the first chunk of its tensor, not after the server
// has taken all of it; one over the memory budget too.
TEST_F(RpcServerTest, AnUnauthenticatedOrOverBudgetTensorIsRefusedOnItsFirstChunk) {
  server->stop(SIGTERM);
  std::ofstream(dir / "token") << "s3cret\n";
  server = std::make_unique<ServerProcess>(
      std::vector<std::string>{
          nnwasm::test::nnwasm_binary(), "serve", "--nn-rpc-uri", "unix://" + socket,
          "--nn-backend-dir", nnwasm::test::test_plugin_dir(), "--nn-preload",
          "lin:openvino:cpu:" + (dir / "lin.model").string(), "--nn-rpc-token-file",
          (dir / "token").string(), "--nn-max-memory", "50000000"},
      "listening on");
  ASSERT_TRUE(server->ready()) << server->output();
  const std::vector<float> big(50u << 18, 1.0f);  // 50 MiB
  int written = 0;
  grpc::Status denied = stream_f32(*nnwasm, 0, big, "", &written);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED) << denied.error_message();
  EXPECT_LT(written, 50) << "the server read the whole tensor before refusing it";
  // With the token: over --nn-max-memory, too_large, also before the bytes.
  grpc::ClientContext c1, c2;
  c1.AddMetadata("authorization", "Bearer s3cret");
  c2.AddMetadata("authorization", "Bearer s3cret");
  wire::LoadByNameRequest load;
  load.set_name("lin");
  wire::LoadByNameResult loaded;
  ASSERT_TRUE(graph->LoadByName(&c1, load, &loaded).ok());
  wire::InitExecutionContextRequest init;
  init.set_resource_handle(loaded.graph_handle());
  wire::InitExecutionContextResult ctx;
  ASSERT_TRUE(resource->InitExecutionContext(&c2, init, &ctx).ok());
  const grpc::Status over = stream_f32(*nnwasm, ctx.ctx_handle(), big, "s3cret", &written);
  EXPECT_FALSE(over.ok());
  EXPECT_NE(over.error_message().find("--nn-max-memory"), std::string::npos)
      << over.error_message();
  EXPECT_LT(written, 50);
}

}  // namespace
