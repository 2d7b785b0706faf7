// Package open builds an inference engine by name, for every front end (the
// command line, the browser worker, the benchmarks). What runs the model by
// default, and on what hardware, depends on the build: cpu.go (the default
// build and the browser) and cuda.go (-tags cuda, docs/gpu.md) are the only
// place that says so.
package open

import (
	"fmt"
	"slices"
	"strings"

	"myoseg/core/nn/engine"
	"myoseg/core/nn/onnxmodel"
)

// Engine names.
const (
	// Fast is core/nn/executor: the default on the CPU and in the browser.
	Fast = "fast"
	// Gorgonnx is onnx-go + gorgonia: the reference the fast engine is
	// checked against, and the engine that runs on the GPU in the cuda build.
	Gorgonnx = "gorgonnx"
)

// Names lists the engines this build can open, the default first.
func Names() []string {
	names := []string{Default}
	for _, n := range []string{Fast, Gorgonnx} {
		if n != Default && (n != Gorgonnx || newGorgonnx != nil) {
			names = append(names, n)
		}
	}
	return names
}

// Check says what is wrong with an engine name ("" = Default) in this
// build, if anything: front ends call it before reading any input.
func Check(name string) error {
	if name == "" || slices.Contains(Names(), name) {
		return nil
	}
	return fmt.Errorf("engine: unknown engine %q (this build has %s)", name, strings.Join(Names(), ", "))
}

// Engine opens the engine called name ("" = Default) for m, with at most
// workers runners (concurrent Infer calls; < 1 means 1).
func Engine(name string, m *onnxmodel.Model, workers int) (engine.Engine, error) {
	if err := Check(name); err != nil {
		return nil, err
	}
	if name == Gorgonnx {
		return newGorgonnx(m, workers)
	}
	return engine.NewFast(m, workers)
}
