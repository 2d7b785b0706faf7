package edt

import (
	"math"
	"math/rand/v2"
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
