package onnxpb

import (
	"strings"
	"testing"

	"myoseg/core/nn/onnxmodel/onnxtest"
)

func tiny() onnxtest.Model {
	w1 := make([]float32, 18)
	for i := range w1 {
		w1[i] = float32(i) / 10
	}
	return onnxtest.TinyNet(32, 48, w1, []float32{0.5, -0.5}, []float32{1, 2}, 0.25)
}

func TestReadTinyNet(t *testing.T) {
	m, err := Read(tiny().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if m.IRVersion != 6 || m.Opsets[""] != 11 || m.Metadata["myoseg.input_height"] != "32" {
		t.Errorf("model header %d %v %v", m.IRVersion, m.Opsets, m.Metadata)
	}
	g := m.Graph
	if len(g.Nodes) != 4 || g.Nodes[0].Op != "Conv" || g.Nodes[3].Op != "Sigmoid" {
		t.Fatalf("nodes %+v", g.Nodes)
	}
	conv := g.Nodes[0]
	if got := conv.Attrs["pads"].Ints; len(got) != 4 || got[0] != 1 {
		t.Errorf("pads %v", got)
	}
	if strings.Join(conv.Inputs, ",") != "input,w1,b1" || strings.Join(conv.Outputs, ",") != "c1" {
		t.Errorf("conv wiring %v → %v", conv.Inputs, conv.Outputs)
	}
	w1 := g.Inits["w1"]
	if w1.Elements() != 18 || len(w1.Floats) != 18 || w1.Floats[17] != 1.7 || len(w1.Dims) != 4 {
		t.Errorf("w1 %+v", w1)
	}
	if b2 := g.Inits["b2"]; len(b2.Floats) != 1 || b2.Floats[0] != 0.25 {
		t.Errorf("b2 %+v", b2)
	}
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "input" || len(g.Inputs[0].Dims) != 4 || g.Inputs[0].Dims[3] != 48 {
		t.Errorf("inputs %+v", g.Inputs)
	}
}

func TestReadRefuses(t *testing.T) {
	good := tiny().Bytes()
	bad := tiny()
	bad.Init[0].Floats = bad.Init[0].Floats[:17] // 17 values for a 2×1×3×3 shape
	negative := tiny()
	negative.Init[1].Dims = []int64{-2}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)-7], "bad protobuf"},
		{"short weights", bad.Bytes(), "raw float data of 68 bytes for 18 elements"},
		{"negative dimension", negative.Bytes(), "out of range"},
		{"garbage", []byte{0xff, 0xff, 0xff}, "bad protobuf"},
	}
	for _, tc := range tests {
		_, err := Read(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add(tiny().Bytes())
	f.Add([]byte{0x3a, 0x04, 0x2a, 0x02, 0x10, 0x09})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Read(b) // must not panic
	})
}
