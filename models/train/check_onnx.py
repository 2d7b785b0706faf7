"""Check an ONNX file against what gorgonnx v0.5.0 runs correctly.

    /usr/bin/python3 models/train/check_onnx.py models/myoseg-unet-phantom-v2.onnx

Runs onnx.checker and shape inference, lists op types with counts, and exits 1 on
any op outside {Conv, Relu, MaxPool, Concat, Reshape, Transpose, Sigmoid} or a
known trap (unequal Conv pads, groups, Concat of one tensor twice, non-static
Reshape, opset > 12, missing metadata_props). With the parity fixture beside the
model, also evaluates the graph with numpy and compares (max abs diff < 1e-4).
"""
import os
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnxutil  # noqa: E402

REQUIRED_PROPS = ("myoseg.name", "myoseg.input_height", "myoseg.input_width", "myoseg.resize",
                  "myoseg.norm_mean", "myoseg.norm_std", "myoseg.threshold", "myoseg.trained_on",
                  "myoseg.warning", "myoseg.card")


def check(path):
    m = onnx.load(path)
    problems = []
    try:
        shape = onnxutil.validate(m)
    except Exception as e:  # checker raises its own error types
        return [f"{path}: onnx checker/shape inference: {e}"]
    print(f"{path}: opset {m.opset_import[0].version}, output shape {shape}")
    for op, n in sorted(onnxutil.op_histogram(m).items()):
        print(f"  {op:10s} {n}")
    problems += onnxutil.check_ops(m)
    props = {p.key: p.value for p in m.metadata_props}
    problems += [f"metadata_props: missing {k}" for k in REQUIRED_PROPS if not props.get(k)]
    base = path[:-len(".onnx")] if path.endswith(".onnx") else path
    if os.path.exists(base + ".parity-input.f32") and os.path.exists(base + ".parity-output.f32"):
        dims = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
        x = np.fromfile(base + ".parity-input.f32", "<f4").reshape(dims)
        want = np.fromfile(base + ".parity-output.f32", "<f4").reshape(dims)
        d = float(np.abs(onnxutil.run_numpy(m, x) - want).max())
        print(f"  parity (numpy evaluation vs fixture): max abs diff {d:.2e}")
        if d >= 1e-4:
            problems.append(f"parity: max abs diff {d:.2e} >= 1e-4")
    return problems


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    bad = []
    for p in sys.argv[1:]:
        bad += check(p)
    for b in bad:
        print("FAIL:", b)
    sys.exit(1 if bad else 0)
