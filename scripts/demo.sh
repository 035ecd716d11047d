#!/usr/bin/env bash
# Sets up, builds, and runs the bundled demo guest under nnwasm.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" "$ROOT/build"
echo "+ build/nnwasm run build/guests/hello.wasm world" >&2
"$ROOT/build/nnwasm" run "$ROOT/build/guests/hello.wasm" world
