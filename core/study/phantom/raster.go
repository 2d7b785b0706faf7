package phantom

import (
	"image"
	"math"
	"slices"

	"myoseg/core/imaging/edt"
)

// fillPolygon sets mask[y*w+x] = 1 for every pixel whose centre lies inside
// the closed polygon (even-odd rule), clipped to w×h. It returns the count.
func fillPolygon(poly []Point, mask []uint8, w, h int) int {
	n := 0
	xs := make([]float64, 0, 16)
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, p := range poly {
		minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
	}
	y0 := max(0, int(math.Floor(minY)))
	y1 := min(h-1, int(math.Ceil(maxY)))
	for y := y0; y <= y1; y++ {
		cy := float64(y) + 0.5
		xs = xs[:0]
		for i := range poly {
			a, b := poly[i], poly[(i+1)%len(poly)]
			if (a.Y <= cy) != (b.Y <= cy) {
				xs = append(xs, a.X+(cy-a.Y)*(b.X-a.X)/(b.Y-a.Y))
			}
		}
		slices.Sort(xs)
		for k := 0; k+1 < len(xs); k += 2 {
			// pixel x is inside when xs[k] < x+0.5 < xs[k+1]
			xa := max(0, int(math.Ceil(xs[k]-0.5)))
			xb := min(w-1, int(math.Ceil(xs[k+1]-0.5))-1)
			row := mask[y*w:]
			for x := xa; x <= xb; x++ {
				row[x] = 1
				n++
			}
		}
	}
	return n
}

// polygonArea is the shoelace area (absolute).
func polygonArea(poly []Point) float64 {
	s := 0.0
	for i := range poly {
		a, b := poly[i], poly[(i+1)%len(poly)]
		s += a.X*b.Y - b.X*a.Y
	}
	return math.Abs(s) / 2
}

// clipPolygon clips poly to the rectangle [x0,x1]×[y0,y1]
// (Sutherland–Hodgman; exact for the convex clip window).
func clipPolygon(poly []Point, x0, y0, x1, y1 float64) []Point {
	type edge struct {
		inside func(Point) bool
		cross  func(a, b Point) Point
	}
	atX := func(x float64) func(a, b Point) Point {
		return func(a, b Point) Point { t := (x - a.X) / (b.X - a.X); return Point{x, a.Y + t*(b.Y-a.Y)} }
	}
	atY := func(y float64) func(a, b Point) Point {
		return func(a, b Point) Point { t := (y - a.Y) / (b.Y - a.Y); return Point{a.X + t*(b.X-a.X), y} }
	}
	edges := []edge{
		{func(p Point) bool { return p.X >= x0 }, atX(x0)},
		{func(p Point) bool { return p.X <= x1 }, atX(x1)},
		{func(p Point) bool { return p.Y >= y0 }, atY(y0)},
		{func(p Point) bool { return p.Y <= y1 }, atY(y1)},
	}
	out := poly
	for _, e := range edges {
		in := out
		out = nil
		for i := range in {
			a, b := in[(i+len(in)-1)%len(in)], in[i]
			switch {
			case e.inside(b):
				if !e.inside(a) {
					out = append(out, e.cross(a, b))
				}
				out = append(out, b)
			case e.inside(a):
				out = append(out, e.cross(a, b))
			}
		}
		if len(out) == 0 {
			return nil
		}
	}
	return out
}

// distanceWindow runs distanceTo on the window win of the w-wide planes
// src and dst (pixels outside win are left untouched).
func distanceWindow(src []uint8, w int, win image.Rectangle, dst []float32) {
	ww, wh := win.Dx(), win.Dy()
	sub := make([]uint8, ww*wh)
	for y := 0; y < wh; y++ {
		copy(sub[y*ww:(y+1)*ww], src[(win.Min.Y+y)*w+win.Min.X:])
	}
	d := make([]float32, ww*wh)
	distanceTo(sub, ww, wh, d)
	for y := 0; y < wh; y++ {
		copy(dst[(win.Min.Y+y)*w+win.Min.X:], d[y*ww:(y+1)*ww])
	}
}

// distanceTo returns, for every pixel, the Euclidean distance to the nearest
// pixel with src != 0 (core/imaging/edt's exact linear-time transform), into dst (w*h).
func distanceTo(src []uint8, w, h int, dst []float32) {
	d := edt.ToNearest(w, h, func(i int) bool { return src[i] != 0 })
	for i, v := range d {
		dst[i] = float32(math.Sqrt(v))
	}
}

// gaussKernel is a sampled Gaussian normalised to unit energy (Σk² = 1), so
// blurring white noise keeps its variance: the speckle's RMS stays the
// scatterers' amplitude.
func gaussKernel(sigma float64) []float32 {
	r := int(math.Ceil(2.5 * sigma))
	k := make([]float32, 2*r+1)
	e := 0.0
	for i := -r; i <= r; i++ {
		g := math.Exp(-float64(i*i) / (2 * sigma * sigma))
		k[i+r] = float32(g)
		e += g * g
	}
	s := float32(1 / math.Sqrt(e))
	for i := range k {
		k[i] *= s
	}
	return k
}

// blurRows convolves each row of src (w×h) with k into dst, edges clamped.
func blurRows(src, dst []float32, w, h int, k []float32) {
	r := len(k) / 2
	for y := 0; y < h; y++ {
		in := src[y*w : (y+1)*w]
		out := dst[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			var s float32
			if x >= r && x+r < w {
				win := in[x-r : x+r+1]
				for i, kv := range k {
					s += kv * win[i]
				}
			} else {
				for i, kv := range k {
					xx := min(w-1, max(0, x+i-r))
					s += kv * in[xx]
				}
			}
			out[x] = s
		}
	}
}

// blurCols convolves each column of src with k into dst, edges clamped;
// row-wise accumulation keeps memory access sequential.
func blurCols(src, dst []float32, w, h int, k []float32) {
	r := len(k) / 2
	for y := 0; y < h; y++ {
		out := dst[y*w : (y+1)*w]
		clear(out)
		for i, kv := range k {
			yy := min(h-1, max(0, y+i-r))
			in := src[yy*w : (yy+1)*w]
			for x := range out {
				out[x] += kv * in[x]
			}
		}
	}
}
