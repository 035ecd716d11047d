#!/usr/bin/env python3
"""Runs nnwasm's runtime benchmarks and prints each against its native baseline, in one run.

usage: bench/run.py [BUILD_DIR]   (default: build)

- startup: whole-process time of the hello guest under nnwasm vs the native hello (median).
- host call: ns per wasm->host call through the binding layer (guest-timed loop).
- matmul / fib: best kernel time inside the guest vs the same C built natively (clang -O2).
"""
import os
import statistics
import subprocess
import sys
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


if __name__ == "__main__":
    main()
