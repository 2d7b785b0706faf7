package phantom

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// render2 draws a version 2 image: anatomy on the flat scene, the probe's
// geometry, a physical imaging model and a randomised scanner.
func render2(cfg Config, i int, sl slot, sc *scratch) Sample {
	sc.reset()
	spec := makeSubject(cfg.Seed, sl.subject, cfg.PathologicalFraction, musclesV2[:])
	r := newRand(cfg.Seed, streamImage, i)
	reference := r.Float64() < 0.5
	g := drawGeometry(r, spec.muscle, cfg.Version)
	sn := buildAnatomy(r, spec, g, sc, cfg.Version)
	scan(r, g, sc)

	// The mask: the contour mapped to the display, inside the field.
	poly := displayContour(g, sn.poly)
	clear(sc.mask)
	fillPolygon(poly, sc.mask, Width, Height)
	sc.maskIdx = sc.maskIdx[:0]
	for k, m := range sc.mask {
		if m != 0 && sc.band[k] == 0 {
			sc.mask[k] = 0
		}
		if sc.mask[k] != 0 {
			sc.maskIdx = append(sc.maskIdx, int32(k))
		}
	}
	// Half of the seed's muscles are scanned as on the reference scanner
	// (Esaote, fixed preset): the gain lands the muscle's mean on the
	// subject's drawn EI. The other scans, and the thigh muscles, which have
	// no reference, keep the drawn scanner's gain (Expected stays 0).
	var expMean, expSD, s float64
	if (spec.muscle == "BB" || spec.muscle == "GM" || spec.muscle == "TA") && reference {
		expMean, expSD = expectedEI(spec.muscle, spec.Subject)
		z := spec.z + 0.25*r.NormFloat64()
		if spec.pathological {
			z = math.Max(z, 2.0)
		} else {
			z = clamp(z, -2, 2)
		}
		s = solveShift(sc, clamp(expMean+z*expSD, 20, 200))
	}
	img := image.NewGray(image.Rect(0, 0, Width, Height))
	mask := image.NewGray(img.Rect)
	for k := range img.Pix {
		v := float64(sc.g[k])
		if sc.band[k] != 0 {
			v += s
		}
		img.Pix[k] = uint8(clamp(math.Round(v), 0, 255))
		if sc.mask[k] != 0 {
			mask.Pix[k] = 255
		}
	}
	overlay(r, g, img, sc.band)
	out := Sample{
		Index: i, Muscle: spec.muscle, Pathological: spec.pathological,
		Subject: spec.Subject, K: sl.k, Image: img, Mask: mask,
		Contour: poly, Heckmatt: spec.heckmatt,
		Expected: expMean, ExpectedSD: expSD,
	}
	out.EIMean, out.EISD, out.CSAPx = measure(img, mask)
	return out
}

// displayContour maps the scene contour to the display, densified so the
// bent edges stay curved.
func displayContour(g *geometry, poly []Point) []Point {
	out := make([]Point, 0, 2*len(poly))
	for i, a := range poly {
		b := poly[(i+1)%len(poly)]
		for _, t := range []float64{0, 0.5} {
			x, y := g.toDisplay(a.X+t*(b.X-a.X), a.Y+t*(b.Y-a.Y))
			out = append(out, Point{x, y})
		}
	}
	return out
}

// bilinear samples a Width×Height plane at (u, v) (pixel centres at +0.5).
func bilinear(p []float32, u, v float64) float32 {
	u, v = u-0.5, v-0.5
	x, y := int(math.Floor(u)), int(math.Floor(v))
	tx, ty := float32(u-float64(x)), float32(v-float64(y))
	x0, x1 := min(Width-1, max(0, x)), min(Width-1, max(0, x+1))
	y0, y1 := min(Height-1, max(0, y)), min(Height-1, max(0, y+1))
	a := p[y0*Width+x0]*(1-tx) + p[y0*Width+x1]*tx
	b := p[y1*Width+x0]*(1-tx) + p[y1*Width+x1]*tx
	return a*(1-ty) + b*ty
}

// scan images the scene: the amplitudes resampled onto the display's
// field, complex Gaussian scatterers plus the specular part, convolved with
// the probe's PSF, envelope power with a depth gain profile (TGC left
// over, focal zone) and electronic noise, log compression with a drawn
// dynamic range, a grey map, speckle reduction, blur and noise. It leaves
// the grey image in sc.g and the field in sc.band.
func scan(r *rand.Rand, g *geometry, sc *scratch) {
	depth := sc.dist // scene depth per display pixel, mm
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			k := y*Width + x
			u, v := g.toScene(float64(x)+0.5, float64(y)+0.5)
			if !g.shown(u, v) {
				sc.band[k] = 0
				sc.de[k], sc.dc[k], depth[k] = 0, 0, 0
				continue
			}
			sc.band[k] = 1
			sc.de[k] = bilinear(sc.e, u, v)
			sc.dc[k] = bilinear(sc.c, u, v)
			depth[k] = float32(v / g.ppm)
		}
	}
	n := Width * Height
	scatter(r, sc.de, sc.dc, sc.re, sc.im)
	// Speckle size: the PSF's lateral and axial widths (probe frequency,
	// focusing), in display pixels.
	sx, sy := uni(r, 0.8, 2.2), uni(r, 0.45, 1.1)
	if g.kind == geoPanoramic { // a panoramic image packs more tissue per pixel
		sx, sy = uni(r, 0.6, 1.4), uni(r, 0.35, 0.8)
	}
	kx, ky := gaussKernel(sx), gaussKernel(sy)
	blurRows(sc.re, sc.tmp, Width, Height, kx)
	blurCols(sc.tmp, sc.re, Width, Height, ky)
	blurRows(sc.im, sc.tmp, Width, Height, kx)
	blurCols(sc.tmp, sc.im, Width, Height, ky)

	dr := uni(r, 45, 75)                                  // displayed dynamic range, dB
	gm := uni(r, 12, 60)                                  // grey of healthy muscle's mean power (0 dB)
	tgc := uni(r, -0.35, 0.05)                            // TGC slope left over, dB per mm
	focus, fw := uni(r, 10, 40), uni(r, 8, 25)            // focal zone depth and width, mm
	fgain := uni(r, 0, 4)                                 // focal gain, dB
	kg := float32(255 / dr * 10)                          // grey per decade of power
	noise := math.Pow(10, (uni(r, 2, 14)-gm)/float64(kg)) // electronic noise power: a few grey levels
	gamma := uni(r, 0.75, 1.45)
	// Look-up tables: gain per 0.1 mm of depth, grey map per 1/2048.
	const gainStep, mapSteps = 0.1, 2048
	gainLUT := make([]float32, int(g.vmax/g.ppm/gainStep)+2)
	for i := range gainLUT {
		d := float64(i) * gainStep
		gainLUT[i] = float32(math.Pow(10, (tgc*d+fgain*math.Exp(-(d-focus)*(d-focus)/(2*fw*fw)))/10))
	}
	greyLUT := make([]float32, mapSteps*6/5+2)
	for i := range greyLUT {
		greyLUT[i] = 255 * float32(math.Pow(float64(i)/mapSteps, gamma))
	}
	fillUniform(r, sc.tmp[:Width])
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			k := y*Width + x
			if sc.band[k] == 0 {
				sc.g[k] = 0
				continue
			}
			gain := gainLUT[min(len(gainLUT)-1, int(depth[k]/gainStep))]
			pw := (sc.re[k]*sc.re[k]+sc.im[k]*sc.im[k])*gain + float32(noise)*(0.3+1.4*sc.tmp[k])
			v := (float32(gm) + kg*fastLog10(pw)) / 255
			if v <= 0 {
				sc.g[k] = 0
				continue
			}
			sc.g[k] = greyLUT[int(min(v, 1.2)*mapSteps)]
		}
		if y+1 < Height {
			fillUniform(r, sc.tmp[(y+1)*Width:(y+2)*Width])
		}
	}
	// Speckle reduction / compounding: 0–2 passes of a [1 2 1] smoother,
	// the last blended in part.
	passes := 1 + r.IntN(3)
	if g.kind == geoPanoramic { // panoramic sweeps compound many frames
		passes++
	}
	for p := 0; p < passes; p++ {
		smooth3(sc.g, sc.tmp, Width, Height)
	}
	if r.Float64() < 0.25 { // a soft, out-of-focus look
		kb := gaussKernel(uni(r, 0.6, 1.3))
		sum := float32(0)
		for _, v := range kb {
			sum += v
		}
		for i := range kb {
			kb[i] /= sum
		}
		blurRows(sc.g, sc.tmp, Width, Height, kb)
		blurCols(sc.tmp, sc.g, Width, Height, kb)
	}
	if sd := uni(r, 0, 4); sd > 0.5 {
		for k := 0; k < n; k += 4 {
			v := r.Uint64()
			for j := 0; j < 4 && k+j < n; j++ {
				if sc.band[k+j] != 0 {
					sc.g[k+j] += float32(sd) * (float32(v>>(16*j)&0xffff)/65536 - 0.5) * 3.46
				}
			}
		}
	}
	for k := range sc.g {
		if sc.band[k] == 0 {
			sc.g[k] = 0
		}
	}
}

// maskedGray draws only outside the field, like a scanner's burned-in
// annotations around the image.
type maskedGray struct {
	*image.Gray
	band []uint8
}

func (m maskedGray) Set(x, y int, c color.Color) {
	if image.Pt(x, y).In(m.Rect) && m.band[y*Width+x] == 0 {
		m.Gray.Set(x, y, c)
	}
}

// SetRGBA64 is what image/draw calls on images that have it.
func (m maskedGray) SetRGBA64(x, y int, c color.RGBA64) {
	if image.Pt(x, y).In(m.Rect) && m.band[y*Width+x] == 0 {
		m.Gray.SetRGBA64(x, y, c)
	}
}

var uiWords = []string{"MSK", "Frq 12.0", "Gn 56", "DR 69", "D 5.0", "FR 24", "MI 1.2", "TIs 0.8",
	"L12-3", "ML6-15", "Map B/0", "CHI", "Dyn R 70 dB", "THI 10.0 MHz", "9 fps", "SC 2", "2 dB",
	"RIGHT VASTUS LATERALIS", "LEFT RF CSA", "BICEPS", "TIB ANT", "GASTROC MED", "MyLab", "P 100%"}

// overlay burns in what scanners draw around the image: text, a depth
// scale, a grey bar, a banner; everything outside the field.
func overlay(r *rand.Rand, g *geometry, img *image.Gray, band []uint8) {
	dst := maskedGray{img, band}
	x0, y0, x1, y1 := g.extent()
	if r.Float64() < 0.7 {
		grey := uint8(uni(r, 150, 255))
		d := font.Drawer{Dst: dst, Src: image.NewUniform(color.Gray{grey}), Face: basicfont.Face7x13}
		for n := 1 + r.IntN(6); n > 0; n-- {
			word := uiWords[r.IntN(len(uiWords))]
			if r.Float64() < 0.3 {
				word = fmt.Sprintf("%02d/%02d/%02d %02d:%02d", 1+r.IntN(12), 1+r.IntN(28), 20+r.IntN(6), r.IntN(24), r.IntN(60))
			}
			x, y := r.IntN(Width-40), 12+r.IntN(Height-14)
			d.Dot = fixed.P(x, y)
			d.DrawString(word)
		}
	}
	if r.Float64() < 0.6 { // depth scale: ticks every centimetre beside the field
		side := x1 + uni(r, 3, 8)
		if r.IntN(2) == 0 {
			side = x0 - uni(r, 4, 9)
		}
		step := 10 * g.ppm * g.k
		for y := y0; y < y1; y += step {
			for dx := 0; dx < 3; dx++ {
				dst.Set(int(side)+dx, int(y), color.Gray{200})
			}
		}
	}
	if r.Float64() < 0.4 && x1 < Width-14 { // grey bar
		bx := int(x1) + 6 + r.IntN(max(1, Width-int(x1)-13))
		by := 10 + r.IntN(80)
		for y := 0; y < 100; y++ {
			for x := 0; x < 6; x++ {
				dst.Set(bx+x, by+y, color.Gray{uint8(255 - 255*y/100)})
			}
		}
	}
	if r.Float64() < 0.3 && y0 > 18 { // banner
		c := color.Gray{uint8(uni(r, 15, 45))}
		for y := 0; y < int(y0)-6; y++ {
			for x := 0; x < Width; x++ {
				dst.Set(x, y, c)
			}
		}
		d := font.Drawer{Dst: dst, Src: image.NewUniform(color.Gray{uint8(uni(r, 120, 220))}), Face: basicfont.Face7x13, Dot: fixed.P(r.IntN(200), 13)}
		d.DrawString(uiWords[r.IntN(len(uiWords))])
	}
}
