#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets (fuzz/*_fuzz.cc) into CORPUS/<target>/.

usage: make_seeds.py CORPUS MODELS GUESTS PLUGIN
  MODELS  build/models (digits.onnx, digits.pt, tiny-llama.gguf: backend_load's seeds)
  GUESTS  build/guests (Wasm binaries: wasm_binary's seeds)
  PLUGIN  a small plugin .so (config's ELF seed)
Seeds follow each target's input format (see its header comment). Standard library only.
"""
import os
import struct
import sys


def write(corpus, target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data)


def call(op, *args):
    args = list(args) + [0] * (6 - len(args))
    return bytes([op]) + b"".join(struct.pack("<I", a) for a in args)


def nn_abi(corpus):
    # nn_abi_fuzz.cc: u16 image length, image, then calls. Ops: 18 load the fixture model
    # (graph at a0), 3 init (graph, out), 19 set the fixture tensor (context), 5 compute,
    # 6 get_output (ctx, index, out, max, written), 20 load_by_name "lin", 10 unload, 11 finalize.
    happy = (call(18, 0x100) + call(3, 0, 0x104) + call(19, 0) + call(5, 0) +
             call(6, 0, 0, 0x200, 64, 0x300) + call(11, 0) + call(10, 0))
    named = call(20, 0x100) + call(3, 0, 0x104) + call(19, 0) + call(5, 0) + call(6, 0, 0, 0x200, 8, 0x300)
    legacy = (call(18, 0x100) + call(14, 0, 0x104) + call(15, 0, 0, 0xF080) + call(16, 0) +
              call(17, 0, 0, 0x200, 0x300))
    streaming = call(18, 0x100) + call(3, 0, 0x104) + call(7, 0) + call(8, 0, 0, 0x200, 64, 0x300) + call(9, 0)
    for name, calls in (("happy", happy), ("named", named), ("legacy", legacy), ("stream", streaming)):
        write(corpus, "nn_abi", name, struct.pack("<H", 0) + calls)
    image = bytearray(256)
    struct.pack_into("<II", image, 0, 0xF000, 10)  # a builder array at 0
    write(corpus, "nn_abi", "image", struct.pack("<H", len(image)) + bytes(image) + call(0, 0, 1, 1, 0, 0x100))


def wasi_path(corpus):
    paths = [(0, "a/b/file"), (1, "a/b/file"), (0, "up/outside.txt"), (1, "up/box/a"),
             (2, "out/passwd"), (3, "loop"), (1, "loop/x"), (16, "a/b/"), (17, "in/../../x"),
             (0, "self/self/a/../a/b/file"), (1, "/etc/passwd"), (0, "../box/a"), (8, "abs"),
             (4, "a/./b/../b/file"), (0, "a//b///file"), (16, "..")]
    for i, (choice, path) in enumerate(paths):
        write(corpus, "wasi_path", f"path{i}", bytes([choice]) + path.encode())


def config(corpus, plugin):
    texts = [
        (0, '{"n-predict":8,"temp":0,"ctx-size":64}'),
        (0, '{"grammar":"root ::= \\"yes\\" | \\"no\\"","seed":1}'),
        (0, '{"json-schema":{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"}}}}}'),
        (0, '{"reverse-prompt":"User:","threads":2,"top-k":5,"top-p":0.5,"repeat-penalty":1.1}'),
        (0, '{"enable-log":true,"stream-stdout":false,"n-gpu-layers":0,"use-mmap":false}'),
        (1, "nnwasm-backend abi=2 name=llama encodings=6 magic=47475546"),
        (1, "nnwasm-backend abi=2 name=rpc encodings=0,1,2,3,4,6 names=1 requires=rpc.uri"),
        (2, "default:GGML:AUTO:/models/m.gguf"),
        (2, "a:onnx:cpu:/x.onnx:/y.bin"),
        (2, "GGML::/models/llama"),
    ]
    for i, (choice, text) in enumerate(texts):
        write(corpus, "config", f"text{i}", bytes([choice]) + text.encode())
    with open(plugin, "rb") as f:
        write(corpus, "config", "plugin", bytes([3]) + f.read())


def wasm_binary(corpus, guests):
    for name in ("hello.wasm", "nn_conformance.wasm", "wasm_features.wasm", "missing_import.wasm"):
        path = os.path.join(guests, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                write(corpus, "wasm_binary", name, f.read())


def backend_load(corpus, models):
    for backend, files in (("onnx", ["digits.onnx", "add_mul.onnx", "dynamic.onnx"]),
                           ("torch", ["digits.pt", "multi_io.pt"]),
                           ("llama", ["tiny-llama.gguf"])):
        for name in files:
            path = os.path.join(models, name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    write(corpus, "backend_load_" + backend, name, f.read())


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    corpus, models, guests, plugin = sys.argv[1:]
    nn_abi(corpus)
    wasi_path(corpus)
    config(corpus, plugin)
    wasm_binary(corpus, guests)
    backend_load(corpus, models)


if __name__ == "__main__":
    main()
