package contour

import (
	"fmt"
	"image"
	"math"
	"testing"

	"myoseg/core/imaging/mask"
)

// benchSizes are the seed dataset's images and the panoramic GE scans.
var benchSizes = []image.Point{{512, 480}, {1456, 819}}

// benchRing is a phantom-like w×h image with a fascia ring filling most of
// it, its cost, and the ring's centre and semi-axes.
func benchRing(b *testing.B, w, h int) (*Cost, Point, float64, float64) {
	b.Helper()
	c := Point{float64(w) / 2, float64(h) / 2}
	a, bb := 0.4*float64(w), 0.4*float64(h)
	g, _ := ring(w, h, c, a, bb)
	cost, err := NewCost(g, mask.Mask{})
	if err != nil {
		b.Fatal(err)
	}
	return cost, c, a + 2, bb + 2
}

func BenchmarkNewCost(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(b *testing.B) {
			g, _ := ring(sz.X, sz.Y, Point{float64(sz.X) / 2, float64(sz.Y) / 2}, 0.4*float64(sz.X), 0.4*float64(sz.Y))
			b.ResetTimer()
			for b.Loop() {
				if _, err := NewCost(g, mask.Mask{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLivewire is one mouse-move update: the path from the last click
// to the pointer, a twelfth of the way round the muscle (a 12-click
// outline) and a sixth of the way (a long stretch without a click).
func BenchmarkLivewire(b *testing.B) {
	for _, sz := range benchSizes {
		cost, c, a, bb := benchRing(b, sz.X, sz.Y)
		for _, frac := range []float64{1.0 / 12, 1.0 / 6} {
			p := ellipsePoints(1, c, a, bb, 0)[0]
			q := Point{c.X + a*math.Cos(2*math.Pi*frac), c.Y + bb*math.Sin(2*math.Pi*frac)}
			from, to := image.Pt(int(p.X), int(p.Y)), image.Pt(int(q.X), int(q.Y))
			name := fmt.Sprintf("%dx%d/%.0fpx", sz.X, sz.Y, math.Hypot(q.X-p.X, q.Y-p.Y))
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					if _, err := cost.Path(from, to); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkOutline is closing a 12-click snapped outline: every livewire
// stretch and the fill.
func BenchmarkOutline(b *testing.B) {
	for _, sz := range benchSizes {
		cost, c, a, bb := benchRing(b, sz.X, sz.Y)
		clicks := ellipsePoints(12, c, a, bb, 0)
		b.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(b *testing.B) {
			for b.Loop() {
				poly, err := cost.Snapped(clicks, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Fill(poly, sz.X, sz.Y); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFromMask is opening the contour editor on a model's mask.
func BenchmarkFromMask(b *testing.B) {
	for _, sz := range benchSizes {
		m := ellipseMask(sz.X, sz.Y, Point{float64(sz.X) / 2, float64(sz.Y) / 2}, 0.4*float64(sz.X), 0.3*float64(sz.Y), 0.2)
		b.Run(fmt.Sprintf("%dx%d", sz.X, sz.Y), func(b *testing.B) {
			for b.Loop() {
				if _, err := FromMask(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
