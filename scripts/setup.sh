#!/usr/bin/env bash
# Installs everything nnwasm needs to build and test on Debian 12, idempotently.
# System packages come from Debian; V8 (libnode) goes into a private prefix under the cache
# directory (default ~/.cache/nnwasm) because libnode-dev conflicts with NodeSource's Node.js.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${NNWASM_CACHE:-$HOME/.cache/nnwasm}"
mkdir -p "$CACHE"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf '[setup] %s\n' "$*" >&2; }

# --- Debian packages ------------------------------------------------------------------------
APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang lld clang-format libclang-rt-14-dev
  wasi-libc libclang-rt-14-dev-wasm32 wabt
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libgtest-dev libbenchmark-dev
  libicu72 libuv1 libc-ares2 libnghttp2-14 libbrotli1 libssl3
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- V8 from libnode (Node.js 18) ----------------------------------------------------------
# Headers and library come from the system libnode-dev when it is installed, otherwise from the
# Debian .debs unpacked privately (libnode-dev conflicts with NodeSource's Node.js 20). Either way
# the library is copied into the cache with its self-references pre-bound (scripts/lib/
# bind_local.py): that cuts ~20 ms of dynamic symbol lookup from every nnwasm start.
LIBNODE_VERSION="18.20.4"
V8_PREFIX="$CACHE/v8-libnode-$LIBNODE_VERSION"
if [ ! -f "$V8_PREFIX/.complete" ]; then
  rm -rf "$V8_PREFIX"
  mkdir -p "$V8_PREFIX/lib"
  if [ -f /usr/include/node/v8.h ] && [ -e /usr/lib/x86_64-linux-gnu/libnode.so.108 ]; then
    src_root=""
  else
    log "unpacking libnode $LIBNODE_VERSION (Debian libnode108 + libnode-dev)"
    src_root="$V8_PREFIX/deb"
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && apt-get download libnode108 libnode-dev >/dev/null 2>&1); then
      $SUDO apt-get update -qq
      (cd "$tmp" && apt-get download libnode108 libnode-dev)
    fi
    for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$src_root"; done
    rm -rf "$tmp"
  fi
  ln -s "$src_root/usr/include" "$V8_PREFIX/include"
  log "pre-binding libnode.so.108"
  /usr/bin/python3 "$HERE/lib/bind_local.py" "$src_root/usr/lib/x86_64-linux-gnu/libnode.so.108" \
    "$V8_PREFIX/lib/libnode.so.108" >/dev/null
  ln -s libnode.so.108 "$V8_PREFIX/lib/libnode.so"
  touch "$V8_PREFIX/.complete"
fi
log "V8 (libnode $LIBNODE_VERSION) at $V8_PREFIX"

# The build reads this file to find everything the setup installed.
cat > "$CACHE/paths.cmake" <<EOC
set(NNWASM_V8_PREFIX "$V8_PREFIX" CACHE PATH "prefix holding usr/include/node and libnode")
EOC
log "done (cache: $CACHE)"
