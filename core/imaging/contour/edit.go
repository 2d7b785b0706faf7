package contour

import (
	"errors"
	"math"

	"myoseg/core/imaging/mask"
)

// Handle counts for FromMask: enough to follow a muscle's outline, few
// enough to drag by hand.
const (
	MinHandles = 16
	MaxHandles = 40
)

// handleSpacing is the arc length (px) per handle FromMask starts from;
// fitDice is the agreement with the mask at which it stops adding handles.
const (
	handleSpacing = 25
	fitDice       = 0.98
)

// ErrEmpty is returned when a mask has no set pixel to outline.
var ErrEmpty = errors.New("contour: the mask is empty")

// FromMask returns the handles of a smooth contour around the largest
// 8-connected region of m (holes ignored): the region's pixel-edge outline,
// smoothed and cut into MinHandles..MaxHandles handles evenly spaced along
// it, as few as reproduce the region with Dice ≥ 0.98 through Outline.
func FromMask(m mask.Mask) ([]Point, error) {
	labels, comps := mask.Label(m)
	if len(comps) == 0 {
		return nil, ErrEmpty
	}
	best := 0
	for i, c := range comps {
		if c.Area > comps[best].Area {
			best = i
		}
	}
	id := int32(best + 1)
	region := mask.New(m.W, m.H)
	for i, l := range labels {
		region.Pix[i] = l == id
	}
	c := comps[best]
	start := Point{float64(c.Bounds.Min.X), float64(c.Bounds.Min.Y)}
	// The region's first pixel in raster order is on its top row.
	for x := c.Bounds.Min.X; x < c.Bounds.Max.X; x++ {
		if region.At(x, c.Bounds.Min.Y) {
			start.X = float64(x)
			break
		}
	}
	edge := smooth(resample(trace(region, int(start.X), int(start.Y)), 1), 2)
	per := perimeter(edge)
	n := min(MaxHandles, max(MinHandles, int(math.Round(per/handleSpacing))))
	var hs []Point
	for ; ; n = min(MaxHandles, n+4) {
		hs = Evenly(edge, n)
		out, err := Outline(hs, m.W, m.H)
		if err != nil || n == MaxHandles || dice(out, region) >= fitDice {
			break
		}
	}
	if len(hs) < 3 {
		return nil, ErrFewPoints
	}
	return hs, nil
}

// trace follows the outer pixel-edge boundary of the 8-connected region
// holding pixel (x0, y0), its first pixel in raster order, and returns the
// pixel corners along it, clockwise on screen. Filled at pixel centres, the
// result is exactly the region without its holes.
func trace(m mask.Mask, x0, y0 int) []Point {
	// Walk with the region on the right. At each corner, of the two pixels
	// ahead, the left one set means the boundary turns left (keeping a
	// diagonal neighbour in, as regions are 8-connected), the right one
	// alone means straight on, neither means a right turn.
	in := func(cx, cy, sx, sy int) bool { return m.At(cx+(sx-1)/2, cy+(sy-1)/2) }
	cx, cy, dx, dy := x0, y0, 1, 0
	var pts []Point
	for {
		pts = append(pts, Point{float64(cx), float64(cy)})
		lx, ly := dy, -dx // left normal, y down
		rx, ry := -dy, dx
		switch {
		case in(cx, cy, dx+lx, dy+ly):
			dx, dy = lx, ly
		case in(cx, cy, dx+rx, dy+ry):
		default:
			dx, dy = rx, ry
		}
		cx, cy = cx+dx, cy+dy
		if cx == x0 && cy == y0 {
			return pts
		}
	}
}

// resample returns the closed polyline pts with points every step along it.
func resample(pts []Point, step float64) []Point {
	return Evenly(pts, max(3, int(math.Round(perimeter(pts)/step))))
}

// Evenly returns n points evenly spaced by arc length along the closed
// polyline pts, starting at pts[0].
func Evenly(pts []Point, n int) []Point {
	total := perimeter(pts)
	out := make([]Point, 0, n)
	if total == 0 || n <= 0 {
		return out
	}
	seg, done := 0, 0.0 // current segment and arc length before it
	for k := range n {
		at := total * float64(k) / float64(n)
		for {
			a, b := pts[seg], pts[(seg+1)%len(pts)]
			l := a.dist(b)
			if at <= done+l || seg == len(pts)-1 {
				t := 0.0
				if l > 0 {
					t = math.Min(1, (at-done)/l)
				}
				out = append(out, lerp(a, b, t))
				break
			}
			done += l
			seg++
		}
	}
	return out
}

// smooth is a circular moving average of radius r samples: it takes the
// staircase out of a pixel outline.
func smooth(pts []Point, r int) []Point {
	n := len(pts)
	out := make([]Point, n)
	for i := range pts {
		var s Point
		for k := -r; k <= r; k++ {
			s = s.add(pts[((i+k)%n+n)%n])
		}
		out[i] = s.scale(1 / float64(2*r+1))
	}
	return out
}

func perimeter(pts []Point) float64 {
	s := 0.0
	for i, a := range pts {
		s += a.dist(pts[(i+1)%len(pts)])
	}
	return s
}

// dice is 2|a∩b| / (|a|+|b|), 1 for two empty masks.
func dice(a, b mask.Mask) float64 {
	both, na, nb := 0, 0, 0
	for i, v := range a.Pix {
		w := b.Pix[i]
		if v {
			na++
		}
		if w {
			nb++
		}
		if v && w {
			both++
		}
	}
	if na+nb == 0 {
		return 1
	}
	return 2 * float64(both) / float64(na+nb)
}

// Move returns hs with handle i at p.
func Move(hs []Point, i int, p Point) ([]Point, error) {
	if i < 0 || i >= len(hs) {
		return nil, errors.New("contour: no such handle")
	}
	if !finite(p) {
		return nil, errNotFinite
	}
	out := append([]Point(nil), hs...)
	out[i] = p
	return out, nil
}

// Delete returns hs without handle i; a contour keeps at least three.
func Delete(hs []Point, i int) ([]Point, error) {
	if i < 0 || i >= len(hs) {
		return nil, errors.New("contour: no such handle")
	}
	if len(hs) <= 3 {
		return nil, ErrFewPoints
	}
	out := append([]Point(nil), hs[:i]...)
	return append(out, hs[i+1:]...), nil
}

// Insert returns hs with a new handle at p, placed between the two
// consecutive handles whose spline stretch passes closest to p, and the new
// handle's index.
func Insert(hs []Point, p Point) ([]Point, int, error) {
	if !finite(p) {
		return nil, 0, errNotFinite
	}
	if len(hs) < 3 {
		return nil, 0, ErrFewPoints
	}
	// Sample each stretch of the spline and find the closest sample.
	n := len(hs)
	best, bestD := 0, math.Inf(1)
	for i := range n {
		p0, p1, p2, p3 := hs[(i+n-1)%n], hs[i], hs[(i+1)%n], hs[(i+2)%n]
		if p1.dist(p2) < minGap {
			continue
		}
		for j := 0; j <= 16; j++ {
			q := catmullRom(p0, p1, p2, p3, float64(j)/16)
			if d := q.dist(p); d < bestD {
				best, bestD = i, d
			}
		}
	}
	out := append([]Point(nil), hs[:best+1]...)
	out = append(out, p)
	return append(out, hs[best+1:]...), best + 1, nil
}

// nudgeSpacing is the arc length (px) between the handles Nudge puts along
// a pushed stretch, as a fraction of the disk's radius.
const nudgeSpacing = 0.5

// Nudge pushes the contour through handles hs out of the disk of radius r
// around c, as a round tool pressed against it: the stretch of the spline
// inside the disk moves radially onto the disk's edge. From inside the
// region this grows it, from outside it shrinks it. The handles inside the
// disk are replaced by handles along the pushed stretch; the others stay.
// When the disk does not touch the contour, hs comes back unchanged.
func Nudge(hs []Point, c Point, r float64) ([]Point, error) {
	if !finite(c) || !(r > 0) || math.IsInf(r, 0) {
		return nil, errors.New("contour: the nudge needs a finite centre and a positive radius")
	}
	p, err := distinct(hs)
	if err != nil {
		return nil, err
	}
	n := len(p)
	// Dense samples of the spline; handle i is sample first[i].
	var dense []Point
	first := make([]int, n)
	for i := range n {
		first[i] = len(dense)
		p0, p1, p2, p3 := p[(i+n-1)%n], p[i], p[(i+1)%n], p[(i+2)%n]
		k := max(2, int(math.Ceil(p1.dist(p2))))
		for j := range k {
			dense = append(dense, catmullRom(p0, p1, p2, p3, float64(j)/float64(k)))
		}
	}
	inside := make([]bool, len(dense))
	any, all := false, true
	for i, q := range dense {
		inside[i] = q.dist(c) < r
		any = any || inside[i]
		all = all && inside[i]
	}
	if !any {
		return append([]Point(nil), hs...), nil
	}
	if all {
		return nil, errors.New("contour: the nudge disk covers the whole contour")
	}
	// Start the walk at a sample outside the disk so that every run of
	// inside samples is whole.
	s0 := 0
	for inside[s0] {
		s0++
	}
	isHandle := make([]bool, len(dense))
	for _, f := range first {
		isHandle[f] = true
	}
	var out []Point
	var run []Point
	flush := func() {
		if len(run) == 0 {
			return
		}
		step := math.Max(1, nudgeSpacing*r)
		pushed := make([]Point, len(run))
		for i, q := range run {
			pushed[i] = push(q, c, r)
		}
		// Keep both ends and points about every step between them.
		out = append(out, pushed[0])
		acc := 0.0
		for i := 1; i < len(pushed)-1; i++ {
			acc += pushed[i].dist(pushed[i-1])
			if acc >= step {
				out = append(out, pushed[i])
				acc = 0
			}
		}
		if len(pushed) > 1 {
			out = append(out, pushed[len(pushed)-1])
		}
		run = run[:0]
	}
	for k := range dense {
		i := (s0 + k) % len(dense)
		if inside[i] {
			run = append(run, dense[i])
			continue
		}
		flush()
		if isHandle[i] {
			out = append(out, dense[i])
		}
	}
	flush()
	return distinct(out)
}

// push moves q radially away from c onto the circle of radius r; a point at
// the centre itself has no direction and stays.
func push(q, c Point, r float64) Point {
	d := q.sub(c)
	l := math.Hypot(d.X, d.Y)
	if l < minGap {
		return q
	}
	return c.add(d.scale(r / l))
}
