#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: a Release build, then an ASan+UBSan build.
# usage: scripts/test.sh [--no-sanitize]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"

"$ROOT/scripts/build.sh" "$ROOT/build"
ctest --test-dir "$ROOT/build" --output-on-failure -j "$(nproc)"

if [ "${1:-}" != "--no-sanitize" ]; then
  BUILD_TYPE=Debug "$ROOT/scripts/build.sh" "$ROOT/build-asan" -DNNWASM_SANITIZE=ON -DNNWASM_BUILD_BENCH=OFF
  LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp" UBSAN_OPTIONS="print_stacktrace=1" ctest --test-dir "$ROOT/build-asan" --output-on-failure -j "$(nproc)"
fi
echo "all tests passed"
