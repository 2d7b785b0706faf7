"""Read a folder in the seed-dataset layout into memory, split it by subject, and
augment training batches.

Layout (docs/architecture.md, "The seed-dataset layout"):
    DIR/{BB,GM,TA}/{Healthy,Pathological}/Images/*.png
    DIR/{BB,GM,TA}/{Healthy,Pathological}/Masks/*.png      same name, non-zero = muscle
    DIR/{BB,GM,TA}/{Healthy,Pathological}/characteristics.{csv,xlsx}   optional
Any folder holding an Images/ and a Masks/ folder side by side is read; the muscle
and group are the first two path parts under DIR when present ("" otherwise).

Subject ID = the image file name up to the first "_"; a name without "_" is its
own subject. IDs are global across muscles and groups (the same ID in BB and TA
is the same person), so no subject ever straddles two splits.
"""
import csv
import hashlib
import os
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

INPUT_H, INPUT_W = 240, 256
NORM_MEAN, NORM_STD = 0.5, 0.25
IMAGE_EXTS = (".png", ".bmp", ".tif", ".tiff", ".jpg", ".jpeg")
SPLITS = ("train", "val", "test")


def subject_of(filename):
    stem = os.path.splitext(os.path.basename(filename))[0]
    return stem.split("_", 1)[0] if "_" in stem else stem


def hash_split(subject, train=80, val=10):
    """Deterministic split from the subject ID alone (sha256, not Python's hash,
    which is salted per process): same ID -> same split on every machine."""
    h = int.from_bytes(hashlib.sha256(subject.encode("utf-8")).digest()[:8], "big") % 100
    if h < train:
        return "train"
    if h < train + val:
        return "val"
    return "test"


def area_resize(grey, h=INPUT_H, w=INPUT_W):
    """Area (box) resize of a float array. Exact 2x2 mean for 480x512 -> 240x256;
    other sizes use PIL's BOX filter on float32 (area weights, no rounding)."""
    H, W = grey.shape
    if H % h == 0 and W % w == 0:
        fy, fx = H // h, W // w
        return grey.reshape(h, fy, w, fx).mean(axis=(1, 3), dtype=np.float64).astype(np.float32)
    im = Image.fromarray(grey.astype(np.float32), mode="F")
    return np.asarray(im.resize((w, h), Image.BOX), dtype=np.float32)


def go_round(x):
    """Go's math.Round for x >= 0 (half away from zero)."""
    return int(np.floor(x + 0.5))


def letterbox(a, field, h=INPUT_H, w=INPUT_W):
    """The Go core's model input geometry (core/imaging/modelio.Prepare): crop
    the ultrasound field (x, y, width, height), area-resize it to fit h x w
    keeping its aspect ratio, top-aligned and centred across, zero elsewhere
    (black, like outside a scan). a: float array of the whole image."""
    (x0, y0, x1, y1), (sh, sw, c) = letterbox_place(field, a.shape, h, w)
    out = np.zeros((h, w), np.float32)
    out[:sh, c:c + sw] = area_resize(a[y0:y1, x0:x1].astype(np.float32), sh, sw)
    return out


def letterbox_place(field, shape, h=INPUT_H, w=INPUT_W):
    """Where letterbox puts a field: ((x0, y0, x1, y1) the crop in the image of
    the given (H, W) shape, (sh, sw, c) its size on the model grid and its
    first column there)."""
    x, y, fw, fh = field
    H, W = shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + fw, W), min(y + fh, H)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"field {field} is outside the {W}x{H} image")
    s = min(h / (y1 - y0), w / (x1 - x0))
    sh = min(h, max(1, go_round((y1 - y0) * s)))
    sw = min(w, max(1, go_round((x1 - x0) * s)))
    return (x0, y0, x1, y1), (sh, sw, (w - sw) // 2)


def read_fields(path):
    """CSV rel,x,y,w,h (image path relative to DIR, its ultrasound field in
    pixels) as {rel: (x, y, w, h)}; finetune.py writes it from the Go core."""
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.reader(f)):
            if not row or row[0].startswith("#") or (i == 0 and row[0] == "rel"):
                continue
            try:
                out[row[0]] = tuple(int(v) for v in row[1:5])
            except ValueError:
                raise ValueError(f"fields: {path}: line {i + 1}: want rel,x,y,w,h, got {row}")
            if len(out[row[0]]) != 4:
                raise ValueError(f"fields: {path}: line {i + 1}: want rel,x,y,w,h, got {row}")
    return out


def load_grey(path):
    """8-bit grey plane as the Go core defines it: grey as is, colour by BT.601
    luma, 16-bit by the high byte."""
    with Image.open(path) as im:
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            a = np.asarray(im, dtype=np.uint32) >> 8
            return a.astype(np.uint8)
        if im.mode == "L":
            return np.asarray(im, dtype=np.uint8).copy()
        rgb = np.asarray(im.convert("RGB"), dtype=np.float64)
        y = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
        return np.clip(np.rint(y), 0, 255).astype(np.uint8)


NORM_MODES = ("fixed", "image")


def normalise(grey, mode="fixed"):
    """Model input from grey values 0..255 (float). fixed: (grey/255 - mean)/std with
    the constants above; image: standardised per image, (grey/255 - m)/s with m and s
    the mean and SD of grey/255 over the whole input grid (metadata myoseg.norm =
    image; Go's modelio.Prepare does the same, letterbox included)."""
    if mode == "image":
        g = grey / 255.0
        m, s = float(g.mean(dtype=np.float64)), float(g.std(dtype=np.float64))
        return (g - m) / (s if s >= 1e-3 else 1.0)
    return (grey / 255.0 - NORM_MEAN) / NORM_STD


def read_characteristics(folder):
    """IDs from characteristics.csv or .xlsx in folder (empty set when absent).
    Only used to report images whose subject is not listed."""
    p = os.path.join(folder, "characteristics.csv")
    if os.path.exists(p):
        with open(p, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
        if not rows:
            return set()
        head = [c.strip().lower() for c in rows[0]]
        col = head.index("id") if "id" in head else 0
        return {r[col].strip() for r in rows[1:] if len(r) > col and r[col].strip()}
    p = os.path.join(folder, "characteristics.xlsx")
    if os.path.exists(p):
        try:
            return _xlsx_first_column(p)
        except (KeyError, zipfile.BadZipFile, ElementTree.ParseError) as e:
            raise ValueError(f"characteristics: {p}: {e}") from e
    return set()


def _xlsx_first_column(path):
    """Values of the 'ID' column (or column A) of the first sheet, without openpyxl."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
            for si in root.findall("m:si", ns):
                shared.append("".join(t.text or "" for t in si.iter("{%s}t" % ns["m"])))
        sheets = sorted(n for n in z.namelist() if re.match(r"xl/worksheets/sheet\d+\.xml$", n))
        root = ElementTree.fromstring(z.read(sheets[0]))
    rows = []
    for row in root.iter("{%s}row" % ns["m"]):
        cells = {}
        for c in row.findall("m:c", ns):
            col = re.match(r"[A-Z]+", c.get("r", "A")).group(0)
            v = c.find("m:v", ns)
            if v is None:
                t = c.find("m:is/m:t", ns)
                val = t.text if t is not None else ""
            elif c.get("t") == "s":
                val = shared[int(v.text)]
            else:
                val = v.text or ""
                if re.fullmatch(r"-?\d+\.0", val):
                    val = val[:-2]
            cells[col] = val.strip()
        rows.append(cells)
    if not rows:
        return set()
    idcol = next((k for k, v in rows[0].items() if v.lower() == "id"), "A")
    return {r[idcol] for r in rows[1:] if r.get(idcol)}


@dataclass
class Item:
    image: str  # path
    mask: str
    rel: str  # image path relative to DIR
    muscle: str
    group: str
    subject: str


def find_items(root):
    """Every (image, mask) pair under root, sorted by relative path. A mask
    matches its image as the Go core's dataset reader has it
    (core/study/dataset matchMask): same file name, else the same stem with
    .png, case-insensitively (Images/X.tif with Masks/X.png)."""
    items, unmatched = [], []
    for dirpath, dirnames, _ in os.walk(root):
        dirnames.sort()
        if os.path.basename(dirpath) != "Images":
            continue
        parent = os.path.dirname(dirpath)
        mdir = os.path.join(parent, "Masks")
        if not os.path.isdir(mdir):
            continue
        relparent = os.path.relpath(parent, root)
        parts = [] if relparent == "." else relparent.split(os.sep)
        muscle = parts[0] if len(parts) >= 1 else ""
        group = parts[1] if len(parts) >= 2 else ""
        masks = {m.lower(): m for m in os.listdir(mdir)}
        for fn in sorted(os.listdir(dirpath)):
            if not fn.lower().endswith(IMAGE_EXTS):
                continue
            m = masks.get(fn.lower()) or masks.get(os.path.splitext(fn)[0].lower() + ".png")
            if m is None:
                unmatched.append(os.path.join(dirpath, fn))
                continue
            mp = os.path.join(mdir, m)
            items.append(Item(os.path.join(dirpath, fn), mp,
                              os.path.relpath(os.path.join(dirpath, fn), root),
                              muscle, group, subject_of(fn)))
    return items, unmatched


def read_split_file(path):
    """CSV with columns id,split (split in train/val/test). id is a subject ID or an
    image path relative to DIR (per-image override)."""
    out = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        for i, row in enumerate(csv.reader(f)):
            if not row or row[0].startswith("#"):
                continue
            if i == 0 and row[0].strip().lower() in ("id", "subject", "file"):
                continue
            if len(row) < 2 or row[1].strip() not in SPLITS:
                raise ValueError(f"split file: {path}: line {i + 1}: want 'id,split' with split in {SPLITS}, got {row}")
            out[row[0].strip()] = row[1].strip()
    return out


@dataclass
class Data:
    items: list
    grey: np.ndarray  # N x H x W float32, area-resized grey 0..255
    mask: np.ndarray  # N x H x W uint8 0/1
    split: np.ndarray  # N, strings
    notes: list = field(default_factory=list)
    fields: dict = field(default_factory=dict)  # rel -> (x, y, w, h) of letterboxed images

    def indices(self, name):
        return np.nonzero(self.split == name)[0]

    def summary(self):
        s = {"images": len(self.items), "subjects": len({it.subject for it in self.items})}
        for name in SPLITS:
            idx = self.indices(name)
            s[name] = {"images": int(len(idx)),
                       "subjects": len({self.items[i].subject for i in idx})}
        return s


def load(root, split_file=None, limit=None, log=print, fields=None):
    """fields: {rel: (x, y, w, h)} from read_fields; an image listed there is
    cropped to its field and letterboxed as the Go core does (letterbox), the
    others are area-resized whole."""
    if not os.path.isdir(root):
        raise FileNotFoundError(f"dataset: {root}: not a folder")
    items, unmatched = find_items(root)
    notes = []
    if unmatched:
        notes.append(f"{len(unmatched)} images without a mask skipped, e.g. {unmatched[0]}")
    if not items:
        raise ValueError(f"dataset: {root}: no Images/*.png with a matching Masks/*.png")
    if limit:
        items = items[:limit]
    # Characteristics: report, never drop, images whose subject is not listed.
    for folder in sorted({os.path.dirname(os.path.dirname(it.image)) for it in items}):
        ids = read_characteristics(folder)
        if ids:
            missing = {it.subject for it in items
                       if os.path.dirname(os.path.dirname(it.image)) == folder and it.subject not in ids}
            if missing:
                notes.append(f"{folder}: {len(missing)} subjects not in characteristics, e.g. {sorted(missing)[0]}")
    assign = read_split_file(split_file) if split_file else {}
    split = np.array([assign.get(it.rel, assign.get(it.subject, hash_split(it.subject)))
                      for it in items])
    n = len(items)
    grey = np.empty((n, INPUT_H, INPUT_W), np.float32)
    mask = np.empty((n, INPUT_H, INPUT_W), np.uint8)
    for i, it in enumerate(items):
        g = load_grey(it.image)
        m = load_grey(it.mask)
        if g.shape != m.shape:
            raise ValueError(f"dataset: {it.rel}: image {g.shape} and mask {m.shape} differ in size")
        fit = area_resize
        if fields and it.rel in fields:
            def fit(a, f=fields[it.rel]):
                return letterbox(a, f)
        grey[i] = fit(g.astype(np.float32))
        # Mask: area fraction of muscle, muscle where at least half the area is.
        mask[i] = fit((m > 0).astype(np.float32)) >= 0.5
        if log and (i + 1) % 500 == 0:
            log(f"loaded {i + 1}/{n}")
    for nt in notes:
        log and log("note: " + nt)
    return Data(items, grey, mask, split, notes, fields or {})


def full_res_mask(item):
    return load_grey(item.mask) > 0


class Augmenter:
    """Batch augmentation on torch tensors, drawn from its own seeded generator.

    grey: B x 1 x H x W in 0..1, mask: B x 1 x H x W in {0,1}. Geometry (flip,
    shift/scale/rotate) is applied identically to both; intensity (gain, gamma,
    multiplicative and additive noise) to the image only.
    """

    def __init__(self, seed, rot_deg=10.0, scale=0.1, shift=0.08, gain=0.25, gamma=0.25,
                 mul_noise=0.10, add_noise=0.03, scanner=False):
        self.g = torch.Generator().manual_seed(seed)
        self.rot, self.scale, self.shift = rot_deg, scale, shift
        self.gain, self.gamma, self.mul, self.add = gain, gamma, mul_noise, add_noise
        # scanner: also vary what differs most between scanners and presets
        # and what per-image normalisation does not remove: brightness with
        # depth (time-gain compensation), speckle size (a blur) and a wider
        # grey map. Off by default so that earlier runs reproduce.
        self.scanner = scanner

    def _u(self, b, lo, hi):
        return lo + (hi - lo) * torch.rand(b, generator=self.g)

    def __call__(self, grey, mask):
        b, _, h, w = grey.shape
        # Geometry: an affine per sample (half of them identity), flip half.
        flip = torch.where(torch.rand(b, generator=self.g) < 0.5, -1.0, 1.0)
        doaff = (torch.rand(b, generator=self.g) < 0.7).float()
        ang = self._u(b, -self.rot, self.rot) * np.pi / 180 * doaff
        sc = 1 + self._u(b, -self.scale, self.scale) * doaff
        tx = self._u(b, -self.shift, self.shift) * 2 * doaff
        ty = self._u(b, -self.shift, self.shift) * 2 * doaff
        cos, sin = torch.cos(ang) / sc, torch.sin(ang) / sc
        # Rotation in pixel space: the grid is normalised to [-1,1] on both axes
        # and the image is not square, so scale the off-diagonal terms by the aspect.
        ar = w / h
        theta = torch.zeros(b, 2, 3)
        theta[:, 0, 0] = cos * flip
        theta[:, 0, 1] = -sin / ar
        theta[:, 1, 0] = sin * ar * flip
        theta[:, 1, 1] = cos
        theta[:, 0, 2] = tx
        theta[:, 1, 2] = ty
        grid = F.affine_grid(theta, (b, 1, h, w), align_corners=False)
        grey = F.grid_sample(grey, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        mask = (F.grid_sample(mask, grid, mode="bilinear", padding_mode="zeros",
                              align_corners=False) >= 0.5).float()
        # Intensity: gain and gamma on 0..1, then speckle-like multiplicative and
        # additive Gaussian noise, each on half of the batch.
        gain = torch.exp(self._u(b, -self.gain, self.gain)).view(b, 1, 1, 1)
        gamma = torch.exp(self._u(b, -self.gamma, self.gamma)).view(b, 1, 1, 1)
        grey = (grey.clamp(0, 1) ** gamma) * gain
        if self.scanner:
            grey = self._scanner(grey)
        mul = (self._u(b, 0, self.mul) * (torch.rand(b, generator=self.g) < 0.5)).view(b, 1, 1, 1)
        add = (self._u(b, 0, self.add) * (torch.rand(b, generator=self.g) < 0.5)).view(b, 1, 1, 1)
        grey = grey * (1 + mul * torch.randn(grey.shape, generator=self.g)) \
            + add * torch.randn(grey.shape, generator=self.g)
        return grey.clamp(0, 1), mask

    def _scanner(self, grey):
        b, _, h, _ = grey.shape
        # Depth: grey x e^(-a * depth/height), a in [-1, 2], on half the batch.
        a = self._u(b, -1.0, 2.0) * (torch.rand(b, generator=self.g) < 0.5)
        depth = torch.linspace(0, 1, h).view(1, 1, h, 1)
        grey = grey * torch.exp(-a.view(b, 1, 1, 1) * depth)
        # Speckle size: a box blur of radius 1-3 on a third of the batch.
        out = []
        for i in range(b):
            gi = grey[i:i + 1]
            if torch.rand(1, generator=self.g).item() < 1 / 3:
                r = int(torch.randint(1, 4, (1,), generator=self.g).item())
                gi = F.avg_pool2d(gi, 2 * r + 1, stride=1, padding=r, count_include_pad=False)
            out.append(gi)
        grey = torch.cat(out, dim=0)
        # A wider grey map on top of the base gamma: x e^(+-0.3) on half.
        g2 = torch.exp(self._u(b, -0.3, 0.3) * (torch.rand(b, generator=self.g) < 0.5)).view(b, 1, 1, 1)
        return grey.clamp(0, 1) ** g2
