package gorgonnx

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"testing"

	"myoseg/core/engine"
	"myoseg/core/model"
)

func shippedModel(t testing.TB) (*model.Model, []float32, []float32) {
	t.Helper()
	const stem = "../../../models/myoseg-unet-phantom-v1"
	data, err := os.ReadFile(stem + ".onnx")
	if err != nil {
		t.Skipf("shipped model: %v", err)
	}
	m, err := model.Parse("myoseg-unet-phantom-v1.onnx", data)
	if err != nil {
		t.Fatal(err)
	}
	f32 := func(p string) []float32 {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return v
	}
	return m, f32(stem + ".parity-input.f32"), f32(stem + ".parity-output.f32")
}

// The fast engine agrees with PyTorch's fixture and with gorgonnx on the
// shipped model: same probabilities within 1e-4, same thresholded mask.
func TestFastParityShipped(t *testing.T) {
	m, in, torch := shippedModel(t)
	fast, err := engine.NewFast(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	gorg, err := New(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fast.Infer(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := gorg.Infer(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want []float32
	}{{"pytorch", torch}, {"gorgonnx", ref}} {
		var d float64
		flips := 0
		for i := range got {
			d = math.Max(d, math.Abs(float64(got[i]-c.want[i])))
			if (got[i] > m.Info.Threshold) != (c.want[i] > m.Info.Threshold) {
				flips++
			}
		}
		if d > 1e-4 || flips != 0 {
			t.Errorf("vs %s: max abs diff %g, %d pixels change side of the threshold", c.name, d, flips)
		}
		t.Logf("vs %s: max abs diff %g", c.name, d)
	}
}

func BenchmarkShipped(b *testing.B) {
	m, in, _ := shippedModel(b)
	fast, err := engine.NewFast(m, 1)
	if err != nil {
		b.Fatal(err)
	}
	gorg, err := New(m, 1)
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
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)*1e3, "ms/image")
		})
	}
}
