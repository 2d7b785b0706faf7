package eval

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

func rectMask(w, h int, r image.Rectangle) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.Pix[m.PixOffset(x, y)] = 255
		}
	}
	return m
}

func TestCompareMasks(t *testing.T) {
	// Manual 10×10 at (10,10); automatic 10×10 shifted right by 5:
	// TP 50, FP 50, FN 50.
	manual := rectMask(40, 40, image.Rect(10, 10, 20, 20))
	auto := rectMask(40, 40, image.Rect(15, 10, 25, 20))
	o, err := CompareMasks(auto, manual)
	if err != nil {
		t.Fatal(err)
	}
	if o.TP != 50 || o.FP != 50 || o.FN != 50 {
		t.Errorf("counts %+v", o)
	}
	if o.Precision != 0.5 || o.Recall != 0.5 || o.Dice != 0.5 || math.Abs(o.IoU-1.0/3) > 1e-15 {
		t.Errorf("metrics %+v", o)
	}
	// Automatic inside manual: precision 1, recall 1/4.
	small := rectMask(40, 40, image.Rect(10, 10, 15, 15))
	o, _ = CompareMasks(small, manual)
	if o.Precision != 1 || o.Recall != 0.25 || o.Dice != 0.4 || o.IoU != 0.25 {
		t.Errorf("nested %+v", o)
	}
	// An empty automatic mask: precision undefined, recall and Dice 0.
	none := image.NewGray(image.Rect(0, 0, 40, 40))
	o, _ = CompareMasks(none, manual)
	if !math.IsNaN(o.Precision) || o.Recall != 0 || o.Dice != 0 || o.IoU != 0 {
		t.Errorf("empty auto %+v", o)
	}
	o, _ = CompareMasks(none, none)
	if !math.IsNaN(o.Precision) || !math.IsNaN(o.Recall) || !math.IsNaN(o.Dice) || !math.IsNaN(o.IoU) {
		t.Errorf("both empty %+v", o)
	}
	if _, err := CompareMasks(rectMask(10, 10, image.Rect(0, 0, 1, 1)), manual); err == nil {
		t.Error("different sizes accepted")
	}
}

func TestSurfaceDistanceKnownShapes(t *testing.T) {
	tests := []struct {
		name      string
		a, b      image.Rectangle
		sx, sy    float64
		hausdorff float64
		mean      float64 // NaN: not checked here (see brute force)
	}{
		// Same square: 0 apart.
		{"identical", image.Rect(10, 10, 30, 30), image.Rect(10, 10, 30, 30), 1, 1, 0, 0},
		// Square shifted 5 px right: the left and right edges are 5 apart.
		{"shift x", image.Rect(10, 10, 30, 30), image.Rect(15, 10, 35, 30), 1, 1, 5, math.NaN()},
		// Concentric squares, sides 20 and 30 (border 5 px): from the outer
		// corner (5,5) to the inner corner (10,10) is 5√2; everything else is
		// closer.
		{"concentric", image.Rect(10, 10, 30, 30), image.Rect(5, 5, 35, 35), 1, 1, 5 * math.Sqrt2, math.NaN()},
		// Shift 3 rows with rows 2 mm apart: 6 mm.
		{"anisotropic", image.Rect(10, 10, 30, 30), image.Rect(10, 13, 30, 33), 0.5, 2, 6, math.NaN()},
		// Single pixels 3, 4 apart: 5 either way, mean 5.
		{"points", image.Rect(2, 2, 3, 3), image.Rect(5, 6, 6, 7), 1, 1, 5, 5},
	}
	for _, tc := range tests {
		a := rectMask(64, 48, tc.a)
		b := rectMask(64, 48, tc.b)
		s, err := SurfaceDistance(a, b, tc.sx, tc.sy)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if math.Abs(s.Hausdorff-tc.hausdorff) > 1e-9 {
			t.Errorf("%s: Hausdorff %g, want %g", tc.name, s.Hausdorff, tc.hausdorff)
		}
		if !math.IsNaN(tc.mean) && math.Abs(s.Mean-tc.mean) > 1e-9 {
			t.Errorf("%s: mean %g, want %g", tc.name, s.Mean, tc.mean)
		}
		bh, bm := bruteSurface(a, b, tc.sx, tc.sy)
		if math.Abs(s.Hausdorff-bh) > 1e-9 || math.Abs(s.Mean-bm) > 1e-9 {
			t.Errorf("%s: (%g, %g), brute force (%g, %g)", tc.name, s.Hausdorff, s.Mean, bh, bm)
		}
	}
	if _, err := SurfaceDistance(image.NewGray(image.Rect(0, 0, 8, 8)), rectMask(8, 8, image.Rect(1, 1, 3, 3)), 1, 1); err == nil {
		t.Error("empty mask accepted")
	}
}

// bruteSurface is the O(n·m) definition, written independently of the
// distance transform: boundary by 4-neighbour test, every pair compared.
func bruteSurface(a, b *image.Gray, sx, sy float64) (hd, mean float64) {
	bound := func(m *image.Gray) []image.Point {
		var out []image.Point
		r := m.Bounds()
		in := func(x, y int) bool { return image.Pt(x, y).In(r) && m.GrayAt(x, y).Y != 0 }
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if in(x, y) && !(in(x-1, y) && in(x+1, y) && in(x, y-1) && in(x, y+1)) {
					out = append(out, image.Pt(x, y))
				}
			}
		}
		return out
	}
	pa, pb := bound(a), bound(b)
	directed := func(from, to []image.Point) (mx, sum float64) {
		for _, p := range from {
			best := math.Inf(1)
			for _, q := range to {
				best = math.Min(best, math.Hypot(float64(p.X-q.X)*sx, float64(p.Y-q.Y)*sy))
			}
			mx = math.Max(mx, best)
			sum += best
		}
		return mx, sum
	}
	m1, s1 := directed(pa, pb)
	m2, s2 := directed(pb, pa)
	return math.Max(m1, m2), (s1 + s2) / float64(len(pa)+len(pb))
}

func randomBlob(rng *rand.Rand, w, h int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for k := 0; k < 1+rng.IntN(4); k++ {
		cx, cy := rng.Float64()*float64(w), rng.Float64()*float64(h)
		rx, ry := 2+rng.Float64()*float64(w)/3, 2+rng.Float64()*float64(h)/3
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
				if dx*dx+dy*dy <= 1 {
					m.Pix[m.PixOffset(x, y)] = 255
				}
			}
		}
	}
	return m
}

func TestSurfaceDistanceMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	for i := 0; i < 40; i++ {
		w, h := 8+rng.IntN(50), 8+rng.IntN(50)
		a, b := randomBlob(rng, w, h), randomBlob(rng, w, h)
		sx, sy := 1.0, 1.0
		if i%2 == 1 {
			sx, sy = 0.1+rng.Float64(), 0.1+rng.Float64()
		}
		s, err := SurfaceDistance(a, b, sx, sy)
		if err != nil {
			t.Fatal(err)
		}
		hd, mean := bruteSurface(a, b, sx, sy)
		if math.Abs(s.Hausdorff-hd) > 1e-9 || math.Abs(s.Mean-mean) > 1e-9 {
			t.Fatalf("case %d (%d×%d, %g×%g): got (%g, %g), brute force (%g, %g)", i, w, h, sx, sy, s.Hausdorff, s.Mean, hd, mean)
		}
	}
}

func BenchmarkSurfaceDistanceSeedSize(b *testing.B) {
	// A 480×512 seed-size image with a muscle-sized ellipse and a slightly
	// shifted prediction.
	ell := func(cx, cy float64) *image.Gray {
		m := image.NewGray(image.Rect(0, 0, 512, 480))
		for y := 0; y < 480; y++ {
			for x := 0; x < 512; x++ {
				dx, dy := (float64(x)-cx)/180, (float64(y)-cy)/90
				if dx*dx+dy*dy <= 1 {
					m.Pix[m.PixOffset(x, y)] = 255
				}
			}
		}
		return m
	}
	a, c := ell(256, 200), ell(262, 205)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := SurfaceDistance(a, c, 1, 1); err != nil {
			b.Fatal(err)
		}
	}
}
