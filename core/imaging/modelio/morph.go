package modelio

import (
	"myoseg/core/imaging/edt"
	"myoseg/core/imaging/mask"
)

// Binary masks here are the pixels of a mask.Mask: []bool in row-major
// order, w×h. Morphology with a disc of radius r goes through exact
// Euclidean distance transforms (core/imaging/edt), so it costs O(w·h)
// whatever r: the paper's radii scaled to a 1456-pixel-wide panoramic image
// would make a sliding disc far too slow.

// morph applies disc morphology in place to w×h masks; the distance buffer
// (8 bytes a pixel) is reused from one step to the next.
type morph struct {
	w, h int
	d    []float64
}

// erode keeps the pixels whose disc of radius r lies inside the mask.
// Outside the image counts as inside, as in MATLAB's imerode: a muscle cut
// off by the image edge is not eaten from that edge.
func (mo *morph) erode(m []bool, r float64) {
	mo.d = edt.ToMask(mo.d, m, mo.w, mo.h, false)
	for i, d := range mo.d {
		m[i] = d > r*r
	}
}

// dilate sets the pixels within r of the mask.
func (mo *morph) dilate(m []bool, r float64) {
	mo.d = edt.ToMask(mo.d, m, mo.w, mo.h, true)
	for i, d := range mo.d {
		m[i] = d <= r*r
	}
}

// keepMuscle applies the seed paper's rule: when the second-largest region
// is at most 75 % of the largest, keep the largest; otherwise keep the more
// superficial of the two (smaller mean depth), since the muscle of interest
// lies above its deeper neighbours. Regions are 8-connected.
func keepMuscle(m []bool, w, h int) []bool {
	labels, comps := mask.Label(mask.Mask{W: w, H: h, Pix: m})
	if len(comps) == 0 {
		return m
	}
	first, second := -1, -1
	for i, c := range comps {
		switch {
		case first < 0 || c.Area > comps[first].Area:
			first, second = i, first
		case second < 0 || c.Area > comps[second].Area:
			second = i
		}
	}
	keep := first
	if second >= 0 {
		a, b := comps[first], comps[second]
		if float64(b.Area) > 0.75*float64(a.Area) && float64(b.SumY)/float64(b.Area) < float64(a.SumY)/float64(a.Area) {
			keep = second
		}
	}
	out := make([]bool, len(m))
	for i, l := range labels {
		out[i] = int(l) == keep+1
	}
	return out
}
