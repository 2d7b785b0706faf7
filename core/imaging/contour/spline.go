package contour

import (
	"errors"
	"math"
	"sort"

	"myoseg/core/imaging/mask"
)

// Point is a position in continuous pixel coordinates (see the package doc).
type Point struct{ X, Y float64 }

func (p Point) sub(q Point) Point      { return Point{p.X - q.X, p.Y - q.Y} }
func (p Point) add(q Point) Point      { return Point{p.X + q.X, p.Y + q.Y} }
func (p Point) scale(s float64) Point  { return Point{p.X * s, p.Y * s} }
func (p Point) dist(q Point) float64   { return math.Hypot(p.X-q.X, p.Y-q.Y) }
func lerp(a, b Point, t float64) Point { return Point{a.X + (b.X-a.X)*t, a.Y + (b.Y-a.Y)*t} }
func finite(p Point) bool              { return !math.IsNaN(p.X+p.Y) && !math.IsInf(p.X+p.Y, 0) }

// ErrFewPoints is returned when an outline has fewer than three distinct
// points, so it encloses nothing.
var ErrFewPoints = errors.New("contour: an outline needs at least three distinct points")

// errNotFinite is returned for NaN or infinite coordinates.
var errNotFinite = errors.New("contour: a point is not a finite number")

// minGap is how close two consecutive points may be before the second is
// dropped as a double click.
const minGap = 1e-6

// distinct returns pts without consecutive repeats (the last against the
// first too, as the outline is closed).
func distinct(pts []Point) ([]Point, error) {
	out := make([]Point, 0, len(pts))
	for _, p := range pts {
		if !finite(p) {
			return nil, errNotFinite
		}
		if len(out) > 0 && out[len(out)-1].dist(p) < minGap {
			continue
		}
		out = append(out, p)
	}
	for len(out) > 1 && out[0].dist(out[len(out)-1]) < minGap {
		out = out[:len(out)-1]
	}
	if len(out) < 3 {
		return nil, ErrFewPoints
	}
	return out, nil
}

// Spline returns the closed centripetal Catmull-Rom spline through pts as a
// polyline sampled about every step pixels (the last sample does not repeat
// the first). Centripetal parameterisation (α = ½) never forms cusps or loops
// between close points, which matters for hand-placed clicks.
func Spline(pts []Point, step float64) ([]Point, error) {
	p, err := distinct(pts)
	if err != nil {
		return nil, err
	}
	if !(step > 0) {
		step = 1
	}
	n := len(p)
	var out []Point
	for i := range n {
		p0, p1, p2, p3 := p[(i+n-1)%n], p[i], p[(i+1)%n], p[(i+2)%n]
		k := max(2, int(math.Ceil(p1.dist(p2)/step)))
		out = append(out, p1)
		for j := 1; j < k; j++ {
			out = append(out, catmullRom(p0, p1, p2, p3, float64(j)/float64(k)))
		}
	}
	return out, nil
}

// catmullRom evaluates the centripetal segment from p1 to p2 at fraction u
// (Barry and Goldman's pyramid).
func catmullRom(p0, p1, p2, p3 Point, u float64) Point {
	knot := func(a, b Point) float64 { return math.Max(math.Sqrt(a.dist(b)), 1e-9) }
	t0 := 0.0
	t1 := t0 + knot(p0, p1)
	t2 := t1 + knot(p1, p2)
	t3 := t2 + knot(p2, p3)
	t := t1 + u*(t2-t1)
	a1 := lerp(p0, p1, (t-t0)/(t1-t0))
	a2 := lerp(p1, p2, (t-t1)/(t2-t1))
	a3 := lerp(p2, p3, (t-t2)/(t3-t2))
	b1 := lerp(a1, a2, (t-t0)/(t2-t0))
	b2 := lerp(a2, a3, (t-t1)/(t3-t1))
	return lerp(b1, b2, (t-t1)/(t2-t1))
}

// Outline is the mask (w×h) enclosed by the closed spline through pts: the
// outline tool's result and the contour editor's handles → mask.
func Outline(pts []Point, w, h int) (mask.Mask, error) {
	poly, err := Spline(pts, 1)
	if err != nil {
		return mask.Mask{}, err
	}
	return Fill(poly, w, h)
}

// Fill is the w×h mask of the pixels whose centres lie inside the closed
// polygon poly by the non-zero winding rule, so an outline that crosses
// itself still covers every lobe. A pixel centre exactly on a horizontal
// run of the outline counts once (half-open rows).
func Fill(poly []Point, w, h int) (mask.Mask, error) {
	if w < 0 || h < 0 {
		return mask.Mask{}, errors.New("contour: negative mask size")
	}
	for _, p := range poly {
		if !finite(p) {
			return mask.Mask{}, errNotFinite
		}
	}
	m := mask.New(w, h)
	if len(poly) < 3 || w == 0 || h == 0 {
		return m, nil
	}
	type crossing struct {
		x    float64
		wind int
	}
	rows := make([][]crossing, h)
	n := len(poly)
	for i := range n {
		a, b := poly[i], poly[(i+1)%n]
		wind := 1
		if a.Y > b.Y {
			a, b, wind = b, a, -1
		}
		// Rows whose centre y+0.5 lies in [a.Y, b.Y).
		j0 := max(0, int(math.Ceil(a.Y-0.5)))
		j1 := min(h-1, int(math.Ceil(b.Y-0.5))-1)
		for j := j0; j <= j1; j++ {
			yc := float64(j) + 0.5
			x := a.X + (yc-a.Y)*(b.X-a.X)/(b.Y-a.Y)
			rows[j] = append(rows[j], crossing{x, wind})
		}
	}
	for j, cs := range rows {
		if len(cs) == 0 {
			continue
		}
		sort.Slice(cs, func(a, b int) bool { return cs[a].x < cs[b].x })
		row := m.Pix[j*w : (j+1)*w]
		wind := 0
		for k := 0; k+1 < len(cs); k++ {
			wind += cs[k].wind
			if wind == 0 {
				continue
			}
			// Pixels whose centre x+0.5 lies in [cs[k].x, cs[k+1].x).
			x0 := max(0, int(math.Ceil(cs[k].x-0.5)))
			x1 := min(w, int(math.Ceil(cs[k+1].x-0.5)))
			for x := x0; x < x1; x++ {
				row[x] = true
			}
		}
	}
	return m, nil
}

// Area is the signed area of the closed polygon (shoelace): positive when it
// runs clockwise on screen (y down).
func Area(poly []Point) float64 {
	s := 0.0
	for i, a := range poly {
		b := poly[(i+1)%len(poly)]
		s += a.X*b.Y - b.X*a.Y
	}
	return s / 2
}
