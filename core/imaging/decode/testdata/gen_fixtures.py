#!/usr/bin/python3
"""Writes the small TIFF/BMP fixtures that Go's own encoders cannot produce
(LZW, PackBits, palette TIFF, 16-bit LZW, palette BMP), with Pillow.
Run from this folder: /usr/bin/python3 gen_fixtures.py
The pixel patterns are the formulas in fixtures_test.go (patGrey8 etc.), so
the Go tests compute the expected grey values independently of this script."""
from PIL import Image

W, H = 5, 3  # odd width: row padding paths


def grey8(x, y): return (x * 37 + y * 91 + 5) % 256
def rgb8(x, y): return ((x * 40 + y * 7) % 256, (x * 13 + y * 60 + 20) % 256, (x * 3 + y * 100 + 200) % 256)
def grey16(x, y): return (x * 5000 + y * 13000 + 77) % 65536
def index(x, y): return (x + 2 * y) % 4


PALETTE = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 20, 30)]


def make(mode, f):
    im = Image.new(mode, (W, H))
    for y in range(H):
        for x in range(W):
            im.putpixel((x, y), f(x, y))
    return im


g8 = make("L", grey8)
g8.save("tiff_gray8_packbits.tif", compression="packbits")
g8.save("tiff_gray8_lzw.tif", compression="tiff_lzw")
c8 = make("RGB", rgb8)
c8.save("tiff_rgb8_lzw.tif", compression="tiff_lzw")
c8.save("tiff_rgb8_packbits.tif", compression="packbits")
g16 = make("I;16", grey16)
g16.save("tiff_gray16_lzw.tif", compression="tiff_lzw")
p = make("P", index)
flat = [v for c in PALETTE for v in c]
p.putpalette(flat + [0] * (768 - len(flat)))
p.save("tiff_palette_packbits.tif", compression="packbits")
p.save("bmp_pal8.bmp")
c8.save("bmp_rgb24.bmp")
