package measure

import (
	"image"
	"image/color"
	"math"
	"testing"

	"myoseg/core/imaging/calib"
)

// disc draws a filled disc of radius r (pixel centres within r of c).
func disc(b image.Rectangle, cx, cy, r float64) *image.Gray {
	m := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if math.Hypot(float64(x)-cx, float64(y)-cy) <= r {
				m.Pix[m.PixOffset(x, y)] = 255
			}
		}
	}
	return m
}

func TestDisc(t *testing.T) {
	b := image.Rect(0, 0, 512, 480)
	g := image.NewGray(b)
	// Grey ramp: value = (x + y) % 200, so the disc's mean is known by direct sum.
	for y := 0; y < 480; y++ {
		for x := 0; x < 512; x++ {
			g.Pix[g.PixOffset(x, y)] = uint8((x + y) % 200)
		}
	}
	cal := calib.Calibration{CmPerPxX: 0.01, CmPerPxY: 0.02, Source: calib.SourceUserCmPerPx, Region: -1}
	for _, r := range []float64{10, 40, 120} {
		m := disc(b, 256, 240, r)
		got, err := Mask(g, m, cal)
		if err != nil {
			t.Fatal(err)
		}
		// Area within 1 % of πr² (pixel-counting error shrinks with r).
		want := math.Pi * r * r
		if rel := math.Abs(float64(got.AreaPx)-want) / want; rel > 0.01 && r >= 40 || rel > 0.03 {
			t.Errorf("r=%g: area %d px, want %.0f (%.2f%%)", r, got.AreaPx, want, 100*rel)
		}
		if math.Abs(got.AreaCm2-float64(got.AreaPx)*0.0002) > 1e-12 {
			t.Errorf("r=%g: area %g cm², want %g", r, got.AreaCm2, float64(got.AreaPx)*0.0002)
		}
		if p := 2 * math.Pi * r; math.Abs(got.PerimeterPx-p)/p > 0.01 {
			t.Errorf("r=%g: perimeter %.2f px, want %.2f", r, got.PerimeterPx, p)
		}
		// Ellipse perimeter with semi-axes 0.01r and 0.02r cm (Ramanujan).
		a, bb := 0.01*r, 0.02*r
		h := (a - bb) * (a - bb) / ((a + bb) * (a + bb))
		pe := math.Pi * (a + bb) * (1 + 3*h/(10+math.Sqrt(4-3*h)))
		if math.Abs(got.PerimeterCm-pe)/pe > 0.01 {
			t.Errorf("r=%g: perimeter %.4f cm, want %.4f", r, got.PerimeterCm, pe)
		}
		var sum, sq, n float64
		for y := 0; y < 480; y++ {
			for x := 0; x < 512; x++ {
				if m.Pix[m.PixOffset(x, y)] != 0 {
					v := float64((x + y) % 200)
					sum += v
					sq += v * v
					n++
				}
			}
		}
		mean := sum / n
		if math.Abs(got.EIMean-mean) > 1e-9 || math.Abs(got.EISD-math.Sqrt(sq/n-mean*mean)) > 1e-9 {
			t.Errorf("r=%g: EI %g ± %g, want %g", r, got.EIMean, got.EISD, mean)
		}
		wantBox := image.Rect(256-int(r), 240-int(r), 256+int(r)+1, 240+int(r)+1)
		if got.BBox != wantBox {
			t.Errorf("r=%g: bbox %v, want %v", r, got.BBox, wantBox)
		}
	}
}

func TestConstantGreyAndSquare(t *testing.T) {
	b := image.Rect(0, 0, 100, 80)
	g := image.NewGray(b)
	for i := range g.Pix {
		g.Pix[i] = 77
	}
	m := image.NewGray(b)
	for y := 10; y < 30; y++ {
		for x := 20; x < 60; x++ {
			m.Pix[m.PixOffset(x, y)] = 1 // any non-zero value is muscle
		}
	}
	got, err := Mask(g, m, calib.None())
	if err != nil {
		t.Fatal(err)
	}
	if got.AreaPx != 800 || got.EIMean != 77 || got.EISD != 0 || got.AreaCm2 != 0 || got.PerimeterCm != 0 {
		t.Errorf("got %+v", got)
	}
	// A 40×20 block's outline is 120 px; smoothing rounds its four right-angle
	// corners (a muscle has none), which costs about 3 px.
	if want := 120.0; got.PerimeterPx > want || got.PerimeterPx < 0.96*want {
		t.Errorf("perimeter %g, want %g", got.PerimeterPx, want)
	}
}

func TestEmptyAndMismatch(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 10, 10))
	got, err := Mask(g, image.NewGray(g.Bounds()), calib.None())
	if err != nil || got.AreaPx != 0 || got.EIMean != 0 || !got.BBox.Empty() {
		t.Errorf("empty: %+v %v", got, err)
	}
	if _, err := Mask(g, image.NewGray(image.Rect(0, 0, 10, 11)), calib.None()); err == nil {
		t.Error("size mismatch accepted")
	}
}

func BenchmarkMask(b *testing.B) {
	r := image.Rect(0, 0, 512, 480)
	g := image.NewGray(r)
	m := disc(r, 256, 240, 150)
	cal := calib.Calibration{CmPerPxX: 0.01, CmPerPxY: 0.01, Source: calib.SourceUserCmPerPx}
	for b.Loop() {
		if _, err := Mask(g, m, cal); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBBox(t *testing.T) {
	m := image.NewGray(image.Rect(10, 20, 60, 70)) // bounds not at the origin
	if got := BBox(m); !got.Empty() {
		t.Errorf("empty mask: %v", got)
	}
	m.SetGray(15, 30, color.Gray{1})
	m.SetGray(40, 22, color.Gray{255})
	if got, want := BBox(m), image.Rect(15, 22, 41, 31); got != want {
		t.Errorf("BBox %v, want %v", got, want)
	}
}

// muscle draws a muscle-like region on b: an ellipse whose outline wanders
// by a few pixels, so the contour is not a clean conic.
func muscle(b image.Rectangle) *image.Gray {
	m := image.NewGray(b)
	cx, cy := float64(b.Min.X)+0.5*float64(b.Dx()), float64(b.Min.Y)+0.45*float64(b.Dy())
	ax, ay := 0.3*float64(b.Dx()), 0.2*float64(b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dx, dy := (float64(x)-cx)/ax, (float64(y)-cy)/ay
			if dx*dx+dy*dy <= 1+0.05*math.Sin(0.2*float64(x))+0.04*math.Cos(0.13*float64(y)) {
				m.Pix[m.PixOffset(x, y)] = 255
			}
		}
	}
	return m
}

func benchmarkMuscle(b *testing.B, w, h int) {
	r := image.Rect(0, 0, w, h)
	g := image.NewGray(r)
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 7)
	}
	m := muscle(r)
	cal := calib.Calibration{CmPerPxX: 0.007, CmPerPxY: 0.007, Source: calib.SourceUserCmPerPx}
	for b.Loop() {
		if _, err := Mask(g, m, cal); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMaskPanoramic(b *testing.B) { benchmarkMuscle(b, 1456, 819) }
func BenchmarkMaskSeed(b *testing.B)      { benchmarkMuscle(b, 512, 480) }
