package contour

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"myoseg/core/imaging/mask"
)

// ellipseMask is the w×h mask of the pixel centres inside the ellipse
// centred on c with semi-axes a, b rotated by rot radians.
func ellipseMask(w, h int, c Point, a, b, rot float64) mask.Mask {
	m := mask.New(w, h)
	cs, sn := math.Cos(rot), math.Sin(rot)
	for y := range h {
		for x := range w {
			dx, dy := float64(x)+0.5-c.X, float64(y)+0.5-c.Y
			u, v := dx*cs+dy*sn, -dx*sn+dy*cs
			m.Pix[y*w+x] = u*u/(a*a)+v*v/(b*b) <= 1
		}
	}
	return m
}

// ellipsePoints is n points evenly spaced in angle on that ellipse.
func ellipsePoints(n int, c Point, a, b, rot float64) []Point {
	cs, sn := math.Cos(rot), math.Sin(rot)
	pts := make([]Point, n)
	for i := range pts {
		t := 2 * math.Pi * float64(i) / float64(n)
		u, v := a*math.Cos(t), b*math.Sin(t)
		pts[i] = Point{c.X + u*cs - v*sn, c.Y + u*sn + v*cs}
	}
	return pts
}

func or(a, b mask.Mask) mask.Mask {
	out := mask.New(a.W, a.H)
	for i := range out.Pix {
		out.Pix[i] = a.Pix[i] || b.Pix[i]
	}
	return out
}

func TestOutlineMatchesShape(t *testing.T) {
	const w, h = 512, 480
	for _, tc := range []struct {
		name       string
		n          int
		c          Point
		a, b, rot  float64
		wantDiceGE float64
	}{
		{"disk 12", 12, Point{250, 240}, 90, 90, 0, 0.99},
		{"disk 8", 8, Point{250, 240}, 90, 90, 0, 0.98},
		{"ellipse 12", 12, Point{256, 200}, 180, 70, 0.3, 0.97},
		{"small disk 6", 6, Point{40.3, 50.7}, 15, 15, 0, 0.95},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Outline(ellipsePoints(tc.n, tc.c, tc.a, tc.b, tc.rot), w, h)
			if err != nil {
				t.Fatal(err)
			}
			want := ellipseMask(w, h, tc.c, tc.a, tc.b, tc.rot)
			if d := dice(got, want); d < tc.wantDiceGE {
				t.Errorf("Dice %.4f with %d points, want ≥ %.2f", d, tc.n, tc.wantDiceGE)
			}
		})
	}
}

func TestSplinePassesThroughPoints(t *testing.T) {
	pts := []Point{{10, 10}, {60, 12}, {62, 13}, {80, 70}, {15, 50}}
	s, err := Spline(pts, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		best := math.Inf(1)
		for _, q := range s {
			best = math.Min(best, p.dist(q))
		}
		if best > 1e-9 {
			t.Errorf("spline misses %v by %g", p, best)
		}
	}
	for i, q := range s {
		if d := q.dist(s[(i+1)%len(s)]); d > 1.5 {
			t.Fatalf("samples %d and %d are %.2f px apart, want ≤ 1.5", i, i+1, d)
		}
	}
}

func TestFill(t *testing.T) {
	sq := []Point{{10, 10}, {20, 10}, {20, 20}, {10, 20}}
	m, err := Fill(sq, 40, 30)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Count(); got != 100 {
		t.Errorf("10×10 square covers %d pixels, want 100", got)
	}
	if !m.At(10, 10) || !m.At(19, 19) || m.At(20, 15) || m.At(9, 15) {
		t.Error("square's pixels are off by one")
	}
	// The same square anticlockwise, and clipped by the image edge.
	rev := []Point{{-5, -5}, {-5, 5}, {5, 5}, {5, -5}}
	if m, _ := Fill(rev, 40, 30); m.Count() != 25 {
		t.Errorf("clipped square covers %d pixels, want 25", m.Count())
	}
	// A square drawn twice over (winding 2) is still filled once.
	twice := append(append([]Point(nil), sq...), sq...)
	if m, _ := Fill(twice, 40, 30); m.Count() != 100 {
		t.Errorf("doubled square covers %d pixels, want 100", m.Count())
	}
	if _, err := Fill([]Point{{1, 1}, {math.NaN(), 2}, {3, 4}}, 10, 10); err == nil {
		t.Error("NaN point accepted")
	}
	if _, err := Outline([]Point{{1, 1}, {5, 5}, {5, 5}}, 10, 10); !errors.Is(err, ErrFewPoints) {
		t.Errorf("two distinct points: err %v, want ErrFewPoints", err)
	}
}

func TestTraceIsExact(t *testing.T) {
	m := or(ellipseMask(120, 100, Point{50, 50}, 30, 20, 0.5), ellipseMask(120, 100, Point{85, 40}, 12, 12, 0))
	// A hole, and a pixel touching the region only diagonally.
	m.Pix[50*120+50] = false
	m.Pix[49*120+49] = false
	labels, comps := mask.Label(m)
	if len(comps) != 1 {
		t.Fatalf("test shape has %d regions", len(comps))
	}
	_ = labels
	b := comps[0].Bounds
	x0 := b.Min.X
	for !m.At(x0, b.Min.Y) {
		x0++
	}
	got, err := Fill(trace(m, x0, b.Min.Y), m.W, m.H)
	if err != nil {
		t.Fatal(err)
	}
	want := mask.FillHoles(m)
	for i := range want.Pix {
		if got.Pix[i] != want.Pix[i] {
			t.Fatalf("traced outline differs from the region at pixel (%d, %d)", i%m.W, i/m.W)
		}
	}
}

func TestFromMask(t *testing.T) {
	const w, h = 512, 480
	big := ellipseMask(w, h, Point{256, 220}, 200, 90, 0.2)
	blob := or(ellipseMask(w, h, Point{200, 200}, 80, 60, 0), ellipseMask(w, h, Point{290, 240}, 60, 45, 0.7))
	speck := ellipseMask(w, h, Point{450, 440}, 5, 5, 0) // a smaller region FromMask must ignore
	for _, tc := range []struct {
		name   string
		m, cmp mask.Mask
	}{
		{"disk", ellipseMask(w, h, Point{100, 100}, 40, 40, 0), ellipseMask(w, h, Point{100, 100}, 40, 40, 0)},
		{"ellipse", big, big},
		{"two lobes and a speck", or(blob, speck), blob},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs, err := FromMask(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if len(hs) < MinHandles || len(hs) > MaxHandles {
				t.Errorf("%d handles, want %d..%d", len(hs), MinHandles, MaxHandles)
			}
			back, err := Outline(hs, w, h)
			if err != nil {
				t.Fatal(err)
			}
			if d := dice(back, tc.cmp); d < 0.97 {
				t.Errorf("handles → mask Dice %.4f with %d handles, want ≥ 0.97", d, len(hs))
			}
		})
	}
	if _, err := FromMask(mask.New(10, 10)); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty mask: err %v, want ErrEmpty", err)
	}
}

func TestDragHandleChangesAreaAsExpected(t *testing.T) {
	const w, h = 400, 400
	c := Point{200, 200}
	hs := ellipsePoints(16, c, 100, 100, 0)
	before, _ := Outline(hs, w, h)
	// Drag handle 3 outwards by 20 px.
	d := hs[3].sub(c)
	moved, err := Move(hs, 3, hs[3].add(d.scale(20/math.Hypot(d.X, d.Y))))
	if err != nil {
		t.Fatal(err)
	}
	after, _ := Outline(moved, w, h)
	s0, _ := Spline(hs, 1)
	s1, _ := Spline(moved, 1)
	want := Area(s1) - Area(s0)
	got := float64(after.Count() - before.Count())
	if math.Abs(got-want) > 0.02*math.Abs(want) {
		t.Errorf("area grew by %.0f px, the spline by %.0f px: more than 2%% apart", got, want)
	}
	// The spline's change is local and of the size of moving one polygon
	// vertex: 20 px × the chord between its neighbours / 2.
	poly := 20 * hs[2].dist(hs[4]) / 2
	if want < 0.7*poly || want > 1.3*poly {
		t.Errorf("spline area change %.0f px, polygon estimate %.0f px", want, poly)
	}
	if !before.At(200, 200) || !after.At(200, 200) {
		t.Error("centre left the mask")
	}
	if _, err := Move(hs, 16, Point{}); err == nil {
		t.Error("handle 16 of 16 accepted")
	}
}

func TestInsertDelete(t *testing.T) {
	hs := ellipsePoints(8, Point{100, 100}, 50, 50, 0)
	p := Point{100 + 52*math.Cos(0.4), 100 + 52*math.Sin(0.4)} // between handles 0 and 1
	ins, i, err := Insert(hs, p)
	if err != nil {
		t.Fatal(err)
	}
	if i != 1 || len(ins) != 9 || ins[1] != p || ins[2] != hs[1] {
		t.Errorf("inserted at %d of %d, want 1 of 9", i, len(ins))
	}
	del, err := Delete(ins, 1)
	if err != nil {
		t.Fatal(err)
	}
	for k := range hs {
		if del[k] != hs[k] {
			t.Fatalf("delete after insert changed handle %d", k)
		}
	}
	if _, err := Delete(hs[:3], 0); !errors.Is(err, ErrFewPoints) {
		t.Errorf("deleting from a triangle: err %v, want ErrFewPoints", err)
	}
}

func TestNudge(t *testing.T) {
	const w, h = 300, 300
	c := Point{150, 150}
	hs := ellipsePoints(20, c, 80, 80, 0)
	base, _ := Outline(hs, w, h)
	for _, tc := range []struct {
		name string
		at   Point
		grow bool
	}{
		{"from inside", Point{150 + 70, 150}, true},
		{"from outside", Point{150, 150 - 92}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const r = 25
			out, err := Nudge(hs, tc.at, r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Outline(out, w, h)
			if err != nil {
				t.Fatal(err)
			}
			disk := ellipseMask(w, h, tc.at, r, r, 0)
			want := or(base, disk)
			if !tc.grow {
				want = mask.AndNot(base, disk)
			}
			if d := dice(got, want); d < 0.98 {
				t.Errorf("Dice with the pushed shape %.4f, want ≥ 0.98", d)
			}
			changed := float64(got.Count() - base.Count())
			expect := float64(want.Count() - base.Count())
			if math.Abs(changed-expect) > 0.15*math.Abs(expect) {
				t.Errorf("area changed by %.0f px, want about %.0f", changed, expect)
			}
		})
	}
	far, err := Nudge(hs, Point{10, 10}, 5)
	if err != nil || len(far) != len(hs) || far[0] != hs[0] {
		t.Errorf("a nudge away from the contour changed it (err %v)", err)
	}
	if _, err := Nudge(hs, c, 0); err == nil {
		t.Error("radius 0 accepted")
	}
}

// speckle returns a w×h grey image of multiplicative speckle with bright
// lines where line(x, y) gives a distance in px to the line.
func speckle(w, h int, seed uint64, line func(x, y float64) float64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 1))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			// Rayleigh speckle around 60.
			v := 48 * math.Sqrt(-2*math.Log(1-r.Float64()))
			if line != nil {
				d := line(float64(x)+0.5, float64(y)+0.5)
				v += 140 * math.Exp(-d*d/(2*1.5*1.5))
			}
			g.Pix[y*w+x] = uint8(min(255, max(0, math.Round(v))))
		}
	}
	return g
}

func wave(x float64) float64 { return 240 + 70*math.Sin(x/70) }

func TestLivewireFollowsBrightCurve(t *testing.T) {
	const w, h = 512, 480
	// Vertical distance overestimates the distance to a curve; good
	// enough to draw it, exact enough to check with the dense samples.
	g := speckle(w, h, 7, func(x, y float64) float64 { return math.Abs(y-wave(x)) / math.Sqrt(1+math.Pow(math.Cos(x/70), 2)) })
	c, err := NewCost(g, mask.Mask{})
	if err != nil {
		t.Fatal(err)
	}
	var curve []Point
	for x := 0.0; x < w; x += 0.25 {
		curve = append(curve, Point{x, wave(x)})
	}
	off := func(p image.Point) float64 {
		q := Point{float64(p.X) + 0.5, float64(p.Y) + 0.5}
		best := math.Inf(1)
		for _, s := range curve {
			best = math.Min(best, q.dist(s))
		}
		return best
	}
	for _, x := range [][2]float64{{40, 300}, {100, 460}, {250, 30}} {
		a := image.Pt(int(x[0]), int(wave(x[0])))
		b := image.Pt(int(x[1]), int(wave(x[1])))
		path, err := c.Path(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if path[0] != a || path[len(path)-1] != b {
			t.Fatalf("path runs %v → %v, want %v → %v", path[0], path[len(path)-1], a, b)
		}
		worst := 0.0
		for i, p := range path {
			worst = math.Max(worst, off(p))
			if i > 0 {
				if d := p.Sub(path[i-1]); max(abs(d.X), abs(d.Y)) != 1 {
					t.Fatalf("path steps %v at %d", d, i)
				}
			}
		}
		if worst > 2 {
			t.Errorf("path %v → %v strays %.1f px from the bright curve, want ≤ 2", a, b, worst)
		}
		// The straight chord would not do: the test can tell.
		mid := image.Pt((a.X+b.X)/2, (a.Y+b.Y)/2)
		if off(mid) <= 2 {
			t.Errorf("chord midpoint %v lies on the curve; the case tests nothing", mid)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func TestLivewireStaysInField(t *testing.T) {
	const w, h = 200, 120
	g := speckle(w, h, 3, nil)
	// A bright line just outside a field that ends at x = 150.
	for y := range h {
		for x := 150; x < w; x++ {
			g.Pix[y*w+x] = 0
		}
		g.Pix[y*w+152] = 255
	}
	field := mask.New(w, h)
	for y := range h {
		for x := range 150 {
			field.Pix[y*w+x] = true
		}
	}
	c, err := NewCost(g, field)
	if err != nil {
		t.Fatal(err)
	}
	if c.At(152, 50) != offField || c.At(100, 50) >= offField {
		t.Errorf("cost outside the field %d, inside %d", c.At(152, 50), c.At(100, 50))
	}
	// The field's own border is no fascia: it costs about what speckle does.
	if border, inner := c.At(149, 60), c.At(75, 60); border < maxCost/2 {
		t.Errorf("field border costs %d (inner speckle %d): the path would follow it", border, inner)
	}
	path, err := c.Path(image.Pt(140, 5), image.Pt(140, 115))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		if p.X >= 150 {
			t.Fatalf("path leaves the field at %v", p)
		}
	}
	if _, err := c.Path(image.Pt(-1, 0), image.Pt(3, 3)); err == nil {
		t.Error("point outside the image accepted")
	}
	if _, err := NewCost(g, mask.New(10, 10)); err == nil {
		t.Error("field of the wrong size accepted")
	}
}

// ring is a phantom-like image: speckle with a bright fascia ring just
// outside an ellipse, whose interior is the true mask.
func ring(w, h int, c Point, a, b float64) (*image.Gray, mask.Mask) {
	g := speckle(w, h, 11, func(x, y float64) float64 {
		// Radial distance to the ellipse grown by 2 px (the fascia
		// around the muscle).
		dx, dy := x-c.X, y-c.Y
		t := math.Atan2(dy*a, dx*b)
		ex, ey := (a+2)*math.Cos(t), (b+2)*math.Sin(t)
		return math.Hypot(dx, dy) - math.Hypot(ex, ey)
	})
	return g, ellipseMask(w, h, c, a, b, 0)
}

func TestSnappedOutline(t *testing.T) {
	const w, h = 512, 480
	ctr := Point{256, 240}
	g, truth := ring(w, h, ctr, 170, 110)
	c, err := NewCost(g, mask.Mask{})
	if err != nil {
		t.Fatal(err)
	}
	// Ten clicks, each a few pixels off the fascia, as a hand would.
	clicks := ellipsePoints(10, ctr, 172, 112, 0)
	for i := range clicks {
		clicks[i].X += float64(i%3 - 1)
		clicks[i].Y += float64((i+1)%3 - 1)
	}
	out, err := c.Snapped(clicks, nil)
	if err != nil {
		t.Fatal(err)
	}
	snapped, _ := Fill(out, w, h)
	if d := dice(snapped, truth); d < 0.95 {
		t.Errorf("snapped outline of 10 clicks: Dice %.4f, want ≥ 0.95", d)
	}
	// All straight: the clicks' polygon, visibly worse on a curved muscle.
	all := make([]bool, len(clicks))
	for i := range all {
		all[i] = true
	}
	poly, _ := c.Snapped(clicks, all)
	straight, _ := Fill(poly, w, h)
	if ds, dp := dice(snapped, truth), dice(straight, truth); dp >= ds {
		t.Errorf("straight segments Dice %.4f ≥ snapped %.4f", dp, ds)
	}
}
