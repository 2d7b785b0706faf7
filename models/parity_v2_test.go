package models

import (
	"context"
	"os"
	"testing"

	"myoseg/core/nn/engine"
	"myoseg/core/nn/engine/gorgonnx"
	"myoseg/core/nn/onnxmodel"
)

// candidateName is the model trained on the version 2 phantoms, shipped
// beside the default until it replaces it.
const candidateName = "myoseg-unet-phantom-v2"

// TestParityCandidate: the candidate model reproduces PyTorch's output on
// its fixture through both engines, declares per-image normalisation and
// stays inside the size and compute budget (≤ 2 MB, ≤ 0.8 GMAC).
func TestParityCandidate(t *testing.T) {
	data, err := os.ReadFile(candidateName + ".onnx")
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnxmodel.Parse(candidateName+".onnx", data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Info.Name != candidateName || !m.Info.PerImage {
		t.Errorf("metadata name %q, per-image normalisation %v", m.Info.Name, m.Info.PerImage)
	}
	if len(data) > 2<<20 || m.Info.MACs > 800_000_000 {
		t.Errorf("%d bytes, %d MACs: over 2 MB or 0.8 GMAC", len(data), m.Info.MACs)
	}
	in := readF32(t, candidateName+".parity-input.f32")
	want := readF32(t, candidateName+".parity-output.f32")
	fast, err := engine.NewFast(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	gorg, err := gorgonnx.New(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("fast", func(t *testing.T) { checkParity(t, m, fast, in, want) })
	t.Run("gorgonnx", func(t *testing.T) { checkParity(t, m, gorg, in, want) })
	ref, err := gorg.Infer(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("fast vs gorgonnx", func(t *testing.T) { checkParity(t, m, fast, in, ref) })
}
