package engine

import (
	"context"
	"math"
	"sync"
	"testing"

	"myoseg/core/model"
	"myoseg/core/model/onnxtest"
)

func TestFastMatchesHandComputation(t *testing.T) {
	const h, w = 16, 20
	w1 := []float32{0.1, -0.2, 0.3, 0.5, 1, -0.5, 0.2, 0.1, -0.1,
		-0.3, 0.4, 0.2, 0.1, -1, 0.6, 0.3, -0.2, 0.05}
	b1 := []float32{0.1, -0.05}
	w2 := []float32{1.5, -0.7}
	var b2 float32 = -0.2
	m, err := model.Parse("tiny.onnx", onnxtest.TinyNet(h, w, w1, b1, w2, b2).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewFast(m, 2)
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
		if maxDiff > 1e-6 {
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

func TestFastConcurrent(t *testing.T) {
	const h, w = 16, 16
	w1 := make([]float32, 18)
	w1[4] = 1
	m, err := model.Parse("tiny.onnx", onnxtest.TinyNet(h, w, w1, []float32{0, 0}, []float32{1, 0}, 0).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewFast(m, 3)
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
