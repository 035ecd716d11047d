"""Builds a tiny random-weight LLaMA GGUF for nnwasm's llama backend tests, demo and benchmarks.

Usage: /usr/bin/python3 make_llama_gguf.py [--llama-source DIR] OUT_DIR

DIR (default: $NNWASM_LLAMA_SOURCE, set by scripts/setup.sh through CMake) is llama.cpp's source
tree: its gguf-py writes the file and its models/ggml-vocab-llama-spm.gguf provides the real
LLaMA SentencePiece tokenizer, copied verbatim, so prompts tokenize like with a real LLaMA 2.
The weights are random (fixed seed: the output is byte-identical from run to run), so the text
is gibberish, but generation exercises the whole llama.cpp path quickly. Writes to OUT_DIR:

  tiny-llama.gguf  arch "llama", all tensors F32 (about 33 MB, mostly the two vocab matrices)
  tiny-llama.json  the hyperparameters and special token ids, for tests to read
"""
import argparse
import json
import os
import sys

import numpy as np

SEED = 20240601
N_EMBD = 128
N_LAYER = 2
N_HEAD = 4
N_HEAD_KV = 4
N_FF = 256
N_CTX_TRAIN = 2048
RMS_EPS = 1e-5
ROPE_BASE = 10000.0
# Embedding/output scale: at 0.02 the logits are nearly flat and greedy decoding falls into a
# short loop within 40 tokens; at 0.3 it gives 271 distinct tokens in 300 from "Hello world".
VOCAB_SCALE = 0.3
MATRIX_SCALE = 0.02


def llama_source(arg):
    src = arg or os.environ.get("NNWASM_LLAMA_SOURCE", "")
    vocab = os.path.join(src, "models", "ggml-vocab-llama-spm.gguf")
    if not src or not os.path.isdir(os.path.join(src, "gguf-py", "gguf")) \
            or not os.path.isfile(vocab):
        sys.exit(f"make_llama_gguf.py: no llama.cpp source tree at {src!r} (from --llama-source "
                 "or $NNWASM_LLAMA_SOURCE); run scripts/setup.sh, which fetches it and tells "
                 "CMake where it is")
    return src, vocab


def copy_tokenizer(gguf, reader, writer):
    """Copies every tokenizer.* key with its exact GGUF type (strings as raw bytes)."""
    VT = gguf.GGUFValueType
    for key, field in reader.fields.items():
        if not key.startswith("tokenizer."):
            continue
        vtype = field.types[0]
        if vtype == VT.ARRAY:
            sub = field.types[-1]
            if sub == VT.STRING:
                val = [bytes(field.parts[i]) for i in field.data]
            else:
                val = [field.parts[i].tolist()[0] for i in field.data]
            writer.add_key_value(key, val, vtype, sub_type=sub)
        elif vtype == VT.STRING:
            writer.add_key_value(key, bytes(field.parts[field.data[0]]), vtype)
        else:
            writer.add_key_value(key, field.parts[field.data[0]].tolist()[0], vtype)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llama-source", help="llama.cpp source dir (default $NNWASM_LLAMA_SOURCE)")
    ap.add_argument("out_dir")
    args = ap.parse_args()
    src, vocab_path = llama_source(args.llama_source)
    # gguf-py is not packaged in Debian; its hard deps (numpy, yaml) are.
    sys.path.insert(0, os.path.join(src, "gguf-py"))
    import gguf
    from gguf import MODEL_TENSOR as T

    reader = gguf.GGUFReader(vocab_path)
    tokens = reader.fields["tokenizer.ggml.tokens"]
    n_vocab = len(tokens.data)

    def scalar(key):
        f = reader.fields[key]
        return int(f.parts[f.data[0]][0])

    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, "tiny-llama.gguf")
    # Written under a temporary name: a half-written file must not look up to date to make_all.sh.
    tmp = path + ".tmp"
    w = gguf.GGUFWriter(tmp, "llama")
    w.add_name("nnwasm-tiny-llama")
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_vocab_size(n_vocab)
    w.add_context_length(N_CTX_TRAIN)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD_KV)
    w.add_layer_norm_rms_eps(RMS_EPS)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)  # llama.cpp requires n_rot == head size
    w.add_rope_freq_base(ROPE_BASE)
    copy_tokenizer(gguf, reader, w)

    rng = np.random.default_rng(SEED)

    def rand(rows, cols, scale):
        # numpy (rows, cols) is GGUF/ggml {cols, rows}: llama.cpp's {n_in, n_out}.
        return (rng.standard_normal((rows, cols)) * scale).astype(np.float32)

    def name(t, bid=None):
        return gguf.TENSOR_NAMES[t].format(bid=bid) + ".weight"

    ones = np.ones(N_EMBD, dtype=np.float32)
    n_embd_kv = N_EMBD // N_HEAD * N_HEAD_KV
    w.add_tensor(name(T.TOKEN_EMBD), rand(n_vocab, N_EMBD, VOCAB_SCALE))
    w.add_tensor(name(T.OUTPUT_NORM), ones)
    w.add_tensor(name(T.OUTPUT), rand(n_vocab, N_EMBD, VOCAB_SCALE))
    for i in range(N_LAYER):
        w.add_tensor(name(T.ATTN_NORM, i), ones)
        w.add_tensor(name(T.ATTN_Q, i), rand(N_EMBD, N_EMBD, MATRIX_SCALE))
        w.add_tensor(name(T.ATTN_K, i), rand(n_embd_kv, N_EMBD, MATRIX_SCALE))
        w.add_tensor(name(T.ATTN_V, i), rand(n_embd_kv, N_EMBD, MATRIX_SCALE))
        w.add_tensor(name(T.ATTN_OUT, i), rand(N_EMBD, N_EMBD, MATRIX_SCALE))
        w.add_tensor(name(T.FFN_NORM, i), ones)
        w.add_tensor(name(T.FFN_GATE, i), rand(N_FF, N_EMBD, MATRIX_SCALE))
        w.add_tensor(name(T.FFN_DOWN, i), rand(N_EMBD, N_FF, MATRIX_SCALE))
        w.add_tensor(name(T.FFN_UP, i), rand(N_FF, N_EMBD, MATRIX_SCALE))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, path)
    print(f"[models] wrote {path}")

    meta = {
        "n_vocab": n_vocab, "n_embd": N_EMBD, "n_layer": N_LAYER, "n_head": N_HEAD,
        "n_head_kv": N_HEAD_KV, "n_ff": N_FF, "n_ctx_train": N_CTX_TRAIN,
        "bos_token_id": scalar("tokenizer.ggml.bos_token_id"),
        "eos_token_id": scalar("tokenizer.ggml.eos_token_id"),
        "seed": SEED,
    }
    meta_path = os.path.join(args.out_dir, "tiny-llama.json")
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"[models] wrote {meta_path}")


if __name__ == "__main__":
    main()
