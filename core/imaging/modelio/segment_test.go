package modelio

import (
	"image"
	"math"
	"testing"

	"myoseg/core/nn/onnxmodel"
)

var info = onnxmodel.Info{InputH: 240, InputW: 256, Mean: 0.5, Std: 0.25, Threshold: 0.5}

func discMask(w, h int, cx, cy, r float64) []bool {
	m := make([]bool, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m[y*w+x] = math.Hypot(float64(x)-cx, float64(y)-cy) <= r
		}
	}
	return m
}

func count(m []bool) (n int) {
	for _, v := range m {
		if v {
			n++
		}
	}
	return n
}

func TestMorphology(t *testing.T) {
	const w, h = 100, 100
	disc := discMask(w, h, 50, 50, 30)
	// Erosion by r then dilation by r gives back a disc of (nearly) the same area.
	if got := count(open(disc, w, h, 10)); math.Abs(float64(got-count(disc))) > 0.01*float64(count(disc)) {
		t.Errorf("opening changed a disc of area %d to %d", count(disc), got)
	}
	if got, want := count(erode(disc, w, h, 10)), math.Pi*20*20; math.Abs(float64(got)-want) > 0.03*want {
		t.Errorf("eroded disc area %d, want ≈ %.0f", got, want)
	}
	if got, want := count(dilate(disc, w, h, 5)), math.Pi*35*35; math.Abs(float64(got)-want) > 0.03*want {
		t.Errorf("dilated disc area %d, want ≈ %.0f", got, want)
	}
	// A muscle cut by the image edge is not eaten from that edge.
	edge := discMask(w, h, 0, 50, 30)
	if er := erode(edge, w, h, 5); !er[50*w+0] {
		t.Error("erosion ate the image edge")
	}
	// Holes are filled; the outside is not.
	ring := discMask(w, h, 50, 50, 30)
	for i, in := range discMask(w, h, 50, 50, 10) {
		if in {
			ring[i] = false
		}
	}
	filled := fillHoles(ring, w, h)
	if count(filled) != count(disc) {
		t.Errorf("fillHoles: %d, want %d", count(filled), count(disc))
	}
}

func TestKeepMuscle(t *testing.T) {
	const w, h = 200, 200
	union := func(a, b []bool) []bool {
		out := make([]bool, len(a))
		for i := range a {
			out[i] = a[i] || b[i]
		}
		return out
	}
	deepBig := discMask(w, h, 100, 150, 40)
	shallowSmall := discMask(w, h, 100, 40, 20)   // 25 % of the big one: big wins
	shallowSimilar := discMask(w, h, 100, 40, 37) // 86 %: the superficial one wins
	got := keepMuscle(union(deepBig, shallowSmall), w, h)
	if count(got) != count(deepBig) || !got[150*w+100] {
		t.Errorf("largest not kept")
	}
	got = keepMuscle(union(deepBig, shallowSimilar), w, h)
	if count(got) != count(shallowSimilar) || !got[40*w+100] {
		t.Errorf("superficial not kept")
	}
}

func TestBoxTaps(t *testing.T) {
	for _, ts := range boxTaps(512, 256) {
		if len(ts) != 2 || ts[0].w != 0.5 || ts[1].w != 0.5 || ts[1].i != ts[0].i+1 {
			t.Fatalf("2× taps %+v", ts)
		}
	}
	for _, n := range []int{7, 819, 1456} {
		for _, m := range []int{3, 240, 256} {
			for o, ts := range boxTaps(n, m) {
				var sum float32
				for _, t := range ts {
					sum += t.w
				}
				if math.Abs(float64(sum-1)) > 1e-5 {
					t.Fatalf("%d→%d output %d weights sum to %g", n, m, o, sum)
				}
			}
		}
	}
}

func TestPrepare(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 512, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 512; x++ {
			g.Pix[y*512+x] = uint8(2 * (x / 2 % 100)) // constant over each 2×2 block
		}
	}
	in, err := Prepare(g, g.Bounds(), info)
	if err != nil {
		t.Fatal(err)
	}
	if in.Place != image.Rect(0, 0, 256, 240) {
		t.Errorf("place %v", in.Place)
	}
	for _, p := range []struct{ x, y int }{{0, 0}, {37, 100}, {255, 239}} {
		v := float32(2*(p.x%100))/255*4 - 2
		if got := in.Data[p.y*256+p.x]; math.Abs(float64(got-v)) > 1e-5 {
			t.Errorf("(%d,%d) = %g, want %g", p.x, p.y, got, v)
		}
	}
	// A wide panoramic field is letterboxed: top-aligned, centred, black below.
	wide := image.NewGray(image.Rect(0, 0, 1456, 819))
	for i := range wide.Pix {
		wide.Pix[i] = 200
	}
	field := image.Rect(100, 50, 1124, 450) // 1024×400 → 256×100
	in, err = Prepare(wide, field, info)
	if err != nil {
		t.Fatal(err)
	}
	if in.Place != image.Rect(0, 0, 256, 100) {
		t.Errorf("wide place %v", in.Place)
	}
	if got, want := in.Data[50*256+10], float32(200)/255*4-2; math.Abs(float64(got-want)) > 1e-5 {
		t.Errorf("inside %g, want %g", got, want)
	}
	if got := in.Data[150*256+10]; got != -2 {
		t.Errorf("padding %g, want -2 (black)", got)
	}
}

func TestMaskFromProbabilities(t *testing.T) {
	// A probability disc at model resolution comes back as a disc of the
	// same physical size on a 2× larger field offset inside the image.
	size := image.Rect(0, 0, 600, 560)
	field := image.Rect(40, 30, 552, 510) // 512×480
	prob := make([]float32, 240*256)
	for y := 0; y < 240; y++ {
		for x := 0; x < 256; x++ {
			if math.Hypot(float64(x)+0.5-128, float64(y)+0.5-100) <= 50 {
				prob[y*256+x] = 0.9
			} else {
				prob[y*256+x] = 0.1
			}
		}
	}
	// Specks far from the muscle must be removed by the post-processing.
	prob[10*256+10], prob[230*256+240] = 0.95, 0.95
	m, err := Mask(prob, Input{Place: image.Rect(0, 0, 256, 240), Field: field}, info, size, DefaultPost())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for y := 0; y < 560; y++ {
		for x := 0; x < 600; x++ {
			if m.Pix[y*600+x] == 0 {
				continue
			}
			n++
			if !(image.Point{x, y}.In(field)) {
				t.Fatalf("mask outside the field at (%d,%d)", x, y)
			}
		}
	}
	// Radius 100 px at image scale; the default clean-up keeps the outline.
	if want := math.Pi * 100 * 100; math.Abs(float64(n)-want) > 0.01*want {
		t.Errorf("area %d, want ≈ %.0f", n, want)
	}
	if m.Pix[(30+200)*600+40+256] != 255 {
		t.Error("centre not set")
	}
}

func BenchmarkPostProcessPanoramic(b *testing.B) {
	const w, h = 1456, 819
	m := discMask(w, h, 700, 400, 300)
	k := math.Max(float64(h)/seedH, float64(w)/seedW)
	for b.Loop() {
		PostProcess(m, w, h, k, DefaultPost())
	}
}

func BenchmarkPrepareSeed(b *testing.B) {
	g := image.NewGray(image.Rect(0, 0, 512, 480))
	for b.Loop() {
		if _, err := Prepare(g, g.Bounds(), info); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPaperPostGrowsOutline(t *testing.T) {
	const w, h = 512, 480
	disc := discMask(w, h, 256, 240, 100)
	tests := []struct {
		name string
		post Post
		r    float64 // radius of the disc that comes out
	}{
		{"paper", PaperPost(), 102},
		{"default", DefaultPost(), 100},
	}
	for _, tc := range tests {
		got := float64(count(PostProcess(disc, w, h, 1, tc.post)))
		if want := math.Pi * tc.r * tc.r; math.Abs(got-want) > 0.005*want {
			t.Errorf("%s: area %.0f, want ≈ %.0f (radius %g)", tc.name, got, want, tc.r)
		}
	}
}
