// Package modelio turns an ultrasound field into the model's input and the
// model's output back into a muscle mask on the original pixels, with the
// seed paper's post-processing (Marzola et al. 2021): threshold, fill holes,
// erosion r=3, dilation r=5, opening r=10 (radii at 480×512, scaled to the
// field), keep the largest or the more superficial component, fill holes.
package modelio

import (
	"fmt"
	"image"
	"math"

	"myoseg/core/imaging/mask"
	"myoseg/core/nn/onnxmodel"
)

// Seed image size the paper's radii refer to.
const seedH, seedW = 480, 512

// Input is a prepared model input and where the field sits inside it.
type Input struct {
	Data  []float32       // 1×1×H×W, normalised as the model's metadata says
	Place image.Rectangle // the field's footprint in model pixels
	Field image.Rectangle // the field in image pixels
}

// Prepare crops the field, fits it into the model's H×W keeping its aspect
// ratio (top-aligned, centred across; the rest is black, like outside a
// scan), resizes by area averaging and normalises.
func Prepare(g *image.Gray, field image.Rectangle, info onnxmodel.Info) (Input, error) {
	field = field.Intersect(g.Bounds())
	if field.Empty() {
		return Input{}, fmt.Errorf("segment: empty ultrasound field")
	}
	H, W := info.InputH, info.InputW
	s := math.Min(float64(H)/float64(field.Dy()), float64(W)/float64(field.Dx()))
	sh := min(H, max(1, int(math.Round(float64(field.Dy())*s))))
	sw := min(W, max(1, int(math.Round(float64(field.Dx())*s))))
	x0 := (W - sw) / 2
	place := image.Rect(x0, 0, x0+sw, sh)

	small := areaResize(g, field, sw, sh)
	if info.PerImage {
		return Input{Data: standardise(small, sw, sh, x0, W, H), Place: place, Field: field}, nil
	}
	bg := (0 - info.Mean) / info.Std
	data := make([]float32, H*W)
	for i := range data {
		data[i] = bg
	}
	inv := 1 / (255 * info.Std)
	off := info.Mean / info.Std
	for y := 0; y < sh; y++ {
		row := data[y*W+x0:][:sw]
		for x := range row {
			row[x] = small[y*sw+x]*inv - off
		}
	}
	return Input{Data: data, Place: place, Field: field}, nil
}

// standardise places the w×h grey values at column x0 of a black W×H grid
// and standardises it: (grey/255 − mean)/sd over the whole grid, black
// included, as models/train does for a model whose metadata says
// myoseg.norm = image. A flat grid (sd under 1e-3) is only centred.
func standardise(small []float32, w, h, x0, W, H int) []float32 {
	var s, s2 float64
	for _, v := range small {
		f := float64(v) / 255
		s += f
		s2 += f * f
	}
	n := float64(W * H)
	mean := s / n
	sd := math.Sqrt(math.Max(0, s2/n-mean*mean))
	if sd < 1e-3 {
		sd = 1
	}
	data := make([]float32, W*H)
	bg := float32(-mean / sd)
	for i := range data {
		data[i] = bg
	}
	inv, off := float32(1/(255*sd)), float32(mean/sd)
	for y := 0; y < h; y++ {
		row := data[y*W+x0:][:w]
		for x := range row {
			row[x] = small[y*w+x]*inv - off
		}
	}
	return data
}

// weights lists, for each output index, the input indices and fractions of
// a box filter from n inputs to m outputs (exact pixel coverage).
type tap struct {
	i int
	w float32
}

func boxTaps(n, m int) [][]tap {
	taps := make([][]tap, m)
	scale := float64(n) / float64(m)
	for o := 0; o < m; o++ {
		lo, hi := float64(o)*scale, float64(o+1)*scale
		for i := int(lo); i < n && float64(i) < hi; i++ {
			cover := math.Min(hi, float64(i+1)) - math.Max(lo, float64(i))
			if cover > 1e-9 {
				taps[o] = append(taps[o], tap{i, float32(cover / scale)})
			}
		}
	}
	return taps
}

// areaResize averages the grey values of r in g onto a w×h grid.
func areaResize(g *image.Gray, r image.Rectangle, w, h int) []float32 {
	tx, ty := boxTaps(r.Dx(), w), boxTaps(r.Dy(), h)
	// Horizontal pass per input row, then vertical.
	rows := make([]float32, r.Dy()*w)
	for y := 0; y < r.Dy(); y++ {
		src := g.Pix[g.PixOffset(r.Min.X, r.Min.Y+y):][:r.Dx()]
		dst := rows[y*w:][:w]
		for x, ts := range tx {
			var acc float32
			for _, t := range ts {
				acc += t.w * float32(src[t.i])
			}
			dst[x] = acc
		}
	}
	out := make([]float32, w*h)
	for y, ts := range ty {
		dst := out[y*w:][:w]
		for _, t := range ts {
			src := rows[t.i*w:][:w]
			for x := range dst {
				dst[x] += t.w * src[x]
			}
		}
	}
	return out
}

// Mask turns the model's probabilities into the muscle mask on the
// original image (bounds of size), 0/255: the probabilities under the
// field's footprint are resampled bilinearly to the field's pixels,
// thresholded and post-processed there; nothing outside the field is ever
// marked.
func Mask(prob []float32, in Input, info onnxmodel.Info, size image.Rectangle, post Post) (*image.Gray, error) {
	H, W := info.InputH, info.InputW
	if len(prob) != H*W {
		return nil, fmt.Errorf("segment: model output has %d values, want %d×%d", len(prob), H, W)
	}
	fw, fh := in.Field.Dx(), in.Field.Dy()
	m := make([]bool, fw*fh)
	pw, ph := in.Place.Dx(), in.Place.Dy()
	sx, sy := float64(pw)/float64(fw), float64(ph)/float64(fh)
	// The horizontal taps are the same on every row.
	type xtap struct {
		x0, x1 int
		ax     float32
	}
	xt := make([]xtap, fw)
	for x := range xt {
		fx := math.Max(0, math.Min(float64(pw-1), (float64(x)+0.5)*sx-0.5))
		x0 := int(fx)
		xt[x] = xtap{x0, min(x0+1, pw-1), float32(fx - float64(x0))}
	}
	for y := 0; y < fh; y++ {
		fy := math.Max(0, math.Min(float64(ph-1), (float64(y)+0.5)*sy-0.5))
		y0 := int(fy)
		y1 := min(y0+1, ph-1)
		ay := float32(fy - float64(y0))
		r0 := prob[(in.Place.Min.Y+y0)*W+in.Place.Min.X:][:pw]
		r1 := prob[(in.Place.Min.Y+y1)*W+in.Place.Min.X:][:pw]
		row := m[y*fw : (y+1)*fw]
		for x, t := range xt {
			top := r0[t.x0] + t.ax*(r0[t.x1]-r0[t.x0])
			bot := r1[t.x0] + t.ax*(r1[t.x1]-r1[t.x0])
			row[x] = top+ay*(bot-top) > info.Threshold
		}
	}
	k := math.Max(float64(fh)/seedH, float64(fw)/seedW)
	m = PostProcess(m, fw, fh, k, post)

	out := image.NewGray(size)
	mask.Mask{W: fw, H: fh, Pix: m}.Paint(out, in.Field.Min)
	return out, nil
}

// Post holds the radii of the clean-up, in pixels of a 480×512 image.
type Post struct {
	Erode, Dilate, Open float64
}

// PaperPost is the seed paper's clean-up: erosion r=3, dilation r=5,
// opening r=10. The larger dilation grows every outline by 2 px, which
// inflates the CSA (≈ +4 % for a muscle of 100 px radius; see
// TestPaperPostGrowsOutline).
func PaperPost() Post { return Post{Erode: 3, Dilate: 5, Open: 10} }

// DefaultPost keeps the paper's steps with the dilation matched to the
// erosion, so speckle-sized blobs go and the outline stays where the model
// put it: an unbiased CSA.
func DefaultPost() Post { return Post{Erode: 3, Dilate: 3, Open: 10} }

// PostProcess cleans a thresholded mask of w×h pixels the seed paper's way:
// fill holes, erode, dilate, open, keep the muscle's component, fill holes.
// k scales the radii (k = 1 at 480×512).
// m is left as it is.
func PostProcess(m []bool, w, h int, k float64, p Post) []bool {
	m = mask.FillHoles(mask.Mask{W: w, H: h, Pix: m}).Pix
	mo := morph{w: w, h: h}
	mo.erode(m, p.Erode*k)
	mo.dilate(m, p.Dilate*k)
	mo.erode(m, p.Open*k) // opening: erode, then dilate by the same radius
	mo.dilate(m, p.Open*k)
	m = keepMuscle(m, w, h)
	return mask.FillHoles(mask.Mask{W: w, H: h, Pix: m}).Pix
}
