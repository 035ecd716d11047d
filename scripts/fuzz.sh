#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang 14, -fsanitize=fuzzer,address) in build-fuzz/,
# makes their seed corpora from the main build (models, guests, a plugin) and runs each for
# SECONDS (default 60), keeping what they find in build-fuzz/corpus/.
#   - nn_abi, wasi_path, config, wasm_binary: nnwasm's own code; a crash, leak or hang fails.
#   - backend_load, per backend (onnx, torch, llama): the frameworks on mutated model bytes,
#     forked, crashes counted and kept (build-fuzz/crashes/) but not failures: containing them
#     is --nn-isolate's job (scripts/fuzz_models.py checks that it does).
# usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_EACH="${1:-60}"
FUZZ="$ROOT/build-fuzz"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" "$ROOT/build"  # the plugins, models and guests the seeds come from
CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$FUZZ" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNNWASM_FUZZ=ON -DNNWASM_BUILD_BENCH=OFF >/dev/null
cmake --build "$FUZZ" --target fuzzers -j "$(nproc)"
rm -rf "$FUZZ/seeds"
python3 "$ROOT/fuzz/make_seeds.py" "$FUZZ/seeds" "$ROOT/build/models" "$ROOT/build/guests" \
  "$FUZZ/tests/plugins/libnnwasm-affine.so"

failed=0
for target in nn_abi wasi_path config wasm_binary; do
  mkdir -p "$FUZZ/corpus/$target" "$FUZZ/crashes/$target"
  log="$FUZZ/fuzz_$target.log"
  if "$FUZZ/fuzz/fuzz_$target" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$FUZZ/crashes/$target/" \
      "$FUZZ/corpus/$target" "$FUZZ/seeds/$target" >"$log" 2>&1; then
    echo "fuzz_$target: $(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1)s, nothing found"
  else
    echo "fuzz_$target: FAILED - $(grep -m1 -E 'ERROR|SUMMARY' "$log"); input and log in $FUZZ/crashes/$target, $log"
    failed=1
  fi
done

for backend in onnx torch llama; do
  plugin="$ROOT/build/backends/libnnwasm-$backend.so"
  [ -f "$plugin" ] || { echo "fuzz_backend_load ($backend): skipped, $plugin not built"; continue; }
  crashes="$FUZZ/crashes/backend_load_$backend"
  mkdir -p "$FUZZ/corpus/backend_load_$backend" "$crashes"
  # Uninstrumented frameworks: their own leaks are not ours, and coverage guides only the harness.
  NNWASM_FUZZ_PLUGIN="$plugin" ASAN_OPTIONS=detect_leaks=0 "$FUZZ/fuzz/fuzz_backend_load" \
    -fork=1 -ignore_crashes=1 -max_total_time="$SECONDS_EACH" -max_len=40000000 -timeout=30 \
    -rss_limit_mb=4096 -artifact_prefix="$crashes/" "$FUZZ/corpus/backend_load_$backend" \
    "$FUZZ/seeds/backend_load_$backend" >"$FUZZ/fuzz_backend_load_$backend.log" 2>&1 || true
  echo "fuzz_backend_load ($backend): $(find "$crashes" -name 'crash-*' | wc -l) framework crash input(s) kept in $crashes"
done
exit "$failed"
