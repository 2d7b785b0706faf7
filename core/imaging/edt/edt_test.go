package edt

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSquaredAnisotropic(t *testing.T) {
	// One feature at (2, 1) in a 5×3 grid with 2-wide pixels.
	w, h := 5, 3
	f := make([]float64, w*h)
	for i := range f {
		f[i] = Far
	}
	f[1*w+2] = 0
	Squared(f, w, h, 2, 1)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x-2)*2, float64(y-1)
			if want := dx*dx + dy*dy; f[y*w+x] != want {
				t.Errorf("(%d,%d) = %g, want %g", x, y, f[y*w+x], want)
			}
		}
	}
}

func TestToNearestMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 20; trial++ {
		w, h := 5+rng.IntN(30), 5+rng.IntN(30)
		m := make([]bool, w*h)
		for i := range m {
			m[i] = rng.Float64() < 0.1*float64(trial%5)
		}
		d := ToNearest(w, h, func(i int) bool { return m[i] })
		for i := range m {
			best := math.Inf(1)
			for j := range m {
				if m[j] {
					dx, dy := float64(i%w-j%w), float64(i/w-j/w)
					best = math.Min(best, dx*dx+dy*dy)
				}
			}
			if math.IsInf(best, 1) {
				if d[i] < Far {
					t.Fatalf("trial %d pixel %d: %g with no feature", trial, i, d[i])
				}
				continue
			}
			if d[i] != best {
				t.Fatalf("trial %d pixel %d: %g, want %g", trial, i, d[i], best)
			}
		}
	}
}

func TestToMask(t *testing.T) {
	const w, h = 23, 17
	m := make([]bool, w*h)
	for i := range m {
		m[i] = (i*7919)%11 == 0
	}
	buf := make([]float64, w*h+5)
	for _, feature := range []bool{true, false} {
		got := ToMask(buf, m, w, h, feature)
		want := ToNearest(w, h, func(i int) bool { return m[i] == feature })
		if len(got) != w*h || &got[0] != &buf[0] {
			t.Fatalf("feature %v: result of %d values, buffer reused %v", feature, len(got), &got[0] == &buf[0])
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("feature %v: pixel %d = %g, want %g", feature, i, got[i], want[i])
			}
		}
	}
	// (3,0) is the only unset pixel on a 4×1 row: distances 9, 4, 1, 0.
	if got := ToMask(nil, []bool{true, true, true, false}, 4, 1, false); got[0] != 9 || got[1] != 4 || got[3] != 0 {
		t.Errorf("row: %v", got)
	}
}

// TestBinaryColumnsExact checks that the sweeps used for 0/Far input give
// exactly (bit for bit) what the parabola envelope gives, with anisotropic
// pixels, sparse and dense features, and columns and rows without any.
func TestBinaryColumnsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 200 {
		w, h := 1+rng.IntN(60), 1+rng.IntN(60)
		p := []float64{0.002, 0.02, 0.2, 0.7}[i%4]
		sx, sy := []float64{1, 0.07, 0.3, 2.5}[i%4], []float64{1, 0.05, 0.11, 1}[(i/4)%4]
		f := make([]float64, w*h)
		for j := range f {
			if rng.Float64() >= p {
				f[j] = Far
			}
		}
		fast, slow := slices.Clone(f), slices.Clone(f)
		squared(fast, w, h, sx, sy, true)
		squared(slow, w, h, sx, sy, false)
		for j := range fast {
			if math.Float64bits(fast[j]) != math.Float64bits(slow[j]) {
				t.Fatalf("%d×%d, pixel %g×%g, density %g: pixel %d = %v, envelope gives %v", w, h, sx, sy, p, j, fast[j], slow[j])
			}
		}
	}
	if isBinary([]float64{0, Far, 3}) || !isBinary([]float64{Far, 0}) {
		t.Error("isBinary")
	}
}
