package decode

import (
	"image"
	"image/color"
	"math/rand"
	"testing"
)

// subImager is what every image type with SubImage offers.
type subImager interface {
	image.Image
	SubImage(image.Rectangle) image.Image
}

func randomBytes(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = uint8(r.Intn(256))
	}
}

// TestFastPathsMatchGeneric: every Pix fast path gives, pixel for pixel, what
// the generic At-based conversion gives, on random content, also on
// sub-images whose bounds do not start at the origin (odd offsets exercise
// the chroma indexing of YCbCr).
func TestFastPathsMatchGeneric(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	const w, h = 19, 11
	rect := image.Rect(0, 0, w, h)
	var imgs []struct {
		name string
		m    subImager
	}
	add := func(name string, m subImager, pix []byte) {
		randomBytes(r, pix)
		imgs = append(imgs, struct {
			name string
			m    subImager
		}{name, m})
	}
	g := image.NewGray(rect)
	add("Gray", g, g.Pix)
	g16 := image.NewGray16(rect)
	add("Gray16", g16, g16.Pix)
	rgba := image.NewRGBA(rect)
	add("RGBA", rgba, rgba.Pix)
	nrgba := image.NewNRGBA(rect)
	add("NRGBA", nrgba, nrgba.Pix)
	rgba64 := image.NewRGBA64(rect)
	add("RGBA64", rgba64, rgba64.Pix)
	nrgba64 := image.NewNRGBA64(rect)
	add("NRGBA64", nrgba64, nrgba64.Pix)
	pal := color.Palette{}
	for i := 0; i < 200; i++ {
		pal = append(pal, color.NRGBA{uint8(r.Intn(256)), uint8(r.Intn(256)), uint8(r.Intn(256)), uint8(r.Intn(256))})
	}
	pm := image.NewPaletted(rect, pal)
	add("Paletted", pm, pm.Pix)
	for i := range pm.Pix {
		pm.Pix[i] %= 200 // image.Paletted.At panics past the palette
	}
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		y := image.NewYCbCr(rect, ratio)
		randomBytes(r, y.Cb)
		randomBytes(r, y.Cr)
		for i := 0; i < len(y.Cb); i += 2 { // half neutral, as in grey pictures
			y.Cb[i], y.Cr[i] = 128, 128
		}
		add("YCbCr"+ratio.String(), y, y.Y)
	}
	for _, c := range imgs {
		for _, sub := range []image.Rectangle{rect, image.Rect(1, 3, w-2, h-1), image.Rect(3, 1, 8, 6)} {
			m := c.m.SubImage(sub)
			got := toGray(m)
			want := image.NewGray(image.Rect(0, 0, sub.Dx(), sub.Dy()))
			genericGray(want, m)
			if got.Bounds() != want.Bounds() {
				t.Fatalf("%s %v: bounds %v, want %v", c.name, sub, got.Bounds(), want.Bounds())
			}
			diff := 0
			for i := range got.Pix {
				if got.Pix[i] != want.Pix[i] {
					diff++
				}
			}
			if diff != 0 {
				t.Errorf("%s %v: fast path differs from generic on %d of %d pixels", c.name, sub, diff, len(got.Pix))
			}
		}
	}
}

// TestYCCGrey: the inlined conversion equals the standard library's, on
// every input.
func TestYCCGrey(t *testing.T) {
	bad := 0
	for y := 0; y < 256; y++ {
		for cb := 0; cb < 256; cb++ {
			for cr := 0; cr < 256; cr++ {
				if yccGrey(uint8(y), uint8(cb), uint8(cr)) != luma(color.YCbCrToRGB(uint8(y), uint8(cb), uint8(cr))) {
					bad++
				}
			}
		}
	}
	if bad != 0 {
		t.Errorf("yccGrey differs from luma(color.YCbCrToRGB) on %d inputs", bad)
	}
}

// TestGreyRules pins the mapping of single colours, fast path and generic.
func TestGreyRules(t *testing.T) {
	cases := []struct {
		name string
		c    color.Color
		want uint8
	}{
		{"grey", color.Gray{77}, 77},
		{"grey16 high byte", color.Gray16{0xABFF}, 0xAB},
		{"red", color.RGBA{255, 0, 0, 255}, 76},
		{"nrgba alpha ignored", color.NRGBA{255, 0, 0, 10}, 76},
		{"nrgba64 high bytes", color.NRGBA64{0xFFFF, 0, 0, 0x1000}, 76},
		{"rgba64 high bytes", color.RGBA64{0, 0xFF00, 0, 0xFFFF}, 150},
		{"ycbcr neutral", color.YCbCr{123, 128, 128}, 123},
		{"cmyk via RGBA", color.CMYK{0, 255, 255, 0}, 76}, // = red
		{"nil", nil, 0},
	}
	for _, c := range cases {
		if got := colorGrey(c.c); got != c.want {
			t.Errorf("%s: colorGrey(%v) = %d, want %d", c.name, c.c, got, c.want)
		}
	}
	// Generic fallback on a type without a fast path.
	cm := image.NewCMYK(image.Rect(0, 0, 2, 1))
	cm.SetCMYK(0, 0, color.CMYK{0, 255, 255, 0})
	cm.SetCMYK(1, 0, color.CMYK{0, 0, 0, 255})
	if g := toGray(cm); g.Pix[0] != 76 || g.Pix[1] != 0 {
		t.Errorf("CMYK red, black → %v, want [76 0]", g.Pix)
	}
	// A palette index past the palette is black (At would panic).
	pm := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.Gray{200}})
	pm.Pix[1] = 7
	if g := toGray(pm); g.Pix[0] != 200 || g.Pix[1] != 0 {
		t.Errorf("palette [200], indices [0 7] → %v, want [200 0]", g.Pix)
	}
	// Empty image.
	if g := toGray(image.NewRGBA(image.Rect(3, 3, 3, 9))); g.Bounds().Dx() != 0 {
		t.Errorf("empty image → %v", g.Bounds())
	}
}

func BenchmarkToGrayRGBA(b *testing.B) {
	m := imgRGBA(1456, 819)
	b.SetBytes(int64(len(m.Pix)))
	for b.Loop() {
		toGray(m)
	}
}

// BenchmarkToGrayYCbCr420 converts a colour JPEG's planes: random colour
// (worst case) and neutral chroma (a grey B-mode picture saved as colour).
func BenchmarkToGrayYCbCr420(b *testing.B) {
	for _, neutral := range []bool{false, true} {
		name := "colour"
		if neutral {
			name = "neutral"
		}
		b.Run(name, func(b *testing.B) {
			r := rand.New(rand.NewSource(1))
			m := image.NewYCbCr(image.Rect(0, 0, 1456, 819), image.YCbCrSubsampleRatio420)
			randomBytes(r, m.Y)
			randomBytes(r, m.Cb)
			randomBytes(r, m.Cr)
			if neutral {
				for i := range m.Cb {
					m.Cb[i], m.Cr[i] = 128, 128
				}
			}
			b.SetBytes(int64(len(m.Y)))
			for b.Loop() {
				toGray(m)
			}
		})
	}
}
