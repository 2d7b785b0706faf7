package eval

import (
	"errors"
	"image"
	"math"

	"myoseg/core/imaging/edt"
	"myoseg/core/imaging/mask"
)

// Overlap holds the pixel-count metrics of an automatic mask against the
// manual (expert) one. A metric whose denominator is zero is NaN: precision
// when the automatic mask is empty, recall when the manual one is, Dice and
// IoU when both are.
type Overlap struct {
	TP, FP, FN                   int // muscle in both; automatic only; manual only
	Precision, Recall, Dice, IoU float64
}

// CompareMasks counts the overlap of auto against manual (non-zero = muscle).
// Both must have the same bounds.
func CompareMasks(auto, manual *image.Gray) (Overlap, error) {
	if auto.Bounds() != manual.Bounds() {
		return Overlap{}, errors.New("masks differ in size")
	}
	b := auto.Bounds()
	var o Overlap
	for y := b.Min.Y; y < b.Max.Y; y++ {
		ar := auto.Pix[auto.PixOffset(b.Min.X, y):][:b.Dx()]
		mr := manual.Pix[manual.PixOffset(b.Min.X, y):][:b.Dx()]
		for i, a := range ar {
			switch m := mr[i] != 0; {
			case a != 0 && m:
				o.TP++
			case a != 0:
				o.FP++
			case m:
				o.FN++
			}
		}
	}
	ratio := func(num, den int) float64 {
		if den == 0 {
			return math.NaN()
		}
		return float64(num) / float64(den)
	}
	o.Precision = ratio(o.TP, o.TP+o.FP)
	o.Recall = ratio(o.TP, o.TP+o.FN)
	o.Dice = ratio(2*o.TP, 2*o.TP+o.FP+o.FN)
	o.IoU = ratio(o.TP, o.TP+o.FP+o.FN)
	return o, nil
}

// Surface is the distance between two masks' boundaries.
//
// A boundary pixel is a muscle pixel with a 4-neighbour that is not muscle;
// pixels beyond the image count as not muscle, so a mask cut by the image
// edge has a boundary along it (the convention of scipy's binary_erosion
// with border 0, used by most surface-distance tools). Distances run between
// pixel centres, so identical masks are 0 apart.
type Surface struct {
	// Hausdorff is the largest distance from a boundary pixel of either mask
	// to the other mask's boundary (symmetric Hausdorff distance).
	Hausdorff float64
	// Mean is the average symmetric surface distance: the mean, over the
	// boundary pixels of both masks, of the distance to the other boundary.
	Mean float64
}

// SurfaceDistance measures the boundaries of a and b (same bounds, non-zero =
// muscle) with pixels sx wide and sy tall (1, 1 for pixel units; mm per
// pixel for millimetres). Either mask empty is an error: no boundary, no
// distance. Cost is linear in the area of the boundaries' bounding box: two
// exact Euclidean distance transforms (Felzenszwalb & Huttenlocher 2012),
// never pairwise comparisons.
func SurfaceDistance(a, b *image.Gray, sx, sy float64) (Surface, error) {
	if a.Bounds() != b.Bounds() {
		return Surface{}, errors.New("masks differ in size")
	}
	if !(sx > 0 && sy > 0) {
		return Surface{}, errors.New("pixel size must be positive")
	}
	ba, boxA := boundary(a)
	bb, boxB := boundary(b)
	if len(ba) == 0 || len(bb) == 0 {
		return Surface{}, errors.New("a mask is empty: no boundary to measure")
	}
	// Every boundary pixel lies in the union box, so the transforms can be
	// restricted to it without changing any distance.
	box := boxA.Union(boxB)
	da := distancesTo(bb, ba, box, sx, sy)
	db := distancesTo(ba, bb, box, sx, sy)
	var s Surface
	var sum float64
	for _, d := range da {
		s.Hausdorff = math.Max(s.Hausdorff, d)
		sum += d
	}
	for _, d := range db {
		s.Hausdorff = math.Max(s.Hausdorff, d)
		sum += d
	}
	s.Mean = sum / float64(len(da)+len(db))
	return s, nil
}

// boundary lists the mask's boundary pixels and their bounding box.
func boundary(g *image.Gray) ([]image.Point, image.Rectangle) {
	b := g.Bounds()
	// The blank frame stands for what lies beyond the image: not muscle.
	m := mask.FromGray(g, b.Inset(-1))
	var pts []image.Point
	var box image.Rectangle
	for y := 1; y < m.H-1; y++ {
		for x := 1; x < m.W-1; x++ {
			i := y*m.W + x
			if !m.Pix[i] || m.Pix[i-1] && m.Pix[i+1] && m.Pix[i-m.W] && m.Pix[i+m.W] {
				continue
			}
			p := image.Pt(b.Min.X+x-1, b.Min.Y+y-1)
			pts = append(pts, p)
			box = box.Union(image.Rectangle{p, p.Add(image.Pt(1, 1))})
		}
	}
	return pts, box
}

// distancesTo returns, for each query point, the distance to the nearest
// feature point; all points lie in box.
func distancesTo(features, queries []image.Point, box image.Rectangle, sx, sy float64) []float64 {
	w, h := box.Dx(), box.Dy()
	d := make([]float64, w*h)
	for i := range d {
		d[i] = edt.Far
	}
	for _, p := range features {
		d[(p.Y-box.Min.Y)*w+p.X-box.Min.X] = 0
	}
	edt.Squared(d, w, h, sx, sy)
	out := make([]float64, len(queries))
	for i, p := range queries {
		out[i] = math.Sqrt(d[(p.Y-box.Min.Y)*w+p.X-box.Min.X])
	}
	return out
}
