#!/usr/bin/env bash
# Sets up, builds, and runs the bundled demo: a Wasm guest that classifies the held-out 8x8
# digits through WASI-NN, with the ONNX model preloaded by the host as the named model "digits".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" "$ROOT/build"
cd "$ROOT"
cmd=(build/nnwasm run --dir build/models::/models
     --nn-preload digits:onnx:auto:build/models/digits.onnx
     build/guests/digits.wasm /models)
echo "+ ${cmd[*]}" >&2
"${cmd[@]}" | grep -v '^predictions:'

# The LLM path: token streaming from the tiny random-weight llama model (its text is gibberish).
cmd=(build/nnwasm run --nn-preload default:GGML:AUTO:build/models/tiny-llama.gguf
     build/guests/llm-stream.wasm default "Once upon a time" '{"n-predict":24,"temp":0}')
echo "+ ${cmd[*]}" >&2
"${cmd[@]}"
