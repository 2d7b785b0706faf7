"""ONNX export helpers shared by export.py and the checks: torch -> ONNX graph that
gorgonnx v0.5.0 runs, an op-type guard, and a small numpy reference interpreter
(no onnxruntime on this machine) used to check the exported graph against torch."""
import io
import warnings

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

from unet import ALLOWED_OPS

OPSET = 11


def torch_to_onnx(folded, h, w):
    """Export an eval-mode, BN-folded model with a static 1x1xHxW input.

    Constant nodes (Reshape targets) are moved into initializers: gorgonnx reads a
    Reshape's shape from the value of its second input, which an initializer has.
    """
    import torch

    buf = io.BytesIO()
    folded.eval()
    with torch.no_grad(), warnings.catch_warnings():
        # The pixel shuffle turns traced sizes into Python ints on purpose.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(folded, torch.zeros(1, 1, h, w), buf, opset_version=OPSET,
                          do_constant_folding=True, input_names=["input"],
                          output_names=["prob"], training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load_from_string(buf.getvalue())
    g = m.graph
    keep = []
    for n in g.node:
        if n.op_type == "Constant":
            t = [a.t for a in n.attribute if a.name == "value"][0]
            t = onnx.TensorProto.FromString(t.SerializeToString())
            t.name = n.output[0]
            g.initializer.append(t)
        else:
            keep.append(n)
    del g.node[:]
    g.node.extend(keep)
    # Initializers must not be listed as graph inputs (some readers treat them as
    # runtime inputs); the single runtime input is "input".
    inits = {t.name for t in g.initializer}
    ins = [i for i in g.input if i.name not in inits]
    del g.input[:]
    g.input.extend(ins)
    return m


def check_ops(m):
    """Fail on any op outside the set gorgonnx was measured to run correctly, and on
    the known traps (asymmetric pads, groups, Concat of one tensor twice, non-static
    Reshape targets)."""
    problems = []
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type not in ALLOWED_OPS:
            problems.append(f"op {n.op_type} ({n.name}) not allowed")
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Conv":
            pads = list(attrs.get("pads", [0, 0, 0, 0]))
            if len(set(pads)) > 1:
                problems.append(f"Conv {n.name}: unequal pads {pads}")
            if attrs.get("group", 1) != 1:
                problems.append(f"Conv {n.name}: group {attrs['group']}")
            if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                problems.append(f"Conv {n.name}: auto_pad")
        if n.op_type == "MaxPool":
            if list(attrs.get("kernel_shape")) != [2, 2] or list(attrs.get("strides", [1, 1])) != [2, 2]:
                problems.append(f"MaxPool {n.name}: not 2x2 stride 2")
            if any(attrs.get("pads", [0])) or attrs.get("ceil_mode", 0):
                problems.append(f"MaxPool {n.name}: pads or ceil_mode")
        if n.op_type == "Concat" and len(set(n.input)) != len(n.input):
            problems.append(f"Concat {n.name}: same tensor twice")
        if n.op_type == "Reshape":
            s = inits.get(n.input[1])
            if s is None:
                problems.append(f"Reshape {n.name}: shape is not an initializer")
            elif (s <= 0).any():
                problems.append(f"Reshape {n.name}: non-static shape {s.tolist()}")
    if m.opset_import[0].version > 12:
        problems.append(f"opset {m.opset_import[0].version} > 12")
    return problems


def op_histogram(m):
    h = {}
    for n in m.graph.node:
        h[n.op_type] = h.get(n.op_type, 0) + 1
    return h


def validate(m):
    onnx.checker.check_model(m)
    inf = shape_inference.infer_shapes(m)
    out = inf.graph.output[0].type.tensor_type.shape.dim
    return [d.dim_value for d in out]


def _conv(x, w, b, pads, strides):
    # x: N,C,H,W ; w: O,C,kh,kw ; im2col by shifted views (small kernels).
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    p = pads[0]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    ho = (h + 2 * p - kh) // strides[0] + 1
    wo = (wd + 2 * p - kw) // strides[1] + 1
    out = np.zeros((n, o, ho, wo), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + ho * strides[0]:strides[0], j:j + wo * strides[1]:strides[1]]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j], optimize=True)
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def run_numpy(m, x):
    """Evaluate the graph with numpy (float64) for the allowed op set."""
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) if t.data_type == onnx.TensorProto.FLOAT
           else numpy_helper.to_array(t) for t in m.graph.initializer}
    env[m.graph.input[0].name] = x.astype(np.float64)
    for n in m.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        ins = [env[i] for i in n.input]
        if n.op_type == "Conv":
            y = _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                      list(a.get("pads", [0, 0, 0, 0])), list(a.get("strides", [1, 1])))
        elif n.op_type == "Relu":
            y = np.maximum(ins[0], 0)
        elif n.op_type == "Sigmoid":
            y = 1 / (1 + np.exp(-ins[0]))
        elif n.op_type == "MaxPool":
            v = ins[0]
            N, C, H, W = v.shape
            y = v[:, :, :H // 2 * 2, :W // 2 * 2].reshape(N, C, H // 2, 2, W // 2, 2).max(axis=(3, 5))
        elif n.op_type == "Concat":
            y = np.concatenate(ins, axis=a["axis"])
        elif n.op_type == "Reshape":
            y = ins[0].reshape([int(s) for s in ins[1]])
        elif n.op_type == "Transpose":
            y = ins[0].transpose(a["perm"])
        else:
            raise ValueError(f"run_numpy: op {n.op_type} not supported")
        env[n.output[0]] = y
    return env[m.graph.output[0].name]
