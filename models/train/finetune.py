"""Few-shot fine-tuning of an exported myoseg model on a small seed-layout set
(the page's "corrected images" ZIP, or a folder), with the page's held-out rule.

    models/train/retrain --init MODEL.onnx --data ZIP_OR_DIR --name NAME [--outdir models]
                         [--epochs 0] [--lr 5e-4] [--batch 4] [--minutes 20] [--split-seed 0]
                         [--hold-out 0.25] [--fields auto|go|none|CSV] [--trained-on TEXT] [--out RUNDIR]
                         [any other train.py option, e.g. --threads 1 --no-augment]

(`retrain` runs this file when it is given --init.) Steps:

1. A ZIP is unpacked into a temporary folder: an entry pointing outside it
   (absolute, `..`, a drive letter, a link) or an Images/Masks entry that is
   not a .png is refused, and nothing is trained.
2. The held-out split is core/nn/train's (heldout.py): refuse fewer than 8
   images, an image without a patient ID, a single patient; hold out about a
   quarter of the patients (at least one), chosen by the same seeded shuffle
   as the page, so the same set gives the same held-out patients natively
   and in the page (--split-seed 0 is the page's; `myoseg adapt` uses 1).
   Written to RUNDIR/heldout.csv: training patients = train, held-out = val,
   no test split. The held-out (val) patients pick the best epoch AND give
   the reported Dice, as in the page: there are too few images for a third
   split, so the "after" figure is optimistic by the choice of epoch.
3. --fields go (the default when `go` is on the PATH or --myoseg is given):
   each image is cropped to the ultrasound field the Go core finds (from
   `myoseg segment`) and letterboxed into the model grid, as the page's
   Adapt and the Go pipeline prepare it; --fields none resizes whole images
   (what the rest of models/train does).
4. train.py --init MODEL.onnx --score-init: the parent is scored on the
   held-out patients first (epoch 0, "before"), then every epoch; the best
   epoch is kept.
5. If no epoch beat the parent, exit 3 and write nothing to --outdir.
   Otherwise export.py writes OUTDIR/NAME.onnx (+ parity fixture from a
   held-out image), whose myoseg.name, trained_on and warning say it was
   fine-tuned from the parent on N images, check_onnx.py checks it, and
   OUTDIR/NAME.md is its card (parent name and sha256, images, held-out
   patients, Dice before/after, settings, date, the command).

Exit status: 0 written; 2 refused input (too few images, one patient, bad ZIP);
3 held-out Dice did not rise; 1 anything else.
"""
import argparse
import csv
import datetime
import hashlib
import io
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heldout  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ZIP_MAX_BYTES = 4 << 30  # uncompressed; a few hundred corrected PNGs are well under 1 GB

EXIT_REFUSED, EXIT_NO_GAIN = 2, 3


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="retrain --init", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--init", required=True, help="the parent model, an exported myoseg .onnx")
    p.add_argument("--data", required=True, help="the page's corrected-images ZIP, or a folder in the seed layout")
    p.add_argument("--name", required=True, help="name of the fine-tuned model, also the file stem")
    p.add_argument("--out", help="run folder (default models/train/runs/NAME)")
    p.add_argument("--outdir", default=os.path.normpath(os.path.join(HERE, "..")),
                   help="where NAME.onnx, its parity fixture and NAME.md go (default models/)")
    p.add_argument("--epochs", type=int, default=0,
                   help="passes over the training patients' images (0: auto_epochs, as the Go core's adapt)")
    p.add_argument("--lr", type=float, default=5e-4, help="Adam peak learning rate (cosine decay over the epochs)")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--warmup", type=int, default=5, help="steps of linear LR warm-up")
    p.add_argument("--minutes", type=float, default=20.0, help="wall-clock budget for training")
    p.add_argument("--seed", type=int, default=1, help="seed of the training order and augmentation")
    p.add_argument("--split-seed", type=int, default=heldout.PAGE_SEED,
                   help="seed of the held-out patient choice (0: the page's; `myoseg adapt` defaults to 1)")
    p.add_argument("--hold-out", type=float, default=heldout.HOLD_OUT, help="fraction of patients held out")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--trained-on", default="", help="one line on the fine-tuning images for the metadata and card "
                   "(e.g. the clinic and scanner)")
    p.add_argument("--fields", default="auto",
                   help="go: crop every image to its ultrasound field and letterbox it as the Go core does (the page, "
                        "segment, eval), the fields found by `myoseg segment`; none: area-resize whole images; "
                        "auto (default): go when a Go toolchain or --myoseg is there, else none; or a CSV rel,x,y,w,h")
    p.add_argument("--myoseg", help="a built myoseg binary for --fields go (default: go build of this repository)")
    p.add_argument("--keep-data", action="store_true", help="keep the unpacked ZIP (its path is printed)")
    a, extra = p.parse_known_args(argv)
    for bad in ("--kind", "--warning", "--split-file", "--data-command"):
        if any(x == bad or x.startswith(bad + "=") for x in extra):
            p.error(f"{bad} is not used with --init: the split is the held-out rule's and the warning is the parent's")
    return a, extra


class Refused(Exception):
    """Input that cannot be fine-tuned on; exit EXIT_REFUSED with the message."""


def unpack_zip(path, dest):
    """Unpack the page's ZIP into dest after checking every entry: no path
    outside dest (zip-slip), no links, only .png in Images/ and Masks/, a
    bounded total size. macOS resource forks (__MACOSX/, ._*) are skipped."""
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise Refused(f"{path}: not a ZIP ({e})")
    root = os.path.realpath(dest)
    with z:
        todo, total = [], 0
        for info in z.infolist():
            name = info.filename
            parts = name.replace("\\", "/").split("/")
            if (name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts
                    or "\x00" in name):
                raise Refused(f"{path}: entry {name!r} would be written outside the folder the ZIP unpacks to "
                              f"(zip-slip): refused, nothing was trained")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise Refused(f"{path}: entry {name!r} is a symbolic link: refused, nothing was trained")
            if parts[0] == "__MACOSX" or parts[-1].startswith("._"):
                continue
            if info.is_dir():
                continue
            if any(d.lower() in ("images", "masks") for d in parts[:-1]) and not parts[-1].lower().endswith(".png"):
                raise Refused(f"{path}: entry {name!r} is not a .png: the page's ZIP holds only PNG images and "
                              f"masks in Images/ and Masks/ (convert it or remove it)")
            target = os.path.realpath(os.path.join(root, *[p for p in parts if p not in ("", ".")]))
            if os.path.commonpath([root, target]) != root:
                raise Refused(f"{path}: entry {name!r} would be written outside the folder the ZIP unpacks to "
                              f"(zip-slip): refused, nothing was trained")
            total += info.file_size
            if total > ZIP_MAX_BYTES:
                raise Refused(f"{path}: more than {ZIP_MAX_BYTES >> 30} GiB uncompressed: refused")
            todo.append((info, target))
        for info, target in todo:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return dest


def read_parent(path):
    import onnx

    if not os.path.isfile(path):
        raise Refused(f"--init {path}: no such file")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        m = onnx.load_from_string(raw)
    except Exception as e:  # onnx raises protobuf's DecodeError
        raise Refused(f"--init {path}: not an ONNX model ({e})")
    meta = {p.key: p.value for p in m.metadata_props}
    import unet

    try:
        unet.from_onnx(path)  # what train.py will load: refuse a graph it cannot before any work
    except ValueError as e:
        raise Refused(f"--init {e}")
    name = meta.get("myoseg.name") or os.path.splitext(os.path.basename(path))[0]
    return {"path": path, "name": name, "sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw),
            "trained_on": meta.get("myoseg.trained_on", "not stated by the model file"),
            "warning": meta.get("myoseg.warning", ""), "norm": meta.get("myoseg.norm", "fixed")}


def plan_split(root, frac, seed):
    """Items of root and the held-out rule's patients: (items, train ids, held ids)."""
    import dataset

    items, unmatched = dataset.find_items(root)
    if not items:
        raise Refused(f"{root}: no Images/NAME.png with a Masks/NAME.png (seed layout: MUSCLE/GROUP/Images, "
                      f"MUSCLE/GROUP/Masks)")
    try:
        tp, hp = heldout.split_by_patient([it.subject for it in items], frac, seed)
    except heldout.RefusedError as e:
        raise Refused(str(e))
    return items, unmatched, tp, hp


def go_fields(items, exe, work):
    """{rel: (x, y, w, h)}: each image's ultrasound field as the Go core finds
    it (pipeline.FieldOf: what the page's Adapt, segment and eval crop to),
    from `myoseg segment --csv`, one call per folder (file names are unique
    there, not across muscles)."""
    if not exe:
        exe = os.path.join(work, "myoseg")
        repo = os.path.normpath(os.path.join(HERE, "..", ".."))
        r = subprocess.run(["go", "build", "-o", exe, "."], cwd=repo, capture_output=True, text=True)
        if r.returncode:
            raise Refused(f"--fields go: go build in {repo} failed (use --myoseg BIN or --fields none):\n{r.stderr}")
    by_dir = {}
    for it in items:
        by_dir.setdefault(os.path.dirname(it.image), []).append(it)
    fields = {}
    for d, its in sorted(by_dir.items()):
        r = subprocess.run([exe, "segment", "--csv"] + [it.image for it in its], capture_output=True, text=True)
        rows = {row["file"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
        for it in its:
            row = rows.get(os.path.basename(it.image))
            if row is None:
                err = [ln for ln in r.stderr.splitlines() if os.path.basename(it.image) in ln]
                raise Refused(f"{it.rel}: the Go core could not find its ultrasound field: "
                              f"{err[0] if err else r.stderr.strip()[-300:]}")
            fields[it.rel] = tuple(int(row[k]) for k in ("field_x", "field_y", "field_w", "field_h"))
    return fields


def plan_fields(a, items, work):
    """(fields or None, one line for the card saying how inputs were made)."""
    import dataset

    mode = a.fields
    if mode == "auto":
        mode = "go" if a.myoseg or shutil.which("go") else "none"
    if mode == "none":
        return None, ("whole image area-resized to 240×256 (no field crop: differs from the page and the Go "
                      "pipeline for images with anything around the ultrasound field)")
    if mode == "go":
        return go_fields(items, a.myoseg, work), ("ultrasound field found by the Go core (`myoseg segment`), "
                                                 "cropped and letterboxed into 240×256 as the page and the Go "
                                                 "pipeline do")
    if not os.path.isfile(mode):
        raise Refused(f"--fields {mode}: want auto, go, none or a CSV file")
    f = dataset.read_fields(mode)
    missing = [it.rel for it in items if it.rel not in f]
    if missing:
        raise Refused(f"--fields {mode}: no field for {len(missing)} images, e.g. {missing[0]}")
    return f, f"ultrasound fields from `{mode}`, cropped and letterboxed into 240×256 as the Go core does"


def check_masks(items, fields):
    """core/nn/train.PairOf refuses a mask with no muscle on the model grid
    (inside the field); so does this, before any training."""
    import dataset
    import numpy as np

    for it in items:
        m = (dataset.load_grey(it.mask) > 0).astype(np.float32)
        g = dataset.letterbox(m, fields[it.rel]) if fields and it.rel in fields else dataset.area_resize(m)
        if not (g >= 0.5).any():
            raise Refused(f"{it.rel}: the mask has no muscle inside the ultrasound field")


def write_fields(path, fields):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rel", "x", "y", "w", "h"])
        for rel, r in sorted(fields.items()):
            w.writerow([rel, *r])


def write_split(path, tp, hp, frac, seed):
    with open(path, "w") as f:
        f.write("id,split\n")
        f.write(f"# finetune.py: held-out rule of core/nn/train (hold out {frac:g} of the patients, "
                f"split seed {seed}): held-out patients = val, the rest = train\n")
        for s in tp:
            f.write(f"{s},train\n")
        for s in hp:
            f.write(f"{s},val\n")


def command_line(argv):
    return "models/train/retrain " + " ".join(shlex.quote(x) for x in argv)


def render_card(a, parent, meta, metrics, items, tp, hp, onnx_info, argv, date, data_label, inputs, fields):
    held = set(hp)
    tr_items = [it for it in items if it.subject not in held]
    ho_items = [it for it in items if it.subject in held]
    before, after = metrics["init_val_dice"], metrics["best_val_dice"]
    hist = metrics.get("history", [])
    L = [f"# Model card: {a.name}\n"]
    L.append(f"> **{meta['myoseg.warning']}**\n")
    L.append(f"Fine-tuned from **{parent['name']}** on {date} by `models/train/retrain --init` "
             f"(PyTorch, models/train/finetune.py) on {len(tr_items)} images of {len(tp)} patients from "
             f"`{data_label}`, with the held-out rule of the page's \"Adapt model\" (core/nn/train, docs/adapt.md). "
             f"Held-out Dice {before:.4f} before → **{after:.4f}** after.\n")
    L.append("| | |\n| --- | --- |")
    L.append(f"| Parent | {parent['name']}, `{os.path.basename(parent['path'])}`, sha256 `{parent['sha256']}` |")
    L.append(f"| Parent trained on | {parent['trained_on']} |")
    L.append(f"| Fine-tuned on | {date} |")
    L.append(f"| Data | `{data_label}`" + (f": {a.trained_on}" if a.trained_on else "") + " |")
    L.append(f"| Training images | {len(tr_items)}, patients {', '.join(tp)} |")
    L.append(f"| Held-out images | {len(ho_items)}, patients {', '.join(hp)} (never trained on) |")
    L.append(f"| Held-out Dice | {before:.4f} before → {after:.4f} after (best epoch {metrics['best_epoch']} of "
             f"{metrics['epochs_run']} run; {metrics['stop_reason']}) |")
    L.append(f"| Settings | {meta['myoseg.adapt_settings']} |")
    L.append(f"| Inputs | {inputs} |")
    L.append(f"| Time | {metrics['train_seconds']:.0f} s training on {metrics['machine']}, {metrics['threads']} "
             f"torch threads, torch {metrics['torch']} |")
    L.append(f"| ONNX file | `{a.name}.onnx`, {onnx_info['bytes']:,} bytes, sha256 `{onnx_info['sha256']}`; parity "
             f"fixture from held-out image `{onnx_info['parity']}` |")
    L.append("")
    L.append("## Held-out rule\n")
    L.append(f"As in the page (core/nn/train `splitByPatient`, reproduced exactly by models/train/heldout.py): at "
             f"least {heldout.MIN_IMAGES} images, every image with a patient ID (file name up to the first `_`), at "
             f"least 2 patients; {a.hold_out:g} of the patients held out (at least one, at least one left to train "
             f"on), chosen by Go's PCG shuffle with seed {a.split_seed} (the page uses 0). The held-out patients "
             f"choose the best epoch and give the Dice above (hard Dice at threshold 0.5 on the 240×256 model grid, "
             f"mean over images): with so few images there is no third split, so the \"after\" figure is "
             f"optimistic by that choice. A model whose held-out Dice did not rise is not written.\n")
    if hist:
        L.append("| epoch | training loss | held-out Dice | s |\n| ---: | ---: | ---: | ---: |")
        for h in hist:
            loss = "—" if h.get("loss") is None else f"{h['loss']:.4f}"
            mark = " (parent)" if h["epoch"] == 0 else (" ★" if h["epoch"] == metrics["best_epoch"] else "")
            L.append(f"| {h['epoch']}{mark} | {loss} | {h['val_dice']:.4f} | {h['seconds']:.0f} |")
        L.append("")
    L.append("## Images\n")
    L.append("Training: " + ", ".join(f"`{it.rel}`" for it in tr_items) + ".\n")
    L.append("Held out: " + ", ".join(f"`{it.rel}`" for it in ho_items) + ".\n")
    L.append("## How it differs from the page's Adapt\n")
    L.append("Same patients held out, same loss (BCE + soft Dice), same keep-the-best-epoch and refuse-if-no-gain "
             "rules" + (", same model inputs (the field the Go core finds, letterboxed)" if fields else "") +
             "; different engine (PyTorch, BatchNorm frozen as identity plus the folded bias, the BN scale "
             "and shift trained with the convolutions), learning rate and augmentation (models/train/dataset.py's, "
             "with rotation and scaling), so the trajectory and the figures differ from the page's on the same "
             "ZIP." + ("" if fields else " Pre-processing also differs: the whole image was area-resized to the "
                       "model grid, where the page crops the ultrasound field and letterboxes it; for images that "
                       "are the field only (the seed dataset's 480×512) the inputs agree.") +
             " The Go pipeline adds post-processing (hole filling, opening, component choice) that these Dice "
             "figures do not include.\n")
    L.append("## Limits\n")
    L.append("The held-out Dice is measured on the patients above only: a few images of a few people. It says the "
             "fine-tuning did not hurt on them, not that the model is accurate on this clinic's population. Check "
             "results against the parent model, and evaluate with the Go pipeline "
             f"(`go run . eval --data DIR --model {a.name}.onnx`) before relying on it.\n")
    L.append("## Reproduce\n")
    L.append("From the repository root, with the same data:\n")
    L.append("```sh")
    L.append(command_line(argv))
    L.append("```\n")
    L.append("Training is seeded but CPU kernels and a wall-clock budget can make a rerun differ slightly.\n")
    L.append(f"---\nGenerated by `models/train/finetune.py` on {date}.\n")
    return "\n".join(L)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    a, extra = parse_args(argv)
    t0 = time.time()
    tmp = None
    try:
        parent = read_parent(a.init)
        if os.path.isdir(a.data):
            root, data_label = a.data, a.data
        elif os.path.isfile(a.data):
            tmp = tempfile.mkdtemp(prefix="myoseg-finetune-")
            root, data_label = unpack_zip(a.data, tmp), a.data
        else:
            raise Refused(f"--data {a.data}: no such file or folder")
        items, unmatched, tp, hp = plan_split(root, a.hold_out, a.split_seed)
        work = tempfile.mkdtemp(prefix="myoseg-finetune-bin-")
        try:
            fields, inputs = plan_fields(a, items, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        check_masks(items, fields)
    except Refused as e:
        print(f"retrain: refused: {e}", file=sys.stderr)
        if tmp and not a.keep_data:
            shutil.rmtree(tmp, ignore_errors=True)
        return EXIT_REFUSED
    try:
        return run(a, extra, argv, parent, root, data_label, items, unmatched, tp, hp, fields, inputs, t0)
    finally:
        if tmp and not a.keep_data:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp:
            print(f"retrain: the unpacked ZIP is in {tmp}")


def auto_epochs(n_train):
    """core/nn/train.AutoEpochs: enough epochs for about 256 training images, at least 12."""
    return max(12, -(-256 // n_train)) if n_train > 0 else 12


def run(a, extra, argv, parent, root, data_label, items, unmatched, tp, hp, fields, inputs, t0):
    import check_onnx
    import export
    import train

    held = set(hp)
    n_train = sum(it.subject not in held for it in items)
    n_held = len(items) - n_train
    if a.epochs <= 0:
        a.epochs = auto_epochs(n_train)
    print(f"retrain: {len(items)} images of {len(tp) + len(hp)} patients in {data_label}"
          + (f" ({len(unmatched)} without a mask skipped)" if unmatched else "")
          + f"; held out {n_held} images of patients {', '.join(hp)}; training on {n_train} images of "
            f"{', '.join(tp)}", flush=True)
    out = a.out or os.path.join(HERE, "runs", a.name)
    os.makedirs(out, exist_ok=True)
    split_file = os.path.join(out, "heldout.csv")
    write_split(split_file, tp, hp, a.hold_out, a.split_seed)
    train_extra = list(extra)
    if fields:
        write_fields(os.path.join(out, "fields.csv"), fields)
        train_extra = ["--fields", os.path.join(out, "fields.csv")] + train_extra
    print(f"retrain: inputs: {inputs}", flush=True)
    train.main(["--data", root, "--out", out, "--init", a.init, "--score-init", "--split-file", split_file,
                "--epochs", str(a.epochs), "--lr", repr(a.lr), "--batch", str(a.batch), "--warmup", str(a.warmup),
                "--minutes", repr(a.minutes), "--seed", str(a.seed), "--threads", str(a.threads),
                "--epoch-images", "0", "--val-images", "0", "--patience", str(a.epochs + 1)] + train_extra)
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    before, after, best_epoch = metrics["init_val_dice"], metrics["best_val_dice"], metrics["best_epoch"]
    if best_epoch == 0 or not after > before:
        print(f"retrain: refused: held-out Dice did not improve: {before:.4f} before, no epoch of "
              f"{metrics['epochs_run']} did better; nothing written to {a.outdir} (run folder {out})", file=sys.stderr)
        return EXIT_NO_GAIN

    date = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    ck_args = metrics["args"]
    settings = (f"all convolutions and BatchNorm scale/shift trained (BN statistics frozen), {metrics['epochs_run']} "
                f"of {a.epochs} epochs, batch {a.batch}, Adam lr {a.lr:g} (warm-up {a.warmup} steps, cosine decay), "
                f"augment {not ck_args.get('no_augment')}, seed {a.seed}, split seed {a.split_seed}, held out "
                f"{len(hp)} patients; U-Net {metrics['config']}, norm {ck_args.get('norm')}; inputs: "
                f"{'field crop (Go core)' if fields else 'whole image'}")
    if extra:
        settings += "; train.py " + " ".join(extra)
    data_name = os.path.basename(os.path.normpath(data_label))
    trained_on = (f"{parent['name']}'s data ({parent['trained_on']}), then fine-tuned on {n_train} images of "
                  f"{len(tp)} patients ({data_name}" + (f": {a.trained_on}" if a.trained_on else "") + ")")
    warning = (f"Fine-tuned from {parent['name']} on {n_train} images of {len(tp)} patients; held-out Dice "
               f"{before:.3f} -> {after:.3f} on {len(hp)} patient(s) only: check every mask (see model card). "
               f"Parent's warning: {parent['warning'] or 'none'}")
    meta = {"myoseg.trained_on": trained_on, "myoseg.warning": warning,
            "myoseg.parent": parent["name"], "myoseg.parent_sha256": parent["sha256"],
            "myoseg.adapted_on": date, "myoseg.adapted_images": str(n_train),
            "myoseg.heldout_dice_before": f"{before:.4f}", "myoseg.heldout_dice_after": f"{after:.4f}",
            "myoseg.adapt_settings": settings}
    ex = ["--ckpt", os.path.join(out, "best.pt"), "--name", a.name, "--outdir", a.outdir, "--data", root,
          "--parity-split", "val", "--no-card", "--trained-on", trained_on, "--warning", warning]
    for k in ("myoseg.parent", "myoseg.parent_sha256", "myoseg.adapted_on", "myoseg.adapted_images",
              "myoseg.heldout_dice_before", "myoseg.heldout_dice_after", "myoseg.adapt_settings"):
        ex += ["--meta", f"{k}={meta[k]}"]
    base = os.path.join(a.outdir, a.name)
    written = [base + s for s in (".onnx", ".parity-input.f32", ".parity-output.f32", ".md")]
    stamp = {p: os.stat(p).st_mtime_ns if os.path.exists(p) else None for p in written}
    try:
        export.main(ex)
        problems = check_onnx.check(base + ".onnx")
        if problems:
            raise SystemExit("retrain: the exported model fails check_onnx.py:\n  " + "\n  ".join(problems))
        with open(base + ".onnx", "rb") as f:
            raw = f.read()
        first_held = next(it.rel for it in items if it.subject in held)
        onnx_info = {"bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest(), "parity": first_held}
        meta["myoseg.name"] = a.name
        card = render_card(a, parent, meta, metrics, items, tp, hp, onnx_info, argv, date, data_label, inputs,
                           fields)
        with open(base + ".md", "w") as f:
            f.write(card)
    except BaseException:
        for p in written:  # no half-written model beside the others (older files of that name stay)
            if os.path.exists(p) and os.stat(p).st_mtime_ns != stamp[p]:
                os.remove(p)
        raise
    print(f"wrote {base}.md")
    print(f"retrain: fine-tuned {parent['name']} -> {base}.onnx on {n_train} images ({len(tp)} patients); held-out "
          f"{n_held} images ({len(hp)} patients): Dice {before:.4f} -> {after:.4f} (best epoch {best_epoch}); "
          f"{time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
