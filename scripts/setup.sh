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
  wasi-libc libclang-rt-14-dev-wasm32 wabt zstd
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libgtest-dev libbenchmark-dev
  libicu72 libuv1 libc-ares2 libnghttp2-14 libbrotli1 libssl3
  python3-torch python3-onnx python3-numpy python3-sklearn
  libtorch-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc openssl
)
# Only for the tests and benchmarks (scripts/test.sh and bench/run.py set NNWASM_SETUP_TESTS=1):
# the load balancers that the NNRPC deployment tests put in front of `nnwasm serve`.
if [ "${NNWASM_SETUP_TESTS:-0}" = 1 ]; then
  APT_PACKAGES+=(nginx-core haproxy)
fi

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

# --- ONNX Runtime 1.29 (onnx backend) from npm ----------------------------------------------
# The Unity package com.github.asus4.onnxruntime ships the official Linux x64 build of ONNX
# Runtime 1.29.0; `npm pack` only downloads the tarball (no install scripts run).
ORT_VERSION="1.29"
ORT_NPM="com.github.asus4.onnxruntime@0.4.9"
ORT_PREFIX="$CACHE/onnxruntime-$ORT_VERSION"
if [ ! -f "$ORT_PREFIX/.complete" ]; then
  log "fetching ONNX Runtime $ORT_VERSION ($ORT_NPM)"
  rm -rf "$ORT_PREFIX"
  mkdir -p "$ORT_PREFIX/lib" "$ORT_PREFIX/include"
  ort_tmp=$(mktemp -d)
  (cd "$ort_tmp" && npm pack --silent "$ORT_NPM" >/dev/null && tar xzf ./*.tgz)
  ort_pkg="$ort_tmp/package"
  cp "$ort_pkg/Plugins/Linux/x64/libonnxruntime.so" \
     "$ort_pkg/Plugins/Linux/x64/libonnxruntime_providers_shared.so" "$ORT_PREFIX/lib/"
  ln -sfn libonnxruntime.so "$ORT_PREFIX/lib/libonnxruntime.so.1"
  cp "$ort_pkg/Plugins/iOS~/onnxruntime.xcframework/ios-arm64_x86_64-simulator/onnxruntime.framework/Headers/"*.h \
     "$ORT_PREFIX/include/"
  rm -rf "$ort_tmp"
  touch "$ORT_PREFIX/.complete"
fi
log "ONNX Runtime $ORT_VERSION at $ORT_PREFIX"

# Optional CUDA execution provider (best effort, never fails the setup): the sister package holds
# only libonnxruntime_providers_{cuda,tensorrt,shared}.so (CUDA 13, cuBLAS 13, cuDNN 9 at run
# time). ONNX Runtime loads providers from the directory of libonnxruntime.so, so the GPU prefix
# holds its own copy of the library next to them; configure with -DNNWASM_ONNX_CUDA=ON to use it.
ORT_GPU_NPM="com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9"
ORT_GPU_PREFIX="$CACHE/onnxruntime-gpu-$ORT_VERSION"
ort_gpu_fetch() {
  local size tmp
  # The registry publishes no unpackedSize for this package: fall back to the tarball's size.
  size=$(npm view "$ORT_GPU_NPM" dist.unpackedSize 2>/dev/null || true)
  if [ -z "$size" ]; then
    size=$(curl -sfIL "$(npm view "$ORT_GPU_NPM" dist.tarball 2>/dev/null)" \
           | tr -d '\r' | awk 'tolower($1)=="content-length:" {n=$2} END {print n}')
  fi
  if [ -z "$size" ] || [ "$size" -gt 500000000 ]; then
    log "skipping $ORT_GPU_NPM (size '${size:-unknown}' unknown or over 500 MB)"
    return 1
  fi
  log "fetching $ORT_GPU_NPM ($((size / 1000000)) MB)"
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && npm pack --silent "$ORT_GPU_NPM" >/dev/null && tar xzf ./*.tgz); then
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$ORT_GPU_PREFIX"
  mkdir -p "$ORT_GPU_PREFIX/lib"
  cp "$tmp"/package/Plugins/Linux/x64/*.so "$ORT_GPU_PREFIX/lib/"
  cp "$ORT_PREFIX/lib/libonnxruntime.so" "$ORT_GPU_PREFIX/lib/"
  ln -sfn libonnxruntime.so "$ORT_GPU_PREFIX/lib/libonnxruntime.so.1"
  ln -sfn "$ORT_PREFIX/include" "$ORT_GPU_PREFIX/include"
  rm -rf "$tmp"
  touch "$ORT_GPU_PREFIX/.complete"
}
if [ ! -f "$ORT_GPU_PREFIX/.complete" ]; then
  ort_gpu_fetch || log "ONNX Runtime CUDA provider not installed (optional)"
fi
ORT_GPU_CMAKE=""
if [ -f "$ORT_GPU_PREFIX/.complete" ]; then
  ORT_GPU_CMAKE="set(NNWASM_ORT_GPU_PREFIX \"$ORT_GPU_PREFIX\" CACHE PATH \"ONNX Runtime with the CUDA provider\")"
fi
# --- end ONNX Runtime ------------------------------------------------------------------------

# --- llama.cpp v0.5.0 (llama backend) from node-llama-cpp's source bundle on npm -----------
# `npm pack` downloads node-llama-cpp without running its scripts; its gitRelease.bundle is the
# llama.cpp release source. Built once (about 10 min on 2 cores) and installed into the cache:
# libllama + ggml as shared libraries, plus llama-common for json-schema -> grammar conversion.
# The libraries find each other through $ORIGIN, so the copies in the prefix never reach back
# into the build tree.
LLAMA_TAG="v0.5.0"
LLAMA_NPM="node-llama-cpp@3.22.1"
LLAMA_ROOT="$CACHE/llama.cpp-$LLAMA_TAG"
LLAMA_PREFIX="$LLAMA_ROOT/install"
if [ ! -f "$LLAMA_ROOT/.complete" ] || [ ! -f "$LLAMA_PREFIX/llama-config.cmake" ]; then
  mkdir -p "$LLAMA_ROOT"
  if [ ! -f "$LLAMA_ROOT/src/CMakeLists.txt" ]; then
    log "fetching llama.cpp $LLAMA_TAG ($LLAMA_NPM)"
    rm -rf "$LLAMA_ROOT/src"
    llama_tmp=$(mktemp -d)
    (cd "$llama_tmp" && npm pack --silent "$LLAMA_NPM" >/dev/null && tar xzf ./*.tgz)
    # Cloned beside, then renamed: an interrupted clone never looks complete.
    rm -rf "$LLAMA_ROOT/src.partial"
    git clone -q "$llama_tmp/package/llama/gitRelease.bundle" "$LLAMA_ROOT/src.partial"
    mv "$LLAMA_ROOT/src.partial" "$LLAMA_ROOT/src"
    rm -rf "$llama_tmp"
  fi
  log "building llama.cpp $LLAMA_TAG (cached in $LLAMA_ROOT; about 10 min on 2 cores)"
  cmake -S "$LLAMA_ROOT/src" -B "$LLAMA_ROOT/build" -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_BUILD_COMMON=ON -DLLAMA_OPENSSL=OFF -DCMAKE_INSTALL_PREFIX="$LLAMA_PREFIX" \
    -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON -DCMAKE_INSTALL_RPATH='$ORIGIN' >/dev/null
  # llama.cpp's own warnings go to a log, shown only if the build fails.
  if ! cmake --build "$LLAMA_ROOT/build" -j"$(nproc)" --target llama llama-common \
       >"$LLAMA_ROOT/build.log" 2>&1; then
    tail -n 40 "$LLAMA_ROOT/build.log" >&2
    log "building llama.cpp failed; the whole log is $LLAMA_ROOT/build.log"
    exit 1
  fi
  rm -rf "$LLAMA_PREFIX"
  # Only what the backend needs: headers, libllama, ggml, llama-common (and its headers).
  mkdir -p "$LLAMA_PREFIX/include/common" "$LLAMA_PREFIX/lib"
  cp "$LLAMA_ROOT/src/include/"*.h "$LLAMA_ROOT/src/ggml/include/"*.h "$LLAMA_PREFIX/include/"
  cp "$LLAMA_ROOT/src/common/"*.h "$LLAMA_PREFIX/include/common/"
  find "$LLAMA_ROOT/build/bin" -maxdepth 1 -name 'lib*.so*' -exec cp -P {} "$LLAMA_PREFIX/lib/" \;
  cp "$LLAMA_ROOT/build/llama-config.cmake" "$LLAMA_PREFIX/"  # build number and commit
  touch "$LLAMA_ROOT/.complete"
fi
log "llama.cpp $LLAMA_TAG at $LLAMA_PREFIX"

# The build reads this file to find everything the setup installed.
cat > "$CACHE/paths.cmake" <<EOC
set(NNWASM_V8_PREFIX "$V8_PREFIX" CACHE PATH "prefix holding usr/include/node and libnode")
set(NNWASM_ORT_PREFIX "$ORT_PREFIX" CACHE PATH "ONNX Runtime prefix (include/, lib/)")
$ORT_GPU_CMAKE
set(NNWASM_LLAMA_PREFIX "$LLAMA_PREFIX" CACHE PATH "llama.cpp prefix (include/, lib/)")
set(NNWASM_LLAMA_SOURCE "$LLAMA_ROOT/src" CACHE PATH "llama.cpp source (gguf-py, vocab files)")
EOC
log "done (cache: $CACHE)"
