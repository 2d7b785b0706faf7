package onnxpb

import (
	"bytes"
	"os"
	"testing"
)

func TestRewriteReplacesOnlyWhatItNames(t *testing.T) {
	b, err := os.ReadFile("../../../models/myoseg-unet-phantom-v1.onnx")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Read(b)
	if err != nil {
		t.Fatal(err)
	}
	same, err := Rewrite(b, Edit{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(same, b) {
		t.Fatalf("an empty edit changed the file (%d → %d bytes)", len(b), len(same))
	}
	head := m.Graph.Inits["head.weight"]
	w := make([]float32, len(head.Floats))
	for i := range w {
		w[i] = float32(i) - 3.5
	}
	out, err := Rewrite(b, Edit{Inits: map[string][]float32{"head.weight": w},
		Metadata: map[string]string{"myoseg.name": "adapted", "myoseg.parent": "myoseg-unet-phantom-v1"}})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Read(out)
	if err != nil {
		t.Fatal(err)
	}
	got := m2.Graph.Inits["head.weight"]
	if len(got.Floats) != len(w) || got.Dims[1] != head.Dims[1] {
		t.Fatalf("head.weight: %v %v", got.Dims, got.Floats)
	}
	for i := range w {
		if got.Floats[i] != w[i] {
			t.Fatalf("head.weight[%d] = %v, wrote %v", i, got.Floats[i], w[i])
		}
	}
	if m2.Metadata["myoseg.name"] != "adapted" || m2.Metadata["myoseg.parent"] != "myoseg-unet-phantom-v1" ||
		m2.Metadata["myoseg.warning"] != m.Metadata["myoseg.warning"] {
		t.Fatalf("metadata: %v", m2.Metadata)
	}
	if len(m2.Graph.Nodes) != len(m.Graph.Nodes) || m2.Opsets[""] != m.Opsets[""] {
		t.Fatalf("graph or opset changed")
	}
	for k, v := range m.Graph.Inits {
		if k == "head.weight" {
			continue
		}
		if len(v.Floats) > 0 && m2.Graph.Inits[k].Floats[0] != v.Floats[0] {
			t.Fatalf("%s changed", k)
		}
	}
	if _, err := Rewrite(b, Edit{Inits: map[string][]float32{"nope": w}}); err == nil {
		t.Fatal("an unknown initializer was accepted")
	}
	if _, err := Rewrite(b, Edit{Inits: map[string][]float32{"head.weight": w[:3]}}); err == nil {
		t.Fatal("a wrong-sized initializer was accepted")
	}
	cut, err := Rewrite(b, Edit{Keep: func(i int) bool { return i < 2 }, Outputs: []string{m.Graph.Nodes[1].Outputs[0]}})
	if err != nil {
		t.Fatal(err)
	}
	mc, err := Read(cut)
	if err != nil {
		t.Fatal(err)
	}
	if len(mc.Graph.Nodes) != 2 || len(mc.Graph.Outputs) != 1 || mc.Graph.Outputs[0].Name != m.Graph.Nodes[1].Outputs[0] {
		t.Fatalf("cut graph: %d nodes, outputs %v", len(mc.Graph.Nodes), mc.Graph.Outputs)
	}
}
