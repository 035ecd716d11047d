"""Builds tiny random-weight GGUF models for nnwasm's llama backend tests, demo and benchmarks.

Usage: /usr/bin/python3 make_llama_gguf.py [--llama-source DIR] OUT_DIR

DIR (default: $NNWASM_LLAMA_SOURCE, set by scripts/setup.sh through CMake) is llama.cpp's source
tree: its gguf-py writes the files, and its models/ggml-vocab-llama-spm.gguf and
models/ggml-vocab-bert-bge.gguf provide the real LLaMA SentencePiece and BERT (bge) WordPiece
tokenizers, copied verbatim, so prompts tokenize like with a real LLaMA 2 or bge-small.
The weights are random (fixed seed: the output is byte-identical from run to run), so the text
is gibberish and the embeddings meaningless, but they exercise the whole llama.cpp path quickly.
Writes to OUT_DIR:

  tiny-llama.gguf  arch "llama", all tensors F32 (about 33 MB, mostly the two vocab matrices)
  tiny-llama.json  the hyperparameters and special token ids, for tests to read
  tiny-bert.gguf   arch "bert" embedding model (non-causal, mean pooling), all tensors F32
                   (about 8 MB, mostly the vocab matrix)
  tiny-bert.json   its hyperparameters and special token ids
"""
import argparse
import json
import os
import sys

import numpy as np

SEED = 20240601
MATRIX_SCALE = 0.02

# tiny-llama
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

# tiny-bert (llama.cpp's "bert" arch, as used for bge-small and MiniLM embedding models)
BERT_SEED = SEED + 1
BERT_N_EMBD = 64
BERT_N_LAYER = 2
BERT_N_HEAD = 4
BERT_N_FF = 128
BERT_N_CTX_TRAIN = 512
BERT_NORM_EPS = 1e-12

LLAMA_VOCAB = "ggml-vocab-llama-spm.gguf"
BERT_VOCAB = "ggml-vocab-bert-bge.gguf"


def llama_source(arg):
    src = arg or os.environ.get("NNWASM_LLAMA_SOURCE", "")
    if not src or not os.path.isdir(os.path.join(src, "gguf-py", "gguf")) or not all(
            os.path.isfile(os.path.join(src, "models", v)) for v in (LLAMA_VOCAB, BERT_VOCAB)):
        sys.exit(f"make_llama_gguf.py: no llama.cpp source tree at {src!r} (from --llama-source "
                 "or $NNWASM_LLAMA_SOURCE); run scripts/setup.sh, which fetches it and tells "
                 "CMake where it is")
    return src


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


class Vocab:
    """A llama.cpp vocab-only GGUF: its tokenizer keys, copied into the models."""

    def __init__(self, gguf, src, filename):
        self.gguf = gguf
        self.reader = gguf.GGUFReader(os.path.join(src, "models", filename))
        self.n_vocab = len(self.reader.fields["tokenizer.ggml.tokens"].data)

    def scalar(self, key):
        f = self.reader.fields[key]
        return int(f.parts[f.data[0]][0])

    def copy_to(self, writer):
        copy_tokenizer(self.gguf, self.reader, writer)


class Weights:
    """Random F32 tensors from a fixed seed, named after gguf-py's tensor names."""

    def __init__(self, gguf, seed):
        self.gguf = gguf
        self.rng = np.random.default_rng(seed)

    def rand(self, *shape, scale=MATRIX_SCALE):
        # numpy (rows, cols) is GGUF/ggml {cols, rows}: llama.cpp's {n_in, n_out}.
        return (self.rng.standard_normal(shape) * scale).astype(np.float32)

    def name(self, t, bid=None, kind="weight"):
        return self.gguf.TENSOR_NAMES[t].format(bid=bid) + "." + kind


def write_gguf(gguf, out_dir, filename, arch, fill):
    """Writes OUT_DIR/filename: fill(writer) adds the KVs and tensors."""
    path = os.path.join(out_dir, filename)
    # Written under a temporary name: a half-written file must not look up to date to make_all.sh.
    tmp = path + ".tmp"
    w = gguf.GGUFWriter(tmp, arch)
    fill(w)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, path)
    print(f"[models] wrote {path}")


def write_json(out_dir, filename, meta):
    path = os.path.join(out_dir, filename)
    with open(path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"[models] wrote {path}")


def make_llama(gguf, src, out_dir):
    T = gguf.MODEL_TENSOR
    vocab = Vocab(gguf, src, LLAMA_VOCAB)
    n_vocab = vocab.n_vocab

    def fill(w):
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
        vocab.copy_to(w)

        r = Weights(gguf, SEED)
        name = r.name
        ones = np.ones(N_EMBD, dtype=np.float32)
        n_embd_kv = N_EMBD // N_HEAD * N_HEAD_KV
        w.add_tensor(name(T.TOKEN_EMBD), r.rand(n_vocab, N_EMBD, scale=VOCAB_SCALE))
        w.add_tensor(name(T.OUTPUT_NORM), ones)
        w.add_tensor(name(T.OUTPUT), r.rand(n_vocab, N_EMBD, scale=VOCAB_SCALE))
        for i in range(N_LAYER):
            w.add_tensor(name(T.ATTN_NORM, i), ones)
            w.add_tensor(name(T.ATTN_Q, i), r.rand(N_EMBD, N_EMBD))
            w.add_tensor(name(T.ATTN_K, i), r.rand(n_embd_kv, N_EMBD))
            w.add_tensor(name(T.ATTN_V, i), r.rand(n_embd_kv, N_EMBD))
            w.add_tensor(name(T.ATTN_OUT, i), r.rand(N_EMBD, N_EMBD))
            w.add_tensor(name(T.FFN_NORM, i), ones)
            w.add_tensor(name(T.FFN_GATE, i), r.rand(N_FF, N_EMBD))
            w.add_tensor(name(T.FFN_DOWN, i), r.rand(N_EMBD, N_FF))
            w.add_tensor(name(T.FFN_UP, i), r.rand(N_FF, N_EMBD))

    write_gguf(gguf, out_dir, "tiny-llama.gguf", "llama", fill)
    write_json(out_dir, "tiny-llama.json", {
        "n_vocab": n_vocab, "n_embd": N_EMBD, "n_layer": N_LAYER, "n_head": N_HEAD,
        "n_head_kv": N_HEAD_KV, "n_ff": N_FF, "n_ctx_train": N_CTX_TRAIN,
        "bos_token_id": vocab.scalar("tokenizer.ggml.bos_token_id"),
        "eos_token_id": vocab.scalar("tokenizer.ggml.eos_token_id"),
        "seed": SEED,
    })


def make_bert(gguf, src, out_dir):
    """BERT encoder as llama.cpp's "bert" arch loads it (src/models/bert.cpp): learned position
    and token-type embeddings, post-norm layers with biases everywhere, GELU FFN, no LM head.
    llama.cpp pools the last hidden states (mean) into one n_embd vector per sequence."""
    T = gguf.MODEL_TENSOR
    vocab = Vocab(gguf, src, BERT_VOCAB)
    n_vocab = vocab.n_vocab
    # Copied with the tokenizer keys; llama.cpp sizes token_types from it and refuses 0.
    n_token_types = vocab.scalar("tokenizer.ggml.token_type_count")

    def fill(w):
        w.add_name("nnwasm-tiny-bert")
        w.add_file_type(gguf.LlamaFileType.ALL_F32)
        w.add_vocab_size(n_vocab)
        w.add_context_length(BERT_N_CTX_TRAIN)
        w.add_embedding_length(BERT_N_EMBD)
        w.add_block_count(BERT_N_LAYER)
        w.add_feed_forward_length(BERT_N_FF)
        w.add_head_count(BERT_N_HEAD)
        w.add_layer_norm_eps(BERT_NORM_EPS)
        w.add_causal_attention(False)
        w.add_pooling_type(gguf.PoolingType.MEAN)
        vocab.copy_to(w)

        r = Weights(gguf, BERT_SEED)
        name = r.name
        e, ff = BERT_N_EMBD, BERT_N_FF

        def norm(t, bid=None):
            w.add_tensor(name(t, bid), np.ones(e, dtype=np.float32))
            w.add_tensor(name(t, bid, "bias"), r.rand(e))

        def linear(t, bid, n_out, n_in):
            w.add_tensor(name(t, bid), r.rand(n_out, n_in))
            w.add_tensor(name(t, bid, "bias"), r.rand(n_out))

        w.add_tensor(name(T.TOKEN_EMBD), r.rand(n_vocab, e))
        w.add_tensor(name(T.TOKEN_TYPES), r.rand(n_token_types, e))
        w.add_tensor(name(T.POS_EMBD), r.rand(BERT_N_CTX_TRAIN, e))
        norm(T.TOKEN_EMBD_NORM)
        for i in range(BERT_N_LAYER):
            linear(T.ATTN_Q, i, e, e)
            linear(T.ATTN_K, i, e, e)
            linear(T.ATTN_V, i, e, e)
            linear(T.ATTN_OUT, i, e, e)
            norm(T.ATTN_OUT_NORM, i)
            linear(T.FFN_UP, i, ff, e)
            linear(T.FFN_DOWN, i, e, ff)
            norm(T.LAYER_OUT_NORM, i)

    write_gguf(gguf, out_dir, "tiny-bert.gguf", "bert", fill)
    write_json(out_dir, "tiny-bert.json", {
        "n_vocab": n_vocab, "n_embd": BERT_N_EMBD, "n_layer": BERT_N_LAYER,
        "n_head": BERT_N_HEAD, "n_ff": BERT_N_FF, "n_ctx_train": BERT_N_CTX_TRAIN,
        "n_token_types": n_token_types, "pooling": "mean", "causal": False,
        "cls_token_id": vocab.scalar("tokenizer.ggml.cls_token_id"),
        "sep_token_id": vocab.scalar("tokenizer.ggml.seperator_token_id"),
        "pad_token_id": vocab.scalar("tokenizer.ggml.padding_token_id"),
        "unk_token_id": vocab.scalar("tokenizer.ggml.unknown_token_id"),
        "seed": BERT_SEED,
    })


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llama-source", help="llama.cpp source dir (default $NNWASM_LLAMA_SOURCE)")
    ap.add_argument("out_dir")
    args = ap.parse_args()
    src = llama_source(args.llama_source)
    # gguf-py is not packaged in Debian; its hard deps (numpy, yaml) are.
    sys.path.insert(0, os.path.join(src, "gguf-py"))
    import gguf

    os.makedirs(args.out_dir, exist_ok=True)
    make_llama(gguf, src, args.out_dir)
    make_bert(gguf, src, args.out_dir)


if __name__ == "__main__":
    main()
