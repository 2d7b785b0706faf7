package modelio

import (
	"image"
	"math"

	"myoseg/core/imaging/edt"
	"myoseg/core/imaging/mask"
)

// Binary masks here are the pixels of a mask.Mask: []bool in row-major
// order, w×h. Morphology with a disc of radius r goes through exact
// Euclidean distance transforms (core/imaging/edt), so it costs O(w·h)
// whatever r: the paper's radii scaled to a 1456-pixel-wide panoramic image
// would make a sliding disc far too slow.

// morph applies disc morphology in place to w×h masks; the distance buffer
// (8 bytes a pixel) is reused from one step to the next. Each step works
// in a box around the set pixels, which gives the same distances as the
// whole image (see erode and dilate) on a fraction of the pixels.
type morph struct {
	w, h int
	d    []float64
}

// erode keeps the pixels whose disc of radius r lies inside the mask.
// Outside the image counts as inside, as in MATLAB's imerode: a muscle cut
// off by the image edge is not eaten from that edge.
func (mo *morph) erode(m []bool, r float64) {
	// Only set pixels can stay set. The box has an unset frame wherever it
	// does not meet the image's edge, so any unset pixel beyond it has a
	// nearer one on the frame: the pixel's distance is the same in the box.
	mo.apply(m, 1, false, func(d float64) bool { return d > r*r })
}

// dilate sets the pixels within r of the mask.
func (mo *morph) dilate(m []bool, r float64) {
	// Pixels more than r from the set pixels' box are more than r from
	// every set pixel, and the nearest set pixel of one inside is in it.
	grow := mo.w + mo.h // the whole image, also for a NaN radius
	if a := math.Abs(r); a < float64(grow) {
		grow = int(math.Ceil(a))
	}
	mo.apply(m, grow, true, func(d float64) bool { return d <= r*r })
}

// apply sets each pixel of the set pixels' box grown by grow (clipped to
// the image) to keep(squared distance to the nearest pixel where m equals
// feature, within the box). Pixels outside the box are unset, and stay so.
func (mo *morph) apply(m []bool, grow int, feature bool, keep func(d float64) bool) {
	mk := mask.Mask{W: mo.w, H: mo.h, Pix: m}
	set := mk.Bounds()
	if set.Empty() {
		return // nothing set: erosion and dilation keep it so
	}
	box := set.Inset(-grow).Intersect(image.Rect(0, 0, mo.w, mo.h))
	sub := mk.Crop(box)
	mo.d = edt.ToMask(mo.d, sub.Pix, sub.W, sub.H, feature)
	for y := 0; y < sub.H; y++ {
		row := m[(box.Min.Y+y)*mo.w+box.Min.X:][:sub.W]
		for x, d := range mo.d[y*sub.W : (y+1)*sub.W] {
			row[x] = keep(d)
		}
	}
}

// keepMuscle applies the seed paper's rule: when the second-largest region
// is at most 75 % of the largest, keep the largest; otherwise keep the more
// superficial of the two (smaller mean depth), since the muscle of interest
// lies above its deeper neighbours. Regions are 8-connected.
func keepMuscle(m []bool, w, h int) []bool {
	// Regions lie in the set pixels' box: label only there.
	full := mask.Mask{W: w, H: h, Pix: m}
	box := full.Bounds()
	labels, comps := mask.Label(full.Crop(box))
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
	// Mean depth in image rows; the box's offset is added back exactly.
	depth := func(c mask.Component) float64 {
		return float64(c.SumY+c.Area*box.Min.Y) / float64(c.Area)
	}
	keep := first
	if second >= 0 {
		a, b := comps[first], comps[second]
		if float64(b.Area) > 0.75*float64(a.Area) && depth(b) < depth(a) {
			keep = second
		}
	}
	out := make([]bool, len(m))
	bw := box.Dx()
	for y := 0; y < box.Dy(); y++ {
		row := out[(box.Min.Y+y)*w+box.Min.X:][:bw]
		for x, l := range labels[y*bw : (y+1)*bw] {
			row[x] = int(l) == keep+1
		}
	}
	return out
}
