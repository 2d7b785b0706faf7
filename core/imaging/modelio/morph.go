package modelio

import "myoseg/core/imaging/edt"

// Binary masks here are []bool in row-major order, w×h. Morphology with a
// disc of radius r goes through exact Euclidean distance transforms
// (core/imaging/edt), so it costs O(w·h) whatever r: the paper's radii scaled to a
// 1456-pixel-wide panoramic image would make a sliding disc far too slow.

// erode keeps the pixels whose disc of radius r lies inside the mask.
// Outside the image counts as inside, as in MATLAB's imerode: a muscle cut
// off by the image edge is not eaten from that edge.
func erode(m []bool, w, h int, r float64) []bool {
	d := edt.ToNearest(w, h, func(i int) bool { return !m[i] })
	out := make([]bool, len(m))
	for i := range m {
		out[i] = d[i] > r*r
	}
	return out
}

// dilate sets the pixels within r of the mask.
func dilate(m []bool, w, h int, r float64) []bool {
	d := edt.ToNearest(w, h, func(i int) bool { return m[i] })
	out := make([]bool, len(m))
	for i := range m {
		out[i] = d[i] <= r*r
	}
	return out
}

func open(m []bool, w, h int, r float64) []bool { return dilate(erode(m, w, h, r), w, h, r) }

// fillHoles sets every background pixel not 4-connected to the border.
func fillHoles(m []bool, w, h int) []bool {
	outside := make([]bool, len(m))
	stack := make([]int, 0, 2*(w+h))
	push := func(i int) {
		if !m[i] && !outside[i] {
			outside[i] = true
			stack = append(stack, i)
		}
	}
	for x := 0; x < w; x++ {
		push(x)
		push((h-1)*w + x)
	}
	for y := 0; y < h; y++ {
		push(y * w)
		push(y*w + w - 1)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := i%w, i/w
		if x > 0 {
			push(i - 1)
		}
		if x < w-1 {
			push(i + 1)
		}
		if y > 0 {
			push(i - w)
		}
		if y < h-1 {
			push(i + w)
		}
	}
	out := make([]bool, len(m))
	for i := range m {
		out[i] = m[i] || !outside[i]
	}
	return out
}

// component is one 8-connected region.
type component struct {
	label int
	area  int
	sumY  int
}

// components labels the 8-connected regions of m; labels start at 1.
func components(m []bool, w, h int) ([]int32, []component) {
	labels := make([]int32, len(m))
	var comps []component
	var stack []int
	for start := range m {
		if !m[start] || labels[start] != 0 {
			continue
		}
		c := component{label: len(comps) + 1}
		labels[start] = int32(c.label)
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			x, y := i%w, i/w
			c.area++
			c.sumY += y
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					j := yy*w + xx
					if m[j] && labels[j] == 0 {
						labels[j] = int32(c.label)
						stack = append(stack, j)
					}
				}
			}
		}
		comps = append(comps, c)
	}
	return labels, comps
}

// keepMuscle applies the seed paper's rule: when the second-largest region
// is at most 75 % of the largest, keep the largest; otherwise keep the more
// superficial of the two (smaller mean depth), since the muscle of interest
// lies above its deeper neighbours.
func keepMuscle(m []bool, w, h int) []bool {
	labels, comps := components(m, w, h)
	if len(comps) == 0 {
		return m
	}
	first, second := -1, -1
	for i, c := range comps {
		switch {
		case first < 0 || c.area > comps[first].area:
			first, second = i, first
		case second < 0 || c.area > comps[second].area:
			second = i
		}
	}
	keep := comps[first]
	if second >= 0 && float64(comps[second].area) > 0.75*float64(keep.area) {
		a, b := comps[first], comps[second]
		if float64(b.sumY)/float64(b.area) < float64(a.sumY)/float64(a.area) {
			keep = b
		}
	}
	out := make([]bool, len(m))
	for i, l := range labels {
		out[i] = int(l) == keep.label
	}
	return out
}
