package models

import (
	"bytes"
	"context"
	"image/png"
	"testing"

	"myoseg/core/pipeline"
	"myoseg/core/study/phantom"
)

// The shipped model on phantoms it has never seen (a seed the training set
// does not use) (version 2, what it was trained on) must reach Dice ≥ 0.9 on every image class on average. This
// checks the whole Go pipeline with the real network; the full evaluation
// (300+ images) is `go run . eval`, reported in the model card.
func TestPhantomAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the network on 30 images; skipped with -short")
	}
	seg := shippedSegmenter(t)
	const n = 30 // 5 muscles × 2 groups × 3
	cfg := phantom.Config{Seed: 424242, N: n, PathologicalFraction: 0.5, Version: phantom.V2}
	sum := map[string]float64{}
	count := map[string]int{}
	var worst float64 = 1
	for i := 0; i < n; i++ {
		s, err := phantom.Generate(cfg, i)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, s.Image); err != nil {
			t.Fatal(err)
		}
		res, err := seg.Run(context.Background(), pipeline.Request{Name: s.FileName(), Data: buf.Bytes()})
		if err != nil {
			t.Fatal(err)
		}
		dice := dice(res.Mask, s.Mask)
		key := s.Muscle + "/" + s.Group()
		sum[key] += dice
		count[key]++
		worst = min(worst, dice)
	}
	for key, total := range sum {
		mean := total / float64(count[key])
		t.Logf("%s: mean Dice %.3f over %d", key, mean, count[key])
		if mean < 0.9 {
			t.Errorf("%s: mean Dice %.3f < 0.9", key, mean)
		}
	}
	t.Logf("worst image Dice %.3f", worst)
}
