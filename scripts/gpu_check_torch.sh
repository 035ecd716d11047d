#!/usr/bin/env bash
# Checks the torch backend's CUDA path on a machine with an NVIDIA GPU and PyTorch (2.x, CUDA
# wheel) installed: builds nnwasm, the torch backend against THAT libtorch, the guests and the
# models into a separate build dir, then runs the digits demo guest with target gpu under
# --nn-strict-target (no CPU fallback allowed) and prints whether the GPU path was taken and the
# accuracy, next to the CPU run for comparison. Exit status 0 only when the GPU run succeeded.
#
# usage: scripts/gpu_check_torch.sh [BUILD_DIR]     (default: build-gpu-torch)
# env:   PYTHON  interpreter with the CUDA PyTorch (default: python3)
#        MODEL_PYTHON  interpreter for scripts/models (needs torch, onnx, numpy, sklearn;
#                      default: /usr/bin/python3 if it has them, else $PYTHON)
# Run scripts/setup.sh once first (V8, Debian packages) if this machine has not built nnwasm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build-gpu-torch}"
PY="${PYTHON:-python3}"
LOG="${TMPDIR:-/tmp}/nnwasm-gpu-check-torch.configure.log"
say() { printf '[gpu-check] %s\n' "$*"; }

# --- the machine's PyTorch -----------------------------------------------------------------
if ! "$PY" -c 'import torch' 2>/dev/null; then
  say "no PyTorch for '$PY' (set PYTHON=/path/to/python with a CUDA build of torch)"
  exit 2
fi
read -r TORCH_VERSION TORCH_CUDA TORCH_GPUS PREFIX_PATH TORCH_DIR < <("$PY" - <<'PYEOF'
import os, torch
print(torch.__version__, torch.version.cuda or "none", torch.cuda.device_count() if torch.cuda.is_available() else 0,
      torch.utils.cmake_prefix_path, os.path.dirname(torch.__file__))
PYEOF
)
say "PyTorch $TORCH_VERSION, CUDA $TORCH_CUDA, $TORCH_GPUS GPU(s) visible to torch"
say "cmake prefix: $PREFIX_PATH"
if [ "$TORCH_CUDA" = none ]; then
  say "this PyTorch is a CPU-only build: the GPU path cannot be taken"
fi
command -v nvidia-smi >/dev/null && nvidia-smi -L || say "nvidia-smi not found"

# --- configure and build --------------------------------------------------------------------
# find_package(Torch) through CMAKE_PREFIX_PATH first; a CUDA wheel's Torch config refuses to
# load without a CUDA toolkit (nvcc), so retry with the hand-made target (NNWASM_TORCH_PREFIX).
common=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DNNWASM_BUILD_BENCH=OFF)
if cmake -S "$ROOT" -B "$BUILD" "${common[@]}" -DCMAKE_PREFIX_PATH="$PREFIX_PATH" \
     -DNNWASM_TORCH_PREFIX= >"$LOG" 2>&1 \
   && grep -q nnwasm_backend_torch "$BUILD/build.ninja"; then
  say "configured with find_package(Torch) from $PREFIX_PATH"
else
  say "find_package(Torch) failed (see $LOG); using NNWASM_TORCH_PREFIX=$TORCH_DIR"
  rm -rf "$BUILD"
  cmake -S "$ROOT" -B "$BUILD" "${common[@]}" -DNNWASM_TORCH_PREFIX="$TORCH_DIR" \
    >"$LOG" 2>&1 || { cat "$LOG"; exit 1; }
fi
if [ -z "${MODEL_PYTHON:-}" ]; then
  if /usr/bin/python3 -c 'import torch, onnx, sklearn, numpy' 2>/dev/null; then
    MODEL_PYTHON=/usr/bin/python3
  else
    MODEL_PYTHON="$PY"
  fi
fi
say "building nnwasm, the torch backend, guests and models (models with $MODEL_PYTHON)"
PYTHON="$MODEL_PYTHON" cmake --build "$BUILD" -j "$(nproc)" \
  --target nnwasm nnwasm_backend_torch guests models
ldd "$BUILD/backends/libnnwasm-torch.so" | grep -E 'torch|c10' | sed 's/^/[gpu-check]   /'

# --- what nnwasm sees -----------------------------------------------------------------------
backends="$("$BUILD/nnwasm" backends)"
say "nnwasm backends:"
sed 's/^/  /' <<<"$backends"
if grep '^torch' <<<"$backends" | grep -q 'cuda:'; then
  say "torch backend reports CUDA device(s)"
else
  say "torch backend reports NO CUDA device (libtorch without CUDA, or no usable GPU)"
fi

# --- the digits guest on cpu and, strictly, on gpu -------------------------------------------
MODELS="$BUILD/models"
run_digits() {  # TARGET [extra flags]
  local target="$1"; shift
  "$BUILD/nnwasm" run "$@" --dir "$MODELS::/models" \
    --nn-preload "digits:pytorch:$target:$MODELS/digits.pt" "$BUILD/guests/digits.wasm" /models
}
cpu_out="$(run_digits cpu)"
say "cpu: $(grep '^digits:' <<<"$cpu_out"), $(grep '^per-inference' <<<"$cpu_out")"
set +e
gpu_out="$(run_digits gpu --nn-strict-target 2>"$BUILD/gpu_run.err")"
gpu_rc=$?
set -e
if [ "$gpu_rc" -eq 0 ]; then
  say "GPU PATH TAKEN: the guest ran with target gpu under --nn-strict-target"
  say "gpu: $(grep '^digits:' <<<"$gpu_out"), $(grep '^per-inference' <<<"$gpu_out")"
  if [ "$(grep '^predictions:' <<<"$gpu_out")" = "$(grep '^predictions:' <<<"$cpu_out")" ]; then
    say "gpu predictions identical to cpu predictions"
  else
    say "gpu predictions differ from cpu predictions (float rounding on near-ties?)"
  fi
else
  say "GPU PATH NOT TAKEN: strict gpu run failed (exit $gpu_rc):"
  sed 's/^/  /' "$BUILD/gpu_run.err"
fi
exit "$gpu_rc"
