"""Builds the small hand-made ONNX models used by nnwasm's ONNX backend tests (no training).

Usage: /usr/bin/python3 make_test_models.py OUT_DIR

Every model is built with onnx.helper at IR version 7 and opset 13 (types.onnx: opset 14, the
first where Add takes uint8), passes onnx.checker (full check), loads and runs in ONNX Runtime
1.29's CPU provider, and is byte-identical from run to run. Writes to OUT_DIR:

  add_mul.onnx     inputs  A float32 [2,3], B float32 [2,3]
                   outputs Sum = A + B (float32 [2,3]), Product = A * B (float32 [2,3])
  types.onnx       one input per tensor type ONNX Runtime supports from WASI-NN, each of shape
                   [4], each doubled by Add(x, x) (which keeps the type; uint8 wraps mod 256):
                     in_f16 float16 -> out_f16 float16
                     in_f32 float32 -> out_f32 float32
                     in_f64 float64 -> out_f64 float64
                     in_u8  uint8   -> out_u8  uint8
                     in_i32 int32   -> out_i32 int32
                     in_i64 int64   -> out_i64 int64
                   inputs and outputs are declared in this order.
  dynamic.onnx     input X float32 [batch,3] (symbolic "batch") -> output Y = X * 2 float32
                   [batch,3] (Mul by the scalar initializer "two")
  i64_argmax.onnx  input X float32 [1,5] -> output Index int64 [1] = ArgMax(X, axis=1,
                   keepdims=0)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 7


def finish(graph, path, opset=OPSET):
    model = helper.make_model(
        graph,
        producer_name="nnwasm-make_test_models",
        opset_imports=[helper.make_opsetid("", opset)],
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    print(f"wrote {path}")


def add_mul(out):
    a = helper.make_tensor_value_info("A", TensorProto.FLOAT, [2, 3])
    b = helper.make_tensor_value_info("B", TensorProto.FLOAT, [2, 3])
    s = helper.make_tensor_value_info("Sum", TensorProto.FLOAT, [2, 3])
    p = helper.make_tensor_value_info("Product", TensorProto.FLOAT, [2, 3])
    graph = helper.make_graph(
        [helper.make_node("Add", ["A", "B"], ["Sum"], name="add"),
         helper.make_node("Mul", ["A", "B"], ["Product"], name="mul")],
        "add_mul", [a, b], [s, p])
    finish(graph, os.path.join(out, "add_mul.onnx"))


TYPES = [
    ("f16", TensorProto.FLOAT16),
    ("f32", TensorProto.FLOAT),
    ("f64", TensorProto.DOUBLE),
    ("u8", TensorProto.UINT8),
    ("i32", TensorProto.INT32),
    ("i64", TensorProto.INT64),
]


def types(out):
    inputs, outputs, nodes = [], [], []
    for suffix, elem in TYPES:
        x, y = f"in_{suffix}", f"out_{suffix}"
        inputs.append(helper.make_tensor_value_info(x, elem, [4]))
        outputs.append(helper.make_tensor_value_info(y, elem, [4]))
        nodes.append(helper.make_node("Add", [x, x], [y], name=f"double_{suffix}"))
    graph = helper.make_graph(nodes, "types", inputs, outputs)
    # Opset 14: Add before it has no uint8 (or int8/int16) type constraint.
    finish(graph, os.path.join(out, "types.onnx"), opset=14)


def dynamic(out):
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 3])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 3])
    two = numpy_helper.from_array(np.array(2.0, dtype=np.float32), name="two")
    graph = helper.make_graph(
        [helper.make_node("Mul", ["X", "two"], ["Y"], name="times_two")],
        "dynamic", [x], [y], initializer=[two])
    finish(graph, os.path.join(out, "dynamic.onnx"))


def i64_argmax(out):
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 5])
    idx = helper.make_tensor_value_info("Index", TensorProto.INT64, [1])
    graph = helper.make_graph(
        [helper.make_node("ArgMax", ["X"], ["Index"], name="argmax", axis=1, keepdims=0)],
        "i64_argmax", [x], [idx])
    finish(graph, os.path.join(out, "i64_argmax.onnx"))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_test_models.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    add_mul(out)
    types(out)
    dynamic(out)
    i64_argmax(out)


if __name__ == "__main__":
    main()
