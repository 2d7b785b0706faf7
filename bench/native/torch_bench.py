"""PyTorch side of the native benchmark, on the very same ONNX file.

Usage: /usr/bin/python3 torch_bench.py MODEL.onnx INPUTS.f32 H W THREADS RUNS OUT.json

The graph is rebuilt as eager PyTorch ops from the ONNX nodes and weights
(Conv, Relu, MaxPool, Reshape, Transpose, Concat, Sigmoid: what myoseg's
models use), so PyTorch runs exactly the model the other engines run.
"""
import json
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def build(path):
    m = onnx.load(path)
    g = m.graph
    init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
    nodes = []
    for n in g.node:
        a = {x.name: onnx.helper.get_attribute_value(x) for x in n.attribute}
        nodes.append((n.op_type, list(n.input), list(n.output), a))
    inp = [i.name for i in g.input if i.name not in init][0]
    out = g.output[0].name

    def fwd(x):
        v = dict(init)
        v[inp] = x
        for op, ins, outs, a in nodes:
            if op == "Conv":
                p = a.get("pads", [0, 0, 0, 0])
                assert p[0] == p[2] and p[1] == p[3], "asymmetric pads"
                assert a.get("group", 1) == 1
                y = F.conv2d(v[ins[0]], v[ins[1]], v[ins[2]] if len(ins) > 2 else None,
                             stride=a.get("strides", [1, 1]), padding=(p[0], p[1]),
                             dilation=a.get("dilations", [1, 1]))
            elif op == "Relu":
                y = torch.relu(v[ins[0]])
            elif op == "Sigmoid":
                y = torch.sigmoid(v[ins[0]])
            elif op == "MaxPool":
                p = a.get("pads", [0, 0, 0, 0])
                y = F.max_pool2d(v[ins[0]], a["kernel_shape"], a.get("strides", a["kernel_shape"]), (p[0], p[1]))
            elif op == "Reshape":
                y = v[ins[0]].reshape([int(s) for s in v[ins[1]].tolist()])
            elif op == "Transpose":
                y = v[ins[0]].permute(*a["perm"])
            elif op == "Concat":
                y = torch.cat([v[i] for i in ins], dim=a["axis"])
            else:
                raise SystemExit(f"torch_bench: op {op} not mapped")
            v[outs[0]] = y
        return v[out]

    return fwd


def main():
    model, inputs, h, w, threads, runs, out_path = sys.argv[1:]
    h, w, threads, runs = int(h), int(w), int(threads), int(runs)
    torch.set_num_threads(threads)
    raw = np.fromfile(inputs, dtype="<f4").reshape(-1, 1, 1, h, w)
    images = [torch.from_numpy(raw[i].copy()) for i in range(raw.shape[0])]
    t0 = time.perf_counter()
    fwd = build(model)
    load_ms = (time.perf_counter() - t0) * 1e3
    with torch.inference_mode():
        first = fwd(images[0]).flatten().tolist()
        for i in range(3):
            fwd(images[i % len(images)])
        times = []
        for i in range(runs):
            s = time.perf_counter()
            fwd(images[i % len(images)])
            times.append((time.perf_counter() - s) * 1e3)
    with open(out_path, "w") as f:
        json.dump({"engine": "pytorch", "version": torch.__version__, "threads": threads,
                   "load_ms": load_ms, "times_ms": times, "output0": first}, f)


if __name__ == "__main__":
    main()
