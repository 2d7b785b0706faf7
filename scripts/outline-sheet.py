"""A contact sheet of the validation outlines (green) beside a model's masks
(red), to look at, not to score (`myoseg eval` scores).

    go run . segment --model M.onnx --out SEG models/validation/real-outlines/*/*/Images/*
    /usr/bin/python3 scripts/outline-sheet.py models/validation/real-outlines SEG OUT.jpg
"""
import glob
import os
import sys

import numpy as np
from PIL import Image, ImageFilter


def rim(mask, px=7):
    m = Image.fromarray((mask * 255).astype("uint8"))
    return (np.array(m.filter(ImageFilter.MaxFilter(px))) > 0) & ~(np.array(m.filter(ImageFilter.MinFilter(px))) > 0)


def main(outlines, seg, out, tile_w=373, cols=3):
    tiles = []
    for img_path in sorted(glob.glob(os.path.join(outlines, "*", "*", "Images", "*"))):
        stem = os.path.splitext(os.path.basename(img_path))[0]
        grey = np.array(Image.open(img_path).convert("L"))
        truth = np.array(Image.open(os.path.join(os.path.dirname(os.path.dirname(img_path)), "Masks", stem + ".png")).convert("L")) > 0
        auto_path = os.path.join(seg, stem + ".mask.png")
        if not os.path.exists(auto_path):
            raise SystemExit(f"outline-sheet: {auto_path}: no mask (run segment --out {seg} first)")
        auto = np.array(Image.open(auto_path).convert("L")) > 0
        rgb = np.stack([grey] * 3, -1)
        rgb[rim(truth)] = (0, 255, 0)
        rgb[rim(auto)] = (255, 0, 0)
        t = Image.fromarray(rgb).resize((tile_w, round(tile_w * grey.shape[0] / grey.shape[1])), Image.BILINEAR)
        tile = Image.new("RGB", (tile_w, round(tile_w * 0.68)))
        tile.paste(t, (0, 0))
        tiles.append(np.array(tile))
    if not tiles:
        raise SystemExit(f"outline-sheet: {outlines}: no images")
    while len(tiles) % cols:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.concatenate(tiles[i:i + cols], 1) for i in range(0, len(tiles), cols)]
    Image.fromarray(np.concatenate(rows, 0)).save(out, quality=80)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
