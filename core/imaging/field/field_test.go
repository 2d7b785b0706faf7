package field

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// edgeTol is how far, in pixels, each edge of the detected rectangle may be
// from the true field edge in the synthetic screens.
const edgeTol = 4

// checkRect fails unless every edge of got is within tol of want.
func checkRect(t *testing.T, got, want image.Rectangle, tol int) {
	t.Helper()
	d := [4]int{got.Min.X - want.Min.X, got.Min.Y - want.Min.Y, got.Max.X - want.Max.X, got.Max.Y - want.Max.Y}
	for i, name := range []string{"left", "top", "right", "bottom"} {
		if abs(d[i]) > tol {
			t.Errorf("%s edge off by %d px (got %v, want %v ±%d)", name, d[i], got, want, tol)
		}
	}
}

func TestDetectScreenCaptures(t *testing.T) {
	cases := []struct {
		name string
		opts captureOpts
	}{
		{"linear probe, full UI", captureOpts{w: 1024, h: 768, field: image.Rect(212, 96, 812, 576),
			mean: 60, labelGap: 12, scaleGap: 6, sideText: true, header: true, seed: 1}},
		{"dark muscle with anechoic area", captureOpts{w: 1024, h: 768, field: image.Rect(200, 120, 840, 640),
			mean: 16, dark: true, labelGap: 10, scaleGap: 5, sideText: true, header: true, seed: 2}},
		{"label 3 px above the field", captureOpts{w: 1024, h: 768, field: image.Rect(180, 100, 900, 700),
			mean: 50, labelGap: 3, scaleGap: 4, sideText: true, header: true, seed: 3}},
		{"scale 2 px from the field", captureOpts{w: 800, h: 600, field: image.Rect(120, 60, 640, 560),
			mean: 70, labelGap: 6, scaleGap: 2, sideText: true, seed: 4}},
		{"field from the top edge", captureOpts{w: 960, h: 720, field: image.Rect(150, 0, 870, 600),
			mean: 55, scaleGap: 6, sideText: true, seed: 5}},
		{"small field on a large screen", captureOpts{w: 1456, h: 819, field: image.Rect(601, 287, 921, 527),
			mean: 45, labelGap: 8, scaleGap: 6, sideText: true, header: true, seed: 6}},
		{"odd size and offsets", captureOpts{w: 1001, h: 757, field: image.Rect(203, 101, 797, 563),
			mean: 40, labelGap: 5, scaleGap: 7, sideText: true, header: true, seed: 7}},
		{"bright field", captureOpts{w: 1024, h: 768, field: image.Rect(212, 96, 812, 576),
			mean: 130, labelGap: 12, scaleGap: 6, sideText: true, header: true, seed: 8}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := capture(c.opts)
			res := Find(s.g)
			if dir := os.Getenv("FIELD_DEBUG_DIR"); dir != "" {
				writeOverlay(t, filepath.Join(dir, "synthetic-"+strings.ReplaceAll(c.name, " ", "-")+".png"), s.g, res.Rect, DetectMask(s.g), nil)
			}
			if !res.Found {
				t.Fatalf("field not found")
			}
			if res.Background != 0 || res.Tolerance != 0 {
				t.Errorf("background %d±%d, want 0±0", res.Background, res.Tolerance)
			}
			checkRect(t, res.Rect, c.opts.field, edgeTol)
			if n := s.inkIn(res.Rect); n != 0 {
				t.Errorf("rect %v holds %d text/graphics pixels", res.Rect, n)
			}
			if got := Detect(s.g); got != res.Rect {
				t.Errorf("Detect %v != Find %v", got, res.Rect)
			}
			m := DetectMask(s.g)
			if mb := maskBounds(m); mb != res.Rect {
				t.Errorf("mask bounds %v != rect %v", mb, res.Rect)
			}
			// The mask fills the rectangular field (the anechoic ellipse too).
			if cov := maskFraction(m, c.opts.field); cov < 0.99 {
				t.Errorf("mask covers %.3f of the field, want ≥ 0.99", cov)
			}
		})
	}
}

// TestDetectSubImage checks that bounds not at the origin (a SubImage) are
// honoured: the rectangle comes back in the parent's coordinates.
func TestDetectSubImage(t *testing.T) {
	s := capture(captureOpts{w: 1024, h: 768, field: image.Rect(212, 96, 812, 576),
		mean: 60, labelGap: 12, scaleGap: 6, sideText: true, header: true, seed: 11})
	for _, crop := range []image.Rectangle{
		image.Rect(37, 21, 1000, 760),
		image.Rect(0, 50, 900, 768),    // cuts the title bar and the scale
		image.Rect(250, 130, 700, 500), // inside the field: all B-mode
	} {
		t.Run(fmt.Sprint(crop), func(t *testing.T) {
			sub := s.g.SubImage(crop).(*image.Gray)
			got := Detect(sub)
			want := image.Rect(212, 96, 812, 576).Intersect(crop)
			checkRect(t, got, want, edgeTol)
			if !got.In(crop) {
				t.Errorf("rect %v outside the sub-image %v", got, crop)
			}
			if n := s.inkIn(got); n != 0 {
				t.Errorf("rect %v holds %d text/graphics pixels", got, n)
			}
		})
	}
}

// TestDetectFullFrame: a seed-like 480×512 image that is B-mode to the edges
// comes back whole.
func TestDetectFullFrame(t *testing.T) {
	cases := []struct {
		name string
		mean float64
		dark bool
		seed uint64
	}{
		{"mid grey", 60, false, 21},
		{"dark with anechoic area", 25, true, 22},
		{"bright", 120, false, 23},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := image.NewGray(image.Rect(0, 0, 512, 480))
			newSpeckle(c.seed).fill(g, g.Rect, c.mean, c.dark, nil)
			res := Find(g)
			if !res.Found || res.Rect != g.Rect {
				t.Errorf("got %v found=%v, want the whole image %v", res.Rect, res.Found, g.Rect)
			}
			if res.Background != -1 {
				t.Errorf("background %d, want none (-1)", res.Background)
			}
			if f := maskFraction(DetectMask(g), g.Rect); f != 1 {
				t.Errorf("mask covers %.4f of the image, want 1", f)
			}
		})
	}
}

// TestDetectSector: a phased/curved-array sector with text in the corners of
// its bounding box. The rectangle is the sector's box; the mask follows the
// fan and holds no text.
func TestDetectSector(t *testing.T) {
	s := newScreen(1024, 768, 0)
	apexX, apexY := 512.0, 40.0
	r0, r1, half := 90.0, 660.0, 35*math.Pi/180
	inFan := func(x, y int) bool {
		dx, dy := float64(x)+0.5-apexX, float64(y)+0.5-apexY
		r := math.Hypot(dx, dy)
		return r >= r0 && r <= r1 && math.Abs(math.Atan2(dx, dy)) <= half
	}
	newSpeckle(31).fill(s.g, s.g.Rect, 55, true, inFan)
	// The fan's true box, from the pixels.
	fan := image.Rectangle{Min: image.Pt(1<<30, 1<<30)}
	nFan := 0
	for y := 0; y < 768; y++ {
		for x := 0; x < 1024; x++ {
			if inFan(x, y) {
				nFan++
				fan.Min.X, fan.Min.Y = min(fan.Min.X, x), min(fan.Min.Y, y)
				fan.Max.X, fan.Max.Y = max(fan.Max.X, x+1), max(fan.Max.Y, y+1)
			}
		}
	}
	s.text(150, 140, "LT TA", 2, 230) // top-left corner of the box, outside the fan
	s.text(760, 150, "FR 30", 1, 200) // top-right corner
	s.text(760, 166, "D 8.0", 1, 200)
	s.depthScale(900, 130, 700, 50) // right of the fan
	s.text(10, 10, "MYOSEG 03/04/25", 1, 180)

	got := Detect(s.g)
	checkRect(t, got, fan, edgeTol)
	m := DetectMask(s.g)
	if dir := os.Getenv("FIELD_DEBUG_DIR"); dir != "" {
		writeOverlay(t, filepath.Join(dir, "synthetic-sector.png"), s.g, got, m, []image.Rectangle{fan})
	}
	inkInMask, fanInMask, extra := 0, 0, 0
	for y := 0; y < 768; y++ {
		for x := 0; x < 1024; x++ {
			on := m.Pix[y*m.Stride+x] != 0
			switch {
			case on && s.ink[y*1024+x]:
				inkInMask++
			case on && inFan(x, y):
				fanInMask++
			case on:
				extra++
			}
		}
	}
	if inkInMask != 0 {
		t.Errorf("mask holds %d text pixels", inkInMask)
	}
	if f := float64(fanInMask) / float64(nFan); f < 0.98 {
		t.Errorf("mask covers %.3f of the fan, want ≥ 0.98", f)
	}
	if f := float64(extra) / float64(nFan); f > 0.01 {
		t.Errorf("mask spills %.4f of the fan's area outside it, want ≤ 0.01", f)
	}
}

// TestDetectTouchingLines: one-pixel lines that touch the field (a tick or a
// leader line drawn up to the image) are not followed outward. The pixel
// where a line meets the field cannot be told from the field's own edge row,
// so the rectangle may take that one pixel per line, no more.
func TestDetectTouchingLines(t *testing.T) {
	field := image.Rect(200, 100, 800, 600)
	s := capture(captureOpts{w: 1024, h: 768, field: field, mean: 60, sideText: true, header: true, seed: 81})
	lines := 0
	for y := field.Min.Y + 40; y < field.Max.Y; y += 60 { // right edge, outward
		for x := field.Max.X; x < field.Max.X+40; x++ {
			s.paint(x, y, 210)
		}
		lines++
	}
	for x := field.Min.X + 50; x < field.Max.X; x += 100 { // top edge, upward
		for y := field.Min.Y - 30; y < field.Min.Y; y++ {
			s.paint(x, y, 210)
		}
		lines++
	}
	got := Detect(s.g)
	checkRect(t, got, field, 1)
	if n := s.inkIn(got); n > lines {
		t.Errorf("rect %v holds %d line pixels, want at most %d (one per line)", got, n, lines)
	}
}

// TestDetectNoFlatBackground: surroundings that are not flat (a smooth ramp)
// give no background level; the field is still found, at block precision.
func TestDetectNoFlatBackground(t *testing.T) {
	field := image.Rect(203, 101, 797, 563)
	g := image.NewGray(image.Rect(0, 0, 1000, 700))
	for y := 0; y < 700; y++ {
		for x := 0; x < 1000; x++ {
			g.Pix[y*g.Stride+x] = uint8(20 + x*60/1000 + y*30/700)
		}
	}
	newSpeckle(91).fill(g, field, 70, true, nil)
	res := Find(g)
	if res.Background != -1 {
		t.Errorf("background %d, want none (-1)", res.Background)
	}
	t.Logf("rect %v, field %v", res.Rect, field)
	checkRect(t, res.Rect, field, blockSize)
}

// TestDetectJPEGCapture: the same screen after JPEG compression (noisy
// background near every edge). JPEG ringing sits in the 8×8 blocks that the
// field's edge crosses, so the tolerance is one JPEG block.
func TestDetectJPEGCapture(t *testing.T) {
	field := image.Rect(212, 96, 812, 576)
	s := capture(captureOpts{w: 1024, h: 768, field: field,
		mean: 60, labelGap: 12, scaleGap: 9, sideText: true, header: true, seed: 41})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, s.g, &jpeg.Options{Quality: 75}); err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("jpeg decoded to %T", img)
	}
	res := Find(g)
	got := res.Rect
	t.Logf("rect %v background %d±%d", got, res.Background, res.Tolerance)
	checkRect(t, got, field, 8)
	if n := s.inkIn(got); n != 0 {
		t.Errorf("rect %v holds %d text/graphics pixels", got, n)
	}
}

// TestDetectNoField: images without ultrasound fall back to the whole image
// (Found false) and nothing panics.
func TestDetectNoField(t *testing.T) {
	textOnly := newScreen(800, 600, 0)
	textOnly.bar(image.Rect(0, 0, 800, 40), 22)
	textOnly.logo(30, 20, 15)
	for i := 0; i < 30; i++ {
		textOnly.text(10+(i%3)*260, 60+18*(i/3), "GAIN 56 DR 69 FRQ 12", 1, uint8(120+4*i))
	}
	textOnly.text(100, 300, "BIG TITLE TEXT", 4, 250)
	textOnly.greyBar(image.Rect(760, 300, 780, 560))

	ramp := image.NewGray(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			ramp.Pix[y*ramp.Stride+x] = uint8((x + y) * 255 / (640 + 480))
		}
	}
	// A large grey ramp (a grey map bar drawn big): every pixel differs from
	// its lower neighbour, none from its right one.
	bigRamp := newScreen(640, 480, 0)
	for y := 100; y < 400; y++ {
		for x := 200; x < 360; x++ {
			bigRamp.paint(x, y, uint8(255-(y-100)*255/300))
		}
	}
	uniform := image.NewGray(image.Rect(0, 0, 640, 480))
	for i := range uniform.Pix {
		uniform.Pix[i] = 128
	}
	tiny := image.NewGray(image.Rect(0, 0, 10, 10))
	newSpeckle(51).fill(tiny, tiny.Rect, 60, false, nil)
	specks := newScreen(640, 480, 0) // a speckle patch too small to be a field
	newSpeckle(52).fill(specks.g, image.Rect(300, 200, 324, 224), 60, false, nil)

	cases := []struct {
		name string
		g    *image.Gray
	}{
		{"black", image.NewGray(image.Rect(0, 0, 640, 480))},
		{"uniform grey", uniform},
		{"diagonal ramp", ramp},
		{"vertical ramp on black", bigRamp.g},
		{"text, logo and bars only", textOnly.g},
		{"tiny", tiny},
		{"one row", image.NewGray(image.Rect(0, 0, 300, 1))},
		{"small speckle patch", specks.g},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Find(c.g)
			if res.Found || res.Rect != c.g.Rect {
				t.Errorf("got %v found=%v, want fallback %v", res.Rect, res.Found, c.g.Rect)
			}
			if f := maskFraction(DetectMask(c.g), c.g.Rect); f != 1 {
				t.Errorf("fallback mask covers %.3f, want 1", f)
			}
		})
	}
	if r := Detect(nil); r != (image.Rectangle{}) {
		t.Errorf("Detect(nil) = %v", r)
	}
	if m := DetectMask(nil); m != nil {
		t.Errorf("DetectMask(nil) = %v", m.Rect)
	}
	if r := Detect(&image.Gray{}); r != (image.Rectangle{}) {
		t.Errorf("Detect(empty) = %v", r)
	}
	// A malformed image.Gray whose Pix is shorter than its bounds.
	short := &image.Gray{Pix: make([]uint8, 100), Stride: 640, Rect: image.Rect(0, 0, 640, 480)}
	if r := Detect(short); r != short.Rect {
		t.Errorf("Detect(short Pix) = %v, want %v", r, short.Rect)
	}
}

// TestDetectRandomCrops: any crop of a capture gives a non-empty rectangle
// inside the crop, and no panic.
func TestDetectRandomCrops(t *testing.T) {
	s := capture(captureOpts{w: 640, h: 480, field: image.Rect(120, 60, 520, 420),
		mean: 50, labelGap: 6, scaleGap: 6, sideText: true, header: true, seed: 61})
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		x0, y0 := rng.IntN(640), rng.IntN(480)
		crop := image.Rect(x0, y0, x0+1+rng.IntN(640-x0), y0+1+rng.IntN(480-y0))
		sub := s.g.SubImage(crop).(*image.Gray)
		got := Detect(sub)
		if got.Empty() || !got.In(crop) {
			t.Fatalf("crop %v: rect %v", crop, got)
		}
	}
}

// maskBounds is the bounding box of the non-zero pixels of m.
func maskBounds(m *image.Gray) image.Rectangle {
	var r image.Rectangle
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if m.GrayAt(x, y).Y != 0 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

// maskFraction is the fraction of r's pixels that m marks as field.
func maskFraction(m *image.Gray, r image.Rectangle) float64 {
	if m == nil || r.Empty() {
		return 0
	}
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if m.GrayAt(x, y).Y != 0 {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}

func BenchmarkDetect(b *testing.B) {
	s := capture(captureOpts{w: 1456, h: 819, field: image.Rect(70, 140, 1285, 745),
		mean: 40, dark: true, labelGap: 20, scaleGap: 8, sideText: true, header: true, seed: 71})
	b.SetBytes(int64(len(s.g.Pix)))
	b.ResetTimer()
	for b.Loop() {
		Detect(s.g)
	}
}

func BenchmarkDetectMask(b *testing.B) {
	s := capture(captureOpts{w: 1456, h: 819, field: image.Rect(70, 140, 1285, 745),
		mean: 40, dark: true, labelGap: 20, scaleGap: 8, sideText: true, header: true, seed: 71})
	b.SetBytes(int64(len(s.g.Pix)))
	b.ResetTimer()
	for b.Loop() {
		DetectMask(s.g)
	}
}
