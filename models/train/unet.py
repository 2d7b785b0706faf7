"""A small U-Net that gorgonnx v0.5.0 (onnx-go's Gorgonia backend) runs correctly.

Every choice here follows a measured gorgonnx limit:
  * Conv 3x3 with equal pads on all sides (pad 1), no groups; 1x1 convs pad 0.
  * BatchNorm only while training; export() folds it into the conv weights.
  * MaxPool 2x2 stride 2, no padding, no ceil mode.
  * Upsampling = 1x1 conv C -> 4*C' then a pixel shuffle written as
    Reshape -> Transpose -> Reshape with static shapes (no Resize/ConvTranspose).
  * Concat always of two distinct tensors.
  * Sigmoid inside the graph, so the ONNX output is a probability.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

ALLOWED_OPS = {"Conv", "Relu", "MaxPool", "Concat", "Reshape", "Transpose", "Sigmoid"}

# Named configurations: channels per level (two 3x3 convs per level and per decoder block).
CONFIGS = {
    # 8-16-32-64-128: five levels, 0.71 GMAC, 0.49 M params. The fifth level (and
    # the decoder block it adds) costs 0.17 GMAC over c8x4 but widens the
    # theoretical receptive field from about 100 to 200 px: enough to see both
    # fascia borders of a muscle belly 120-250 px wide at 240x256. With two convs
    # per level every level of a U-Net costs about the same, so four levels of
    # 16-32-64-128 would already be 2.2 GMAC.
    "c8x5": dict(channels=(8, 16, 32, 64, 128)),
    "c8x4": dict(channels=(8, 16, 32, 64)),
    "c12x4": dict(channels=(12, 24, 48, 96)),
    "c16x4": dict(channels=(16, 32, 64, 128)),
    "c12x5": dict(channels=(12, 24, 48, 96, 192)),
}


class ConvBNReLU(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Block(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(ConvBNReLU(cin, cout), ConvBNReLU(cout, cout))


def pixel_shuffle2(x):
    """2x pixel shuffle, same channel order as torch.nn.functional.pixel_shuffle.

    Written as Reshape -> Transpose -> Reshape with Python-int shapes so the ONNX
    graph carries static shape constants (gorgonnx cannot evaluate Shape/Gather).
    """
    n, c4, h, w = (int(s) for s in x.shape)
    c = c4 // 4
    x = x.reshape(n, c, 2, 2, h, w)
    x = x.permute(0, 1, 4, 2, 5, 3)  # n, c, h, i, w, j
    return x.reshape(n, c, 2 * h, 2 * w)


class Up(nn.Module):
    """Learned 2x upsampling: 1x1 conv to 4*cout channels, then pixel shuffle."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, 4 * cout, 1)

    def forward(self, x):
        return pixel_shuffle2(self.conv(x))


class UNet(nn.Module):
    def __init__(self, channels=(8, 16, 32, 64, 128), in_ch=1):
        super().__init__()
        self.channels = tuple(channels)
        self.enc = nn.ModuleList()
        cin = in_ch
        for c in channels:
            self.enc.append(Block(cin, c))
            cin = c
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for i in range(len(channels) - 2, -1, -1):
            self.up.append(Up(channels[i + 1], channels[i]))
            self.dec.append(Block(2 * channels[i], channels[i]))
        self.head = nn.Conv2d(channels[0], 1, 1)

    def logits(self, x):
        skips = []
        for i, blk in enumerate(self.enc):
            if i > 0:
                x = F.max_pool2d(x, 2, 2)
            x = blk(x)
            skips.append(x)
        x = skips.pop()
        for up, dec in zip(self.up, self.dec):
            x = torch.cat([up(x), skips.pop()], dim=1)
            x = dec(x)
        return self.head(x)

    def forward(self, x):
        return torch.sigmoid(self.logits(x))

    # frozen_bn keeps every BatchNorm in eval mode while training: set for a
    # model loaded from an exported (BN-folded) ONNX file, whose BatchNorms
    # carry no statistics to re-estimate and whose few fine-tuning images
    # would estimate them badly.
    frozen_bn = False

    def train(self, mode=True):
        super().train(mode)
        if self.frozen_bn:
            for m in self.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self


def build(config="c8x5"):
    return UNet(**CONFIGS[config])


def from_onnx(path):
    """Load an exported model (BN folded into the convs) for fine-tuning.

    Returns (model, config name, metadata dict). Each BatchNorm becomes the
    identity plus the folded bias (weight 1, running mean 0, running variance
    1 - eps, frozen), so the model computes exactly the ONNX graph and
    fold_bn() after fine-tuning folds it back.
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    meta = {p.key: p.value for p in m.metadata_props}
    channels, i = [], 0
    while f"enc.{i}.0.conv.weight" in init:
        channels.append(int(init[f"enc.{i}.0.conv.weight"].shape[0]))
        i += 1
    config = next((k for k, v in CONFIGS.items() if tuple(v["channels"]) == tuple(channels)), None)
    if config is None:
        raise ValueError(f"{path}: encoder channels {channels} match no U-Net config ({', '.join(sorted(CONFIGS))})")
    model = build(config)
    state = model.state_dict()
    used = set()
    for name, t in state.items():
        if name.endswith((".bn.weight", ".bn.bias", ".bn.running_mean", ".bn.running_var", ".bn.num_batches_tracked")):
            conv = name[:name.rindex(".bn.")] + ".conv."
            field = name.rsplit(".", 1)[1]
            if field == "weight":
                t.fill_(1.0)
            elif field == "bias":
                src = init.get(conv + "bias")
                if src is None:
                    raise ValueError(f"{path}: no initializer {conv}bias")
                t.copy_(torch.from_numpy(np.array(src, dtype=np.float32)))
                used.add(conv + "bias")
            elif field == "running_mean":
                t.zero_()
            elif field == "running_var":
                t.fill_(1.0 - 1e-5)  # BatchNorm2d's eps: 1/sqrt(var+eps) = 1
            continue
        src = init.get(name)
        if src is None:
            raise ValueError(f"{path}: no initializer {name} (not a myoseg U-Net export?)")
        if tuple(src.shape) != tuple(t.shape):
            raise ValueError(f"{path}: {name} is {tuple(src.shape)}, the {config} U-Net wants {tuple(t.shape)}")
        t.copy_(torch.from_numpy(np.array(src, dtype=np.float32)))
        used.add(name)
    # The pixel shuffles' Reshape shapes are the only other initializers.
    extra = sorted(n for n in set(init) - used if "Constant" not in n)
    if extra:
        raise ValueError(f"{path}: initializers the U-Net does not have: {', '.join(extra[:5])}")
    model.load_state_dict(state)
    model.frozen_bn = True
    return model, config, meta


def fold_bn(model):
    """Return a copy of model with every BatchNorm folded into the preceding conv.

    conv(x)*g/sqrt(v+eps) + (b - m*g/sqrt(v+eps)) is one conv with a bias; the
    folded model is numerically the eval-mode model.
    """
    import copy

    m = copy.deepcopy(model).eval()
    for mod in m.modules():
        if isinstance(mod, ConvBNReLU):
            conv, bn = mod.conv, mod.bn
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            w = conv.weight * scale.reshape(-1, 1, 1, 1)
            b = bn.bias - bn.running_mean * scale
            if conv.bias is not None:
                b = b + conv.bias * scale
            new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                            padding=conv.padding, bias=True)
            new.weight.data.copy_(w.detach())
            new.bias.data.copy_(b.detach())
            mod.conv = new
            mod.bn = nn.Identity()
    return m


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def count_macs(model, h=240, w=256):
    """Multiply-accumulates of every conv for one 1x1xHxW input (hooks, exact)."""
    total = [0]

    def hook(mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1]
        total[0] += out.numel() * (mod.in_channels // mod.groups) * k

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 1, h, w))
    for hd in hs:
        hd.remove()
    return total[0]


if __name__ == "__main__":
    for name in CONFIGS:
        m = build(name)
        print(f"{name:6s} params={count_params(m):8d} ({count_params(m)*4/1e6:.2f} MB f32) "
              f"MACs={count_macs(m)/1e9:.3f} G")
