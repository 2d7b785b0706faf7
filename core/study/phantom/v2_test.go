package phantom

import (
	"fmt"
	"math"
	"testing"
)

// TestGeometryRoundTrip: display and scene coordinates invert each other
// for every probe, and the drawn field lies inside the image.
func TestGeometryRoundTrip(t *testing.T) {
	kinds := map[int]int{}
	for i := 0; i < 300; i++ {
		r := newRand(1, streamImage, i)
		g := drawGeometry(r, musclesV2[i%5], V2)
		kinds[g.kind]++
		x0, y0, x1, y1 := g.extent()
		if x0 < -0.5 || y0 < -0.5 || x1 > Width+0.5 || y1 > Height+0.5 {
			t.Fatalf("draw %d (kind %d): field %.0f,%.0f–%.0f,%.0f leaves the image", i, g.kind, x0, y0, x1, y1)
		}
		if g.vmax < 100 || g.ppm < 2 || g.ppm > 15 {
			t.Fatalf("draw %d (kind %d): depth %.0f px at %.1f px/mm", i, g.kind, g.vmax, g.ppm)
		}
		for _, p := range [][2]float64{{g.umin + 1, 1}, {(g.umin + g.umax) / 2, g.vmax / 2}, {g.umax - 1, g.vmax - 1}} {
			x, y := g.toDisplay(p[0], p[1])
			u, v := g.toScene(x, y)
			if math.Abs(u-p[0]) > 1e-6 || math.Abs(v-p[1]) > 1e-6 {
				t.Fatalf("kind %d: (%v,%v) → (%v,%v) → (%v,%v)", g.kind, p[0], p[1], x, y, u, v)
			}
		}
	}
	for _, k := range []int{geoLinear, geoSector, geoPanoramic} {
		if kinds[k] < 20 {
			t.Errorf("probe kind %d drawn %d times in 300", k, kinds[k])
		}
	}
}

// TestAnatomyContrast: the epimysium just outside the mask is brighter
// than the muscle inside it, and the muscle has bright septa (its upper
// tail is well above its median), in nearly every version 2 image.
func TestAnatomyContrast(t *testing.T) {
	cfg := Config{Seed: 21, PathologicalFraction: 0.5, Version: V2}
	const n = 20
	rimBrighter, starry := 0, 0
	for i := 0; i < n; i++ {
		s := gen(t, cfg, i)
		inside := make([]uint8, Width*Height)
		for k, m := range s.Mask.Pix {
			if m != 0 {
				inside[k] = 1
			}
		}
		d := make([]float32, Width*Height)
		distanceTo(inside, Width, Height, d)
		var rim, in float64
		var nr, ni int
		var hist [256]int
		for k, v := range s.Image.Pix {
			switch {
			case inside[k] != 0:
				in += float64(v)
				ni++
				hist[v]++
			case d[k] > 0.5 && d[k] <= 3 && v > 0:
				rim += float64(v)
				nr++
			}
		}
		rim, in = rim/float64(nr), in/float64(ni)
		if rim > in+8 {
			rimBrighter++
		}
		q := func(p float64) int {
			c := 0
			for g, h := range hist {
				c += h
				if float64(c) >= p*float64(ni) {
					return g
				}
			}
			return 255
		}
		if q(0.98) > q(0.5)+25 {
			starry++
		}
		t.Logf("%d %s: rim %.0f, muscle %.0f, median %d, 98th %d", i, s.Muscle, rim, in, q(0.5), q(0.98))
	}
	if rimBrighter < n*9/10 || starry < n*8/10 {
		t.Errorf("rim brighter than muscle in %d/%d, bright septa in %d/%d", rimBrighter, n, starry, n)
	}
}

func TestBalanceV2(t *testing.T) {
	per := map[string]int{}
	path := 0
	for j := 0; j < 100; j++ {
		s := makeSubject(1, j, 0.5, musclesV2[:])
		per[s.muscle]++
		if s.pathological {
			path++
		}
	}
	if path != 50 || fmt.Sprint(per) != "map[BB:20 GM:20 RF:20 TA:20 VL:20]" {
		t.Errorf("%d pathological, muscles %v", path, per)
	}
}

// TestBentSweepsV3: version 3 bends about half the thigh panoramas around
// the limb (arc angles well past version 2's), keeps every field inside the
// image with the skin arc's centre below the deepest row shown, and
// leaves version 2's draws as they were.
func TestBentSweepsV3(t *testing.T) {
	var pano, bent int
	maxAngle := map[int]float64{}
	for _, v := range []int{V2, V3} {
		for i := 0; i < 400; i++ {
			muscle := []string{"VL", "RF"}[i%2]
			g := drawGeometry(newRand(5, streamImage, i), muscle, v)
			if g.kind != geoPanoramic {
				continue
			}
			angle := (g.umax - g.umin) * g.k / g.R
			maxAngle[v] = math.Max(maxAngle[v], angle)
			x0, y0, x1, y1 := g.extent()
			if x0 < -0.5 || y0 < -0.5 || x1 > Width+0.5 || y1 > Height+0.5 {
				t.Fatalf("version %d draw %d: field %.0f,%.0f–%.0f,%.0f leaves the image", v, i, x0, y0, x1, y1)
			}
			if g.k*g.vmax >= g.R {
				t.Fatalf("version %d draw %d: depth %.0f px reaches the arc's centre (R %.0f)", v, i, g.k*g.vmax, g.R)
			}
			if v == V3 {
				pano++
				if angle > 1 {
					bent++
				}
			}
		}
	}
	if maxAngle[V2] > 0.9 || maxAngle[V3] < 2 {
		t.Errorf("widest arc: version 2 %.2f rad (want ≤ 0.9), version 3 %.2f rad (want ≥ 2)", maxAngle[V2], maxAngle[V3])
	}
	if bent < pano/4 || bent > pano*3/4 {
		t.Errorf("version 3: %d of %d panoramas bent past 1 rad, want about half", bent, pano)
	}
	// Version 3 changes only thigh scenes: a BB image is the same in both.
	a := gen(t, Config{Seed: 9, Version: V2}, 0)
	b := gen(t, Config{Seed: 9, Version: V3}, 0)
	if a.Muscle != "BB" || string(a.Image.Pix) != string(b.Image.Pix) {
		t.Errorf("image 0 (%s): version 3 differs from version 2 outside the thigh", a.Muscle)
	}
}
