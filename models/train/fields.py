"""Write the ultrasound field of every image of a seed-layout folder, as the Go
core finds it, for train.py --fields: training then crops and letterboxes each
image exactly as the page and the Go pipeline feed the model.

    /usr/bin/python3 models/train/fields.py DIR OUT.csv [MYOSEG]

MYOSEG: a built myoseg binary (default: go build of this repository). Runs
`myoseg segment --csv` once per folder, so it costs one inference per image
(about 5 minutes for 3000 phantoms on 2 cores).
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataset  # noqa: E402
import finetune  # noqa: E402


def main(argv):
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    root, out = argv[0], argv[1]
    items, unmatched = dataset.find_items(root)
    if not items:
        raise SystemExit(f"fields: {root}: no Images/* with a matching Masks/*")
    with tempfile.TemporaryDirectory() as work:
        try:
            fields = finetune.go_fields(items, argv[2] if len(argv) == 3 else None, work)
        except finetune.Refused as e:
            raise SystemExit(f"fields: {e}")
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("rel,x,y,w,h\n")
        for it in items:
            f.write(",".join([it.rel, *map(str, fields[it.rel])]) + "\n")
    os.replace(tmp, out)
    print(f"fields: {len(items)} images; wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
