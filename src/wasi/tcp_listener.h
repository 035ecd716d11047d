// Listening TCP sockets preopened for the guest (`--tcplisten HOST:PORT`, as Wasmtime does):
// address parsing and socket setup. The guest accepts on them with sock_accept.
#pragma once

#include <string>

#include "wasi/unique_fd.h"

namespace nnwasm::wasi {

// Binds and listens on `address`: "HOST:PORT", "[IPV6]:PORT" (HOST a name or a numeric
// address, PORT 0 for any free port). Returns an invalid fd and sets `error` to a message for
// the user when the address is malformed or cannot be bound.
UniqueFd listen_tcp(const std::string& address, std::string* error);

// The "HOST:PORT" a listening socket is bound to (e.g. to learn the port chosen for PORT 0).
std::string bound_address(int fd);

}  // namespace nnwasm::wasi
