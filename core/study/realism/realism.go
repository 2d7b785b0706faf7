// Package realism measures how much synthetic ultrasound images (phantoms)
// look like real ones, the way the segmentation model sees them: each image's
// ultrasound field is cropped and area-resized into the model's input grid
// (modelio.Prepare), and statistics are taken over the field's pixels only —
// grey-level histogram, speckle autocorrelation length across and along the
// beam, mean depth profile, edge density — plus a real-vs-phantom patch
// classifier whose cross-validated accuracy near 50 % means the two sets are
// hard to tell apart.
package realism

import (
	"fmt"
	"image"
	"math"

	"myoseg/core/imaging/field"
	"myoseg/core/imaging/modelio"
	"myoseg/core/nn/onnxmodel"
)

// The model's input grid.
const (
	ViewH = 240
	ViewW = 256
)

// Bins of the grey-level histogram and of the depth profile.
const (
	HistBins  = 32
	DepthBins = 10
)

// edgeGrey is the gradient (grey levels per pixel, Sobel / 4) above which a
// pixel counts as an edge: bright septa and fascia, not speckle.
const edgeGrey = 12

// View is an image as the model sees it: grey values 0..255 on the input
// grid, and which grid pixels lie inside the ultrasound field.
type View struct {
	Grey  []float32 // ViewH×ViewW
	Valid []bool
}

// NewView crops g's ultrasound field (field.FindMask) and resizes it into
// the model's grid as modelio.Prepare does; a grid pixel is valid when the
// field covers all of it.
func NewView(g *image.Gray) (View, error) {
	if g == nil || g.Bounds().Empty() {
		return View{}, fmt.Errorf("realism: empty image")
	}
	res, fm := field.FindMask(g)
	info := onnxmodel.Info{InputH: ViewH, InputW: ViewW, Mean: 0, Std: 1.0 / 255}
	in, err := modelio.Prepare(g, res.Rect, info)
	if err != nil {
		return View{}, fmt.Errorf("realism: %w", err)
	}
	inm, err := modelio.Prepare(fm, res.Rect, info)
	if err != nil {
		return View{}, fmt.Errorf("realism: field mask: %w", err)
	}
	v := View{Grey: in.Data, Valid: make([]bool, ViewH*ViewW)}
	n := 0
	for i, m := range inm.Data {
		if m >= 254.5 {
			v.Valid[i] = true
			n++
		}
	}
	if n < 1000 {
		return View{}, fmt.Errorf("realism: the ultrasound field covers only %d model pixels", n)
	}
	return v, nil
}

// Stats are one image's statistics.
type Stats struct {
	Hist        [HistBins]float64 // share of field pixels per grey bin
	Mean, SD    float64           // grey
	CorrLenX    float64           // speckle autocorrelation length across the beam, px of the grid
	CorrLenY    float64           // along the beam
	Depth       [DepthBins]float64
	EdgeDensity float64 // share of field pixels with gradient > edgeGrey
}

// Measure computes v's statistics.
func Measure(v View) Stats {
	var s Stats
	n := 0.0
	var sum, sum2 float64
	for i, ok := range v.Valid {
		if !ok {
			continue
		}
		g := float64(v.Grey[i])
		s.Hist[min(HistBins-1, max(0, int(g*HistBins/256)))]++
		sum += g
		sum2 += g * g
		n++
	}
	for b := range s.Hist {
		s.Hist[b] /= n
	}
	s.Mean = sum / n
	s.SD = math.Sqrt(math.Max(0, sum2/n-s.Mean*s.Mean))
	res := residual(v)
	s.CorrLenX = corrLength(res, v.Valid, 1, 0)
	s.CorrLenY = corrLength(res, v.Valid, 0, 1)
	// Depth profile: rows from the field's first to its last valid row.
	top, bot := -1, -1
	for y := 0; y < ViewH; y++ {
		for x := 0; x < ViewW; x++ {
			if v.Valid[y*ViewW+x] {
				if top < 0 {
					top = y
				}
				bot = y
				break
			}
		}
	}
	var cnt [DepthBins]float64
	for y := top; y <= bot && top >= 0; y++ {
		b := min(DepthBins-1, (y-top)*DepthBins/(bot-top+1))
		for x := 0; x < ViewW; x++ {
			if k := y*ViewW + x; v.Valid[k] {
				s.Depth[b] += float64(v.Grey[k])
				cnt[b]++
			}
		}
	}
	for b := range s.Depth {
		if cnt[b] > 0 {
			s.Depth[b] /= cnt[b]
		}
	}
	edges, inner := 0.0, 0.0
	for y := 1; y < ViewH-1; y++ {
		for x := 1; x < ViewW-1; x++ {
			if !interior(v.Valid, x, y, 1) {
				continue
			}
			inner++
			if gradient(v.Grey, x, y) > edgeGrey {
				edges++
			}
		}
	}
	if inner > 0 {
		s.EdgeDensity = edges / inner
	}
	return s
}

// interior says whether every pixel within r of (x, y) is valid.
func interior(valid []bool, x, y, r int) bool {
	if x < r || y < r || x >= ViewW-r || y >= ViewH-r {
		return false
	}
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if !valid[(y+dy)*ViewW+x+dx] {
				return false
			}
		}
	}
	return true
}

// gradient is the Sobel magnitude / 4 (grey levels per pixel) at (x, y).
func gradient(g []float32, x, y int) float64 {
	at := func(dx, dy int) float64 { return float64(g[(y+dy)*ViewW+x+dx]) }
	gx := at(1, -1) + 2*at(1, 0) + at(1, 1) - at(-1, -1) - 2*at(-1, 0) - at(-1, 1)
	gy := at(-1, 1) + 2*at(0, 1) + at(1, 1) - at(-1, -1) - 2*at(0, -1) - at(1, -1)
	return math.Hypot(gx, gy) / 4
}

// residual is the grey minus its local 9×9 mean over valid pixels: the
// speckle without the tissue's slow brightness changes.
func residual(v View) []float64 {
	const r = 4
	out := make([]float64, ViewH*ViewW)
	for y := 0; y < ViewH; y++ {
		for x := 0; x < ViewW; x++ {
			k := y*ViewW + x
			if !v.Valid[k] {
				continue
			}
			var s, n float64
			for yy := max(0, y-r); yy <= min(ViewH-1, y+r); yy++ {
				for xx := max(0, x-r); xx <= min(ViewW-1, x+r); xx++ {
					if j := yy*ViewW + xx; v.Valid[j] {
						s += float64(v.Grey[j])
						n++
					}
				}
			}
			out[k] = float64(v.Grey[k]) - s/n
		}
	}
	return out
}

// corrLength is the lag (px, interpolated) at which the normalised
// autocorrelation of res along (dx, dy) first drops below 1/e; 12 when it
// never does within 12 px.
func corrLength(res []float64, valid []bool, dx, dy int) float64 {
	const maxLag = 12
	c := make([]float64, maxLag+1)
	for lag := 0; lag <= maxLag; lag++ {
		var s, a2, b2 float64
		for y := 0; y+lag*dy < ViewH; y++ {
			for x := 0; x+lag*dx < ViewW; x++ {
				k, j := y*ViewW+x, (y+lag*dy)*ViewW+x+lag*dx
				if valid[k] && valid[j] {
					s += res[k] * res[j]
					a2 += res[k] * res[k]
					b2 += res[j] * res[j]
				}
			}
		}
		if a2 > 0 && b2 > 0 {
			c[lag] = s / math.Sqrt(a2*b2)
		}
		if lag > 0 && c[lag] < 1/math.E {
			return float64(lag-1) + (c[lag-1]-1/math.E)/(c[lag-1]-c[lag])
		}
	}
	return maxLag
}
