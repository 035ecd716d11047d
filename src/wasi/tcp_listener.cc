// listen_tcp and bound_address: getaddrinfo, bind, listen; numeric formatting of the bound name.

#include "wasi/tcp_listener.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace nnwasm::wasi {
namespace {

constexpr int kBacklog = 128;

// Splits "HOST:PORT" or "[HOST]:PORT"; false when either part is missing.
bool split_host_port(const std::string& address, std::string* host, std::string* port) {
  size_t colon;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return false;
    }
    *host = address.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = address.rfind(':');
    if (colon == std::string::npos) return false;
    *host = address.substr(0, colon);
  }
  *port = address.substr(colon + 1);
  if (host->empty() || port->empty() || port->size() > 5) return false;
  for (char c : *port) {
    if (c < '0' || c > '9') return false;
  }
  return std::stoi(*port) <= 65535;
}

}  // namespace

UniqueFd listen_tcp(const std::string& address, std::string* error) {
  std::string host, port;
  if (!split_host_port(address, &host, &port)) {
    *error =
        std::string("--tcplisten '").append(address).append("': expected HOST:PORT or [IPV6]:PORT");
    return UniqueFd();
  }
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  struct addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    *error = std::string("--tcplisten '").append(address).append("': cannot resolve '");
    error->append(host).append("': ").append(gai_strerror(rc));
    return UniqueFd();
  }
  std::string reason = "no usable address";
  UniqueFd listener;
  for (struct addrinfo* a = found; a != nullptr && !listener.valid(); a = a->ai_next) {
    UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd.valid()) {
      reason = std::strerror(errno);
      continue;
    }
    int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd.get(), kBacklog) != 0) {
      reason = std::strerror(errno);
      continue;
    }
    listener = std::move(fd);
  }
  ::freeaddrinfo(found);
  if (!listener.valid()) {
    *error = std::string("--tcplisten '").append(address).append("': cannot listen: ");
    error->append(reason).append(
        " (is the port taken? use another one, or port 0 for any free port)");
  }
  return listener;
}

std::string bound_address(int fd) {
  struct sockaddr_storage storage;
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<struct sockaddr*>(&storage), &length) != 0) return "?";
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<struct sockaddr*>(&storage), length, host, sizeof host, port,
                    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "?";
  }
  std::string text;
  if (storage.ss_family == AF_INET6) {
    text.append("[").append(host).append("]");
  } else {
    text.append(host);
  }
  return text.append(":").append(port);
}

}  // namespace nnwasm::wasi
