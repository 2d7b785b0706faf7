package train

import (
	"fmt"
	"math"

	"myoseg/core/nn/executor"
	"myoseg/core/nn/onnxpb"
)

// param is one trained tensor with its gradient and Adam moments.
type param struct {
	name       string
	w, g, m, v []float32
}

// tape runs the live part of the graph forward and backward on its own
// buffers; the frozen prefix runs in the executor.
type tape struct {
	g      *graph
	bound  []int
	prefix map[int]*executor.Runner // boundary value → runner of the cut graph
	vals   [][]float32
	grads  [][]float32
	params map[string]*param
	order  []*param
	col    []float32
	dcol   []float32
	tmp    []float32
	logits int // the Sigmoid's input
}

// newTape builds the tape of model bytes b with the last k convolutions trained.
func newTape(b []byte, m *onnxpb.Model, g *graph, k int) (*tape, error) {
	t := &tape{g: g, prefix: map[int]*executor.Runner{}, params: map[string]*param{}}
	t.bound = g.freeze(k)
	t.vals = make([][]float32, len(g.shapes))
	t.grads = make([][]float32, len(g.shapes))
	for _, v := range t.bound {
		t.vals[v] = make([]float32, prod(g.shapes[v]))
		if v == g.input {
			continue
		}
		r, err := cutRunner(b, g, v)
		if err != nil {
			return nil, fmt.Errorf("frozen part up to %q: %w", g.names[v], err)
		}
		t.prefix[v] = r
	}
	colSize := 0
	for _, n := range g.nodes {
		if !n.live {
			continue
		}
		t.vals[n.out] = make([]float32, prod(g.shapes[n.out]))
		t.grads[n.out] = make([]float32, prod(g.shapes[n.out]))
		switch n.op {
		case "Conv":
			s := g.shapes[n.in[0]]
			colSize = max(colSize, s[1]*n.k*n.k*s[2]*s[3])
			if n.trained {
				for _, name := range []string{n.w, n.b} {
					w := append([]float32(nil), m.Graph.Inits[name].Floats...)
					p := &param{name: name, w: w, g: make([]float32, len(w)), m: make([]float32, len(w)), v: make([]float32, len(w))}
					t.params[name] = p
					t.order = append(t.order, p)
				}
			}
		case "Transpose":
			colSize = max(colSize, prod(g.shapes[n.out]))
		}
	}
	t.col = make([]float32, colSize)
	t.dcol = make([]float32, colSize)
	last := g.nodes[len(g.nodes)-1]
	t.logits = last.in[0]
	if t.grads[t.logits] == nil {
		return nil, fmt.Errorf("no trained weight reaches the output")
	}
	return t, nil
}

// cutRunner compiles the part of the graph that computes value v alone.
func cutRunner(b []byte, g *graph, v int) (*executor.Runner, error) {
	need := map[int]bool{v: true}
	keep := make([]bool, len(g.nodes))
	for i := len(g.nodes) - 1; i >= 0; i-- {
		if need[g.nodes[i].out] {
			keep[i] = true
			for _, x := range g.nodes[i].in {
				need[x] = true
			}
		}
	}
	cut, err := onnxpb.Rewrite(b, onnxpb.Edit{Keep: func(i int) bool { return keep[i] }, Outputs: []string{g.names[v]}})
	if err != nil {
		return nil, err
	}
	net, err := executor.Compile(g.names[v], cut, executor.Options{})
	if err != nil {
		return nil, err
	}
	return net.NewRunner(), nil
}

// weights returns a Conv node's weight and bias: trained or from the file.
func (t *tape) weights(n *tnode) (w, b []float32) {
	if p, ok := t.params[n.w]; ok {
		return p.w, t.params[n.b].w
	}
	return t.g.onnx.Graph.Inits[n.w].Floats, t.g.onnx.Graph.Inits[n.b].Floats
}

// forward computes the logits and probabilities of one input.
func (t *tape) forward(in []float32) (logits, prob []float32, err error) {
	g := t.g
	for _, v := range t.bound {
		if v == g.input {
			copy(t.vals[v], in)
			continue
		}
		out, err := t.prefix[v].Run(in)
		if err != nil {
			return nil, nil, err
		}
		copy(t.vals[v], out)
	}
	for i := range g.nodes {
		n := &g.nodes[i]
		if !n.live {
			continue
		}
		x, y := t.vals[n.in[0]], t.vals[n.out]
		s := g.shapes[n.in[0]]
		switch n.op {
		case "Conv":
			w, b := t.weights(n)
			c, hw := s[1], s[2]*s[3]
			col := x
			if n.k > 1 {
				col = t.col[:c*n.k*n.k*hw]
				im2col(col, x, c, s[2], s[3], n.k, n.pad)
			}
			gemmBias(y, w, b, col, len(b), c*n.k*n.k, hw)
		case "Relu":
			for i, v := range x {
				y[i] = max(v, 0)
			}
		case "Sigmoid":
			for i, v := range x {
				y[i] = sigmoid(v)
			}
		case "MaxPool":
			maxPool2(y, x, s[0]*s[1], s[2], s[3])
		case "Reshape":
			copy(y, x)
		case "Transpose":
			transpose(y, x, s, n.perm)
		case "Concat":
			o := 0
			for _, v := range n.in {
				o += copy(y[o:], t.vals[v])
			}
		}
	}
	return t.vals[t.logits], t.vals[g.output], nil
}

func sigmoid(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }

// backward accumulates the parameter gradients of dz, the loss gradient
// with respect to the logits of the last forward.
func (t *tape) backward(dz []float32) {
	g := t.g
	for i, gr := range t.grads {
		if gr != nil && i != t.logits {
			clear(gr)
		}
	}
	copy(t.grads[t.logits], dz)
	for i := len(g.nodes) - 2; i >= 0; i-- { // the last node is the Sigmoid, folded into dz
		n := &g.nodes[i]
		if !n.live {
			continue
		}
		dy, x := t.grads[n.out], t.vals[n.in[0]]
		dx := t.grads[n.in[0]]
		s := g.shapes[n.in[0]]
		switch n.op {
		case "Conv":
			w, b := t.weights(n)
			c, hw, m := s[1], s[2]*s[3], s[1]*n.k*n.k
			col := x
			if n.k > 1 && (n.trained) {
				col = t.col[:m*hw]
				im2col(col, x, c, s[2], s[3], n.k, n.pad)
			}
			if n.trained {
				gradWeights(t.params[n.w].g, t.params[n.b].g, dy, col, len(b), m, hw)
			}
			if dx != nil {
				dcol := t.dcol[:m*hw]
				gradCols(dcol, w, dy, len(b), m, hw)
				if n.k > 1 {
					col2imAdd(dx, dcol, c, s[2], s[3], n.k, n.pad)
				} else {
					for i, v := range dcol {
						dx[i] += v
					}
				}
			}
		case "Relu":
			if dx != nil {
				y := t.vals[n.out]
				for i, v := range dy {
					if y[i] > 0 {
						dx[i] += v
					}
				}
			}
		case "MaxPool":
			if dx != nil {
				maxPool2Back(dx, dy, x, s[0]*s[1], s[2], s[3])
			}
		case "Reshape":
			if dx != nil {
				for i, v := range dy {
					dx[i] += v
				}
			}
		case "Transpose":
			if dx != nil {
				inv := make([]int, len(n.perm))
				for a, p := range n.perm {
					inv[p] = a
				}
				tmp := t.col[:len(dy)]
				transpose(tmp, dy, g.shapes[n.out], inv)
				for i, v := range tmp {
					dx[i] += v
				}
			}
		case "Concat":
			o := 0
			for _, v := range n.in {
				d := t.grads[v]
				k := prod(g.shapes[v])
				if d != nil {
					for i, u := range dy[o : o+k] {
						d[i] += u
					}
				}
				o += k
			}
		}
	}
}

// adam applies one Adam step (bias-corrected, step count k ≥ 1) with the
// gradients scaled by scale, then clears them.
func (t *tape) adam(lr float64, k int, scale float32) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	c1 := 1 - math.Pow(b1, float64(k))
	c2 := 1 - math.Pow(b2, float64(k))
	for _, p := range t.order {
		for i, gv := range p.g {
			gv *= scale
			p.m[i] = float32(b1*float64(p.m[i]) + (1-b1)*float64(gv))
			p.v[i] = float32(b2*float64(p.v[i]) + (1-b2)*float64(gv)*float64(gv))
			mh := float64(p.m[i]) / c1
			vh := float64(p.v[i]) / c2
			p.w[i] -= float32(lr * mh / (math.Sqrt(vh) + eps))
			p.g[i] = 0
		}
	}
}

// snapshot copies the trained weights by initializer name.
func (t *tape) snapshot() map[string][]float32 {
	s := make(map[string][]float32, len(t.order))
	for _, p := range t.order {
		s[p.name] = append([]float32(nil), p.w...)
	}
	return s
}
