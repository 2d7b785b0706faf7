package engine

import (
	"context"
	"fmt"
	"slices"

	"myoseg/core/nn/executor"
	"myoseg/core/nn/onnxmodel"
)

// Fast runs a model on core/nn/executor: the graph is compiled once (packed
// weights, static shapes), and each worker owns a runner whose buffers are
// reused image after image. It is safe for concurrent use.
type Fast struct {
	m    *onnxmodel.Model
	net  *executor.Net
	pool *Pool[*executor.Runner]
}

// NewFast compiles m for the fast backend with at most workers runners
// (one per concurrent Infer). m must have passed onnxmodel.Parse.
func NewFast(m *onnxmodel.Model, workers int) (*Fast, error) {
	return NewFastWith(m, workers, executor.Options{})
}

// NewFastWith is NewFast with backend options (e.g. the portable kernels).
func NewFastWith(m *onnxmodel.Model, workers int, opt executor.Options) (*Fast, error) {
	net, err := executor.CompileRead(m.Info.Name, m.Graph(), opt)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	h, w := m.Info.InputH, m.Info.InputW
	want := []int{1, 1, h, w}
	if !slices.Equal(net.InputShape(), want) || !slices.Equal(net.OutputShape(), want) {
		return nil, fmt.Errorf("engine: %s: graph maps %v to %v, the model contract is %v to %v",
			m.Info.Name, net.InputShape(), net.OutputShape(), want, want)
	}
	pool, err := NewPool(workers, func() (*executor.Runner, error) { return net.NewRunner(), nil })
	if err != nil {
		return nil, err
	}
	return &Fast{m: m, net: net, pool: pool}, nil
}

// Net is the compiled graph (for benchmarks and diagnostics).
func (e *Fast) Net() *executor.Net { return e.net }

// Infer implements Engine.
func (e *Fast) Infer(ctx context.Context, in []float32) ([]float32, error) {
	if err := CheckInput(e.m.Info, in); err != nil {
		return nil, err
	}
	r, err := e.pool.Get(ctx)
	if err != nil {
		return nil, err
	}
	defer e.pool.Put(r)
	out, err := r.Run(in)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	return append([]float32(nil), out...), nil
}
