#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: a Release build, then an ASan+UBSan build, then
# a short run of every libFuzzer target (scripts/fuzz.sh; NNWASM_FUZZ_SECONDS each, default 10).
# usage: scripts/test.sh [--no-sanitize]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NNWASM_SETUP_TESTS=1 "$ROOT/scripts/setup.sh"

"$ROOT/scripts/build.sh" "$ROOT/build"
ctest --test-dir "$ROOT/build" --output-on-failure -j "$(nproc)"

if [ "${1:-}" != "--no-sanitize" ]; then
  BUILD_TYPE=Debug "$ROOT/scripts/build.sh" "$ROOT/build-asan" -DNNWASM_SANITIZE=ON -DNNWASM_BUILD_BENCH=OFF
  # One retry: LeakSanitizer's exit-time thread stop occasionally faults itself ("Tracer caught
  # signal 11") while a process's helper threads end; a real leak or error fails both runs.
  LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp" UBSAN_OPTIONS="print_stacktrace=1" ctest --test-dir "$ROOT/build-asan" --output-on-failure -j "$(nproc)" --repeat until-pass:2
  "$ROOT/scripts/fuzz.sh" "${NNWASM_FUZZ_SECONDS:-10}"
fi
echo "all tests passed"
