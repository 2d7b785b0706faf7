package edit

import (
	"image"
	"math"
	"testing"

	"myoseg/core/imaging/contour"
)

func disk(w, h int, cx, cy, r float64) []byte {
	m := make([]byte, w*h)
	for y := range h {
		for x := range w {
			if math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy) <= r {
				m[y*w+x] = 255
			}
		}
	}
	return m
}

func area(m []byte) int {
	n := 0
	for _, v := range m {
		if v != 0 {
			n++
		}
	}
	return n
}

func TestTidy(t *testing.T) {
	const w, h = 100, 80
	m := disk(w, h, 40, 40, 20)
	want := area(m)
	m[40*w+40], m[41*w+40] = 0, 0 // a hole
	for _, i := range []int{5*w + 90, 5*w + 91} {
		m[i] = 255 // a speck
	}
	// After the brush, in the disk: hole filled, speck gone.
	got, err := Tidy(m, w, h, true, image.Pt(40, 30))
	if err != nil {
		t.Fatal(err)
	}
	if area(got) != want || got[40*w+40] != 255 || got[5*w+90] != 0 {
		t.Errorf("tidy area %d, want %d with the hole filled and the speck gone", area(got), want)
	}
	// After the brush, on the speck: the speck stays, the disk goes.
	got, _ = Tidy(m, w, h, true, image.Pt(91, 5))
	if area(got) != 2 || got[5*w+90] != 255 {
		t.Errorf("brushing the speck kept %d px, want the speck's 2", area(got))
	}
	// After the eraser: the largest region, hole kept.
	got, _ = Tidy(m, w, h, false, image.Pt(-1, -1))
	if area(got) != want-2 || got[40*w+40] != 0 {
		t.Errorf("eraser tidy kept %d px, want %d with the hole", area(got), want-2)
	}
	if _, err := Tidy(m[:10], w, h, true, image.Point{}); err == nil {
		t.Error("short mask accepted")
	}
}

func TestHandlesRoundTrip(t *testing.T) {
	const w, h = 200, 160
	m := disk(w, h, 100, 80, 50)
	hs, err := Handles(m, w, h)
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromHandles(hs, w, h)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := area(back), area(m); math.Abs(float64(a-b)) > 0.02*float64(b) {
		t.Errorf("handles → mask area %d, mask %d", a, b)
	}
}

func TestWireNeedsPrepare(t *testing.T) {
	const w, h = 64, 48
	g := make([]byte, w*h)
	for i := range g {
		g[i] = uint8(40 + i*7%50)
	}
	for x := range w {
		g[20*w+x] = 250 // a bright line
	}
	var e Editor
	if _, err := e.Wire("a", contour.Point{X: 2, Y: 20}, contour.Point{X: 60, Y: 20}); err == nil {
		t.Error("wire before prepare accepted")
	}
	if err := e.Prepare("a", g, w, h); err != nil {
		t.Fatal(err)
	}
	p, err := e.Wire("a", contour.Point{X: 2.3, Y: 20.7}, contour.Point{X: 60, Y: 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range p {
		if q.Y != 20.5 {
			t.Fatalf("path leaves the bright row at %v", q)
		}
	}
	if _, err := e.Wire("b", contour.Point{}, contour.Point{X: 1, Y: 1}); err == nil {
		t.Error("wire on an unprepared image accepted")
	}
	if err := e.Prepare("b", g[:5], w, h); err == nil {
		t.Error("short grey image accepted")
	}
}
