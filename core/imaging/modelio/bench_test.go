package modelio

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// modelOutput is a model-like probability map of w×h: a muscle-shaped blob,
// low-frequency clutter and pixel noise, so the threshold leaves holes,
// specks and stray regions for the clean-up to remove, as real outputs do.
func modelOutput(w, h int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	cx, cy, ax, ay := 0.5*float64(w), 0.45*float64(h), 0.3*float64(w), 0.2*float64(h)
	p := make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := (float64(x)-cx)/ax, (float64(y)-cy)/ay
			v := 1/(1+math.Exp(4*(dx*dx+dy*dy-1))) +
				0.12*math.Sin(0.07*float64(x)+0.03*float64(y)) +
				0.1*math.Sin(0.02*float64(x)-0.09*float64(y)+1) +
				0.3*(r.Float64()-0.5)
			p[y*w+x] = float32(v)
		}
	}
	return p
}

// TestModelOutputIsMessy keeps the benchmark input honest: thresholded, it
// has many regions, which the clean-up reduces to one.
func TestModelOutputIsMessy(t *testing.T) {
	const w, h = 256, 240
	p := modelOutput(w, h, 1)
	m := make([]bool, w*h)
	for i, v := range p {
		m[i] = v > info.Threshold
	}
	if _, comps := components(m, w, h); len(comps) < 20 {
		t.Errorf("thresholded output has %d regions, want ≥ 20", len(comps))
	}
	if _, comps := components(PostProcess(m, w, h, 0.5, DefaultPost()), w, h); len(comps) != 1 {
		t.Errorf("cleaned mask has %d regions, want 1", len(comps))
	}
}

// benchmarkMask runs what batch does after inference: resample the model's
// output onto a w×h field, threshold, clean up and paint the mask.
func benchmarkMask(b *testing.B, w, h int) {
	g := image.NewGray(image.Rect(0, 0, w, h))
	in, err := Prepare(g, g.Bounds(), info)
	if err != nil {
		b.Fatal(err)
	}
	prob := modelOutput(info.InputW, info.InputH, 1)
	for b.Loop() {
		if _, err := Mask(prob, in, info, g.Bounds(), DefaultPost()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMaskPanoramic(b *testing.B) { benchmarkMask(b, 1456, 819) }
func BenchmarkMaskSeed(b *testing.B)      { benchmarkMask(b, 512, 480) }
