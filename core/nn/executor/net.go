// Package executor runs the ONNX graphs that core/nn/onnxmodel accepts, fast: the
// plan (shapes, buffers, packed weights) is built once at load, every
// intermediate lives in a per-runner arena reused image after image, and
// convolutions run as register-blocked direct convolutions with bias and
// activation fused. Pure Go: it builds for GOOS=js GOARCH=wasm; with
// GOEXPERIMENT=simd (Go 1.27) the kernels use AVX-512 or AVX2/FMA on amd64
// (simd_amd64.go) and WebAssembly SIMD128 on wasm (simd_wasm.go).
package executor

import (
	"fmt"
	"slices"
	"sort"

	"myoseg/core/nn/onnxpb"
)

// Net is a compiled graph: immutable, shared by all runners.
type Net struct {
	name      string
	steps     []step
	consts    [][]float32 // slots 0..len(consts)-1: initializers ops read as data
	slotSize  []int       // arena slots after the constants, in float32s
	scratch   int         // padded-input scratch, in float32s
	in, out   int         // slots
	inShape   []int
	outShape  []int
	macs      int64
	stepNames []string
}

// Runner executes a Net on its own buffers. A Runner is not safe for
// concurrent use: give each worker its own.
type Runner struct {
	net     *Net
	bufs    [][]float32
	scratch []float32
}

type step interface {
	run(r *Runner)
}

// InputShape and OutputShape are the static shapes of the graph's input and output.
func (n *Net) InputShape() []int  { return append([]int(nil), n.inShape...) }
func (n *Net) OutputShape() []int { return append([]int(nil), n.outShape...) }

// MACs counts the multiply-accumulates of one run (convolutions).
func (n *Net) MACs() int64 { return n.macs }

// ArenaBytes is the memory one runner holds for intermediates.
func (n *Net) ArenaBytes() int64 {
	t := int64(n.scratch)
	for _, s := range n.slotSize {
		t += int64(s)
	}
	return 4 * t
}

// Steps lists the compiled steps, for profiling and tests.
func (n *Net) Steps() []string { return append([]string(nil), n.stepNames...) }

// NewRunner allocates one runner's arena.
func (n *Net) NewRunner() *Runner {
	r := &Runner{net: n, bufs: make([][]float32, len(n.consts)+len(n.slotSize))}
	copy(r.bufs, n.consts)
	for i, s := range n.slotSize {
		r.bufs[len(n.consts)+i] = make([]float32, s)
	}
	r.scratch = make([]float32, n.scratch)
	return r
}

// Run executes the graph on in (the input's elements in row-major order).
// The result is the runner's own buffer: valid until the next Run.
func (r *Runner) Run(in []float32) ([]float32, error) {
	n := r.net
	if want := prod(n.inShape); len(in) != want {
		return nil, fmt.Errorf("backend: %s: input has %d values, the graph takes %v (%d)", n.name, len(in), n.inShape, want)
	}
	copy(r.bufs[n.in], in)
	for _, s := range n.steps {
		s.run(r)
	}
	return r.bufs[n.out][:prod(n.outShape)], nil
}

func prod(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

// value is a tensor of the graph during compilation: a shape over a storage.
type value struct {
	shape []int
	store int // virtual storage id; -1 for constants not yet materialised
	konst *onnxTensor
}

// storage is one buffer's life: defined at step def, last read at step last.
type storage struct {
	size      int
	def, last int
	konst     []float32 // non-nil: an initializer, never written
	slot      int
}

type compiler struct {
	g        *onnxGraph
	vals     map[string]*value
	stores   []*storage
	steps    []step
	names    []string
	uses     map[string]int // consumers per value name
	fusedAct map[string]bool
	scratch  int
	macs     int64
	winoTile int
}

// Options tune compilation.
type Options struct {
	// Portable uses the scalar kernels even where SIMD ones are built in
	// (to measure and test the path wasm runs).
	Portable bool
}

// Compile reads an ONNX model and builds its execution plan. name is used
// in errors. It refuses ops and attributes it does not run exactly.
func Compile(name string, data []byte, opt Options) (*Net, error) {
	return compile(name, data, nil, opt, 4)
}

// CompileRead is Compile of a file already read (onnxmodel.Model.Graph):
// a browser's start-up reads the model once.
func CompileRead(name string, m *onnxpb.Model, opt Options) (*Net, error) {
	return compile(name, nil, m, opt, 4)
}

// compile is Compile (data) or CompileRead (m) with the Winograd tile
// (4: F(4×4,3×3); 2: F(2×2,3×3), kept for tests).
func compile(name string, data []byte, m *onnxpb.Model, opt Options, winoTile int) (net *Net, err error) {
	defer func() {
		if r := recover(); r != nil { // a malformed graph must not crash the caller
			net, err = nil, fmt.Errorf("backend: %s: compile: %v", name, r)
		}
		if err != nil && net == nil {
			err = fmt.Errorf("backend: %s: %w", name, err)
		}
	}()
	if m == nil {
		if m, err = onnxpb.Read(data); err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
	}
	g, err := graphOf(m)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	c := &compiler{g: g, vals: map[string]*value{}, uses: map[string]int{}, fusedAct: map[string]bool{}, winoTile: winoTile}
	var inputs []onnxValue
	for _, vi := range g.inputs {
		if _, ok := g.inits[vi.name]; !ok {
			inputs = append(inputs, vi)
		}
	}
	if len(inputs) != 1 || len(g.outputs) != 1 {
		return nil, fmt.Errorf("want one input and one output, found %d and %d", len(inputs), len(g.outputs))
	}
	for _, d := range inputs[0].dims {
		if d <= 0 {
			return nil, fmt.Errorf("input %q has shape %v: static shapes only", inputs[0].name, inputs[0].dims)
		}
	}
	for k := range g.inits {
		t := g.inits[k]
		c.vals[k] = &value{shape: t.dims, store: -1, konst: &t}
	}
	inVal := c.newValue(inputs[0].dims, -1)
	c.vals[inputs[0].name] = inVal
	for _, n := range g.nodes {
		for _, in := range n.inputs {
			c.uses[in]++
		}
	}
	c.uses[g.outputs[0].name]++
	for i, n := range g.nodes {
		if err := c.node(i, n); err != nil {
			return nil, fmt.Errorf("node %d (%s %q): %w", i, n.op, n.name, err)
		}
	}
	outVal, ok := c.vals[g.outputs[0].name]
	if !ok || outVal.konst != nil {
		return nil, fmt.Errorf("output %q is not computed by the graph", g.outputs[0].name)
	}
	if want := g.outputs[0].dims; len(want) > 0 && !slices.Equal(want, outVal.shape) {
		return nil, fmt.Errorf("output %q: graph computes shape %v, file declares %v", g.outputs[0].name, outVal.shape, want)
	}
	c.stores[outVal.store].last = len(c.steps) // kept past the last step
	net = &Net{name: name, steps: c.steps, stepNames: c.names, scratch: c.scratch, macs: c.macs,
		inShape: inVal.shape, outShape: outVal.shape}
	c.assignSlots(net)
	net.in = c.stores[inVal.store].slot
	net.out = c.stores[outVal.store].slot
	c.bindSlots()
	for _, s := range net.steps {
		if cs, ok := s.(*convStep); ok {
			cs.scalar = opt.Portable
		}
	}
	return net, nil
}

func (c *compiler) newValue(shape []int, def int) *value {
	c.stores = append(c.stores, &storage{size: prod(shape), def: def, last: def})
	return &value{shape: shape, store: len(c.stores) - 1}
}

// use marks v as read by the step being built and returns its storage id,
// turning an initializer into a constant storage on first use as data.
func (c *compiler) use(v *value) int {
	if v.store < 0 {
		c.stores = append(c.stores, &storage{size: len(v.konst.floats), def: -1, konst: v.konst.floats})
		v.store = len(c.stores) - 1
		if v.konst.floats == nil {
			panic("int64 initializer used as float data")
		}
	}
	s := c.stores[v.store]
	if s.last < len(c.steps) {
		s.last = len(c.steps)
	}
	return v.store
}

// assignSlots maps storages to physical buffers: two storages share a
// buffer when their lives do not overlap (greedy, largest first).
func (c *compiler) assignSlots(net *Net) {
	var live []int
	for i, s := range c.stores {
		if s.konst != nil {
			s.slot = len(net.consts)
			net.consts = append(net.consts, s.konst)
			continue
		}
		live = append(live, i)
	}
	sort.SliceStable(live, func(a, b int) bool { return c.stores[live[a]].size > c.stores[live[b]].size })
	type slotLife struct{ def, last int }
	var lives [][]slotLife
	base := len(net.consts)
	for _, i := range live {
		s := c.stores[i]
		best := -1
		for j, ls := range lives {
			ok := true
			for _, l := range ls {
				if s.def <= l.last && l.def <= s.last {
					ok = false
					break
				}
			}
			if ok && (best < 0 || net.slotSize[j] > net.slotSize[best]) {
				best = j
			}
		}
		if best < 0 {
			net.slotSize = append(net.slotSize, 0)
			lives = append(lives, nil)
			best = len(lives) - 1
		}
		lives[best] = append(lives[best], slotLife{s.def, s.last})
		if s.size > net.slotSize[best] {
			net.slotSize[best] = s.size
		}
		s.slot = base + best
	}
}

// slotted is implemented by steps to learn their physical slots.
type slotted interface {
	bind(slot func(store int) int)
}

func (c *compiler) bindSlots() {
	f := func(store int) int { return c.stores[store].slot }
	for _, s := range c.steps {
		s.(slotted).bind(f)
	}
}

func (c *compiler) add(s step, name string) {
	c.steps = append(c.steps, s)
	c.names = append(c.names, name)
}
