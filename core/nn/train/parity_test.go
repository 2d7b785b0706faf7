//go:build !js

package train

import (
	"context"
	"math"
	"testing"

	"myoseg/core/nn/engine"
	"myoseg/core/nn/engine/gorgonnx"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/onnxpb"
)

// A model written back after training passes the validator, reloads with
// exactly the trained weights, and both engines run it alike and as the
// tape does.
func TestWrittenModelReloadsInBothEngines(t *testing.T) {
	tp, in, b := newTestTape(t, 4)
	mask := make([]float32, len(in))
	for i := range mask {
		if y := i / 256; y > 80 && y < 170 {
			mask[i] = 1
		}
	}
	dz := make([]float32, len(in))
	for k := 1; k <= 3; k++ {
		z, p, err := tp.forward(in)
		if err != nil {
			t.Fatal(err)
		}
		diceBCE(z, p, mask, dz)
		tp.backward(dz)
		tp.adam(1e-2, k, 1)
	}
	_, want, err := tp.forward(in)
	if err != nil {
		t.Fatal(err)
	}
	w := tp.snapshot()
	out, err := onnxpb.Rewrite(b, onnxpb.Edit{Inits: w, Metadata: map[string]string{KeyParent: "myoseg-unet-phantom-v1", onnxmodel.KeyName: "adapted-test"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnxmodel.Parse("adapted.onnx", out)
	if err != nil {
		t.Fatalf("validator refuses the written model: %v", err)
	}
	if m.Info.Name != "adapted-test" || m.Info.Warning == "" {
		t.Fatalf("metadata: name %q, warning %q", m.Info.Name, m.Info.Warning)
	}
	back, err := onnxpb.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	orig := tp.g.onnx.Graph.Inits
	changed := 0
	for name, v := range w {
		got := back.Graph.Inits[name].Floats
		for i := range v {
			if math.Float32bits(got[i]) != math.Float32bits(v[i]) {
				t.Fatalf("%s[%d] reloads as %v, trained %v", name, i, got[i], v[i])
			}
			if v[i] != orig[name].Floats[i] {
				changed++
			}
		}
	}
	if changed == 0 {
		t.Fatal("training changed no weight: the test tests nothing")
	}
	fast, err := engine.NewFast(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	gorg, err := gorgonnx.New(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := fast.Infer(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := gorg.Infer(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var dfg, dft float64
	moved := 0.0
	for i := range pf {
		dfg = max(dfg, math.Abs(float64(pf[i]-pg[i])))
		dft = max(dft, math.Abs(float64(pf[i]-want[i])))
	}
	base, err := executorDice(b, []Pair{{Input: in, Mask: mask}}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	moved = hardDice(pf, mask, 0.5) - base
	if dfg > 1e-4 || dft > 1e-4 {
		t.Errorf("max |fast − gorgonnx| %g, max |fast − tape| %g: want ≤ 1e-4", dfg, dft)
	}
	if moved == 0 {
		t.Errorf("the written model segments exactly as its parent: weights not applied?")
	}
	t.Logf("changed %d weights; |fast − gorgonnx| ≤ %g, |fast − tape| ≤ %g; Dice on the training image moved %+.4f", changed, dfg, dft, moved)
}
