#!/usr/bin/env python3
"""Mutated-model campaign: corrupt copies of the test models, loaded by a guest from its own bytes
through the real nnwasm binary (--nn-isolate=guest, the default), counted per backend.

usage: scripts/fuzz_models.py [MUTANTS] [BUILD_DIR]   (default 200 per backend, build/)

Each mutant is one of: bytes flipped, a range overwritten or zeroed, a chunk duplicated, the file
truncated, and for GGUF also a vocabulary token renamed to another's (a duplicate token, which
trips a llama.cpp assert). Guests load them in batches (tests/guests/nn_isolation.c, `load`);
per backend it prints how many loaded, were refused with an error code, and crashed the backend
process (contained: the guest got runtime_error and went on), and how many took the host down or
hung it. Exit status 1 when any host crash or hang happened, so it doubles as a check.
"""
import os
import random
import re
import subprocess
import sys
import tempfile

MUTANTS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
BUILD = sys.argv[2] if len(sys.argv) > 2 else "build"
NNWASM = os.path.join(BUILD, "nnwasm")
GUEST = os.path.join(BUILD, "guests", "nn_isolation.wasm")
MODELS = os.path.join(BUILD, "models")
BATCH = 10
HOST_TIMEOUT_S = 300
SEEDS = {  # backend -> models; the large GGUF gets a quarter of the mutants
    "onnx": ["digits.onnx", "add_mul.onnx", "dynamic.onnx"],
    "torch": ["digits.pt", "multi_io.pt", "conv.pt"],
    "llama": ["tiny-llama.gguf"],
}
BYTE_TOKEN = re.compile(rb"\x06\x00{7}<0x[0-9A-F]{2}>")


def mutate(data, rng):
    data = bytearray(data)
    kind = rng.randrange(6 if data[:4] == b"GGUF" else 5)
    if kind == 0:  # flip bytes
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == 1:  # overwrite a range with noise
        at = rng.randrange(len(data))
        n = min(rng.randint(1, 256), len(data) - at)
        data[at:at + n] = bytes(rng.randrange(256) for _ in range(n))
    elif kind == 2:  # zero a range (lengths and counts become 0)
        at = rng.randrange(len(data))
        data[at:at + rng.randint(1, 64)] = bytes(min(64, len(data) - at))
    elif kind == 3:  # duplicate a chunk
        at = rng.randrange(len(data))
        chunk = data[at:at + rng.randint(1, 4096)]
        data[at:at] = chunk
    elif kind == 4:  # truncate
        del data[rng.randrange(1, len(data)):]
    else:  # a byte token renamed to another's: two identical tokens in the vocabulary
        tokens = [m.start() for m in BYTE_TOKEN.finditer(bytes(data[:1 << 22]))]
        if len(tokens) >= 2:
            a, b = rng.sample(tokens, 2)
            data[a + 8:a + 14] = data[b + 8:b + 14]
    return bytes(data)


def run_batch(files, workdir):
    """Loads each file in one guest; returns (loaded, refused, contained, host_failure)."""
    cmd = [NNWASM, "run", "--dir", workdir + "::/m", GUEST, "load"] + ["/m/" + os.path.basename(f) for f in files]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=HOST_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return 0, 0, 0, f"hung (over {HOST_TIMEOUT_S} s): {' '.join(cmd)}"
    results = re.findall(r"^/m/\S+: load=(\d+) compute=(\d+)", r.stdout, re.M)
    contained = len(re.findall(r"backend '\w+' crashed", r.stderr))
    failure = None
    if r.returncode != 0 or len(results) != len(files):
        failure = f"host exit {r.returncode} after {len(results)} of {len(files)} models: {r.stderr[-400:]}"
    loaded = sum(1 for load, _ in results if load == "0")
    refused = len(results) - loaded - contained
    return loaded, refused, contained, failure


def main():
    rng = random.Random(int(os.environ.get("NNWASM_FUZZ_SEED", "1")))
    host_failures = []
    print(f"{'backend':<8}{'mutants':>9}{'loaded':>9}{'refused':>9}{'contained':>11}{'host down':>11}")
    with tempfile.TemporaryDirectory(prefix="nnwasm_fuzz_models_") as workdir:
        for backend, names in SEEDS.items():
            seeds = []
            for name in names:
                path = os.path.join(MODELS, name)
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        seeds.append(f.read())
            if not seeds:
                print(f"{backend:<8}skipped: no seed models in {MODELS}")
                continue
            count = MUTANTS if backend != "llama" else max(1, MUTANTS // 4)
            totals = [0, 0, 0, 0]
            for start in range(0, count, BATCH):
                files = []
                for i in range(start, min(count, start + BATCH)):
                    path = os.path.join(workdir, f"{backend}-{i}")
                    with open(path, "wb") as f:
                        f.write(mutate(rng.choice(seeds), rng))
                    files.append(path)
                loaded, refused, contained, failure = run_batch(files, workdir)
                totals[0] += loaded
                totals[1] += refused
                totals[2] += contained
                if failure:
                    totals[3] += 1
                    kept = os.path.join(tempfile.gettempdir(), f"nnwasm-host-failure-{backend}-{start}")
                    os.makedirs(kept, exist_ok=True)
                    for f in files:
                        os.replace(f, os.path.join(kept, os.path.basename(f)))
                    host_failures.append(f"{backend}: {failure} (mutants kept in {kept})")
                for f in files:
                    if os.path.exists(f):
                        os.remove(f)
            print(f"{backend:<8}{count:>9}{totals[0]:>9}{totals[1]:>9}{totals[2]:>11}{totals[3]:>11}")
    for failure in host_failures:
        print("HOST FAILURE " + failure)
    sys.exit(1 if host_failures else 0)


if __name__ == "__main__":
    main()
