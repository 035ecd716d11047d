// Preopened listening sockets (--tcplisten): where they sit in the fd table, their fdstat and
// rights, sock_accept, poll_oneoff readiness, sock_recv/sock_send/sock_shutdown on a
// connection, and clear errors for addresses that cannot be listened on.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "wasi/tcp_listener.h"
#include "wasi_call_fixture.h"

namespace nnwasm::wasi {
namespace {

constexpr uint32_t kListener = 4;  // after the fixture's one preopened directory

class WasiSockets : public WasiFunctions {
 protected:
  void configure(WasiConfig& config) override { config.tcp_listen = {"127.0.0.1:0"}; }

  // A client connected to the guest's listener (the connection waits in its backlog).
  int connect_client() {
    auto sockets = wasi->listening_sockets();
    EXPECT_EQ(sockets.size(), 1u);
    const std::string& bound = sockets.at(0).second;  // "127.0.0.1:PORT"
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(std::stoi(bound.substr(bound.rfind(':') + 1))));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    return fd;
  }
  // poll_oneoff on one fd_read subscription; the event's errno (or -1 when none came).
  int poll_read(uint32_t fd, uint64_t timeout_ns) {
    std::memset(mem.data() + kData, 0, 2 * layout::kSubscriptionSize);
    mem[kData + layout::kSubscriptionTag] = kEventFdRead;
    put_u32(kData + layout::kSubscriptionFd, fd);
    const uint32_t clock = kData + layout::kSubscriptionSize;
    put_u64(clock + layout::kSubscriptionUserdata, 99);
    mem[clock + layout::kSubscriptionTag] = kEventClock;
    put_u32(clock + layout::kSubscriptionClockId, kClockMonotonic);
    put_u64(clock + layout::kSubscriptionClockTimeout, timeout_ns);
    if (call("poll_oneoff", {kData, kOut, 2, kOut2}) != 0 || u32(kOut2) != 1) return -1;
    if (u64(kOut + layout::kEventUserdata) == 99) return -1;  // only the timeout fired
    uint16_t error;
    std::memcpy(&error, mem.data() + kOut + layout::kEventError, 2);
    return error;
  }
};

TEST_F(WasiSockets, ListenerFollowsThePreopenedDirectories) {
  EXPECT_EQ(call("fd_prestat_get", {3, kOut}), 0);
  EXPECT_EQ(call("fd_prestat_get", {kListener, kOut}), static_cast<int32_t>(Errno::kBadf));
  ASSERT_EQ(call("fd_fdstat_get", {kListener, kOut}), 0);
  EXPECT_EQ(mem[kOut], uint8_t(Filetype::kSocketStream));
  EXPECT_EQ(rights_of(kListener).base, rights::kListeningSocket);
  // Shutting a listener down would only stop it listening.
  EXPECT_EQ(call("sock_shutdown", {kListener, kSdRd}), static_cast<int32_t>(Errno::kNotcapable));
  ASSERT_EQ(call("fd_filestat_get", {kListener, kOut}), 0);
  EXPECT_EQ(mem[kOut + layout::kFilestatFiletype], uint8_t(Filetype::kSocketStream));
  auto sockets = wasi->listening_sockets();
  ASSERT_EQ(sockets.size(), 1u);
  EXPECT_EQ(sockets[0].first, kListener);
  EXPECT_EQ(sockets[0].second.rfind("127.0.0.1:", 0), 0u) << sockets[0].second;
  EXPECT_NE(sockets[0].second, "127.0.0.1:0");  // the port the kernel chose
}

TEST_F(WasiSockets, AcceptRecvSendShutdown) {
  EXPECT_EQ(poll_read(kListener, 1000000), -1);  // nobody connected yet
  int client = connect_client();
  EXPECT_EQ(poll_read(kListener, 5000000000ull), 0);
  ASSERT_EQ(call("sock_accept", {kListener, 0, kOut}), 0);
  const uint32_t connection = u32(kOut);
  EXPECT_EQ(rights_of(connection).base, rights::kSocket);  // no sock_accept on a connection
  EXPECT_EQ(call("sock_accept", {connection, 0, kOut}), static_cast<int32_t>(Errno::kNotcapable));

  ASSERT_EQ(::send(client, "ping", 4, 0), 4);
  EXPECT_EQ(poll_read(connection, 5000000000ull), 0);
  put_u32(kIovs, kData + 0x1000);
  put_u32(kIovs + 4, 16);
  ASSERT_EQ(call("sock_recv", {connection, kIovs, 1, 0, kOut, kOut2}), 0);
  EXPECT_EQ(u32(kOut), 4u);
  EXPECT_EQ(bytes(kData + 0x1000, 4), "ping");
  uint32_t n = put_iovecs({"pong"});
  ASSERT_EQ(call("sock_send", {connection, kIovs, n, 0, kOut}), 0);
  EXPECT_EQ(u32(kOut), 4u);
  char reply[8] = {};
  ASSERT_EQ(::recv(client, reply, sizeof reply, 0), 4);
  EXPECT_EQ(std::string(reply, 4), "pong");
  ASSERT_EQ(call("sock_shutdown", {connection, kSdWr}), 0);
  EXPECT_EQ(::recv(client, reply, sizeof reply, 0), 0);  // the guest's side is closed
  ::close(client);
  // A peer that went away: recv gives 0 bytes, send EPIPE, and the host carries on.
  put_u32(kIovs + 4, 16);
  ASSERT_EQ(call("sock_recv", {connection, kIovs, 1, 0, kOut, kOut2}), 0);
  EXPECT_EQ(u32(kOut), 0u);
  EXPECT_EQ(call("fd_close", {connection}), 0);
}

TEST_F(WasiSockets, NonblockingAcceptWithNobodyWaitingIsAgain) {
  // sock_accept's flags are the new connection's; the listener's own flag makes it not wait.
  ASSERT_EQ(call("fd_fdstat_set_flags", {kListener, fdflags::kNonblock}), 0);
  EXPECT_EQ(call("sock_accept", {kListener, 0, kOut}), static_cast<int32_t>(Errno::kAgain));
  int client = connect_client();
  EXPECT_EQ(poll_read(kListener, 5000000000ull), 0);
  ASSERT_EQ(call("sock_accept", {kListener, fdflags::kNonblock, kOut}), 0);
  ASSERT_EQ(call("fd_fdstat_get", {u32(kOut), kOut2}), 0);
  EXPECT_EQ(mem[kOut2 + layout::kFdstatFlags] & fdflags::kNonblock, fdflags::kNonblock);
  ::close(client);
  EXPECT_EQ(call("sock_accept", {kListener, fdflags::kAppend, kOut}),
            static_cast<int32_t>(Errno::kInval));
}

TEST(TcpListener, BadAddressesAreClearErrors) {
  for (const char* address :
       {"", "127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000", "[::1:80"}) {
    std::string error;
    UniqueFd fd = listen_tcp(address, &error);
    EXPECT_FALSE(fd.valid()) << address;
    EXPECT_NE(error.find("--tcplisten"), std::string::npos) << address << ": " << error;
  }
  // A port that is taken.
  std::string error;
  UniqueFd first = listen_tcp("127.0.0.1:0", &error);
  ASSERT_TRUE(first.valid()) << error;
  UniqueFd second = listen_tcp(bound_address(first.get()), &error);
  EXPECT_FALSE(second.valid());
  EXPECT_NE(error.find("cannot listen"), std::string::npos) << error;
  // IPv6 spelled as gRPC and Wasmtime spell it (skipped only where the host has no ::1).
  UniqueFd v6 = listen_tcp("[::1]:0", &error);
  if (v6.valid()) {
    EXPECT_EQ(bound_address(v6.get()).rfind("[::1]:", 0), 0u);
  }
}

TEST(TcpListener, WasiRefusesToStartOnABadAddress) {
  WasiConfig config;
  config.tcp_listen = {"not-an-address"};
  EXPECT_THROW(Wasi wasi(config), WasiError);
}

}  // namespace
}  // namespace nnwasm::wasi
