"""Self-checks of the training code (no dataset needed, ~20 s on 2 cores):

    /usr/bin/python3 models/train/selftest.py
"""
import os
import sys
import tempfile
import unittest

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import onnxutil  # noqa: E402
import unet  # noqa: E402


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


if __name__ == "__main__":
    torch.set_num_threads(1)
    unittest.main(verbosity=2)
