#!/usr/bin/env bash
# Generates every model nnwasm's tests and examples use into OUT_DIR:
#   make_digits.py       digits.onnx, digits.pt, digits_test_x.bin, digits_test_y.bin,
#                        digits_meta.json (digits MLP trained on sklearn's 8x8 digits)
#   make_test_models.py  add_mul.onnx, types.onnx, dynamic.onnx, i64_argmax.onnx
#   make_torch_models.py multi_io.pt, conv.pt, torch_models.json (TorchScript test/bench models)
#   make_llama_gguf.py   tiny-llama.gguf, tiny-llama.json (random-weight llama with LLaMA 2's
#                        tokenizer), tiny-bert.gguf, tiny-bert.json (random-weight BERT embedding
#                        model with bge's tokenizer); needs llama.cpp's source tree in
#                        $NNWASM_LLAMA_SOURCE
# A generator is skipped when all of its outputs exist and are newer than it (and than this
# script), so calling this from the build is cheap. Prints one line per file written.
# Uses Debian's /usr/bin/python3 (torch, onnx, numpy, sklearn, yaml); override with $PYTHON.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
OUT="$1"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${PYTHON:-/usr/bin/python3}"
mkdir -p "$OUT"

# up_to_date SCRIPT OUTPUT...: true when every OUTPUT exists and is newer than SCRIPT and this file.
up_to_date() {
  local script="$1"; shift
  local f
  for f in "$@"; do
    [ -f "$OUT/$f" ] && [ "$OUT/$f" -nt "$script" ] && [ "$OUT/$f" -nt "${BASH_SOURCE[0]}" ] \
      || return 1
  done
}

# run SCRIPT OUTPUT...: regenerates the outputs of SCRIPT unless they are up to date.
run() {
  local script="$HERE/$1"; shift
  if up_to_date "$script" "$@"; then
    echo "[models] $(basename "$script"): up to date in $OUT"
  else
    "$PY" "$script" "$OUT"
  fi
}

run make_digits.py digits.onnx digits.pt digits_test_x.bin digits_test_y.bin digits_meta.json
run make_test_models.py add_mul.onnx types.onnx dynamic.onnx i64_argmax.onnx
run make_torch_models.py multi_io.pt conv.pt torch_models.json
run make_llama_gguf.py tiny-llama.gguf tiny-llama.json tiny-bert.gguf tiny-bert.json
