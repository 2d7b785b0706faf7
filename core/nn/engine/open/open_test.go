package open_test

import (
	"context"
	"strings"
	"testing"

	"myoseg/core/nn/engine/open"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/onnxmodel/onnxtest"
)

func TestEngineByName(t *testing.T) {
	const h, w = 16, 20
	w1 := make([]float32, 18)
	w1[4] = 1
	m, err := onnxmodel.Parse("tiny.onnx", onnxtest.TinyNet(h, w, w1, []float32{0, 0}, []float32{4, 0}, -1).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	names := open.Names()
	if names[0] != open.Default {
		t.Fatalf("Names() = %v: the default first", names)
	}
	in := make([]float32, h*w)
	in[10] = 1
	var outs [][]float32
	for _, name := range append([]string{""}, names...) {
		e, err := open.Engine(name, m, 1)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		out, err := e.Infer(context.Background(), in)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		outs = append(outs, out)
		if _, err := e.Infer(context.Background(), in[1:]); err == nil || !strings.Contains(err.Error(), "1×1×16×20") {
			t.Errorf("%q: wrong input size: %v", name, err)
		}
	}
	// sigmoid(4·1 − 1) at the lit pixel, sigmoid(−1) elsewhere, for every engine.
	for i, out := range outs {
		if len(out) != h*w || out[10] < 0.95 || out[10] > 0.96 || out[0] < 0.26 || out[0] > 0.27 {
			t.Errorf("engine %d: out[10] = %g, out[0] = %g", i, out[10], out[0])
		}
	}
	if _, err := open.Engine("onnxruntime", m, 1); err == nil || !strings.Contains(err.Error(), open.Fast) {
		t.Errorf("unknown engine: %v", err)
	}
	if open.Check("onnxruntime") == nil || open.Check("") != nil || open.Check(open.Fast) != nil {
		t.Error("Check")
	}
	if open.Workers(open.Default) < 1 {
		t.Error("Workers < 1")
	}
	if d, err := open.Device(open.Fast); err != nil || !strings.Contains(d, "fast") {
		t.Errorf("Device(fast) = %q, %v", d, err)
	}
}
