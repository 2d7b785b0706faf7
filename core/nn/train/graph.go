// Package train fine-tunes an ONNX segmentation model of the op set
// core/nn/onnxmodel accepts for training (Conv, Relu, MaxPool 2×2,
// Reshape, Transpose, Concat, Sigmoid): hand-written forward and backward
// kernels over a tape of the graph's nodes, Adam, Dice+BCE loss. Pure Go, no
// dependency beyond the ONNX reader, so it builds for the browser's wasm.
// docs/adapt.md says why it is not gorgonia's symbolic differentiation.
//
// Only the last K convolutions train; the frozen part of the graph before
// them runs in core/nn/executor (cut out of the ONNX file as its own graph),
// so a step costs the fast inference plus the backward of the trained part.
package train

import (
	"fmt"

	"myoseg/core/nn/onnxpb"
)

// graph is the model as a tape: values by index, nodes in file order.
type graph struct {
	shapes  [][]int
	names   []string
	nodes   []tnode
	input   int   // value index of the graph input
	output  int   // value index of the graph output (a Sigmoid)
	convs   []int // node indices of the Conv nodes, in order
	consts  map[int]bool
	onnx    *onnxpb.Model
	valueOf map[string]int
}

type tnode struct {
	op      string
	name    string
	in      []int // value indices (data inputs only)
	out     int
	w, b    string // Conv: initializer names
	k, pad  int    // Conv: square kernel, symmetric pad
	perm    []int  // Transpose
	trained bool   // Conv whose weights train
	live    bool   // depends on a trained weight: runs in the tape
}

// parse reads the graph and infers every shape. It refuses any op or
// attribute the kernels do not implement exactly, naming the node.
func parse(m *onnxpb.Model) (*graph, error) {
	if m.Graph == nil {
		return nil, fmt.Errorf("no graph")
	}
	g := &graph{onnx: m, valueOf: map[string]int{}, consts: map[int]bool{}}
	add := func(name string, shape []int) int {
		g.valueOf[name] = len(g.shapes)
		g.shapes = append(g.shapes, shape)
		g.names = append(g.names, name)
		return len(g.shapes) - 1
	}
	var ins []onnxpb.Value
	for _, v := range m.Graph.Inputs {
		if _, ok := m.Graph.Inits[v.Name]; !ok {
			ins = append(ins, v)
		}
	}
	if len(ins) != 1 || len(m.Graph.Outputs) != 1 {
		return nil, fmt.Errorf("want one input and one output, found %d and %d", len(ins), len(m.Graph.Outputs))
	}
	if len(ins[0].Dims) != 4 || ins[0].Dims[0] != 1 || ins[0].Dims[1] != 1 || ins[0].Dims[2] <= 0 || ins[0].Dims[3] <= 0 {
		return nil, fmt.Errorf("input %q has shape %v: want 1×1×H×W", ins[0].Name, ins[0].Dims)
	}
	g.input = add(ins[0].Name, ins[0].Dims)
	for i, n := range m.Graph.Nodes {
		t, err := g.node(n)
		if err != nil {
			return nil, fmt.Errorf("node %d (%s %q): %w", i, n.Op, n.Name, err)
		}
		if len(n.Outputs) != 1 {
			return nil, fmt.Errorf("node %d (%s %q): %d outputs, want 1", i, n.Op, n.Name, len(n.Outputs))
		}
		if t.op == "Conv" {
			g.convs = append(g.convs, len(g.nodes))
		}
		g.nodes = append(g.nodes, t)
	}
	out, ok := g.valueOf[m.Graph.Outputs[0].Name]
	if !ok {
		return nil, fmt.Errorf("output %q is not computed by the graph", m.Graph.Outputs[0].Name)
	}
	last := g.nodes[len(g.nodes)-1]
	if last.op != "Sigmoid" || last.out != out {
		return nil, fmt.Errorf("the output must be the last node's Sigmoid (a probability), found %s", last.op)
	}
	if fmt.Sprint(g.shapes[out]) != fmt.Sprint(g.shapes[g.input]) {
		return nil, fmt.Errorf("output shape %v differs from input shape %v", g.shapes[out], g.shapes[g.input])
	}
	g.output = out
	return g, nil
}

func (g *graph) node(n onnxpb.Node) (tnode, error) {
	t := tnode{op: n.Op, name: n.Name}
	data := func(i int) (int, error) {
		if i >= len(n.Inputs) {
			return 0, fmt.Errorf("missing input %d", i)
		}
		v, ok := g.valueOf[n.Inputs[i]]
		if !ok {
			return 0, fmt.Errorf("input %q is not computed before this node", n.Inputs[i])
		}
		return v, nil
	}
	x, err := data(0)
	if err != nil {
		return t, err
	}
	t.in = []int{x}
	s := g.shapes[x]
	var shape []int
	switch n.Op {
	case "Conv":
		if len(n.Inputs) != 3 {
			return t, fmt.Errorf("a Conv without a bias is not trained here")
		}
		wt, okw := g.onnx.Graph.Inits[n.Inputs[1]]
		bt, okb := g.onnx.Graph.Inits[n.Inputs[2]]
		if !okw || !okb || len(wt.Dims) != 4 || len(bt.Dims) != 1 || wt.Floats == nil || bt.Floats == nil {
			return t, fmt.Errorf("weights and bias must be float initializers")
		}
		if len(s) != 4 || wt.Dims[1] != s[1] || bt.Dims[0] != wt.Dims[0] || wt.Dims[2] != wt.Dims[3] {
			return t, fmt.Errorf("weights %v, bias %v on input %v", wt.Dims, bt.Dims, s)
		}
		t.w, t.b, t.k = n.Inputs[1], n.Inputs[2], wt.Dims[2]
		for _, a := range []string{"strides", "dilations"} {
			for _, v := range n.Attrs[a].Ints {
				if v != 1 {
					return t, fmt.Errorf("%s %v: only 1 is trained here", a, n.Attrs[a].Ints)
				}
			}
		}
		if g := n.Attrs["group"].I; g > 1 {
			return t, fmt.Errorf("group %d: only 1 is trained here", g)
		}
		if ap := n.Attrs["auto_pad"].S; ap != "" && ap != "NOTSET" {
			return t, fmt.Errorf("auto_pad %s is not trained here", ap)
		}
		p := n.Attrs["pads"].Ints
		for _, v := range p {
			if v != p[0] {
				return t, fmt.Errorf("pads %v: only equal pads are trained here", p)
			}
		}
		if len(p) > 0 {
			t.pad = int(p[0])
		}
		if 2*t.pad != t.k-1 {
			return t, fmt.Errorf("kernel %d with pad %d: only same-size convolutions are trained here", t.k, t.pad)
		}
		shape = []int{1, wt.Dims[0], s[2], s[3]}
	case "Relu", "Sigmoid":
		shape = s
	case "MaxPool":
		k, st, p := n.Attrs["kernel_shape"].Ints, n.Attrs["strides"].Ints, n.Attrs["pads"].Ints
		if fmt.Sprint(k) != "[2 2]" || fmt.Sprint(st) != "[2 2]" || n.Attrs["ceil_mode"].I != 0 {
			return t, fmt.Errorf("kernel %v stride %v: only 2×2 stride 2 is trained here", k, st)
		}
		for _, v := range p {
			if v != 0 {
				return t, fmt.Errorf("pads %v: only unpadded pooling is trained here", p)
			}
		}
		if len(s) != 4 || s[2]%2 != 0 || s[3]%2 != 0 {
			return t, fmt.Errorf("input %v: even height and width needed", s)
		}
		shape = []int{s[0], s[1], s[2] / 2, s[3] / 2}
	case "Reshape":
		c, ok := g.onnx.Graph.Inits[n.Inputs[1]]
		if !ok || c.Ints == nil {
			return t, fmt.Errorf("the shape must be an int64 initializer")
		}
		for _, d := range c.Ints {
			if d <= 0 {
				return t, fmt.Errorf("shape %v: only explicit positive sizes are trained here", c.Ints)
			}
			shape = append(shape, int(d))
		}
		if prod(shape) != prod(s) {
			return t, fmt.Errorf("shape %v for %d values", c.Ints, prod(s))
		}
	case "Transpose":
		p := n.Attrs["perm"].Ints
		if len(p) != len(s) {
			return t, fmt.Errorf("perm %v for rank %d", p, len(s))
		}
		used := make([]bool, len(s))
		for _, a := range p {
			if a < 0 || int(a) >= len(s) || used[a] {
				return t, fmt.Errorf("perm %v is not a permutation", p)
			}
			used[a] = true
			t.perm = append(t.perm, int(a))
			shape = append(shape, s[a])
		}
	case "Concat":
		if n.Attrs["axis"].I != 1 || len(n.Inputs) < 2 {
			return t, fmt.Errorf("only channel concatenation (axis 1) is trained here")
		}
		shape = append([]int(nil), s...)
		for i := 1; i < len(n.Inputs); i++ {
			y, err := data(i)
			if err != nil {
				return t, err
			}
			sy := g.shapes[y]
			if len(sy) != 4 || sy[0] != s[0] || sy[2] != s[2] || sy[3] != s[3] {
				return t, fmt.Errorf("inputs %v and %v do not concatenate on channels", s, sy)
			}
			shape[1] += sy[1]
			t.in = append(t.in, y)
		}
	default:
		return t, fmt.Errorf("op %s is not trained here (Conv, Relu, MaxPool, Reshape, Transpose, Concat, Sigmoid are)", n.Op)
	}
	t.out = len(g.shapes)
	g.valueOf[n.Outputs[0]] = t.out
	g.shapes = append(g.shapes, shape)
	g.names = append(g.names, n.Outputs[0])
	return t, nil
}

func prod(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

// freeze marks the last k convolutions trained (k ≤ 0 or beyond the count:
// all) and every node that depends on them live. It returns the frozen
// values the live nodes read: the boundary the executor computes.
func (g *graph) freeze(k int) []int {
	if k <= 0 || k > len(g.convs) {
		k = len(g.convs)
	}
	liveVal := map[int]bool{}
	for i := range g.nodes {
		g.nodes[i].trained, g.nodes[i].live = false, false
	}
	for _, ci := range g.convs[len(g.convs)-k:] {
		g.nodes[ci].trained = true
	}
	for i := range g.nodes {
		n := &g.nodes[i]
		n.live = n.trained
		for _, v := range n.in {
			if liveVal[v] {
				n.live = true
			}
		}
		if n.live {
			liveVal[n.out] = true
		}
	}
	var bound []int
	seen := map[int]bool{}
	for _, n := range g.nodes {
		if !n.live {
			continue
		}
		for _, v := range n.in {
			if !liveVal[v] && !seen[v] {
				seen[v] = true
				bound = append(bound, v)
			}
		}
	}
	return bound
}
