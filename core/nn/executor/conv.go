package executor

import (
	"fmt"
	"strconv"
)

// convStep is a 2-D convolution (group 1) with bias and activation fused.
//
// It is a direct convolution written as an implicit GEMM: the input is
// copied once into a zero-padded scratch plane, off[k] gives, for each of
// the K = Ci·kh·kw taps, the tap's offset from an output pixel's top-left
// corner in that plane, and the kernels accumulate a block of 4 output
// channels × several pixels in registers over the K taps. No im2col buffer,
// no per-run allocation.
type convStep struct {
	in, out        int
	n, ci, h, w    int
	co, oh, ow     int
	kh, kw         int
	sh, sw         int
	pt, pl, pb, pr int
	hp, wp         int       // padded plane
	padded         bool      // pads > 0: copy into scratch first
	k              int       // taps per output channel
	wpk            []float32 // weights, blocks of 4 output channels: [cob][k][4]
	bias           []float32 // len co4, zero where absent
	off            []int32   // tap offsets in the padded plane
	act            act
	scalar         bool      // force the portable kernels (tests)
	wino           *winograd // portable path for 3×3 stride-1 convolutions; nil if not applicable
	noWino         bool      // force the direct portable kernel (tests)
}

func (s *convStep) bind(f func(int) int) { s.in, s.out = f(s.in), f(s.out) }

// conv compiles a Conv node in three parts, each a function of its own
// so that none is large (see node).
func (c *compiler) conv(i int, n onnxNode, x *value) error {
	s, wt, dil, err := c.convGeometry(n, x)
	if err != nil {
		return err
	}
	if err := c.convWeights(s, n, wt, dil); err != nil {
		return err
	}
	c.addConv(i, n, x, s)
	return nil
}

// convGeometry checks a Conv node and returns its step's shapes, its
// weights and its dilation.
func (c *compiler) convGeometry(n onnxNode, x *value) (*convStep, []float32, []int, error) {
	if len(x.shape) != 4 {
		return nil, nil, nil, fmt.Errorf("input shape %v: want N×C×H×W", x.shape)
	}
	if g := intAttr(n, "group", 1); g != 1 {
		return nil, nil, nil, fmt.Errorf("group=%d: only group 1 is supported", g)
	}
	wv, err := c.input(n, 1)
	if err != nil {
		return nil, nil, nil, err
	}
	if wv.konst == nil || wv.konst.floats == nil || len(wv.shape) != 4 {
		return nil, nil, nil, fmt.Errorf("weights must be a 4-D float initializer")
	}
	ws := wv.shape
	if ws[1] != x.shape[1] {
		return nil, nil, nil, fmt.Errorf("weights %v for %d input channels", ws, x.shape[1])
	}
	k := ints(n, "kernel_shape", ws[2:])
	if len(k) != 2 || k[0] != ws[2] || k[1] != ws[3] {
		return nil, nil, nil, fmt.Errorf("kernel_shape %v disagrees with weights %v", k, ws)
	}
	stride, dil, pads, err := spatial(n, k)
	if err != nil {
		return nil, nil, nil, err
	}
	s := &convStep{n: x.shape[0], ci: x.shape[1], h: x.shape[2], w: x.shape[3], co: ws[0],
		kh: k[0], kw: k[1], sh: stride[0], sw: stride[1],
		pt: pads[0], pl: pads[1], pb: pads[2], pr: pads[3]}
	s.oh = outSize(s.h, s.kh, s.sh, dil[0], s.pt, s.pb)
	s.ow = outSize(s.w, s.kw, s.sw, dil[1], s.pl, s.pr)
	if s.oh < 1 || s.ow < 1 {
		return nil, nil, nil, fmt.Errorf("output would be %d×%d", s.oh, s.ow)
	}
	s.hp, s.wp = s.h+s.pt+s.pb, s.w+s.pl+s.pr
	s.padded = s.pt+s.pl+s.pb+s.pr > 0
	s.k = s.ci * s.kh * s.kw
	return s, wv.konst.floats, dil, nil
}

// convWeights packs the weights and bias, prepares Winograd's and sizes
// the scratch.
func (c *compiler) convWeights(s *convStep, n onnxNode, wt []float32, dil []int) error {
	if s.padded && s.ci*s.hp*s.wp > c.scratch {
		c.scratch = s.ci * s.hp * s.wp
	}
	co4 := (s.co + 3) &^ 3
	s.wpk = make([]float32, co4*s.k)
	s.bias = make([]float32, co4)
	for o := 0; o < s.co; o++ {
		packChannel(s.wpk, wt[o*s.k:(o+1)*s.k], o)
	}
	if len(n.inputs) > 2 && n.inputs[2] != "" {
		bv, err := c.input(n, 2)
		if err != nil {
			return err
		}
		if bv.konst == nil || len(bv.konst.floats) != s.co {
			return fmt.Errorf("bias must be a float initializer of %d values", s.co)
		}
		copy(s.bias, bv.konst.floats)
	}
	if s.wino = newWinograd(s, wt, dil, c.winoTile); s.wino != nil && s.wino.scratchSize(s) > c.scratch {
		c.scratch = s.wino.scratchSize(s)
	}
	s.off = tapOffsets(s, dil)
	c.macs += int64(s.n) * int64(s.co) * int64(s.oh) * int64(s.ow) * int64(s.k)
	return nil
}

// addConv fuses the activation that is the conv's only reader and adds
// the step.
func (c *compiler) addConv(i int, n onnxNode, x *value, s *convStep) {
	name := "Conv"
	out := n.outputs[0]
	if j, ok := c.consumer(out, i); ok && out != c.g.outputs[0].name {
		if a, ok := activation(c.g.nodes[j]); ok && len(c.g.nodes[j].outputs) == 1 {
			s.act = a
			name += "+" + c.g.nodes[j].op
			c.fusedAct[c.g.nodes[j].outputs[0]] = true
			out = c.g.nodes[j].outputs[0]
		}
	}
	s.in = c.use(x)
	y := c.newValue([]int{s.n, s.co, s.oh, s.ow}, len(c.steps))
	s.out = y.store
	c.vals[out] = y
	// Not fmt.Sprintf: see node.
	it := strconv.Itoa
	c.add(s, name+" "+it(s.kh)+"x"+it(s.kw)+" "+it(s.ci)+"→"+it(s.co)+" "+it(s.oh)+"x"+it(s.ow))
}

// tapOffsets lists each tap's offset in the padded input, channel by
// channel, row by row; a function of its own for V8's sake, like
// packChannel.
//
//go:noinline
func tapOffsets(s *convStep, dil []int) []int32 {
	off := make([]int32, 0, s.ci*s.kh*s.kw)
	for ci := 0; ci < s.ci; ci++ {
		for ky := 0; ky < s.kh; ky++ {
			for kx := 0; kx < s.kw; kx++ {
				off = append(off, int32(ci*s.hp*s.wp+ky*dil[0]*s.wp+kx*dil[1]))
			}
		}
	}
	ascending(off)
	return off
}

// packChannel puts output channel o's k weights in lane o%4 of its block
// of four (wpk: [co4/4][k][4]). One call per channel keeps the loop out of
// compiler.conv, for V8's sake (see winoWeights): were it inlined there,
// V8 would optimise all of compiler.conv (hundreds of ms of compiling on
// two cores) to speed up a loop it has already left.
//
//go:noinline
func packChannel(wpk, w []float32, o int) {
	k := len(w)
	blk := wpk[o/4*4*k : (o/4+1)*4*k]
	for t, v := range w {
		blk[t*4+o%4] = v
	}
}

// pad copies one image's channels into the zero-bordered plane p.
func (s *convStep) pad(p, x []float32) {
	for c := 0; c < s.ci; c++ {
		pc := p[c*s.hp*s.wp : (c+1)*s.hp*s.wp]
		clear(pc[:s.pt*s.wp])
		clear(pc[(s.pt+s.h)*s.wp:])
		xc := x[c*s.h*s.w : (c+1)*s.h*s.w]
		for y := 0; y < s.h; y++ {
			row := pc[(s.pt+y)*s.wp : (s.pt+y+1)*s.wp]
			clear(row[:s.pl])
			copy(row[s.pl:s.pl+s.w], xc[y*s.w:(y+1)*s.w])
			clear(row[s.pl+s.w:])
		}
	}
}

func (s *convStep) run(r *Runner) {
	x, y := r.bufs[s.in], r.bufs[s.out]
	inSize, outSize := s.ci*s.h*s.w, s.co*s.oh*s.ow
	for b := 0; b < s.n; b++ {
		// Winograd on the portable path, and with vector kernels where
		// they cover it (SIMD128); AVX's direct kernels beat it natively.
		vec := !s.scalar && SIMD() != ""
		if s.wino != nil && !s.noWino && (!vec || vecWinograd(s)) {
			s.wino.run(s, x[b*inSize:(b+1)*inSize], y[b*outSize:(b+1)*outSize], r.scratch, vec)
			continue
		}
		p := x[b*inSize : (b+1)*inSize]
		if s.padded {
			p = r.scratch[:s.ci*s.hp*s.wp]
			s.pad(p, x[b*inSize:(b+1)*inSize])
		}
		yb := y[b*outSize : (b+1)*outSize]
		if vec && s.sw == 1 && simdRows(s, p, yb) {
			continue
		}
		s.rowsScalar(p, yb)
	}
}

// one applies the fused activation to one value.
func (a act) one(v float32) float32 {
	switch a.kind {
	case actRelu:
		if v < 0 {
			return 0
		}
	case actLeaky:
		if v < 0 {
			return a.alpha * v
		}
	case actSigmoid:
		return sigmoid32(v)
	case actTanh:
		return tanh32(v)
	}
	return v
}

// store writes n pixels (n ≤ 4) of the 4 channels of block cob at (y, x),
// acc[j*4+i] holding channel i, pixel j.
func (s *convStep) store(out []float32, cob, y, x, n int, acc *[16]float32) {
	plane := s.oh * s.ow
	for i := 0; i < 4 && cob+i < s.co; i++ {
		b := s.bias[cob+i]
		o := out[(cob+i)*plane+y*s.ow+x:]
		for j := 0; j < n; j++ {
			o[j] = s.act.one(acc[j*4+i] + b)
		}
	}
}

// tail finishes a row from pixel x with the scalar kernel (after the
// vector kernels' full blocks).
func (s *convStep) tail(p, out, w []float32, cob, y, x, rowBase int) {
	var acc [16]float32
	for ; x < s.ow; x++ {
		kern4x1(w, p, s.off, rowBase+x, &acc)
		s.store(out, cob, y, x, 1, &acc)
	}
}

// rowsScalar is the portable path (wasm, other architectures, and the
// reference the SIMD path is tested against).
func (s *convStep) rowsScalar(p, out []float32) {
	var acc [16]float32
	for y := 0; y < s.oh; y++ {
		rowBase := y * s.sh * s.wp
		for cob := 0; cob < s.co; cob += 4 {
			w := s.wpk[cob*s.k : (cob+4)*s.k]
			x := 0
			if s.sw == 1 {
				for ; x+4 <= s.ow; x += 4 {
					kern4x4(w, p, s.off, rowBase+x, &acc)
					s.store(out, cob, y, x, 4, &acc)
				}
			}
			for ; x < s.ow; x++ {
				kern4x1(w, p, s.off, rowBase+x*s.sw, &acc)
				s.store(out, cob, y, x, 1, &acc)
			}
		}
	}
}

// kern4x4 accumulates 4 output channels × 4 adjacent pixels over all taps.
// ascending panics unless tap offsets are ≥ 0 and ascend: the vector
// kernels bound all taps by the first and the last (taps in simd_wasm.go).
// Offsets are built that way; this guards the invariant against a change.
func ascending(off []int32) {
	for k, o := range off {
		if o < 0 || k > 0 && o < off[k-1] {
			panic(fmt.Sprintf("executor: tap offset %d at %d does not ascend", o, k))
		}
	}
}

func kern4x4(w, p []float32, off []int32, base int, acc *[16]float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	w = w[:4*len(off)]
	for k, o := range off {
		q := p[base+int(o):]
		q = q[:4]
		a := w[4*k : 4*k+4]
		b0, b1, b2, b3 := q[0], q[1], q[2], q[3]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		c00 += a0 * b0
		c01 += a1 * b0
		c02 += a2 * b0
		c03 += a3 * b0
		c10 += a0 * b1
		c11 += a1 * b1
		c12 += a2 * b1
		c13 += a3 * b1
		c20 += a0 * b2
		c21 += a1 * b2
		c22 += a2 * b2
		c23 += a3 * b2
		c30 += a0 * b3
		c31 += a1 * b3
		c32 += a2 * b3
		c33 += a3 * b3
	}
	*acc = [16]float32{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
}

// kern4x1 accumulates 4 output channels of one pixel.
func kern4x1(w, p []float32, off []int32, base int, acc *[16]float32) {
	var c0, c1, c2, c3 float32
	w = w[:4*len(off)]
	for k, o := range off {
		b := p[base+int(o)]
		a := w[4*k : 4*k+4]
		c0 += a[0] * b
		c1 += a[1] * b
		c2 += a[2] * b
		c3 += a[3] * b
	}
	acc[0], acc[1], acc[2], acc[3] = c0, c1, c2, c3
}
