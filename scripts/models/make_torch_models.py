"""Builds the TorchScript test and benchmark models of the torch backend.

Usage: /usr/bin/python3 make_torch_models.py OUT_DIR

Writes to OUT_DIR:
  multi_io.pt         forward(a: f32 [2,3], b: i64 [3], c: u8 [4]) -> a tuple of six outputs,
                      one per WASI-NN type, each a deterministic function of the inputs:
                        0 f32 [2,3]  a * 2 + b (broadcast over rows, as float)
                        1 i64 [3]    b * 3 - 1
                        2 f64 [2]    row sums of a, as float64
                        3 u8  [4]    c + 7 (wraps modulo 256)
                        4 i32 [4]    c as int32 * -5
                        5 f16 [2,3]  a / 4 as float16
  conv.pt             two 3x3 conv layers (fixed seed) + pooling + linear: f32 [1,3,224,224]
                      -> f32 [1,10]; for benchmarks where input copies matter
  torch_models.json   input/output names, shapes and dtypes of both models
torch.jit.script needs the modules' source in a file, hence this script (not python3 -c).
"""
import json
import os
import sys

# TorchScript writes module constants in set order, which depends on Python's string hashing:
# pin the hash seed (re-executing once) so the archives come out byte-identical on every run.
if __name__ == "__main__" and os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

from typing import Tuple  # noqa: E402

import torch  # noqa: E402


class MultiIO(torch.nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> Tuple[
            torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        return (a * 2.0 + b.to(torch.float32),
                b * 3 - 1,
                a.to(torch.float64).sum(dim=1),
                c + 7,
                c.to(torch.int32) * -5,
                (a / 4.0).to(torch.float16))


class Conv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        x = torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_torch_models.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)

    multi = torch.jit.script(MultiIO().eval())
    torch.jit.save(multi, os.path.join(out, "multi_io.pt"))
    conv = torch.jit.script(Conv().eval())
    torch.jit.save(conv, os.path.join(out, "conv.pt"))

    # Check the saved archives run and describe what they return.
    a = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    outs = torch.jit.load(os.path.join(out, "multi_io.pt"))(
        a, torch.tensor([1, -2, 3]), torch.tensor([0, 1, 250, 255], dtype=torch.uint8))
    names = {torch.float32: "f32", torch.float64: "f64", torch.float16: "f16",
             torch.uint8: "u8", torch.int32: "i32", torch.int64: "i64"}
    meta = {
        "multi_io.pt": {
            "inputs": [{"name": "a", "shape": [2, 3], "dtype": "f32"},
                       {"name": "b", "shape": [3], "dtype": "i64"},
                       {"name": "c", "shape": [4], "dtype": "u8"}],
            "outputs": [{"name": f"out{i}", "shape": list(t.shape), "dtype": names[t.dtype]}
                        for i, t in enumerate(outs)],
        },
        "conv.pt": {
            "inputs": [{"name": "x", "shape": [1, 3, 224, 224], "dtype": "f32"}],
            "outputs": [{"name": "logits",
                         "shape": list(torch.jit.load(os.path.join(out, "conv.pt"))(
                             torch.zeros(1, 3, 224, 224)).shape),
                         "dtype": "f32"}],
        },
    }
    with open(os.path.join(out, "torch_models.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    for name in ("multi_io.pt", "conv.pt", "torch_models.json"):
        print(f"[models] wrote {os.path.join(out, name)}")


if __name__ == "__main__":
    main()
