"""Trains the digits classifier used by nnwasm's tests and examples and exports it.

Usage: /usr/bin/python3 make_digits.py OUT_DIR

Trains a 64-32-10 MLP (torch) on scikit-learn's bundled 8x8 digits data set (1797 samples),
holding out 30% as the test set with sklearn's train_test_split(test_size=0.3, random_state=0),
which leaves 540 held-out samples. Everything is deterministic: fixed seeds, full-batch Adam,
a single thread; two runs write byte-identical files.

Model input:  "input"  float32 [N, 64], pixel values scaled to 0..1 (raw value / 16)
Model output: "logits" float32 [N, 10]

Writes to OUT_DIR:
  digits.onnx          ONNX (opset 13, dynamic batch dimension "batch")
  digits.pt            TorchScript (torch.jit.script, saved with torch.jit.save)
  digits_test_x.bin    held-out inputs, raw little-endian float32, N*64 values (row-major)
  digits_test_y.bin    held-out labels, raw uint8, N values
  digits_meta.json     {"count": N, "features": 64, "classes": 10, "accuracy_torch": ...}
"""
import json
import os
import sys

# TorchScript writes module constants in set order, which depends on Python's string hashing:
# pin the hash seed (re-executing once) so digits.pt comes out byte-identical on every run.
if __name__ == "__main__" and os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

SEED = 0
FEATURES = 64
CLASSES = 10
HIDDEN = 32
TEST_FRACTION = 0.3
EPOCHS = 300
LEARNING_RATE = 0.01
WEIGHT_DECAY = 1e-3


class DigitsMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(FEATURES, HIDDEN)
        self.fc2 = torch.nn.Linear(HIDDEN, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x)))


def load_split():
    digits = load_digits()
    x = (digits.data.astype(np.float32) / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_FRACTION, random_state=SEED)
    return x_train, y_train, np.ascontiguousarray(x_test), y_test


def train():
    """Returns (model in eval mode, x_test, y_test, held-out accuracy)."""
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    x_train, y_train, x_test, y_test = load_split()
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)

    model = DigitsMLP()
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    for _ in range(EPOCHS):
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
    model.eval()

    with torch.no_grad():
        pred = model(torch.from_numpy(x_test)).argmax(dim=1).numpy()
    accuracy = float((pred == y_test).mean())
    return model, x_test, y_test, accuracy


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_digits.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    model, x_test, y_test, accuracy = train()
    if accuracy <= 0.9:
        sys.exit(f"make_digits.py: held-out accuracy {accuracy:.4f} is not above 0.9")

    # ONNX, with a dynamic batch dimension.
    onnx_path = os.path.join(out, "digits.onnx")
    torch.onnx.export(
        model,
        torch.zeros(1, FEATURES),
        onnx_path,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13,
        do_constant_folding=True,
    )

    # TorchScript.
    scripted = torch.jit.script(model)
    torch.jit.save(scripted, os.path.join(out, "digits.pt"))

    # Held-out data for guests and tests.
    x_test.astype("<f4").tofile(os.path.join(out, "digits_test_x.bin"))
    y_test.astype(np.uint8).tofile(os.path.join(out, "digits_test_y.bin"))
    meta = {
        "count": int(len(x_test)),
        "features": FEATURES,
        "classes": CLASSES,
        "accuracy_torch": accuracy,
    }
    with open(os.path.join(out, "digits_meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")

    print(f"wrote {onnx_path}")
    print(f"wrote {os.path.join(out, 'digits.pt')}")
    print(f"wrote {os.path.join(out, 'digits_test_x.bin')}, digits_test_y.bin, digits_meta.json "
          f"({len(x_test)} held-out samples, accuracy {accuracy:.4f})")


if __name__ == "__main__":
    main()
