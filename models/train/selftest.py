"""Self-checks of the training code (no dataset needed, ~40 s on 2 cores, a tiny fine-tune included):

    /usr/bin/python3 models/train/selftest.py
"""
import io
import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import finetune  # noqa: E402
import heldout  # noqa: E402
import onnxutil  # noqa: E402
import unet  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class TestDataset(unittest.TestCase):
    def test_area_resize_exact_2x2(self):
        g = np.arange(480 * 512, dtype=np.float32).reshape(480, 512) % 251
        r = dataset.area_resize(g)
        self.assertEqual(r.shape, (240, 256))
        self.assertAlmostEqual(float(r[3, 5]), float(g[6:8, 10:12].mean()), places=4)

    def test_area_resize_other_size_keeps_mean(self):
        rng = np.random.default_rng(1)
        g = rng.integers(0, 256, (600, 800)).astype(np.float32)
        r = dataset.area_resize(g)
        self.assertEqual(r.shape, (240, 256))
        self.assertAlmostEqual(float(r.mean()), float(g.mean()), delta=0.5)
        flat = np.full((300, 300), 77, np.float32)
        self.assertTrue(np.allclose(dataset.area_resize(flat), 77, atol=1e-3))

    def test_subject_and_split(self):
        cases = [("S00012_3.png", "S00012"), ("a_b_c.png", "a"), ("single.png", "single")]
        for name, want in cases:
            self.assertEqual(dataset.subject_of(name), want)
        ids = [f"S{i:05d}" for i in range(5000)]
        splits = [dataset.hash_split(s) for s in ids]
        self.assertEqual(splits, [dataset.hash_split(s) for s in ids])  # deterministic
        frac = {k: splits.count(k) / len(ids) for k in dataset.SPLITS}
        self.assertAlmostEqual(frac["train"], 0.8, delta=0.02)
        self.assertAlmostEqual(frac["val"], 0.1, delta=0.02)
        self.assertAlmostEqual(frac["test"], 0.1, delta=0.02)

    def test_load_layout_split_by_subject(self):
        rng = np.random.default_rng(2)
        with tempfile.TemporaryDirectory() as d:
            for mus in ("BB", "TA"):
                for grp in ("Healthy", "Pathological"):
                    for sub in ("Images", "Masks"):
                        os.makedirs(os.path.join(d, mus, grp, sub))
                    for s in range(6):
                        for k in (1, 2):
                            img = rng.integers(0, 256, (480, 512), dtype=np.uint8)
                            msk = np.zeros((480, 512), np.uint8)
                            msk[100:300, 50:400] = 1  # any non-zero value is muscle
                            name = f"{mus}{grp[0]}{s}_{k}.png"
                            Image.fromarray(img).save(os.path.join(d, mus, grp, "Images", name))
                            Image.fromarray(msk).save(os.path.join(d, mus, grp, "Masks", name))
            Image.fromarray(np.zeros((480, 512), np.uint8)).save(os.path.join(d, "BB", "Healthy", "Images", "orphan_1.png"))
            with open(os.path.join(d, "split.csv"), "w") as f:
                f.write("id,split\nBBH0,test\nTA/Pathological/Images/TAP1_2.png,val\n")
            data = dataset.load(d, split_file=os.path.join(d, "split.csv"), log=None)
        self.assertEqual(len(data.items), 48)
        self.assertEqual(len(data.notes), 1)  # the orphan image without a mask
        self.assertEqual(data.mask[0, 50:150, 25:200].min(), 1)
        self.assertEqual(data.mask[0, :50].max(), 0)
        by_subject = {}
        for it, sp in zip(data.items, data.split):
            if it.rel != "TA/Pathological/Images/TAP1_2.png":
                by_subject.setdefault(it.subject, set()).add(sp)
        self.assertTrue(all(len(v) == 1 for v in by_subject.values()))
        self.assertEqual(by_subject["BBH0"], {"test"})
        i = [it.rel for it in data.items].index("TA/Pathological/Images/TAP1_2.png")
        self.assertEqual(data.split[i], "val")

    def test_mask_matches_by_stem_as_the_go_core(self):
        # core/study/dataset: same name, else the same stem with .png, any case.
        with tempfile.TemporaryDirectory() as d:
            for sub, names in (("Images", ["A_1.tif", "B_1.png", "C_1.bmp"]), ("Masks", ["a_1.PNG", "B_1.png"])):
                os.makedirs(os.path.join(d, "VL", "Healthy", sub))
                for n in names:
                    Image.new("L", (4, 4)).save(os.path.join(d, "VL", "Healthy", sub, n), format="PNG")
            items, unmatched = dataset.find_items(d)
            self.assertEqual([(os.path.basename(it.image), os.path.basename(it.mask)) for it in items],
                             [("A_1.tif", "a_1.PNG"), ("B_1.png", "B_1.png")])
            self.assertEqual([os.path.basename(u) for u in unmatched], ["C_1.bmp"])

    def test_full_res_metrics_of_a_cropped_field(self):
        # A model that predicts the letterboxed mask exactly scores full-res
        # Dice ~1 on an image cropped to a field smaller than the image, and
        # a mask pixel outside the field counts as missed.
        import train
        h, w, field = 300, 500, (40, 20, 400, 260)
        m = np.zeros((h, w), np.uint8)
        m[60:200, 100:380] = 255
        with tempfile.TemporaryDirectory() as d:
            for sub, a in (("Images", np.full((h, w), 90, np.uint8)), ("Masks", m)):
                os.makedirs(os.path.join(d, "VL", "Healthy", sub))
                Image.fromarray(a).save(os.path.join(d, "VL", "Healthy", sub, "S1_1.png"))
            fields = {"VL/Healthy/Images/S1_1.png": field}
            data = dataset.load(d, log=None, fields=fields)
            grid = dataset.letterbox((m > 0).astype(np.float32), field)
            real_predict = train.predict
            train.predict = lambda model, data, bi: torch.from_numpy(grid)[None, None].float()
            try:
                _, rows = train.evaluate(None, data, np.array([0]))
                self.assertGreater(rows[0]["dice_full"], 0.98)
                self.assertGreater(rows[0]["recall_full"], 0.99)
                m[0:20, 0:40] = 255  # 800 px outside the field: never marked
                Image.fromarray(m).save(os.path.join(d, "VL", "Healthy", "Masks", "S1_1.png"))
                _, rows = train.evaluate(None, data, np.array([0]))
                self.assertLess(rows[0]["recall_full"], 140 * 280 / (140 * 280 + 800) + 0.002)
            finally:
                train.predict = real_predict

    def test_per_image_normalisation(self):
        # dataset.normalise (export's parity input) and train.to_input (training)
        # agree, give mean 0 and SD 1, and ignore a gain; a flat image is only centred.
        import train
        rng = np.random.default_rng(3)
        g = rng.uniform(0, 120, (dataset.INPUT_H, dataset.INPUT_W)).astype(np.float32)
        a = dataset.normalise(g, "image")
        self.assertAlmostEqual(float(a.mean()), 0.0, places=5)
        self.assertAlmostEqual(float(a.std()), 1.0, places=4)
        np.testing.assert_allclose(dataset.normalise(2 * g, "image"), a, atol=1e-4)
        b = train.to_input(torch.from_numpy(g / 255.0)[None, None].float(), "image")[0, 0].numpy()
        np.testing.assert_allclose(b, a, atol=1e-4)
        self.assertTrue(np.all(dataset.normalise(np.zeros((4, 4)), "image") == 0))
        np.testing.assert_allclose(dataset.normalise(g, "fixed"), (g / 255 - 0.5) / 0.25, atol=1e-6)

    def test_augmenter_moves_image_and_mask_together(self):
        yy, xx = np.mgrid[0:240, 0:256]
        blob = (((yy - 100) / 60.0) ** 2 + ((xx - 150) / 90.0) ** 2 < 1).astype(np.float32)
        m = torch.from_numpy(blob)[None, None].repeat(16, 1, 1, 1)
        aug = dataset.Augmenter(5, gain=0, gamma=0, mul_noise=0, add_noise=0, rot_deg=30)
        g2, m2 = aug(m.clone(), m.clone())
        self.assertEqual(((g2 >= 0.5).float() != m2).float().mean().item(), 0.0)
        self.assertGreater((m2 != m).float().mean().item(), 0.01)  # it did move things
        # Pure rotation keeps the area (rotation is done in pixel space, not in the
        # normalised grid, so a non-square image is not sheared).
        rot = dataset.Augmenter(5, gain=0, gamma=0, mul_noise=0, add_noise=0, rot_deg=40, scale=0, shift=0)
        _, r = rot(m.clone(), m.clone())
        ratio = (r.sum((1, 2, 3)) / m.sum((1, 2, 3))).numpy()
        self.assertTrue(np.all(np.abs(ratio - 1) < 0.01), ratio)


class TestNetwork(unittest.TestCase):
    def test_pixel_shuffle_matches_torch(self):
        x = torch.randn(1, 12, 5, 7)
        self.assertTrue(torch.equal(unet.pixel_shuffle2(x), F.pixel_shuffle(x, 2)))

    def test_fold_bn_and_export(self):
        torch.manual_seed(0)
        m = unet.build("c8x4")
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.3, 0.3)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.data.uniform_(0.5, 1.5)
                mod.bias.data.uniform_(-0.2, 0.2)
        m.eval()
        f = unet.fold_bn(m)
        x = torch.randn(1, 1, 240, 256)
        with torch.no_grad():
            y, yf = m(x), f(x)
        self.assertLess((y - yf).abs().max().item(), 1e-5)
        om = onnxutil.torch_to_onnx(f, 240, 256)
        self.assertEqual(onnxutil.validate(om), [1, 1, 240, 256])
        self.assertEqual(onnxutil.check_ops(om), [])
        self.assertLess(float(np.abs(onnxutil.run_numpy(om, x.numpy()) - y.numpy()).max()), 1e-5)

    def test_op_guard_catches_traps(self):
        from onnx import TensorProto, helper
        nodes = [helper.make_node("Concat", ["x", "x"], ["c"], axis=1),
                 helper.make_node("Conv", ["c", "w"], ["y"], pads=[0, 0, 1, 1]),
                 helper.make_node("Resize", ["y"], ["z"])]
        g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)],
                              [helper.make_tensor("w", TensorProto.FLOAT, [1, 2, 1, 1], [1, 1])])
        problems = onnxutil.check_ops(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]))
        text = "\n".join(problems)
        for want in ("same tensor twice", "unequal pads", "Resize", "opset 13"):
            self.assertIn(want, text)

    def test_counts(self):
        m = unet.build("c8x5")
        self.assertEqual(unet.count_params(m), sum(p.numel() for p in m.parameters()))
        # First conv alone: 1->8 channels, 3x3, on 240x256 output pixels.
        self.assertGreater(unet.count_macs(m), 240 * 256 * 8 * 9)


def write_pair(d, muscle, name, img, msk):
    for sub, a in (("Images", img), ("Masks", msk)):
        os.makedirs(os.path.join(d, muscle, "Healthy", sub), exist_ok=True)
        Image.fromarray(a).save(os.path.join(d, muscle, "Healthy", sub, name))


class TestFewShot(unittest.TestCase):
    """finetune.py (retrain --init): the page's held-out rule, ZIP checks, and a tiny end-to-end run."""

    def test_auto_epochs_matches_go(self):
        # core/nn/train TestAutoEpochs' table.
        self.assertEqual([finetune.auto_epochs(n) for n in (0, 6, 8, 11, 21, 22, 500)], [12, 43, 32, 24, 13, 12, 12])

    def test_held_out_rule_matches_go(self):
        # Expected values printed by Go (math/rand/v2 and a copy of core/nn/train splitByPatient).
        r = heldout.GoPCG(1, 2)
        self.assertEqual([r.uint64() for _ in range(3)],
                         [14192431797130687760, 11371241257079532652, 14470142590855381128])
        go = {(10, 0): "P02,P06,P07", (10, 1): "P02,P03,P04", (7, 0): "P04,P05", (7, 1): "P01,P05",
              (13, 0): "P03,P10,P12", (2, 0): "P01", (2, 7): "P00", (3, 1): "P01", (4, 0): "P03"}
        for (n, seed), want in go.items():
            ids = [f"P{i:02d}" for i in range(n)]
            tp, hp = heldout.split_by_patient(ids * 4, seed=seed)
            self.assertEqual(",".join(hp), want, (n, seed))
            self.assertEqual(sorted(tp + hp), ids)
            self.assertEqual(heldout.split_by_patient(list(reversed(ids * 4)), seed=seed), (tp, hp))  # order-free
        self.assertEqual(len(heldout.split_by_patient(["a"] * 7 + ["b"])[1]), 1)  # at least one held out
        self.assertEqual(len(heldout.split_by_patient([f"p{i}" for i in range(9)])[1]), 2)  # round(2.25)
        self.assertEqual(len(heldout.split_by_patient([f"p{i}" for i in range(10)])[1]), 3)  # round half up: 2.5 -> 3
        for subjects, want in ((["a", "b"] * 3 + ["c"], "too few corrected images: 7, at least 8"),
                               (["a"] * 9, "images of one patient only"),
                               (["a", "b"] * 4 + [""], "has no patient ID")):
            with self.assertRaises(heldout.RefusedError) as cm:
                heldout.split_by_patient(subjects)
            self.assertIn(want, str(cm.exception))

    def test_zip_checks(self):
        png = io.BytesIO()
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(png, format="PNG")
        with tempfile.TemporaryDirectory() as d:
            cases = {"../evil.png": "zip-slip", "BB/../../evil.png": "zip-slip", "/abs/x.png": "zip-slip",
                     "C:/x.png": "zip-slip", "BB/Healthy/Images/a_1.jpg": "not a .png",
                     "BB/Healthy/Masks/notes.txt": "not a .png"}
            for name, want in cases.items():
                zp = os.path.join(d, "bad.zip")
                with zipfile.ZipFile(zp, "w") as z:
                    z.writestr("BB/Healthy/Images/a_1.png", png.getvalue())
                    z.writestr(name, b"x")
                out = os.path.join(d, "out")
                os.makedirs(out, exist_ok=True)
                with self.assertRaises(finetune.Refused) as cm:
                    finetune.unpack_zip(zp, out)
                self.assertIn(want, str(cm.exception), name)
                self.assertEqual(os.listdir(out), [], name)  # nothing unpacked
                self.assertFalse(os.path.exists(os.path.join(d, "evil.png")))
            zp = os.path.join(d, "link.zip")
            with zipfile.ZipFile(zp, "w") as z:
                info = zipfile.ZipInfo("BB/Healthy/Images/a_1.png")
                info.external_attr = (0o120777 << 16)
                z.writestr(info, "/etc/passwd")
            with self.assertRaises(finetune.Refused) as cm:
                finetune.unpack_zip(zp, os.path.join(d, "out2"))
            self.assertIn("symbolic link", str(cm.exception))
            zp = os.path.join(d, "good.zip")
            with zipfile.ZipFile(zp, "w") as z:
                for sub in ("Images", "Masks"):
                    z.writestr(f"BB/Healthy/{sub}/a_1.png", png.getvalue())
                z.writestr("BB/Healthy/characteristics.csv", "ID,age\na,30\n")
                z.writestr("__MACOSX/BB/Healthy/Images/._a_1.png", b"junk")
            out = finetune.unpack_zip(zp, os.path.join(d, "out3"))
            items, _ = dataset.find_items(out)
            self.assertEqual([it.rel for it in items], ["BB/Healthy/Images/a_1.png"])
            self.assertFalse(os.path.exists(os.path.join(out, "__MACOSX")))

    def test_letterbox_like_go(self):
        # A 200-wide, 100-high field at (10, 20) of a 300x400 image: scale min(240/100, 256/200) = 1.28,
        # 128 rows x 256 columns, top-aligned; the rest of the grid is black.
        a = np.zeros((300, 400), np.float32)
        a[20:120, 10:210] = 100
        b = dataset.letterbox(a, (10, 20, 200, 100))
        self.assertEqual(b.shape, (240, 256))
        self.assertTrue(np.allclose(b[:128], 100, atol=1e-3))
        self.assertEqual(float(b[128:].max()), 0.0)
        # A tall field is centred across: 240 rows x 48 columns at column (256-48)//2.
        c = dataset.letterbox(np.full((500, 100), 7, np.float32), (0, 0, 100, 500))
        cols = np.nonzero(c[0])[0]
        self.assertEqual((cols[0], cols[-1] + 1), (104, 152))

    def test_end_to_end(self):
        """retrain --init on 10 synthetic images of 4 patients: one epoch writes a model that passes
        check_onnx and says where it came from; with lr 0 the Dice cannot rise and nothing is written."""
        import contextlib
        import onnx
        import check_onnx

        parent = os.path.join(HERE, "..", "myoseg-unet-phantom-v2.onnx")
        if not os.path.exists(parent):
            self.skipTest(f"{parent}: not here")
        rng = np.random.default_rng(3)
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "data")
            # Speckle-like noise; the "muscle" is a wide band the phantom model does not see at all.
            fields = ["rel,x,y,w,h"]
            for pi, pat in enumerate(("PA", "PB", "PC", "PD")):
                for k in range(1, 4 if pi < 2 else 3):
                    img = np.clip(rng.gamma(2.0, 30, (120, 128)) * np.linspace(1.2, 0.6, 120)[:, None], 0, 255)
                    msk = np.zeros((120, 128), np.uint8)
                    msk[15:105] = 255
                    mus = "BB" if pi % 2 else "TA"
                    write_pair(data, mus, f"{pat}_{k}.png", img.astype(np.uint8), msk)
                    fields.append(f"{mus}/Healthy/Images/{pat}_{k}.png,0,0,128,120")
            with open(os.path.join(d, "fields.csv"), "w") as f:
                f.write("\n".join(fields) + "\n")
            zp = os.path.join(d, "set.zip")
            with zipfile.ZipFile(zp, "w") as z:
                for root, _, files in os.walk(data):
                    for fn in files:
                        z.write(os.path.join(root, fn), os.path.relpath(os.path.join(root, fn), data))
            outdir = os.path.join(d, "models")
            common = ["--init", parent, "--data", zp, "--outdir", outdir, "--epochs", "1", "--threads", "1",
                      "--fields", os.path.join(d, "fields.csv")]
            log = io.StringIO()
            with contextlib.redirect_stdout(log):
                rc = finetune.main(common + ["--name", "ft", "--out", os.path.join(d, "run"), "--lr", "1e-3"])
            self.assertEqual(rc, 0, log.getvalue()[-2000:])
            path = os.path.join(outdir, "ft.onnx")
            with contextlib.redirect_stdout(log):
                self.assertEqual(check_onnx.check(path), [])
            meta = {p.key: p.value for p in onnx.load(path).metadata_props}
            self.assertEqual(meta["myoseg.name"], "ft")
            self.assertEqual(meta["myoseg.parent"], "myoseg-unet-phantom-v2")
            self.assertIn("fine-tuned on 8 images of 3 patients", meta["myoseg.trained_on"])
            self.assertTrue(meta["myoseg.warning"].startswith("Fine-tuned from myoseg-unet-phantom-v2 on 8 images"))
            self.assertGreater(float(meta["myoseg.heldout_dice_after"]), float(meta["myoseg.heldout_dice_before"]))
            unet.from_onnx(path)  # loads back for another round
            with open(os.path.join(outdir, "ft.md")) as f:
                card = f.read()
            for want in ("sha256", "Held-out Dice", "patients PA, PB, PC", "PD (never trained on)", "retrain --init",
                         "`TA/Healthy/Images/PA_1.png`", "letterboxed"):
                self.assertIn(want, card)
            # No gain (lr 0: the weights cannot move): exit 3, nothing in --outdir; run through the shell script.
            r = subprocess.run([os.path.join(HERE, "retrain")] + common +
                               ["--name", "ft0", "--out", os.path.join(d, "run0"), "--lr", "0"],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 3, r.stderr[-2000:])
            self.assertIn("held-out Dice did not improve", r.stderr)
            self.assertEqual(sorted(os.listdir(outdir)), ["ft.md", "ft.onnx", "ft.parity-input.f32",
                                                          "ft.parity-output.f32"])
            # Too few images: refused before any training.
            with contextlib.redirect_stderr(io.StringIO()) as err:
                rc = finetune.main(["--init", parent, "--data", os.path.join(data, "BB"), "--name", "x",
                                    "--outdir", outdir, "--fields", "none"])
            self.assertEqual(rc, finetune.EXIT_REFUSED)
            self.assertIn("too few corrected images", err.getvalue())


if __name__ == "__main__":
    torch.set_num_threads(1)
    unittest.main(verbosity=2)
