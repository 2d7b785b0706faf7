package executor

import (
	"fmt"

	"myoseg/core/nn/onnxpb"
)

// The graph as the compiler sees it, read by core/nn/onnxpb (the one ONNX
// reader of the project; onnx-go's decoder would drag gorgonia.org/tensor,
// about 25 MB, into the wasm).

type onnxGraph struct {
	nodes   []onnxNode
	inits   map[string]onnxTensor
	inputs  []onnxValue
	outputs []onnxValue
}

type onnxNode struct {
	op, name string
	inputs   []string
	outputs  []string
	attrs    map[string]onnxAttr
}

type onnxAttr struct {
	i      int64
	f      float32
	s      string
	ints   []int64
	floats []float32
	has    bool
}

type onnxTensor struct {
	dims   []int
	floats []float32 // FLOAT initializers
	ints   []int64   // INT64 initializers
}

type onnxValue struct {
	name string
	dims []int // -1 where symbolic
}

// graphOf is the compiler's view of a read ONNX file.
func graphOf(m *onnxpb.Model) (*onnxGraph, error) {
	if m.Graph == nil {
		return nil, fmt.Errorf("no graph")
	}
	pg := m.Graph
	g := &onnxGraph{inits: make(map[string]onnxTensor, len(pg.Inits))}
	for _, n := range pg.Nodes {
		attrs := make(map[string]onnxAttr, len(n.Attrs))
		for k, a := range n.Attrs {
			attrs[k] = onnxAttr{i: a.I, f: a.F, s: a.S, ints: a.Ints, floats: a.Floats, has: true}
		}
		g.nodes = append(g.nodes, onnxNode{op: n.Op, name: n.Name, inputs: n.Inputs, outputs: n.Outputs, attrs: attrs})
	}
	for k, t := range pg.Inits {
		g.inits[k] = onnxTensor{dims: t.Dims, floats: t.Floats, ints: t.Ints}
	}
	for _, v := range pg.Inputs {
		g.inputs = append(g.inputs, onnxValue{name: v.Name, dims: v.Dims})
	}
	for _, v := range pg.Outputs {
		g.outputs = append(g.outputs, onnxValue{name: v.Name, dims: v.Dims})
	}
	return g, nil
}
