"""Train the myoseg U-Net on a folder in the seed layout, then evaluate on the test split.

    /usr/bin/python3 models/train/train.py --data DIR --out RUNDIR [--minutes 35]

Writes RUNDIR/best.pt (best validation Dice), RUNDIR/log.txt, RUNDIR/split.csv
(subject -> split, reusable as --split-file) and RUNDIR/metrics.json.
"""
import argparse
import json
import math
import os
import platform
import random
import sys
import time

# Passive OpenMP waiting: on a shared 2-core machine, spinning threads waiting on a
# descheduled peer made training steps up to 5x slower. Must precede importing torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import unet  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="folder in the seed-dataset layout")
    p.add_argument("--out", required=True, help="run folder (created)")
    p.add_argument("--epochs", type=int, default=100, help="most epochs (the time budget may stop earlier)")
    p.add_argument("--minutes", type=float, default=35.0, help="wall-clock budget for training (not loading/testing)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--config", default="c8x5", choices=sorted(unet.CONFIGS))
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--epoch-images", type=int, default=600,
                   help="training images per epoch (0 = the whole train split); short epochs give the time "
                        "budget, the LR schedule and early stopping a finer grain on a slow machine")
    p.add_argument("--patience", type=int, default=10, help="early stop after this many epochs without a better val Dice")
    p.add_argument("--val-images", type=int, default=150,
                   help="validation images scored each epoch (evenly spaced subset; 0 = all)")
    p.add_argument("--split-file", help="CSV id,split overriding the hash split")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, help="read only the first N images (debugging)")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--scanner-augment", action="store_true",
                   help="also vary brightness with depth, speckle size and the grey map (dataset.Augmenter)")
    p.add_argument("--init", help="model to fine-tune: an exported .onnx (its config and norm are used) "
                   "or a checkpoint best.pt (its config and norm must match)")
    p.add_argument("--score-init", action="store_true",
                   help="with --init: score the initial model on the validation split before training (epoch 0); "
                        "an epoch must beat it to replace it as best.pt (metrics best_epoch 0: none did)")
    p.add_argument("--warmup", type=int, default=100, help="steps of linear LR warm-up")
    p.add_argument("--fields", help="CSV rel,x,y,w,h: crop these images to their ultrasound field and letterbox "
                   "them as the Go core does (finetune.py writes it); others are resized whole")
    p.add_argument("--norm", choices=dataset.NORM_MODES, default="fixed",
                   help="input normalisation: fixed constants, or per image (mean 0, SD 1 over the input grid)")
    return p.parse_args(argv)


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def loss_fn(logits, target):
    """BCE + soft Dice (per image, averaged): BCE gives well-calibrated probabilities
    at the 0.5 threshold, Dice keeps small muscles from being swamped by background."""
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    inter = (p * target).sum((1, 2, 3))
    den = p.sum((1, 2, 3)) + target.sum((1, 2, 3))
    dice = (2 * inter + 1) / (den + 1)
    return bce + (1 - dice).mean()


def batch_tensors(data, idx):
    g = torch.from_numpy(data.grey[idx][:, None] / 255.0).float()
    m = torch.from_numpy(data.mask[idx][:, None]).float()
    return g, m


NORM = "fixed"  # set from --norm in main()


def to_input(grey01, mode=None):
    """Model input from B x 1 x H x W grey in 0..1 (dataset.normalise, batched)."""
    if (mode or NORM) == "image":
        m = grey01.mean(dim=(1, 2, 3), keepdim=True)
        s = grey01.std(dim=(1, 2, 3), keepdim=True, unbiased=False)
        return (grey01 - m) / torch.where(s >= 1e-3, s, torch.ones_like(s))
    return (grey01 - dataset.NORM_MEAN) / dataset.NORM_STD


def confusion(pred, target):
    """Per-image TP, FP, FN for boolean B x ... tensors."""
    pred, target = pred.flatten(1), target.flatten(1)
    tp = (pred & target).sum(1).double()
    fp = (pred & ~target).sum(1).double()
    fn = (~pred & target).sum(1).double()
    return tp, fp, fn


def ratios(tp, fp, fn):
    """Dice, precision, recall per image; 0/0 counts as 1 (nothing to find and nothing found)."""
    def safe(a, b):
        return torch.where(b > 0, a / b.clamp(min=1), torch.ones_like(a))
    return safe(2 * tp, 2 * tp + fp + fn), safe(tp, tp + fp), safe(tp, tp + fn)


@torch.no_grad()
def predict(model, data, idx, batch=16):
    model.eval()
    out = []
    for s in range(0, len(idx), batch):
        g, _ = batch_tensors(data, idx[s:s + batch])
        out.append(model(to_input(g)))
    return torch.cat(out) if out else torch.empty(0, 1, dataset.INPUT_H, dataset.INPUT_W)


@torch.no_grad()
def val_dice(model, data, idx):
    p = predict(model, data, idx)
    t = torch.from_numpy(data.mask[idx][:, None]).bool()
    d, _, _ = ratios(*confusion(p >= 0.5, t))
    return d.mean().item()


def mean_sd(x):
    x = np.asarray(x, dtype=np.float64)
    return {"mean": float(x.mean()), "sd": float(x.std(ddof=1)) if len(x) > 1 else 0.0, "n": int(len(x))}


@torch.no_grad()
def evaluate(model, data, idx, threshold=0.5):
    """Test metrics per image at two resolutions: the model's 240x256 grid against
    the area-resized mask, and the original mask size (probabilities upsampled
    bilinearly) against the original mask; for an image cropped to its field
    (--fields), the field's probabilities against the mask there. Grouped per
    muscle x group and overall."""
    rows = []
    for s in range(0, len(idx), 16):
        bi = idx[s:s + 16]
        p = predict(model, data, bi)
        t = torch.from_numpy(data.mask[bi][:, None]).bool()
        d, pr, rc = ratios(*confusion(p >= threshold, t))
        for k, i in enumerate(bi):
            it = data.items[i]
            full = torch.from_numpy(dataset.full_res_mask(it))[None, None]
            if it.rel in data.fields:  # the field as the Go core crops it; nothing is marked outside
                (x0, y0, x1, y1), (sh, sw, c) = dataset.letterbox_place(data.fields[it.rel], full.shape[-2:])
                pf = torch.zeros(full.shape)
                pf[..., y0:y1, x0:x1] = F.interpolate(p[k:k + 1, :, :sh, c:c + sw], size=(y1 - y0, x1 - x0),
                                                      mode="bilinear", align_corners=False)
            else:
                pf = F.interpolate(p[k:k + 1], size=full.shape[-2:], mode="bilinear", align_corners=False)
            df, pf_, rf = ratios(*confusion(pf >= threshold, full))
            rows.append({"file": it.rel, "muscle": it.muscle, "group": it.group, "subject": it.subject,
                         "dice": d[k].item(), "precision": pr[k].item(), "recall": rc[k].item(),
                         "dice_full": df[0].item(), "precision_full": pf_[0].item(), "recall_full": rf[0].item()})
    groups = {"all": rows}
    for r in rows:
        groups.setdefault(f"{r['muscle']}/{r['group']}", []).append(r)
    summary = {}
    for name, rs in sorted(groups.items()):
        summary[name] = {k: mean_sd([r[k] for r in rs]) for k in
                         ("dice", "precision", "recall", "dice_full", "precision_full", "recall_full")}
    return summary, rows


def main(argv=None):
    a = parse_args(argv)
    global NORM
    NORM = a.norm
    os.makedirs(a.out, exist_ok=True)
    logf = open(os.path.join(a.out, "log.txt"), "a")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    torch.set_num_threads(a.threads)
    seed_all(a.seed)
    log(f"args {vars(a)}")
    t0 = time.time()
    fields = dataset.read_fields(a.fields) if a.fields else None
    data = dataset.load(a.data, split_file=a.split_file, limit=a.limit, log=log, fields=fields)
    log(f"loaded in {time.time() - t0:.1f}s: {json.dumps(data.summary())}; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    with open(os.path.join(a.out, "split.csv"), "w") as f:
        f.write("id,split\n")
        for subj, sp in sorted({(it.subject, s) for it, s in zip(data.items, data.split)}):
            f.write(f"{subj},{sp}\n")
    tr, va, te = (data.indices(s) for s in dataset.SPLITS)
    if a.val_images and len(va) > a.val_images:
        va = va[np.linspace(0, len(va) - 1, a.val_images).round().astype(int)]
    if len(tr) == 0 or len(va) == 0:
        raise SystemExit(f"train: {a.data}: empty train ({len(tr)}) or validation ({len(va)}) split")

    model = unet.build(a.config)
    if a.init and a.init.endswith(".onnx"):
        # An exported model (e.g. the shipped default, or one adapted in the
        # page): its own config and input normalisation win.
        model, cfg, meta = unet.from_onnx(a.init)
        norm = meta.get("myoseg.norm", "fixed")
        if (cfg, norm) != (a.config, a.norm):
            log(f"--init {a.init}: using its config {cfg} and norm {norm}")
        a.config, a.norm = cfg, norm
        NORM = a.norm
        log(f"initialised from {a.init} ({meta.get('myoseg.name', '?')}; BatchNorm frozen)")
    elif a.init:
        ck0 = torch.load(a.init)
        if ck0.get("config") != a.config or ck0.get("norm_mode", "fixed") != a.norm:
            raise SystemExit(f"train: --init {a.init}: config {ck0.get('config')} norm {ck0.get('norm_mode', 'fixed')}, "
                             f"want {a.config} {a.norm}")
        model.load_state_dict(ck0["state_dict"])
        log(f"initialised from {a.init} (epoch {ck0.get('epoch')}, val Dice {ck0.get('val_dice')})")
    params, macs = unet.count_params(model), unet.count_macs(model)
    log(f"model {a.config} channels={model.channels} params={params} MACs={macs}")
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    aug = None if a.no_augment else dataset.Augmenter(a.seed + 1000, scanner=a.scanner_augment)
    order_rng = np.random.default_rng(a.seed)
    queue = np.empty(0, dtype=np.int64)

    budget = a.minutes * 60
    warmup = max(a.warmup, 1)  # steps of linear LR warm-up
    best, best_epoch, since_best, history = -1.0, 0, 0, []
    ckpt_path = os.path.join(a.out, "best.pt")
    epoch, step = 0, 0

    def save_best(epoch, vd):
        torch.save({"state_dict": model.state_dict(), "config": a.config, "channels": model.channels,
                    "epoch": epoch, "val_dice": vd, "args": vars(a), "params": params, "macs": macs,
                    "data": data.summary(), "input": [dataset.INPUT_H, dataset.INPUT_W],
                    "norm": [dataset.NORM_MEAN, dataset.NORM_STD], "norm_mode": a.norm}, ckpt_path)

    init_val = None
    if a.score_init:
        # Few-shot fine-tuning (finetune.py): the model to beat is the one
        # we started from, as in core/nn/train's Adapt.
        if not a.init:
            raise SystemExit("train: --score-init needs --init")
        init_val = val_dice(model, data, va)
        best = init_val
        save_best(0, init_val)
        history.append({"epoch": 0, "steps": 0, "lr": 0.0, "loss": None, "val_dice": init_val,
                        "seconds": 0.0, "elapsed": 0.0, "partial": False})
        log(f"epoch 0 (the --init model) val_dice {init_val:.4f}")
    t_train = time.time()
    stop_reason = f"{a.epochs} epochs"
    while epoch < a.epochs:
        epoch += 1
        te0 = time.time()
        model.train()
        # Walk a shuffled train split in slices of --epoch-images; reshuffle when used up.
        n_ep = len(tr) if a.epoch_images <= 0 else min(a.epoch_images, len(tr))
        while len(queue) < n_ep:
            queue = np.concatenate([queue, order_rng.permutation(tr)])
        perm, queue = queue[:n_ep], queue[n_ep:]
        nb = max(len(perm) // a.batch, 1)
        tot, timed_out = 0.0, False
        for b in range(nb):
            # Cosine decay over whichever runs out first, epochs or wall-clock budget: the
            # schedule always ends near zero LR even when other jobs slow this machine down.
            progress = min(1.0, max((epoch - 1 + b / nb) / a.epochs, (time.time() - t_train) / budget))
            lr = a.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))) * min(1.0, (step + 1) / warmup)
            for gp in opt.param_groups:
                gp["lr"] = lr
            g, m = batch_tensors(data, perm[b * a.batch:(b + 1) * a.batch])
            if aug is not None:
                g, m = aug(g, m)
            loss = loss_fn(model.logits(to_input(g)), m)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += loss.item()
            step += 1
            if time.time() - t_train > budget:
                timed_out = True
                break
        vd = val_dice(model, data, va)
        dt = time.time() - te0
        history.append({"epoch": epoch, "steps": step, "lr": lr, "loss": tot / (b + 1), "val_dice": vd,
                        "seconds": dt, "elapsed": time.time() - t_train, "partial": timed_out})
        improved = vd > best
        if improved:
            best, best_epoch, since_best = vd, epoch, 0
            save_best(epoch, vd)
        else:
            since_best += 1
        log(f"epoch {epoch} step {step} lr {lr:.2e} loss {tot / (b + 1):.4f} val_dice {vd:.4f}"
            f"{' *' if improved else ''} {dt:.0f}s, {(time.time() - t_train) / 60:.1f}/{a.minutes:g} min"
            f"{' (budget reached mid-epoch)' if timed_out else ''}")
        if timed_out or time.time() - t_train >= budget:
            stop_reason = "time budget"
            break
        if since_best >= a.patience:
            stop_reason = f"early stop (no better val Dice for {a.patience} epochs)"
            break
    train_s = time.time() - t_train
    log(f"training stopped after {epoch} epochs, {train_s / 60:.1f} min: {stop_reason}; best val Dice {best:.4f} at epoch {best_epoch}")

    ck = torch.load(ckpt_path)
    model.load_state_dict(ck["state_dict"])
    summary, rows = evaluate(model, data, te) if len(te) else ({}, [])
    for name, s in summary.items():
        log(f"test {name:22s} n={s['dice']['n']:4d} dice {s['dice']['mean']:.4f}±{s['dice']['sd']:.4f} "
            f"precision {s['precision']['mean']:.4f}±{s['precision']['sd']:.4f} "
            f"recall {s['recall']['mean']:.4f}±{s['recall']['sd']:.4f} | full-res dice {s['dice_full']['mean']:.4f}")
    metrics = {"data_dir": os.path.abspath(a.data), "data": data.summary(), "config": a.config,
               "channels": list(model.channels), "params": params, "macs": macs,
               "epochs_run": epoch, "best_epoch": best_epoch, "best_val_dice": best, "stop_reason": stop_reason,
               **({"init_val_dice": init_val} if a.score_init else {}),
               "train_seconds": train_s, "threads": a.threads, "machine": f"{platform.machine()} {os.cpu_count()} cpus",
               "torch": torch.__version__, "args": vars(a), "history": history, "test": summary, "test_images": rows}
    with open(os.path.join(a.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
    ck["train_seconds"] = train_s
    ck["epochs_run"] = epoch
    ck["test"] = summary
    torch.save(ck, ckpt_path)
    log(f"wrote {ckpt_path} and {os.path.join(a.out, 'metrics.json')}")
    logf.close()


if __name__ == "__main__":
    main()
