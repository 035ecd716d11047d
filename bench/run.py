#!/usr/bin/env python3
"""Runs nnwasm's runtime benchmarks and prints each against its native baseline, in one run.

usage: bench/run.py [BUILD_DIR]   (default: build)

- startup: whole-process time of the hello guest under nnwasm vs the native hello (median).
- new instance: the median cost of one more instance of the digits guest when all instances
  share one compiled Module vs when each compiles it (bench/instantiate.cc).
- host call: ns per wasm->host call through the binding layer (guest-timed loop).
- matmul / fib: best kernel time inside the guest vs the same C built natively (clang -O2).
- digits (WASI-NN, onnx backend): per-inference time of the demo guest vs ONNX Runtime's C++
  API called directly on the same model and data.
- digits / conv (WASI-NN, torch backend): the same with digits.pt, and conv.pt (1x3x224x224
  input, where copies matter) through bench/guests/conv_infer.c, vs libtorch called directly.
- named models: load_by_name on an already loaded model, and the peak RSS of 8 instances
  sharing one 64 MiB model in one process vs a single instance.
- llama (WASI-NN, llama backend): the streaming loop of bench/guests/llm_stream.c (compute_single
  + get_output_single per token, greedy, on models/tiny-llama.gguf preloaded as `default`) vs
  llama.cpp called directly (llama_native_bench): generation tokens/s and time to first token,
  best and median of 7 alternated processes x 10 generations; and the peak RSS of 4 instances
  sharing the model vs 1.
- llama batching: N = 1, 2, 4, 8 instances of that streaming guest in one process
  (nnwasm_bench_instances), their generations decoded together in one batch: aggregate tokens/s
  (the sum of the instances' rates) vs llama.cpp's llama-batched-bench (built from the same
  source) decoding N sequences of 128 tokens on the same threads, with a unified KV cache as
  the backend's (-kvu) and with one per sequence (its default); and the time to first token of a
  guest that joins 4 running streams vs one alone.
- llama beside a bad grammar: a guest streaming 128 tokens next to one whose ambiguous grammar
  takes seconds per token (llama.parallel=2, tests/guests/llm_generate.c in stream+times mode):
  its tokens/s vs the same guest alone.
- NNRPC: the same llama streaming guest and the digits guest with their models on `nnwasm serve`
  (`--nn-rpc-uri`), over a unix socket and loopback TCP, vs the same guests with the models
  local: tokens/s with Generate (the default against nnwasm servers) and with one round trip
  per token (a `--nn-rpc-plain` server, as WasmEdge's), time to first token, aggregate tokens/s
  of 8 clients streaming at once (whole processes, so it includes their start), and digits
  per-inference time.
- NNRPC behind nginx: deploy/nginx.conf in front of two `nnwasm serve` on unix sockets, each
  pinned to a core of its own (a machine, in small): tokens/s of the llama streaming guest
  through nginx vs directly to one server, and the aggregate tokens/s of 8 runs at once through
  nginx (two servers) vs directly to one server.
- isolation: the digits guest and the llama streaming guest with their named models in the
  backend process (--nn-isolate=all, where models from guest bytes run by default) vs in this
  process (--nn-isolate=none): per-inference time and tokens/s; the "native" column is the
  in-process run.
- soak: 10,000 instance life cycles in one process (bench/soak.cc, built with the tests): the
  digits model loaded from guest bytes and run once, and 4 tokens streamed from the named tiny
  llama; RSS and open fds after the warm-up and at the end.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
nnwasm = os.path.join(build, "nnwasm")
guests = os.path.join(build, "guests")
native = os.path.join(build, "bench")


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def median_wall_ms(cmd, runs=41):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def field(output, key):
    parts = output.split()
    return float(parts[parts.index(key) + 1])


def main():
    print(f"{'benchmark':<28}{'nnwasm':>12}{'native':>12}{'ratio':>8}")

    wasm_ms = median_wall_ms([nnwasm, os.path.join(guests, "hello.wasm")])
    native_ms = median_wall_ms([os.path.join(native, "native_hello")])
    print(f"{'startup hello (ms, median)':<28}{wasm_ms:>12.2f}{native_ms:>12.2f}{wasm_ms / native_ms:>8.1f}")

    # Compile once, instantiate many: per-instance cost of the digits guest (libc-sized) when
    # each instance compiles it vs when all share one compiled Module.
    out = run([os.path.join(native, "nnwasm_bench_instantiate"), os.path.join(guests, "digits.wasm"), "20"])
    each, shared = field(out, "compile_instantiate_us"), field(out, "instantiate_us")
    print(f"{'new instance (us, median)':<28}{shared:>12.0f}{each:>12.0f}{shared / each:>8.2f}"
          "   (shared Module vs compile per instance)")

    ns = min(field(run([nnwasm, os.path.join(guests, "bench_host_calls.wasm")]), "host_call_ns")
             for _ in range(3))
    print(f"{'wasm->host call (ns)':<28}{ns:>12.1f}{'-':>12}{'-':>8}")

    for kernel, key, reps in (("matmul", "matmul_us", "30"), ("fib", "fib_us", "10")):
        # Alternate the two so that machine noise hits both alike; keep each one's best.
        wasm_us, native_us = float("inf"), float("inf")
        for _ in range(3):
            wasm_us = min(wasm_us, field(run([nnwasm, os.path.join(guests, f"bench_{kernel}.wasm"), reps]), key))
            native_us = min(native_us, field(run([os.path.join(native, f"native_{kernel}"), reps]), key))
        label = f"{kernel} (us, best)"
        print(f"{label:<28}{wasm_us:>12.0f}{native_us:>12.0f}{wasm_us / native_us:>8.2f}")

    nn_benchmarks()


def big_model(path, width=4096):
    """A MatMul with a width x width f32 weight (64 MiB at 4096), made with Debian's onnx."""
    if os.path.exists(path):
        return
    script = f"""
import numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
w = numpy_helper.from_array(np.random.default_rng(0).standard_normal(({width}, {width}), dtype=np.float32), "W")
g = helper.make_graph([helper.make_node("MatMul", ["X", "W"], ["Y"])], "big",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, {width}])],
    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, {width}])], [w])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
onnx.save(m, "{path}")
"""
    subprocess.run(["/usr/bin/python3", "-c", script], check=True)


def torch_benchmarks(models, per_inference):
    torch_native = os.path.join(native, "torch_native_bench")
    if not os.path.exists(torch_native):
        print(f"{'digits torch (us)':<28}{'skipped: torch backend not built':>32}")
        return
    wasm_us, native_us = float("inf"), float("inf")
    for _ in range(5):
        out = run([nnwasm, "run", "--dir", models + "::/models", "--nn-preload",
                   "digits:pytorch:cpu:" + os.path.join(models, "digits.pt"),
                   os.path.join(guests, "digits.wasm"), "/models"])
        wasm_us = min(wasm_us, per_inference(out))
        native_us = min(native_us, per_inference(run([torch_native, "digits", models, "1"])))
    print(f"{'digits torch (us)':<28}{wasm_us:>12.2f}{native_us:>12.2f}{wasm_us / native_us:>8.2f}")
    wasm_us, native_us = float("inf"), float("inf")
    for _ in range(3):
        out = run([nnwasm, "run", "--nn-preload", "conv:pytorch:cpu:" + os.path.join(models, "conv.pt"),
                   os.path.join(guests, "bench_conv_infer.wasm"), "conv", "30"])
        wasm_us = min(wasm_us, per_inference(out))
        native_us = min(native_us, per_inference(run([torch_native, "conv", models, "30"])))
    print(f"{'conv 1x3x224x224 torch (us)':<28}{wasm_us:>12.0f}{native_us:>12.0f}{wasm_us / native_us:>8.2f}")


def nn_benchmarks():
    models = os.path.join(build, "models")
    per_inference = lambda out: field(out.replace("per-inference time:", "per_inference"), "per_inference")
    wasm_us, native_us = float("inf"), float("inf")
    for _ in range(5):
        out = run([nnwasm, "run", "--dir", models + "::/models", "--nn-preload",
                   "digits:onnx:cpu:" + os.path.join(models, "digits.onnx"),
                   os.path.join(guests, "digits.wasm"), "/models"])
        wasm_us = min(wasm_us, per_inference(out))
        native_us = min(native_us, per_inference(run([os.path.join(native, "onnx_digits_native"), models, "1"])))
    print(f"{'digits inference (us)':<28}{wasm_us:>12.2f}{native_us:>12.2f}{wasm_us / native_us:>8.2f}")
    torch_benchmarks(models, per_inference)

    big = os.path.join(native, "big_matmul.onnx")
    big_model(big)
    preload = "big:onnx:cpu:" + big
    out = run([nnwasm, "run", "--nn-preload", preload, os.path.join(guests, "bench_named_model.wasm"),
               "big", "4096", "100000"])
    print(f"{'load_by_name, loaded (ns)':<28}{field(out, 'load_by_name_ns'):>12.1f}{'-':>12}{'-':>8}")
    print(f"{'first load_by_name (us)':<28}{field(out, 'first_load_by_name_us'):>12.0f}{'-':>12}{'-':>8}")
    rss = {}
    for n in (1, 8):
        out = run([os.path.join(native, "nnwasm_bench_instances"), str(n),
                   os.path.join(guests, "bench_named_model.wasm"), "--nn-preload", preload, "big", "4096", "10"])
        rss[n] = field(out, "peak_rss_kib") / 1024
    print(f"{'peak RSS 1 instance (MiB)':<28}{rss[1]:>12.0f}")
    print(f"{'peak RSS 8 instances (MiB)':<28}{rss[8]:>12.0f}{'':>12}{rss[8] / rss[1]:>8.2f}")
    print(f"{'  per extra instance (MiB)':<28}{(rss[8] - rss[1]) / 7:>12.1f}")
    llama_benchmarks(models)
    batching_benchmarks(models)
    grammar_benchmarks(models)
    rpc_benchmarks(models)
    balancer_benchmarks(models)
    isolation_benchmarks(models)
    soak_benchmarks(models)


LLAMA_PROMPT = "Once upon a time, in a small village by the sea, there lived an old fisherman who"
LLAMA_TOKENS = "128"
LLAMA_REPEATS = "10"


def llama_benchmarks(models):
    plugin = os.path.join(build, "backends", "libnnwasm-llama.so")
    model = os.path.join(models, "tiny-llama.gguf")
    llama_native = os.path.join(native, "llama_native_bench")
    missing = [os.path.basename(p) for p in (plugin, model, llama_native) if not os.path.exists(p)]
    if missing:
        print(f"{'llama (tiny-llama.gguf)':<28}skipped: {', '.join(missing)} not built")
        return
    preload = "default:GGML:AUTO:" + model
    guest = os.path.join(guests, "bench_llm_stream.wasm")
    # Each process warms up once, then prints the median and the best of its generations.
    # Alternate the two so that machine noise hits both alike; keep the best generation of all
    # and the median of the processes' medians (2 ggml threads on 2 cores are noisy: +-20%).
    runs = {"wasm": [], "native": []}
    for _ in range(7):
        runs["wasm"].append(run([nnwasm, "run", "--nn-preload", preload, guest, "default",
                                 LLAMA_PROMPT, LLAMA_TOKENS, LLAMA_REPEATS]))
        # THREADS 0: the CPUs the process may run on, as the backend chooses by default.
        runs["native"].append(run([llama_native, model, LLAMA_PROMPT, LLAMA_TOKENS, "0",
                                   LLAMA_REPEATS]))
    stat = {}
    for side, outs in runs.items():
        stat[side] = {
            "tps_best": max(field(o, "tokens_per_s_best:") for o in outs),
            "tps": statistics.median(field(o, "tokens_per_s:") for o in outs),
            "ttft_best": min(field(o, "ttft_ms_best:") for o in outs),
            "ttft": statistics.median(field(o, "ttft_ms:") for o in outs),
            # (tokens, text hash) of each process: one and the same pair on both sides.
            "text": {(field(o, "tokens:"), o.split()[o.split().index("text_fnv1a:") + 1])
                     for o in outs},
        }
    wasm, nat = stat["wasm"], stat["native"]
    if wasm["text"] != nat["text"] or len(wasm["text"]) != 1:
        print(f"  warning: llama texts differ (tokens, fnv1a): wasm {wasm['text']} "
              f"native {nat['text']}")
    for key, label in (("tps_best", "best"), ("tps", "median")):
        label = f"llama {LLAMA_TOKENS} tok/s ({label})"
        print(f"{label:<28}{wasm[key]:>12.1f}{nat[key]:>12.1f}{wasm[key] / nat[key]:>8.3f}")
    for key, label in (("ttft_best", "best"), ("ttft", "median")):
        label = f"llama 1st token ms ({label})"
        print(f"{label:<28}{wasm[key]:>12.3f}{nat[key]:>12.3f}{wasm[key] / nat[key]:>8.2f}")
    print(f"{'  TTFT overhead (ms, best)':<28}{wasm['ttft_best'] - nat['ttft_best']:>12.3f}")
    # 32 tokens, 1 repeat, 1 thread per instance (4 x 2 spinning ggml threads on 2 cores crawl).
    rss = {}
    for n in (1, 4):
        out = run([os.path.join(native, "nnwasm_bench_instances"), str(n), guest, "--nn-preload",
                   preload, "default", LLAMA_PROMPT, "32", "1", "1"])
        rss[n] = field(out, "peak_rss_kib") / 1024
    print(f"{'peak RSS 1 llama inst (MiB)':<28}{rss[1]:>12.0f}")
    print(f"{'peak RSS 4 llama inst (MiB)':<28}{rss[4]:>12.0f}{'':>12}{rss[4] / rss[1]:>8.2f}")
    print(f"{'  per extra instance (MiB)':<28}{(rss[4] - rss[1]) / 3:>12.1f}")


BATCH_SIZES = (1, 2, 4, 8)


def batched_bench(model, extra):
    """llama-batched-bench's S_TG tokens/s by sequence count: 128 tokens each after a 20-token
    prompt (as LLAMA_PROMPT), on the CPUs this process may use."""
    out = run([os.path.join(native, "llama_batched_bench"), "-m", model, "-c", "4096", "-npp", "20",
               "-ntg", LLAMA_TOKENS, "-npl", ",".join(map(str, BATCH_SIZES)),
               "-t", str(len(os.sched_getaffinity(0))), *extra])
    rates = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and cells[2].isdigit():
            rates[int(cells[2])] = float(cells[7])
    return rates


def batching_benchmarks(models):
    model = os.path.join(models, "tiny-llama.gguf")
    tool = os.path.join(native, "llama_batched_bench")
    if not os.path.exists(tool) or not os.path.exists(os.path.join(build, "backends", "libnnwasm-llama.so")):
        print(f"{'llama batching':<28}skipped: llama_batched_bench or the llama backend not built")
        return
    instances = os.path.join(native, "nnwasm_bench_instances")
    guest = os.path.join(guests, "bench_llm_stream.wasm")
    preload = "default:GGML:CPU:" + model

    def per_instance(n, *args):
        out = run([instances, str(n), guest, "--nn-preload", preload, "--print-output", "--vary",
                   "default", LLAMA_PROMPT, *args])
        return out.split("=== instance ")[1:]

    # Alternated, 3 rounds; the median of each side's rounds.
    ours = {n: [] for n in BATCH_SIZES}
    unified = {n: [] for n in BATCH_SIZES}
    separate = {n: [] for n in BATCH_SIZES}
    for _ in range(3):
        for n in BATCH_SIZES:
            ours[n].append(sum(field(o, "tokens_per_s:") for o in per_instance(n, LLAMA_TOKENS, "5")))
        for n, rate in batched_bench(model, ["-kvu"]).items():
            unified[n].append(rate)
        for n, rate in batched_bench(model, []).items():
            separate[n].append(rate)
    print(f"{'':<28}{'':>12}{'-kvu':>12}{'ratio':>8}{'default':>12}{'ratio':>8}")
    for n in BATCH_SIZES:
        mine, kvu, own = (statistics.median(v[n]) if v[n] else float("nan")
                          for v in (ours, unified, separate))
        label = f"llama {n} streams agg tok/s"
        print(f"{label:<28}{mine:>12.1f}{kvu:>12.1f}{mine / kvu:>8.3f}{own:>12.1f}{mine / own:>8.3f}")
    # A guest joining 4 streams of 400 tokens: its 10 timed generations of 16 tokens run while
    # they stream; its median time to first token vs the same guest alone.
    joined, alone = [], []
    for _ in range(3):
        outs = per_instance(5, "400|400|400|400|16", "2|2|2|2|10")
        joined.append(field(outs[4], "ttft_ms:"))
        alone.append(field(per_instance(1, "16", "10")[0], "ttft_ms:"))
    j, a = statistics.median(joined), statistics.median(alone)
    print(f"{'llama join 4 streams TTFT ms':<28}{j:>12.3f}{a:>12.3f}{j / a:>8.2f}   (vs alone)")


def piece_rate(out, label="stream"):
    """Tokens/s of an llm_generate MODE+times run: its pieces over the time between the first
    and the last."""
    times = [int(line.split()[1]) for line in out.splitlines()
             if line.startswith(label + "_piece_ns:")]
    return (len(times) - 1) / ((times[-1] - times[0]) / 1e9) if len(times) > 1 else float("nan")


def grammar_benchmarks(models):
    """A victim's tokens/s beside a guest whose ambiguous grammar takes seconds per token, vs
    alone (issue: >= 0.8x at llama.parallel=2)."""
    instances = os.path.join(native, "nnwasm_bench_instances")
    guest = os.path.join(guests, "llm_generate.wasm")
    if not os.path.exists(instances) or not os.path.exists(guest):
        print(f"{'llama grammar neighbour':<28}skipped: nnwasm_bench_instances or llm_generate not built")
        return
    preload = "default:GGML:CPU:" + os.path.join(models, "tiny-llama.gguf")
    victim = '{"n-predict":128,"temp":0}'
    attacker = ('{"n-predict":2,"temp":0,"grammar":'
                '"root ::= x*\\nx ::= [a-z ]* [a-z ]* [a-z ]*"}')
    base = [instances, "2", guest, "--nn-preload", preload, "--nn-backend-option",
            "llama.parallel=2", "--print-output", "--vary", "default", "stream+times"]
    beside, alone = [], []
    for _ in range(3):
        outs = run(base + [LLAMA_PROMPT, attacker + "|" + victim]).split("=== instance ")[1:]
        beside.append(piece_rate(outs[1]))
        outs = run(base[:1] + ["1"] + base[2:] + [LLAMA_PROMPT, victim]).split("=== instance ")[1:]
        alone.append(piece_rate(outs[0]))
    b, a = statistics.median(beside), statistics.median(alone)
    print(f"{'llama beside bad grammar':<28}{b:>12.1f}{a:>12.1f}{b / a:>8.3f}   "
          "(tok/s vs alone; target >= 0.8)")


def per_inference(out):
    """The digits guest's per-inference time (us)."""
    return field(out.replace("per-inference time:", "per_inference"), "per_inference")


def stop_all(procs, tmp):
    """Ends the servers a benchmark started and removes its temp folder."""
    for proc in procs:
        proc.terminate()
        proc.wait()
    shutil.rmtree(tmp, ignore_errors=True)


def start_nginx(tmp, sockets):
    """Debian's nginx with deploy/nginx.conf in front of `sockets`; returns (process, uri)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "deploy", "nginx.conf")) as f:
        config = f.read()
    config = config.replace("server unix:/run/nnwasm/b.sock max_fails=1 fail_timeout=10s;", "")
    upstreams = "".join(f"server unix:{s} max_fails=1 fail_timeout=10s;\n    " for s in sockets)
    config = config.replace("server unix:/run/nnwasm/a.sock max_fails=1 fail_timeout=10s;\n    ",
                            upstreams)
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = config.replace("127.0.0.1:8443", f"127.0.0.1:{port}")
    prefix = os.path.join(tmp, "nginx")
    os.makedirs(prefix, exist_ok=True)
    with open(os.path.join(prefix, "nginx.conf"), "w") as f:
        f.write(config)
    proc = subprocess.Popen(["/usr/sbin/nginx", "-p", prefix + "/", "-c",
                             os.path.join(prefix, "nginx.conf"), "-g", "daemon off;"])
    for _ in range(500):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"127.0.0.1:{port}"
        time.sleep(0.01)
    proc.kill()
    raise RuntimeError("nginx did not start")


def balancer_benchmarks(models):
    if not os.path.exists("/usr/sbin/nginx"):
        print(f"{'NNRPC via nginx':<28}skipped: nginx not installed "
              "(NNWASM_SETUP_TESTS=1 scripts/setup.sh)")
        return
    guest = os.path.join(guests, "bench_llm_stream.wasm")
    tmp = tempfile.mkdtemp(prefix="nnwasm_bench_lb_")
    os.chmod(tmp, 0o711)  # nginx's workers reach the sockets
    procs = []
    try:
        # Two servers on one 2-core machine would fight over both cores (each llama model's
        # threads spin): each gets a core of its own, as if each were a machine, and "1 server"
        # is one of them.
        a = start_server("unix://" + os.path.join(tmp, "a.sock"), models, "--nn-rpc-socket-mode",
                         "0666", cpu=0)
        b = start_server("unix://" + os.path.join(tmp, "b.sock"), models, "--nn-rpc-socket-mode",
                         "0666", cpu=1 % (os.cpu_count() or 1))
        procs += [a[0], b[0]]
        nginx = start_nginx(tmp, [os.path.join(tmp, "a.sock"), os.path.join(tmp, "b.sock")])
        procs.append(nginx[0])
        ways = {"direct": a[1], "nginx": nginx[1]}
        outs = {way: [] for way in ways}
        for _ in range(5):  # alternated
            for way, uri in ways.items():
                outs[way].append(run([nnwasm, "run", "--nn-rpc-uri", uri, guest, "default",
                                      LLAMA_PROMPT, LLAMA_TOKENS, LLAMA_REPEATS]))
        tps = {w: statistics.median(field(o, "tokens_per_s:") for o in outs[w]) for w in ways}
        print(f"{'nginx tok/s (vs 1 server)':<28}{tps['nginx']:>12.1f}{tps['direct']:>12.1f}"
              f"{tps['nginx'] / tps['direct']:>8.3f}   (target >= 0.95)")
        # 8 runs at once: through nginx to two servers vs directly to one.
        clients, repeats = 8, 2
        agg = {}
        for way, uri in (("direct", a[1]), ("nginx", nginx[1])):
            t0 = time.perf_counter()
            runs = [subprocess.Popen([nnwasm, "run", "--nn-rpc-uri", uri, guest, "default",
                                      LLAMA_PROMPT, LLAMA_TOKENS, str(repeats)],
                                     stdout=subprocess.PIPE, text=True) for _ in range(clients)]
            tokens = sum(field(p.communicate()[0], "tokens:") * repeats for p in runs)
            agg[way] = tokens / (time.perf_counter() - t0)
        print(f"{'nginx 8 runs agg tok/s':<28}{agg['nginx']:>12.1f}{agg['direct']:>12.1f}"
              f"{agg['nginx'] / agg['direct']:>8.3f}   (2 servers via nginx vs 1 server)")
        # Digits: 3 to 4 unary calls per inference, each through nginx.
        best = {way: min(per_inference(run([nnwasm, "run", "--dir", models + "::/models",
                                            "--nn-rpc-uri", uri, os.path.join(guests, "digits.wasm"),
                                            "/models"])) for _ in range(3))
                for way, uri in ways.items()}
        print(f"{'nginx digits inference (us)':<28}{best['nginx']:>12.1f}{best['direct']:>12.1f}"
              f"{best['nginx'] / best['direct']:>8.2f}   (vs 1 server)")
    finally:
        stop_all(procs, tmp)


def start_server(uri, models, *extra, cpu=None):
    """nnwasm serve on `uri` with tiny-llama as `default` and digits, on CPU `cpu` only when
    given (a machine of its own, in small); returns (process, uri)."""
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    server = subprocess.Popen(
        [*pin, nnwasm, "serve", "--nn-rpc-uri", uri, "--nn-preload",
         "default:GGML:AUTO:" + os.path.join(models, "tiny-llama.gguf"), "--nn-preload",
         "digits:onnx:cpu:" + os.path.join(models, "digits.onnx"), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    if "listening on" not in line:
        server.kill()
        raise RuntimeError("nnwasm serve did not start: " + line)
    return server, line.split("listening on ")[1].strip()


def rpc_benchmarks(models):
    if not os.path.exists(os.path.join(build, "backends", "libnnwasm-rpc.so")):
        print(f"{'NNRPC':<28}skipped: libnnwasm-rpc.so not built")
        return
    guest = os.path.join(guests, "bench_llm_stream.wasm")
    preload = "default:GGML:AUTO:" + os.path.join(models, "tiny-llama.gguf")
    tmp = tempfile.mkdtemp(prefix="nnwasm_bench_rpc_")
    servers = []
    try:
        unix = start_server("unix://" + os.path.join(tmp, "nn.sock"), models)
        tcp = start_server("127.0.0.1:0", models)
        plain = start_server("unix://" + os.path.join(tmp, "plain.sock"), models, "--nn-rpc-plain")
        servers = [unix[0], tcp[0], plain[0]]
        ways = {"local": ["--nn-preload", preload], "unix": ["--nn-rpc-uri", unix[1]],
                "tcp": ["--nn-rpc-uri", tcp[1]], "per-token": ["--nn-rpc-uri", plain[1]]}
        outs = {way: [] for way in ways}
        for _ in range(5):  # alternated, as above
            for way, flags in ways.items():
                outs[way].append(run([nnwasm, "run", *flags, guest, "default", LLAMA_PROMPT,
                                      LLAMA_TOKENS, LLAMA_REPEATS]))
        tps = {w: statistics.median(field(o, "tokens_per_s:") for o in outs[w]) for w in ways}
        ttft = {w: statistics.median(field(o, "ttft_ms:") for o in outs[w]) for w in ways}
        texts = {w: {o.split()[o.split().index("text_fnv1a:") + 1] for o in outs[w]} for w in ways}
        if len(set().union(*texts.values())) != 1:
            print(f"  warning: llama texts differ over rpc: {texts}")
        for way, label in (("unix", "Generate, unix"), ("tcp", "Generate, tcp"),
                           ("per-token", "per token, unix")):
            name = f"rpc tok/s ({label})"
            print(f"{name:<28}{tps[way]:>12.1f}{tps['local']:>12.1f}{tps[way] / tps['local']:>8.3f}")
        for way in ("unix", "tcp"):
            name = f"rpc 1st token ms ({way})"
            print(f"{name:<28}{ttft[way]:>12.3f}{ttft['local']:>12.3f}{ttft[way] / ttft['local']:>8.2f}")
        # 8 clients streaming at once from the one model on the unix server: aggregate tokens/s
        # (tokens of all the generations over the wall time) vs one local guest.
        clients, repeats = 8, 2
        t0 = time.perf_counter()
        procs = [subprocess.Popen([nnwasm, "run", *ways["unix"], guest, "default", LLAMA_PROMPT,
                                   LLAMA_TOKENS, str(repeats)], stdout=subprocess.PIPE, text=True)
                 for _ in range(clients)]
        tokens = sum(field(p.communicate()[0], "tokens:") * repeats for p in procs)
        wall = time.perf_counter() - t0
        name = "rpc 8 clients agg tok/s"
        print(f"{name:<28}{tokens / wall:>12.1f}{tps['local']:>12.1f}{tokens / wall / tps['local']:>8.3f}")
        digits = {"local": ["--nn-preload", "digits:onnx:cpu:" + os.path.join(models, "digits.onnx")],
                  "unix": ["--nn-rpc-uri", unix[1]]}
        best = {}
        for way, flags in digits.items():
            best[way] = min(per_inference(run([nnwasm, "run", "--dir", models + "::/models", *flags,
                                               os.path.join(guests, "digits.wasm"), "/models"]))
                            for _ in range(3))
        print(f"{'rpc digits inference (us)':<28}{best['unix']:>12.1f}{best['local']:>12.1f}"
              f"{best['unix'] / best['local']:>8.1f}")
    finally:
        stop_all(servers, tmp)


def isolation_benchmarks(models):
    """The cost of --nn-isolate: the same guests with the model in the backend process."""
    per_inference = lambda out: field(out.replace("per-inference time:", "per_inference"), "per_inference")
    digits = ["--dir", models + "::/models", "--nn-preload",
              "digits:onnx:cpu:" + os.path.join(models, "digits.onnx"),
              os.path.join(guests, "digits.wasm"), "/models"]
    best = {"all": float("inf"), "none": float("inf")}
    for _ in range(5):
        for mode in best:
            out = run([nnwasm, "run", "--nn-isolate=" + mode] + digits)
            best[mode] = min(best[mode], per_inference(out))
    print(f"{'digits isolated (us)':<28}{best['all']:>12.2f}{best['none']:>12.2f}"
          f"{best['all'] / best['none']:>8.2f}   (backend process vs in-process)")
    model = os.path.join(models, "tiny-llama.gguf")
    if not os.path.exists(model):
        return
    llama = ["--nn-preload", "default:GGML:AUTO:" + model, os.path.join(guests, "bench_llm_stream.wasm"),
             "default", LLAMA_PROMPT, LLAMA_TOKENS, LLAMA_REPEATS]
    tps = {"all": [], "none": []}
    for _ in range(5):
        for mode in tps:
            tps[mode].append(field(run([nnwasm, "run", "--nn-isolate=" + mode] + llama), "tokens_per_s:"))
    iso, local = statistics.median(tps["all"]), statistics.median(tps["none"])
    label = "llama isolated tok/s (med)"
    print(f"{label:<28}{iso:>12.1f}{local:>12.1f}{iso / local:>8.3f}   (backend process vs in-process)")


def soak_benchmarks(models, cycles=10000):
    soak = os.path.join(build, "tests", "nnwasm_soak")
    if not os.path.exists(soak):
        print(f"{'soak':<28}skipped: nnwasm_soak not built (tests off)")
        return
    cycle = os.path.join(guests, "nn_cycle.wasm")
    runs = (("digits bytes", ["--dir", models + "::/m", cycle, "bytes", "/m/digits.onnx", "64"]),
            ("llama 4 tokens", ["--nn-preload", "default:GGML:CPU:" + os.path.join(models, "tiny-llama.gguf"),
                                cycle, "llm", "default", '{"ctx-size":64,"temp":0}', "4"]))
    for label, args in runs:
        # The guest comes first on soak's command line, then its own options.
        guest_at = args.index(cycle)
        out = run([soak, str(cycles), cycle] + args[:guest_at] + args[guest_at + 1:])
        f = {k: field(out, k) for k in ("warmup", "rss_kib_start", "rss_kib_end", "fds_start", "fds_end")}
        per = (f["rss_kib_end"] - f["rss_kib_start"]) / (cycles - f["warmup"])
        print(f"{'soak ' + label:<28}RSS {f['rss_kib_start'] / 1024:.1f} -> {f['rss_kib_end'] / 1024:.1f} MiB "
              f"({per:+.2f} KiB/cycle), fds {f['fds_start']:.0f} -> {f['fds_end']:.0f}, {cycles} cycles")


if __name__ == "__main__":
    main()
