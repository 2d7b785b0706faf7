"""Leave-one-subject-out fine-tuning on phantoms + the other subjects' real outlines
(issue 11, part 4; exploratory).

    /usr/bin/python3 models/train/loso.py CKPT PHANTOMS REAL OUT MINUTES

CKPT: the phantom-trained best.pt; PHANTOMS: its training folder (every 4th image,
at most 800, is used; 1 in 8 of those for validation); REAL: the real outlines in
the seed layout, each image already letterboxed into 512x480 the way the Go pipeline
feeds the model (field crop by core/imaging/field, then modelio.Prepare's fit,
top-aligned and centred), with its mask. For each subject (file name before "_"),
fine-tunes CKPT for MINUTES on the phantoms plus 15 copies of every other subject's
images (--init, lr 5e-4, --norm image) and scores the held-out subject's images on
the 240x256 grid (threshold 0.5, no post-processing). Writes OUT/loso.json.
"""
import os, sys, json, subprocess, glob, shutil
ckpt, ph, real, out, minutes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
reals = sorted(glob.glob(os.path.join(real, "*", "*", "Images", "*.png")))
subj = lambda f: os.path.basename(f).split("_")[0]
subjects = sorted({subj(f) for f in reals})
phs = sorted(glob.glob(os.path.join(ph, "*", "*", "Images", "*.png")))[::4][:800]
res = {}
for s in subjects:
    d = os.path.join(out, s, "data")
    shutil.rmtree(os.path.join(out, s), ignore_errors=True)
    rows = []
    def link(src, muscle, name, split):
        for sub in ("Images", "Masks"):
            dd = os.path.join(d, muscle, "Healthy", sub)
            os.makedirs(dd, exist_ok=True)
            os.symlink(src.replace("/Images/", f"/{sub}/"), os.path.join(dd, name))
        rows.append((f"{muscle}/Healthy/Images/{name}", split))
    for i, f in enumerate(phs):
        m = f.split(os.sep)[-4]
        link(f, m, f"P{i:04d}_{os.path.basename(f)}", "val" if i % 8 == 0 else "train")
    for f in reals:
        m = f.split(os.sep)[-4]
        if subj(f) == s:
            link(f, m, os.path.basename(f), "test")
        else:
            for c in range(15):
                link(f, m, f"R{c}x{os.path.basename(f)}", "train")
    with open(os.path.join(out, s, "split.csv"), "w") as fh:
        fh.write("id,split\n")
        for r, sp in rows:
            fh.write(f"{r},{sp}\n")
    cmd = ["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)), "train.py"), "--data", d, "--out", os.path.join(out, s, "run"),
           "--minutes", minutes, "--norm", "image", "--init", ckpt, "--lr", "5e-4", "--epoch-images", "200",
           "--split-file", os.path.join(out, s, "split.csv"), "--patience", "100"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    mj = json.load(open(os.path.join(out, s, "run", "metrics.json")))
    res[s] = [r["dice"] for r in mj["test_images"]]
    print(s, res[s], flush=True)
json.dump(res, open(os.path.join(out, "loso.json"), "w"), indent=1)
allv = [v for vs in res.values() for v in vs]
print("LOSO model-grid Dice mean", sum(allv) / len(allv), "n", len(allv))
