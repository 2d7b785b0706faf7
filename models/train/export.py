"""Export a trained checkpoint to the myoseg model contract (docs/architecture.md,
"Model contract"): BN folded, ONNX opset 11, static 1x1x240x256 input, sigmoid
inside, metadata_props, parity fixture and model card.

    /usr/bin/python3 models/train/export.py --ckpt RUNDIR/best.pt \
        --name myoseg-unet-phantom-v1 --outdir models/

Checks before writing: onnx.checker, shape inference (output 1x1x240x256), the op
guard (only ops gorgonnx v0.5.0 runs correctly), and the ONNX graph evaluated by a
numpy interpreter against PyTorch (max abs diff < 1e-4).
"""
import argparse
import datetime
import hashlib
import json
import os
import shlex
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import onnxutil  # noqa: E402
import unet  # noqa: E402

PHANTOM_WARNING = ("Trained on synthetic phantoms only; never seen a real patient. "
                   "Not for diagnosis until retrained on real data (see model card).")
REAL_WARNING = ("Research software, not a certified medical device: check every mask; "
                "accuracy outside the training data's scanner and muscles is unknown (see model card).")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", required=True)
    p.add_argument("--name", required=True, help="model name, also the file stem")
    p.add_argument("--outdir", required=True)
    p.add_argument("--data", help="dataset folder for the parity image (default: the one in the checkpoint)")
    p.add_argument("--trained-on", help="one line for myoseg.trained_on (default: from the checkpoint's data)")
    p.add_argument("--kind", choices=("phantom", "real"), default="phantom",
                   help="what the training data was; picks the default warning and the card's wording")
    p.add_argument("--warning", help="myoseg.warning (default: by --kind)")
    p.add_argument("--data-command", default="", help="the command that produced --data, for the model card")
    p.add_argument("--data-description", default="", help="paragraph on the data for the model card")
    p.add_argument("--no-card", action="store_true", help="do not write the model card")
    p.add_argument("--parity-split", choices=dataset.SPLITS, default="test",
                   help="split the parity image comes from (finetune.py: val, its held-out patients)")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE",
                   help="extra metadata_props entry (repeatable; e.g. myoseg.parent for a fine-tuned model)")
    return p.parse_args(argv)


def parity_image(data_dir, split_file, norm="fixed", split="test"):
    """First image of split (sorted by path) as the model input."""
    items, _ = dataset.find_items(data_dir)
    assign = dataset.read_split_file(split_file) if split_file and os.path.exists(split_file) else {}
    for it in items:
        if assign.get(it.rel, assign.get(it.subject, dataset.hash_split(it.subject))) == split:
            g = dataset.area_resize(dataset.load_grey(it.image).astype(np.float32))
            return it, dataset.normalise(g, norm).astype(np.float32)
    raise ValueError(f"export: {data_dir}: no {split}-split image for the parity fixture")


def main(argv=None):
    a = parse_args(argv)
    if a.warning is None:
        a.warning = PHANTOM_WARNING if a.kind == "phantom" else REAL_WARNING
    torch.set_num_threads(2)
    ck = torch.load(a.ckpt)
    model = unet.UNet(channels=ck["channels"])
    model.load_state_dict(ck["state_dict"])
    model.eval()
    folded = unet.fold_bn(model)
    h, w = ck["input"]
    m = onnxutil.torch_to_onnx(folded, h, w)

    data_dir = a.data or ck["args"]["data"]
    rundir = os.path.dirname(os.path.abspath(a.ckpt))
    split_file = ck["args"].get("split_file") or os.path.join(rundir, "split.csv")
    norm = ck.get("norm_mode", "fixed")
    it, x = parity_image(data_dir, split_file, norm, a.parity_split)
    xt = torch.from_numpy(x)[None, None]
    with torch.no_grad():
        y_torch = model(xt).numpy()
        y_fold = folded(xt).numpy()
    y_onnx = onnxutil.run_numpy(m, xt.numpy())
    d_fold = float(np.abs(y_fold - y_torch).max())
    d_onnx = float(np.abs(y_onnx - y_torch).max())
    print(f"parity image {it.rel}: max|folded-torch| {d_fold:.2e}, max|onnx(numpy)-torch| {d_onnx:.2e}")
    if d_onnx >= 1e-4 or d_fold >= 1e-4:
        raise SystemExit("export: ONNX graph disagrees with PyTorch (>= 1e-4); not writing")

    data = ck["data"]
    trained_on = a.trained_on or f"{os.path.basename(os.path.normpath(data_dir))} ({data['images']} images)"
    meta = {
        "myoseg.name": a.name,
        "myoseg.input_height": str(h),
        "myoseg.input_width": str(w),
        "myoseg.resize": "area",
        "myoseg.norm_mean": repr(float(ck["norm"][0])),
        "myoseg.norm_std": repr(float(ck["norm"][1])),
        "myoseg.norm": norm,
        "myoseg.threshold": "0.5",
        "myoseg.trained_on": trained_on,
        "myoseg.warning": a.warning,
        "myoseg.card": f"{a.name}.md",
    }
    for kv in a.meta:
        k, sep, v = kv.partition("=")
        if not sep or not k.startswith("myoseg.") or k in meta:
            raise SystemExit(f"export: --meta {kv!r}: want myoseg.KEY=VALUE with a key not set above")
        meta[k] = v
    onnx.helper.set_model_props(m, meta)  # replaces any existing props
    m.producer_name = "myoseg models/train/export.py"
    m.producer_version = "1"
    m.doc_string = f"{a.name}: U-Net {list(ck['channels'])}, input 1x1x{h}x{w} normalised grey, output probabilities."
    m.graph.name = a.name

    shape = onnxutil.validate(m)
    if shape != [1, 1, h, w]:
        raise SystemExit(f"export: inferred output shape {shape}, want [1,1,{h},{w}]")
    problems = onnxutil.check_ops(m)
    if problems:
        raise SystemExit("export: graph would not run correctly in gorgonnx:\n  " + "\n  ".join(problems))

    os.makedirs(a.outdir, exist_ok=True)
    base = os.path.join(a.outdir, a.name)
    raw = m.SerializeToString()
    with open(base + ".onnx", "wb") as f:
        f.write(raw)
    xt.numpy().astype("<f4").tofile(base + ".parity-input.f32")
    y_torch.astype("<f4").tofile(base + ".parity-output.f32")
    sha = hashlib.sha256(raw).hexdigest()
    ops = onnxutil.op_histogram(m)
    print(f"wrote {base}.onnx ({len(raw)} bytes, sha256 {sha}), ops {ops}")
    print(f"wrote {base}.parity-input.f32 and .parity-output.f32 (from {it.rel})")

    if not a.no_card:
        metrics_path = os.path.join(rundir, "metrics.json")
        metrics = json.load(open(metrics_path)) if os.path.exists(metrics_path) else {}
        card = render_card(a, ck, meta, metrics, len(raw), sha, ops, it.rel, d_onnx, data_dir)
        with open(base + ".md", "w") as f:
            f.write(card)
        print(f"wrote {base}.md")


def train_command(args):
    """The train.py command line that reproduces a run: --data, --out and every
    option whose value differs from train.py's default."""
    import train

    defaults = vars(train.parse_args(["--data", "x", "--out", "y"]))
    parts = ["/usr/bin/python3 models/train/train.py", "--data", shlex.quote(args["data"]),
             "--out", shlex.quote(args["out"])]
    for k, v in args.items():
        if k in ("data", "out") or k not in defaults or v == defaults[k]:
            continue
        flag = "--" + k.replace("_", "-")
        if isinstance(v, bool):
            if v:
                parts.append(flag)
        elif v is not None:
            parts += [flag, shlex.quote(f"{v:g}" if isinstance(v, float) else str(v))]
    return " ".join(parts)


def fmt(s):
    return f"{s['mean']:.3f} ± {s['sd']:.3f}"


def render_card(a, ck, meta, metrics, size, sha, ops, parity_rel, d_onnx, data_dir):
    ch = list(ck["channels"])
    data = ck["data"]
    tr_args = ck["args"]
    train_cmd = train_command(tr_args)
    export_cmd = (f"/usr/bin/python3 models/train/export.py --ckpt {shlex.quote(a.ckpt)} --name {a.name} "
                  f"--outdir {shlex.quote(a.outdir)}")
    if a.trained_on:
        export_cmd += " --trained-on " + shlex.quote(a.trained_on)
    if a.data_command:
        export_cmd += " --data-command " + shlex.quote(a.data_command)
    if a.data_description:
        export_cmd += " --data-description " + shlex.quote(a.data_description)
    if a.kind != "phantom":
        export_cmd += " --kind " + a.kind
    test = metrics.get("test", ck.get("test", {}))
    L = []
    L.append(f"# Model card: {a.name}\n")
    L.append(f"> **{meta['myoseg.warning']}**\n")
    if a.kind == "phantom":
        L.append("This model has never seen an ultrasound image of a real patient. Its accuracy on real "
                 "muscle ultrasound is unknown. Do not use its masks, areas, echo intensities or z-scores "
                 "for diagnosis. Retrain it on real, expert-annotated images with the one command in "
                 "[Retrain on real data](#retrain-on-real-data) and evaluate it before any clinical use.\n")
    else:
        L.append("Trained on real, annotated images (see Data). Its test metrics hold for images like its "
                 "training data (same scanner, muscles and annotators); check every mask, and evaluate it "
                 "with the Go pipeline on local images before relying on it.\n")
    L.append("## What it does\n")
    L.append(f"Binary segmentation of the muscle cross-section in a transverse B-mode ultrasound image. "
             f"Input: one `1×1×{meta['myoseg.input_height']}×{meta['myoseg.input_width']}` float32 tensor, "
             f"the ultrasound field area-resized to {meta['myoseg.input_height']}×{meta['myoseg.input_width']} "
             + (f"and standardised per image: (grey/255 − m)/s, with m and s the mean and SD of grey/255 over "
                f"the whole input grid, letterbox included (`myoseg.norm = image`). "
                if meta.get("myoseg.norm") == "image" else
                f"and normalised as (grey/255 − {meta['myoseg.norm_mean']})/{meta['myoseg.norm_std']}. ") +
             f"Output: `1×1×{meta['myoseg.input_height']}×{meta['myoseg.input_width']}` muscle probabilities "
             f"(sigmoid inside the graph); muscle where probability ≥ {meta['myoseg.threshold']}.\n")
    L.append("## Data\n")
    L.append(f"- Trained on: {meta['myoseg.trained_on']}.")
    if a.data_command:
        L.append(f"- Produced by: `{a.data_command}`.")
    if a.data_description:
        L.append(f"- {a.data_description}")
    L.append(f"- Folder layout: the seed-dataset layout (`<muscle>/{{Healthy,Pathological}}/{{Images,Masks}}`), "
             f"{data['images']} images of {data['subjects']} subjects.")
    L.append("- Pre-processing: 8-bit grey; 480×512 → 240×256 by exact 2×2 area average (other sizes: area/box "
             "resize); masks (non-zero = muscle) area-resized the same way and thresholded at 0.5.\n")
    L.append("## Split\n")
    L.append("By subject (ID = file name before the first `_`), deterministic: sha256 of the ID mod 100, "
             "< 80 train, < 90 validation, else test (or `--split-file`). No subject is in two splits. "
             "The run's `split.csv` lists every subject's split.\n")
    L.append("| split | images | subjects |\n| --- | ---: | ---: |")
    for s in dataset.SPLITS:
        L.append(f"| {s} | {data[s]['images']} | {data[s]['subjects']} |")
    L.append("")
    L.append("## Architecture\n")
    L.append(f"U-Net, {len(ch)} levels, channels {'-'.join(map(str, ch))}; per level two 3×3 conv + BatchNorm + ReLU "
             f"blocks; 2×2 max-pool down; up = 1×1 conv to 4·C′ channels then pixel shuffle (Reshape → Transpose → "
             f"Reshape, static shapes); skip by Concat; 1×1 conv head and Sigmoid. BatchNorm is folded into the "
             f"convolutions at export. Built only from ops that gorgonnx v0.5.0 runs correctly.\n")
    L.append("| | |\n| --- | --- |")
    L.append(f"| parameters | {ck['params']:,} |")
    L.append(f"| MACs per image ({meta['myoseg.input_height']}×{meta['myoseg.input_width']}) | {ck['macs']:,} "
             f"({ck['macs'] / 1e9:.2f} G) |")
    L.append(f"| ONNX file | {size:,} bytes, opset {onnxutil.OPSET}, sha256 `{sha}` |")
    L.append(f"| ops | {', '.join(f'{k} ×{v}' for k, v in sorted(ops.items()))} |")
    L.append(f"| parity fixture | `{a.name}.parity-input.f32` / `.parity-output.f32`: test image `{parity_rel}`; "
             f"ONNX graph (numpy evaluation) vs PyTorch max abs diff {d_onnx:.1e} |")
    L.append("")
    L.append("## Training\n")
    L.append("Loss BCE + soft Dice; Adam; cosine learning-rate decay fitted to the wall-clock budget; "
             "early stopping on validation Dice (threshold 0.5); the checkpoint with the best validation Dice "
             "is exported. Augmentation (training only, seeded): horizontal flip, shift/scale/rotate "
             "(±8 %, ±10 %, ±10°), gain and gamma (×e^±0.25), multiplicative and additive Gaussian noise.")
    if metrics:
        L.append("")
        L.append(f"| | |\n| --- | --- |")
        L.append(f"| batch, learning rate, seed | {tr_args['batch']}, {tr_args['lr']}, {tr_args['seed']} |")
        L.append(f"| epochs run (best) | {metrics['epochs_run']} ({metrics['best_epoch']}) — {metrics['stop_reason']} |")
        L.append(f"| best validation Dice | {metrics['best_val_dice']:.4f} |")
        L.append(f"| training wall time | {metrics['train_seconds'] / 60:.1f} min on {metrics['machine']}, "
                 f"{metrics['threads']} torch threads, CPU only, torch {metrics['torch']} |")
        hist = metrics.get("history", [])
        if hist:
            secs = [h["seconds"] for h in hist if not h.get("partial")]
            ep_imgs = tr_args.get("epoch_images") or data["train"]["images"]
            L.append(f"| optimiser steps, images seen | {hist[-1]['steps']:,}, "
                     f"{hist[-1]['steps'] * tr_args['batch']:,} (an epoch = {ep_imgs} images) |")
            if secs:
                L.append(f"| time per epoch | {min(secs):.0f}–{max(secs):.0f} s (the spread is other jobs "
                         f"sharing the cores) |")
    L.append("")
    L.append("## Test metrics\n")
    L.append("Per image, mean ± SD, on the test split, threshold 0.5, no post-processing. "
             "\"240×256\": model grid vs area-resized mask; \"full\": probabilities upsampled bilinearly to the "
             "original size vs the original mask. 0/0 counts as 1.\n")
    L.append("| muscle/group | n | Dice | precision | recall | Dice (full) | precision (full) | recall (full) |")
    L.append("| --- | ---: | --- | --- | --- | --- | --- | --- |")
    for name, s in test.items():
        L.append(f"| {name} | {s['dice']['n']} | {fmt(s['dice'])} | {fmt(s['precision'])} | {fmt(s['recall'])} | "
                 f"{fmt(s['dice_full'])} | {fmt(s['precision_full'])} | {fmt(s['recall_full'])} |")
    rows = sorted(metrics.get("test_images", []), key=lambda r: r["dice"])[:5]
    if rows:
        L.append("")
        L.append("Worst test images (240×256 grid):\n")
        L.append("| image | Dice | precision | recall |\n| --- | --- | --- | --- |")
        for r in rows:
            L.append(f"| `{r['file']}` | {r['dice']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} |")
    L.append("")
    L.append("## Limits\n")
    if a.kind == "phantom":
        L.append("- Synthetic phantoms only: real speckle, anisotropy, scanner presets, probe pressure, fat "
                 "infiltration patterns and annotator conventions differ. Phantom test metrics say the pipeline "
                 "works, not that the model segments real muscle.")
    else:
        L.append("- Test metrics come from the same source as the training data; other scanners, presets and "
                 "muscles are out of distribution.")
    L.append("- One image size (240×256 after area resize); the whole ultrasound field must be the input (the Go "
             "pipeline crops to the field first).")
    muscles = sorted({k.split("/")[0] for k in (metrics.get("test") or {}) if "/" in k})
    L.append(f"- Muscles in the training data: {', '.join(muscles) or 'see Data'}; other muscles were never seen.")
    L.append("- No post-processing is included in these metrics; the Go pipeline adds hole filling, opening and "
             "component choice.\n")
    L.append("## Reproduce\n")
    L.append("From the repository root, on Debian with `models/train/setup` run once:\n")
    L.append("```sh")
    if a.data_command:
        L.append(a.data_command)
    L.append(train_cmd)
    L.append(export_cmd)
    L.append("```\n")
    L.append("Training is seeded but stops on a wall-clock budget and runs CPU kernels with 2 threads, so a "
             "rerun on another machine can stop at a different epoch and differ slightly.\n")
    if a.kind != "phantom":
        L.append("## Evaluation by the Go pipeline\n")
        L.append("_To be filled in: the same test split run through the Go pipeline._\n")
        L.append(f"---\nGenerated by `models/train/export.py` on {datetime.date.today().isoformat()}.\n")
        return "\n".join(L)
    L.append("## Retrain on real data\n")
    L.append("With the seed dataset (Marzola et al. 2021, Mendeley Data doi 10.17632/3jykz7wz8d, CC BY 4.0; "
             "cite the article) unpacked at `DIR`, one command trains, evaluates and exports a new model "
             "beside this one:\n")
    L.append("```sh")
    L.append("models/train/retrain --data DIR --name myoseg-unet-seed-v1")
    L.append("```\n")
    L.append("Then point the program at `models/myoseg-unet-seed-v1.onnx`, read its card's test metrics, and "
             "evaluate it with the Go pipeline before use.\n")
    L.append("## Evaluation by the Go pipeline\n")
    L.append("_To be filled in by the lead: the same test split run through the Go pipeline (gorgonnx engine "
             "and post-processing), and the parity test result._\n")
    L.append(f"---\nGenerated by `models/train/export.py` on {datetime.date.today().isoformat()}.\n")
    return "\n".join(L)


if __name__ == "__main__":
    main()
