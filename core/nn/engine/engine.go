// Package engine runs a segmentation model on a prepared input. Engine is
// the seam for backends: Fast (core/nn/executor, the default everywhere) here,
// gorgonnx (onnx-go's gorgonia backend, the reference and the CUDA build)
// in engine/gorgonnx, others behind the same interface. Front ends pick one
// by name with engine/open.
package engine

import (
	"context"
	"fmt"

	"myoseg/core/nn/onnxmodel"
)

// Engine runs one normalised 1×1×H×W input and returns 1×1×H×W
// probabilities. Implementations are safe for concurrent use.
type Engine interface {
	Infer(ctx context.Context, in []float32) ([]float32, error)
}

// CheckInput refuses an input that is not the model's 1×1×H×W: every
// engine calls it before running.
func CheckInput(info onnxmodel.Info, in []float32) error {
	if len(in) != info.InputH*info.InputW {
		return fmt.Errorf("engine: input has %d values, the model takes 1×1×%d×%d", len(in), info.InputH, info.InputW)
	}
	return nil
}

// Pool hands out at most workers values of T (compiled graphs, runners),
// built lazily by build and reused: a value is never used by two callers at
// once.
type Pool[T any] struct {
	build func() (T, error)
	free  chan T        // idle values
	slots chan struct{} // permits to hold a value; capacity = workers
}

// NewPool builds the first value at once, so an error shows at load.
func NewPool[T any](workers int, build func() (T, error)) (*Pool[T], error) {
	workers = max(workers, 1)
	p := &Pool[T]{build: build, free: make(chan T, workers), slots: make(chan struct{}, workers)}
	v, err := build()
	if err != nil {
		return nil, err
	}
	p.slots <- struct{}{}
	p.free <- v
	return p, nil
}

// Get takes an idle value, or builds one while the pool is not full.
func (p *Pool[T]) Get(ctx context.Context) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	select {
	case v := <-p.free:
		return v, nil
	default:
	}
	select {
	case v := <-p.free:
		return v, nil
	case p.slots <- struct{}{}:
		v, err := p.build()
		if err != nil {
			<-p.slots
			return zero, err
		}
		return v, nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// Put returns a value for reuse.
func (p *Pool[T]) Put(v T) { p.free <- v }

// Discard drops a value that must not be reused (it failed mid-run); its
// slot is freed so a fresh one can be built.
func (p *Pool[T]) Discard() { <-p.slots }
