"""Leave-one-subject-out fine-tuning on phantoms + the other subjects' real outlines
(issue 11, part 4; exploratory).

    /usr/bin/python3 models/train/loso.py INIT PHANTOMS PHANTOM_FIELDS REAL OUT MINUTES [MYOSEG]

INIT: the model to start from (an exported .onnx or a best.pt); PHANTOMS: its
training folder, PHANTOM_FIELDS the CSV rel,x,y,w,h of their ultrasound fields
(or "none": whole images); every 4th phantom, at most 800, is used, 1 in 8 of
those for validation. REAL: the real outlines in the seed layout
(models/validation/real-outlines). Their fields are found by the Go core
(`MYOSEG segment --csv`, default: go build of this repository), so every image
reaches the model cropped and letterboxed as the Go pipeline feeds it. For
each subject (file name before "_"), fine-tunes INIT for MINUTES on the
phantoms plus 15 copies of every other subject's images (lr 5e-4, --norm
image) and scores the held-out subject's images on the 240x256 grid
(threshold 0.5, no post-processing). Writes OUT/loso.json.
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataset  # noqa: E402
import finetune  # noqa: E402


def main(argv):
    if len(argv) not in (6, 7):
        raise SystemExit(__doc__)
    init, ph, ph_fields, real, out, minutes = argv[:6]
    exe = argv[6] if len(argv) == 7 else None
    os.makedirs(out, exist_ok=True)
    reals, _ = dataset.find_items(real)
    if not reals:
        raise SystemExit(f"loso: {real}: no <muscle>/<group>/Images/* with a mask")
    real_fields = finetune.go_fields(reals, exe, out)
    pf = {} if ph_fields == "none" else dataset.read_fields(ph_fields)
    phs, _ = dataset.find_items(ph)
    phs = phs[::4][:800]
    subjects = sorted({it.subject for it in reals})
    res = {}
    for s in subjects:
        d = os.path.join(out, s, "data")
        shutil.rmtree(os.path.join(out, s), ignore_errors=True)
        rows, fields = [], []

        def link(it, name, split, field):
            # The linked name keeps .png for the reader; the content decides the format.
            for sub, src in (("Images", it.image), ("Masks", it.mask)):
                dd = os.path.join(d, it.muscle, "Healthy", sub)
                os.makedirs(dd, exist_ok=True)
                os.symlink(os.path.abspath(src), os.path.join(dd, name))
            rel = f"{it.muscle}/Healthy/Images/{name}"
            rows.append((rel, split))
            if field:
                fields.append((rel,) + tuple(field))

        for i, it in enumerate(phs):
            link(it, f"P{i:04d}_{os.path.basename(it.image)}", "val" if i % 8 == 0 else "train", pf.get(it.rel))
        for it in reals:
            stem = os.path.splitext(os.path.basename(it.image))[0] + ".png"
            if it.subject == s:
                link(it, stem, "test", real_fields[it.rel])
            else:
                for c in range(15):
                    link(it, f"R{c}x{stem}", "train", real_fields[it.rel])
        with open(os.path.join(out, s, "split.csv"), "w") as fh:
            fh.write("id,split\n")
            fh.writelines(f"{r},{sp}\n" for r, sp in rows)
        with open(os.path.join(out, s, "fields.csv"), "w") as fh:
            fh.write("rel,x,y,w,h\n")
            fh.writelines(",".join(map(str, f)) + "\n" for f in fields)
        cmd = ["/usr/bin/python3", os.path.join(HERE, "train.py"), "--data", d, "--out", os.path.join(out, s, "run"),
               "--minutes", minutes, "--norm", "image", "--init", init, "--lr", "5e-4", "--epoch-images", "200",
               "--split-file", os.path.join(out, s, "split.csv"), "--fields", os.path.join(out, s, "fields.csv"),
               "--patience", "100"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        mj = json.load(open(os.path.join(out, s, "run", "metrics.json")))
        res[s] = [r["dice"] for r in mj["test_images"]]
        print(s, [round(v, 3) for v in res[s]], flush=True)
    json.dump(res, open(os.path.join(out, "loso.json"), "w"), indent=1)
    allv = [v for vs in res.values() for v in vs]
    print("LOSO model-grid Dice mean", round(sum(allv) / len(allv), 4), "n", len(allv))


if __name__ == "__main__":
    main(sys.argv[1:])
