package executor

import (
	"fmt"
	"math"
)

// act is an activation fused into the step that produces its input.
type act struct {
	kind  int // actNone, actRelu, actLeaky, actSigmoid, actTanh
	alpha float32
}

const (
	actNone = iota
	actRelu
	actLeaky
	actSigmoid
	actTanh
)

func activation(n onnxNode) (act, bool) {
	switch n.op {
	case "Relu":
		return act{kind: actRelu}, true
	case "LeakyRelu":
		a := float32(0.01)
		if at, ok := n.attrs["alpha"]; ok {
			a = at.f
		}
		return act{kind: actLeaky, alpha: a}, true
	case "Sigmoid":
		return act{kind: actSigmoid}, true
	case "Tanh":
		return act{kind: actTanh}, true
	}
	return act{}, false
}

// apply runs the activation over v in place.
func (a act) apply(v []float32) {
	switch a.kind {
	case actRelu:
		for i, x := range v {
			if x < 0 {
				v[i] = 0
			}
		}
	case actLeaky:
		for i, x := range v {
			if x < 0 {
				v[i] = a.alpha * x
			}
		}
	case actSigmoid:
		for i, x := range v {
			v[i] = sigmoid32(x)
		}
	case actTanh:
		for i, x := range v {
			v[i] = tanh32(x)
		}
	}
}

func (c *compiler) input(n onnxNode, i int) (*value, error) {
	if i >= len(n.inputs) || n.inputs[i] == "" {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	v, ok := c.vals[n.inputs[i]]
	if !ok {
		return nil, fmt.Errorf("input %q is not defined before use", n.inputs[i])
	}
	return v, nil
}

func ints(n onnxNode, key string, def []int) []int {
	a, ok := n.attrs[key]
	if !ok || len(a.ints) == 0 {
		return def
	}
	out := make([]int, len(a.ints))
	for i, v := range a.ints {
		out[i] = int(v)
	}
	return out
}

func intAttr(n onnxNode, key string, def int) int {
	if a, ok := n.attrs[key]; ok {
		return int(a.i)
	}
	return def
}

// consumer returns the only node reading name, if there is exactly one.
func (c *compiler) consumer(name string, after int) (int, bool) {
	if c.uses[name] != 1 {
		return 0, false
	}
	for j := after + 1; j < len(c.g.nodes); j++ {
		for _, in := range c.g.nodes[j].inputs {
			if in == name {
				return j, true
			}
		}
	}
	return 0, false
}

func (c *compiler) node(i int, n onnxNode) error {
	if len(n.outputs) == 0 || n.outputs[0] == "" {
		return fmt.Errorf("no output")
	}
	if c.fusedAct[n.outputs[0]] { // already folded into its producer
		return nil
	}
	if n.op != "Dropout" && len(n.outputs) > 1 {
		return fmt.Errorf("%d outputs: only one is supported", len(n.outputs))
	}
	out := n.outputs[0]
	x, err := c.input(n, 0)
	if err != nil {
		return err
	}
	if x.konst != nil && n.op != "Reshape" {
		return fmt.Errorf("constant folding is not supported: input %q is an initializer", n.inputs[0])
	}
	// Each op's work is its own method: a browser's V8 optimises a large
	// function after a few calls, at a cost of hundreds of ms of a core
	// (see myoseg/wasm/startup), and node runs once per graph node.
	switch n.op {
	case "Conv":
		return c.conv(i, n, x)
	case "Relu", "LeakyRelu", "Sigmoid", "Tanh":
		c.unary(n, x)
	case "Identity", "Dropout":
		c.vals[out] = x
	case "Reshape", "Flatten", "Squeeze", "Unsqueeze":
		return c.reshapeNode(n, x)
	case "Transpose":
		return c.transpose(n, x)
	case "Concat":
		return c.concat(n)
	case "MaxPool":
		return c.maxPool(n, x)
	case "GlobalAveragePool":
		return c.globalAveragePool(n, x)
	case "Softmax":
		return c.softmax(n, x)
	case "BatchNormalization":
		return c.batchNorm(n, x)
	case "Add", "Sub", "Mul", "Div":
		return c.binary(n, x)
	default:
		return fmt.Errorf("op %s is not supported by the fast backend", n.op)
	}
	return nil
}

func (c *compiler) unary(n onnxNode, x *value) {
	a, _ := activation(n)
	xs := c.use(x)
	y := c.newValue(x.shape, len(c.steps))
	c.vals[n.outputs[0]] = y
	c.add(&unaryStep{in: xs, out: y.store, n: prod(x.shape), a: a}, n.op)
}

func (c *compiler) reshapeNode(n onnxNode, x *value) error {
	shape, err := c.reshape(n, x)
	if err != nil {
		return err
	}
	if prod(shape) != prod(x.shape) {
		return fmt.Errorf("cannot reshape %v (%d values) to %v", x.shape, prod(x.shape), shape)
	}
	if x.konst != nil {
		return fmt.Errorf("constant folding is not supported: input %q is an initializer", n.inputs[0])
	}
	c.vals[n.outputs[0]] = &value{shape: shape, store: x.store}
	return nil
}

func (c *compiler) transpose(n onnxNode, x *value) error {
	perm := ints(n, "perm", nil)
	if perm == nil {
		for j := len(x.shape) - 1; j >= 0; j-- {
			perm = append(perm, j)
		}
	}
	if len(perm) != len(x.shape) {
		return fmt.Errorf("perm %v for a %d-D tensor", perm, len(x.shape))
	}
	seen := make([]bool, len(perm))
	shape := make([]int, len(perm))
	for j, p := range perm {
		if p < 0 || p >= len(perm) || seen[p] {
			return fmt.Errorf("perm %v is not a permutation", perm)
		}
		seen[p] = true
		shape[j] = x.shape[p]
	}
	xs := c.use(x)
	y := c.newValue(shape, len(c.steps))
	c.vals[n.outputs[0]] = y
	c.add(newTranspose(xs, y.store, x.shape, perm), "Transpose")
	return nil
}

func (c *compiler) globalAveragePool(n onnxNode, x *value) error {
	if len(x.shape) < 3 {
		return fmt.Errorf("input shape %v: want N×C×spatial", x.shape)
	}
	shape := append([]int{x.shape[0], x.shape[1]}, make([]int, len(x.shape)-2)...)
	for j := 2; j < len(shape); j++ {
		shape[j] = 1
	}
	xs := c.use(x)
	y := c.newValue(shape, len(c.steps))
	c.vals[n.outputs[0]] = y
	c.add(&gapStep{in: xs, out: y.store, planes: x.shape[0] * x.shape[1], size: prod(x.shape[2:])}, n.op)
	return nil
}

func (c *compiler) softmax(n onnxNode, x *value) error {
	axis := intAttr(n, "axis", 1)
	if axis < 0 {
		axis += len(x.shape)
	}
	if axis < 0 || axis >= len(x.shape) {
		return fmt.Errorf("axis %d for shape %v", axis, x.shape)
	}
	xs := c.use(x)
	y := c.newValue(x.shape, len(c.steps))
	c.vals[n.outputs[0]] = y
	c.add(&softmaxStep{in: xs, out: y.store, rows: prod(x.shape[:axis]), cols: prod(x.shape[axis:])}, n.op)
	return nil
}

func (c *compiler) reshape(n onnxNode, x *value) ([]int, error) {
	switch n.op {
	case "Reshape":
		if len(n.inputs) < 2 {
			return nil, fmt.Errorf("no target shape")
		}
		t, ok := c.g.inits[n.inputs[1]]
		if !ok || t.ints == nil {
			return nil, fmt.Errorf("target shape must be a constant int64 initializer")
		}
		shape := make([]int, len(t.ints))
		known, unknown := 1, -1
		for j, d := range t.ints {
			switch {
			case d == 0 && j < len(x.shape):
				shape[j] = x.shape[j]
			case d == -1 && unknown < 0:
				unknown = j
				continue
			case d <= 0:
				return nil, fmt.Errorf("target shape %v", t.ints)
			default:
				shape[j] = int(d)
			}
			known *= shape[j]
		}
		if unknown >= 0 {
			if known == 0 || prod(x.shape)%known != 0 {
				return nil, fmt.Errorf("target shape %v does not divide %v", t.ints, x.shape)
			}
			shape[unknown] = prod(x.shape) / known
		}
		return shape, nil
	case "Flatten":
		axis := intAttr(n, "axis", 1)
		if axis < 0 {
			axis += len(x.shape)
		}
		if axis < 0 || axis > len(x.shape) {
			return nil, fmt.Errorf("axis %d for shape %v", axis, x.shape)
		}
		return []int{prod(x.shape[:axis]), prod(x.shape[axis:])}, nil
	case "Squeeze":
		axes := ints(n, "axes", nil)
		drop := map[int]bool{}
		for _, a := range axes {
			if a < 0 {
				a += len(x.shape)
			}
			if a < 0 || a >= len(x.shape) || x.shape[a] != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of %v", a, x.shape)
			}
			drop[a] = true
		}
		var shape []int
		for j, d := range x.shape {
			if (axes == nil && d == 1) || drop[j] {
				continue
			}
			shape = append(shape, d)
		}
		return shape, nil
	default: // Unsqueeze
		axes := ints(n, "axes", nil)
		rank := len(x.shape) + len(axes)
		ins := map[int]bool{}
		for _, a := range axes {
			if a < 0 {
				a += rank
			}
			if a < 0 || a >= rank || ins[a] {
				return nil, fmt.Errorf("bad axes %v for %v", axes, x.shape)
			}
			ins[a] = true
		}
		shape := make([]int, 0, rank)
		k := 0
		for j := 0; j < rank; j++ {
			if ins[j] {
				shape = append(shape, 1)
			} else {
				shape = append(shape, x.shape[k])
				k++
			}
		}
		return shape, nil
	}
}

func (c *compiler) concat(n onnxNode) error {
	var ins []*value
	for j := range n.inputs {
		v, err := c.input(n, j)
		if err != nil {
			return err
		}
		if v.konst != nil {
			return fmt.Errorf("constant input %q is not supported", n.inputs[j])
		}
		ins = append(ins, v)
	}
	rank := len(ins[0].shape)
	axis := intAttr(n, "axis", 0)
	if axis < 0 {
		axis += rank
	}
	if axis < 0 || axis >= rank {
		return fmt.Errorf("axis %d for rank %d", axis, rank)
	}
	shape := append([]int(nil), ins[0].shape...)
	shape[axis] = 0
	s := &concatStep{outer: prod(ins[0].shape[:axis])}
	for _, v := range ins {
		if len(v.shape) != rank {
			return fmt.Errorf("inputs of ranks %d and %d", rank, len(v.shape))
		}
		for d := range v.shape {
			if d != axis && v.shape[d] != shape[d] {
				return fmt.Errorf("shapes %v and %v differ off axis %d", ins[0].shape, v.shape, axis)
			}
		}
		shape[axis] += v.shape[axis]
		s.ins = append(s.ins, c.use(v))
		s.chunk = append(s.chunk, prod(v.shape[axis:]))
	}
	y := c.newValue(shape, len(c.steps))
	s.out = y.store
	c.vals[n.outputs[0]] = y
	c.add(s, "Concat")
	return nil
}

// spatial reads kernel, strides, pads and dilations for an N×C×H×W op.
func spatial(n onnxNode, k []int) (stride, dil, pads []int, err error) {
	if len(k) != 2 {
		return nil, nil, nil, fmt.Errorf("kernel %v: only 2-D kernels are supported", k)
	}
	stride = ints(n, "strides", []int{1, 1})
	dil = ints(n, "dilations", []int{1, 1})
	pads = ints(n, "pads", []int{0, 0, 0, 0})
	if a, ok := n.attrs["auto_pad"]; ok && a.s != "" && a.s != "NOTSET" {
		return nil, nil, nil, fmt.Errorf("auto_pad=%s is not supported", a.s)
	}
	if len(stride) != 2 || len(dil) != 2 || len(pads) != 4 {
		return nil, nil, nil, fmt.Errorf("strides %v, dilations %v, pads %v: want 2, 2 and 4 values", stride, dil, pads)
	}
	for _, v := range append(append(append([]int(nil), stride...), dil...), k...) {
		if v < 1 {
			return nil, nil, nil, fmt.Errorf("kernel %v, strides %v, dilations %v must be positive", k, stride, dil)
		}
	}
	for _, p := range pads {
		if p < 0 {
			return nil, nil, nil, fmt.Errorf("negative pads %v", pads)
		}
	}
	return stride, dil, pads, nil
}

func outSize(in, k, s, d, p0, p1 int) int {
	return (in+p0+p1-d*(k-1)-1)/s + 1
}

func (c *compiler) maxPool(n onnxNode, x *value) error {
	if len(x.shape) != 4 {
		return fmt.Errorf("input shape %v: want N×C×H×W", x.shape)
	}
	if intAttr(n, "ceil_mode", 0) != 0 || intAttr(n, "storage_order", 0) != 0 || len(n.outputs) > 1 {
		return fmt.Errorf("ceil_mode, storage_order and indices output are not supported")
	}
	k := ints(n, "kernel_shape", nil)
	stride, dil, pads, err := spatial(n, k)
	if err != nil {
		return err
	}
	oh := outSize(x.shape[2], k[0], stride[0], dil[0], pads[0], pads[2])
	ow := outSize(x.shape[3], k[1], stride[1], dil[1], pads[1], pads[3])
	if oh < 1 || ow < 1 {
		return fmt.Errorf("output would be %d×%d", oh, ow)
	}
	xs := c.use(x)
	y := c.newValue([]int{x.shape[0], x.shape[1], oh, ow}, len(c.steps))
	c.vals[n.outputs[0]] = y
	c.add(&poolStep{in: xs, out: y.store, planes: x.shape[0] * x.shape[1], h: x.shape[2], w: x.shape[3], oh: oh, ow: ow,
		kh: k[0], kw: k[1], sh: stride[0], sw: stride[1], dh: dil[0], dw: dil[1], pt: pads[0], pl: pads[1], vec: true}, "MaxPool")
	return nil
}

func (c *compiler) batchNorm(n onnxNode, x *value) error {
	if len(x.shape) < 2 || len(n.inputs) != 5 {
		return fmt.Errorf("want N×C×… input and scale, B, mean, var")
	}
	ch := x.shape[1]
	var p [4][]float32
	for j := range p {
		t, ok := c.g.inits[n.inputs[j+1]]
		if !ok || len(t.floats) != ch {
			return fmt.Errorf("input %q must be a float initializer of %d values", n.inputs[j+1], ch)
		}
		p[j] = t.floats
	}
	eps := float32(1e-5)
	if a, ok := n.attrs["epsilon"]; ok {
		eps = a.f
	}
	s := &affineStep{n: x.shape[0], ch: ch, size: prod(x.shape[2:]), scale: make([]float32, ch), shift: make([]float32, ch)}
	for j := 0; j < ch; j++ {
		s.scale[j] = p[0][j] / float32(math.Sqrt(float64(p[3][j]+eps)))
		s.shift[j] = p[1][j] - p[2][j]*s.scale[j]
	}
	s.in = c.use(x)
	y := c.newValue(x.shape, len(c.steps))
	s.out = y.store
	c.vals[n.outputs[0]] = y
	c.add(s, "BatchNormalization")
	return nil
}

func (c *compiler) binary(n onnxNode, a *value) error {
	b, err := c.input(n, 1)
	if err != nil {
		return err
	}
	if b.konst != nil && b.konst.floats == nil {
		return fmt.Errorf("input %q is not float data", n.inputs[1])
	}
	rank := len(a.shape)
	if len(b.shape) > rank {
		rank = len(b.shape)
	}
	pad := func(s []int) []int { return append(make([]int, rank-len(s)), s...) }
	as, bs := pad(a.shape), pad(b.shape)
	shape := make([]int, rank)
	for j := range shape {
		da, db := as[j], bs[j]
		if len(a.shape) < rank-j {
			da = 1
		}
		if len(b.shape) < rank-j {
			db = 1
		}
		as[j], bs[j] = da, db
		switch {
		case da == db, db == 1:
			shape[j] = da
		case da == 1:
			shape[j] = db
		default:
			return fmt.Errorf("shapes %v and %v do not broadcast", a.shape, b.shape)
		}
	}
	s := &binaryStep{op: n.op, shape: shape, sa: bstrides(as, shape), sb: bstrides(bs, shape)}
	s.a, s.b = c.use(a), c.use(b)
	y := c.newValue(shape, len(c.steps))
	s.out = y.store
	c.vals[n.outputs[0]] = y
	c.add(s, n.op)
	return nil
}

// bstrides are row-major strides of shape s read as shape out (0 where broadcast).
func bstrides(s, out []int) []int {
	st := make([]int, len(s))
	acc := 1
	for j := len(s) - 1; j >= 0; j-- {
		if s[j] == out[j] {
			st[j] = acc
		}
		acc *= s[j]
	}
	return st
}
