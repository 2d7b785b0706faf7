// Package gorgonnx runs a model with onnx-go v0.5.0 and its gorgonia
// backend: the reference engine the fast backend is checked against, and
// the engine of the CUDA build (gorgonia with -tags cuda; the device
// naming is in engine/open).
package gorgonnx

import (
	"context"
	"fmt"
	"sync"

	"github.com/owulveryck/onnx-go"
	gx "github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"

	"myoseg/core/nn/engine"
	"myoseg/core/nn/onnxmodel"
)

// graph is one gorgonnx graph: never used by two goroutines at once.
type graph struct {
	model   *onnx.Model
	backend *gx.Graph
	ran     bool // gorgonnx finishes building the graph on its first Run
}

// Engine is a pool of gorgonnx graphs, one per worker, built lazily and
// reused image after image. It implements engine.Engine.
type Engine struct {
	m     *onnxmodel.Model
	pool  *engine.Pool[*graph]
	build sync.Mutex // gorgonnx races (a package-level name counter) when graphs are built concurrently
}

// New returns a pool of at most workers graphs. It builds the first graph
// at once so a model gorgonnx cannot load fails here.
func New(m *onnxmodel.Model, workers int) (*Engine, error) {
	e := &Engine{m: m}
	pool, err := engine.NewPool(workers, e.newGraph)
	if err != nil {
		return nil, err
	}
	e.pool = pool
	return e, nil
}

func (e *Engine) newGraph() (g *graph, err error) {
	e.build.Lock()
	defer e.build.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("engine: %s: gorgonnx panicked while building the graph: %v", e.m.Info.Name, r)
		}
	}()
	backend := gx.NewGraph()
	om := onnx.NewModel(backend)
	if err := om.UnmarshalBinary(e.m.Bytes); err != nil {
		return nil, fmt.Errorf("engine: %s: gorgonnx cannot load the graph: %w", e.m.Info.Name, err)
	}
	return &graph{model: om, backend: backend}, nil
}

// Infer implements engine.Engine.
func (e *Engine) Infer(ctx context.Context, in []float32) (out []float32, err error) {
	if err := engine.CheckInput(e.m.Info, in); err != nil {
		return nil, err
	}
	h, w := e.m.Info.InputH, e.m.Info.InputW
	g, err := e.pool.Get(ctx)
	if err != nil {
		return nil, err
	}
	broken := false
	defer func() {
		if r := recover(); r != nil {
			broken = true
			err = fmt.Errorf("engine: %s: gorgonnx panicked while running: %v", e.m.Info.Name, r)
		}
		if broken { // a graph that failed mid-run is not reused
			e.pool.Discard()
			return
		}
		e.pool.Put(g)
	}()
	// The graph keeps a reference to the input tensor, so it gets its own copy.
	t := tensor.New(tensor.WithShape(1, 1, h, w), tensor.Of(tensor.Float32), tensor.WithBacking(append([]float32(nil), in...)))
	if err := g.model.SetInput(0, t); err != nil {
		broken = true
		return nil, fmt.Errorf("engine: set input: %w", err)
	}
	if err := e.run(g); err != nil {
		broken = true
		return nil, fmt.Errorf("engine: %s: run: %w", e.m.Info.Name, err)
	}
	outs, err := g.model.GetOutputTensors()
	if err != nil || len(outs) != 1 {
		broken = true
		return nil, fmt.Errorf("engine: %s: output: %v", e.m.Info.Name, err)
	}
	data, ok := outs[0].Data().([]float32)
	if !ok || len(data) != h*w {
		broken = true
		return nil, fmt.Errorf("engine: %s: output is not %d float32 values", e.m.Info.Name, h*w)
	}
	return append([]float32(nil), data...), nil
}

// run runs the graph; its first run also builds gorgonia's expression
// graph, which touches gorgonnx's package-level state, so that one is made
// under the build lock.
func (e *Engine) run(g *graph) error {
	if !g.ran {
		e.build.Lock()
		defer e.build.Unlock()
		g.ran = true
	}
	return g.backend.Run()
}
