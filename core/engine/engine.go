// Package engine runs a segmentation model on a prepared input. Engine is
// the seam for backends: gorgonnx (onnx-go's gorgonia backend) here, others
// (CUDA, a faster CPU backend) behind the same interface.
package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"

	"myoseg/core/model"
)

// Engine runs one normalised 1×1×H×W input and returns 1×1×H×W
// probabilities. Implementations are safe for concurrent use.
type Engine interface {
	Infer(ctx context.Context, in []float32) ([]float32, error)
}

// graphRunner is one gorgonnx graph: never used by two goroutines at once.
type graphRunner struct {
	model   *onnx.Model
	backend *gorgonnx.Graph
}

// Gorgonnx is a pool of gorgonnx graphs, one per worker, built lazily and
// reused image after image.
type Gorgonnx struct {
	m     *model.Model
	free  chan *graphRunner // idle graphs
	slots chan struct{}     // permits to hold a graph; capacity = workers
	build sync.Mutex        // gorgonnx races when graphs are built concurrently
}

// NewGorgonnx returns a pool of at most workers graphs. It builds the
// first graph at once so a model gorgonnx cannot load fails here.
func NewGorgonnx(m *model.Model, workers int) (*Gorgonnx, error) {
	if workers < 1 {
		workers = 1
	}
	e := &Gorgonnx{m: m, free: make(chan *graphRunner, workers), slots: make(chan struct{}, workers)}
	g, err := e.newGraph()
	if err != nil {
		return nil, err
	}
	e.slots <- struct{}{}
	e.free <- g
	return e, nil
}

func (e *Gorgonnx) newGraph() (g *graphRunner, err error) {
	e.build.Lock()
	defer e.build.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("engine: %s: gorgonnx panicked while building the graph: %v", e.m.Info.Name, r)
		}
	}()
	backend := gorgonnx.NewGraph()
	om := onnx.NewModel(backend)
	if err := om.UnmarshalBinary(e.m.Bytes); err != nil {
		return nil, fmt.Errorf("engine: %s: gorgonnx cannot load the graph: %w", e.m.Info.Name, err)
	}
	return &graphRunner{model: om, backend: backend}, nil
}

// acquire takes an idle graph, or builds one while the pool is not full.
func (e *Gorgonnx) acquire(ctx context.Context) (*graphRunner, error) {
	select {
	case g := <-e.free:
		return g, nil
	default:
	}
	select {
	case g := <-e.free:
		return g, nil
	case e.slots <- struct{}{}:
		g, err := e.newGraph()
		if err != nil {
			<-e.slots
		}
		return g, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Infer implements Engine.
func (e *Gorgonnx) Infer(ctx context.Context, in []float32) (out []float32, err error) {
	h, w := e.m.Info.InputH, e.m.Info.InputW
	if len(in) != h*w {
		return nil, fmt.Errorf("engine: input has %d values, the model takes 1×1×%d×%d", len(in), h, w)
	}
	g, err := e.acquire(ctx)
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
			<-e.slots
			return
		}
		e.free <- g
	}()
	// The graph keeps a reference to the input tensor, so it gets its own copy.
	t := tensor.New(tensor.WithShape(1, 1, h, w), tensor.Of(tensor.Float32), tensor.WithBacking(append([]float32(nil), in...)))
	if err := g.model.SetInput(0, t); err != nil {
		broken = true
		return nil, fmt.Errorf("engine: set input: %w", err)
	}
	if err := g.backend.Run(); err != nil {
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
