// Package enginetest holds the conformance tests every engine passes.
package enginetest

import (
	"context"
	"math"
	"sync"
	"testing"

	"myoseg/core/nn/engine"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/onnxmodel/onnxtest"
)

// New builds the engine under test.
type New func(m *onnxmodel.Model, workers int) (engine.Engine, error)

// HandComputation checks an engine against TinyNet computed by hand, on
// two different inputs in turn (a reused graph must not see the first
// input again), and that it refuses a wrong input size and a cancelled
// context.
func HandComputation(t *testing.T, newEngine New) {
	const h, w = 16, 20
	w1 := []float32{0.1, -0.2, 0.3, 0.5, 1, -0.5, 0.2, 0.1, -0.1,
		-0.3, 0.4, 0.2, 0.1, -1, 0.6, 0.3, -0.2, 0.05}
	b1 := []float32{0.1, -0.05}
	w2 := []float32{1.5, -0.7}
	var b2 float32 = -0.2
	m, err := onnxmodel.Parse("tiny.onnx", onnxtest.TinyNet(h, w, w1, b1, w2, b2).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEngine(m, 2)
	if err != nil {
		t.Fatal(err)
	}
	for run, scale := range []float32{1, -0.5, 1} {
		in := make([]float32, h*w)
		for i := range in {
			in[i] = scale * float32(math.Sin(float64(i)*0.37))
		}
		got, err := e.Infer(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		want := onnxtest.TinyNetReference(in, h, w, w1, b1, w2, b2)
		var maxDiff float64
		for i := range got {
			maxDiff = math.Max(maxDiff, math.Abs(float64(got[i])-want[i]))
		}
		if maxDiff > 1e-5 {
			t.Errorf("run %d: max abs diff %g", run, maxDiff)
		}
	}
	if _, err := e.Infer(context.Background(), make([]float32, 7)); err == nil {
		t.Error("wrong input size accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Infer(ctx, make([]float32, h*w)); err == nil {
		t.Error("cancelled context accepted")
	}
}

// Concurrent checks that simultaneous calls each get their own input's
// answer from a pool of 3.
func Concurrent(t *testing.T, newEngine New) {
	const h, w = 16, 16
	w1 := make([]float32, 18)
	w1[4] = 1
	m, err := onnxmodel.Parse("tiny.onnx", onnxtest.TinyNet(h, w, w1, []float32{0, 0}, []float32{1, 0}, 0).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEngine(m, 3)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for k := 0; k < 24; k++ {
		wg.Add(1)
		go func(v float32) {
			defer wg.Done()
			in := make([]float32, h*w)
			for i := range in {
				in[i] = v
			}
			out, err := e.Infer(context.Background(), in)
			if err != nil {
				t.Error(err)
				return
			}
			for _, i := range []int{0, 5, 100, 255} {
				if want := float32(1 / (1 + math.Exp(-float64(v)))); math.Abs(float64(out[i]-want)) > 1e-6 {
					t.Errorf("input %g: pixel %d = %g, want %g", v, i, out[i], want)
				}
			}
		}(float32(k) / 4)
	}
	wg.Wait()
}
