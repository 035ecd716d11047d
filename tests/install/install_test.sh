#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then, from that prefix alone: the installed nnwasm
# runs the digits guest on the installed plugins, and the embedding example (examples/embed)
# builds with find_package(nnwasm) and with pkg-config and runs the same guest.
# usage: install_test.sh BUILD_DIR SOURCE_DIR GUEST_DIR MODEL_DIR [EXTRA_C_FLAGS]
set -euo pipefail
build=$1 source=$2 guests=$3 models=$4 cflags=${5:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

expect_digits() {  # COMMAND... : runs the digits guest, checks its accuracy line
  local out
  out=$("$@" --dir "$models::/models" --nn-preload "digits:onnx:auto:$models/digits.onnx" \
        "$guests/digits.wasm" /models)
  grep -q '^digits: 523/540 correct' <<<"$out" || { echo "unexpected output from $1: $out"; exit 1; }
}

cmake --install "$build" --prefix "$prefix" >/dev/null
[ -f "$prefix/lib/nnwasm/backends/libnnwasm-onnx.so" ] || { echo "onnx plugin not installed"; exit 1; }
expect_digits "$prefix/bin/nnwasm" run
"$prefix/bin/nnwasm" backends | grep -q "$prefix/lib/nnwasm/backends/libnnwasm-onnx.so" ||
  { echo "the installed nnwasm does not use the installed plugins"; exit 1; }

cmake -S "$source/examples/embed" -B "$work/embed" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$cflags" >/dev/null
cmake --build "$work/embed" >/dev/null
expect_digits "$work/embed/embed"
set +e
"$work/embed/embed" "$guests/exit_code.wasm" 7 >/dev/null
code=$?
set -e
[ "$code" -eq 7 ] || { echo "embed exit code $code, expected the guest's 7"; exit 1; }

# shellcheck disable=SC2046,SC2086
cc $cflags "$source/examples/embed/embed.c" -o "$work/embed-pc" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs nnwasm)
expect_digits "$work/embed-pc"
echo "install test passed: $prefix"
