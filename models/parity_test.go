package models

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"testing"

	"myoseg/core/nn/engine"
	"myoseg/core/nn/engine/gorgonnx"
	"myoseg/core/nn/onnxmodel"
)

func readF32(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%4 != 0 {
		t.Fatalf("%s: %d bytes is not a whole number of float32", path, len(b))
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// The Go core running the shipped model through both engines must reproduce
// PyTorch's output on the exported fixture, inside the size and compute budget.
func TestParityWithPyTorch(t *testing.T) {
	name, data := Default()
	m, err := onnxmodel.Parse(name+".onnx", data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Info.Name != DefaultName {
		t.Errorf("metadata name %q, want %q", m.Info.Name, DefaultName)
	}
	// The budget of issue 11: a small download for the page, fast enough on one core.
	if len(data) > 2<<20 || m.Info.MACs > 800_000_000 {
		t.Errorf("%d bytes, %d MACs: over 2 MB or 0.8 GMAC", len(data), m.Info.MACs)
	}
	in := readF32(t, name+".parity-input.f32")
	want := readF32(t, name+".parity-output.f32")
	if n := m.Info.InputH * m.Info.InputW; len(in) != n || len(want) != n {
		t.Fatalf("fixture sizes %d, %d; model takes %d", len(in), len(want), n)
	}
	fast, err := engine.NewFast(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	gorg, err := gorgonnx.New(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		name string
		eng  engine.Engine
	}{{"fast", fast}, {"gorgonnx", gorg}} {
		t.Run(e.name, func(t *testing.T) { checkParity(t, m, e.eng, in, want) })
	}
	// The fast engine against the gorgonnx reference, directly.
	ref, err := gorg.Infer(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("fast vs gorgonnx", func(t *testing.T) { checkParity(t, m, fast, in, ref) })
}

// checkParity runs in through eng and compares with PyTorch's want.
func checkParity(t *testing.T, m *onnxmodel.Model, eng engine.Engine, in, want []float32) {
	got, err := eng.Infer(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var maxDiff float64
	flips, fg := 0, 0
	for i := range got {
		maxDiff = math.Max(maxDiff, math.Abs(float64(got[i]-want[i])))
		if (got[i] > m.Info.Threshold) != (want[i] > m.Info.Threshold) {
			flips++
		}
		if want[i] > m.Info.Threshold {
			fg++
		}
	}
	if maxDiff > 1e-4 {
		t.Errorf("max abs difference %g > 1e-4", maxDiff)
	}
	if flips != 0 {
		t.Errorf("%d pixels change side of the threshold", flips)
	}
	if fg == 0 {
		t.Error("fixture output has no muscle pixel: the fixture cannot test the mask")
	}
	t.Logf("max abs diff %g over %d values, %d muscle pixels", maxDiff, len(got), fg)
}

func TestCardIsShipped(t *testing.T) {
	if len(DefaultCard()) < 200 {
		t.Errorf("model card is %d bytes", len(DefaultCard()))
	}
}

// BenchmarkEngines times one inference of the shipped model per engine
// (build with GOEXPERIMENT=simd for the vector kernels).
func BenchmarkEngines(b *testing.B) {
	name, data := Default()
	m, err := onnxmodel.Parse(name+".onnx", data)
	if err != nil {
		b.Fatal(err)
	}
	in := readF32(b, name+".parity-input.f32")
	fast, err := engine.NewFast(m, 1)
	if err != nil {
		b.Fatal(err)
	}
	gorg, err := gorgonnx.New(m, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		e    engine.Engine
	}{{"fast", fast}, {"gorgonnx", gorg}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.e.Infer(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/image")
		})
	}
}
