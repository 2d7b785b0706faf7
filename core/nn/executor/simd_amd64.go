//go:build goexperiment.simd && amd64 && go1.27

package executor

import "simd/archsimd"

// With GOEXPERIMENT=simd on amd64 the convolution runs on AVX-512 (8
// output channels × 16 pixels, 16 accumulators) or AVX2+FMA (4 channels ×
// 16 pixels). Rows that do not fill a vector fall back to the scalar
// kernels; the scalar path stays tested (convStep.scalar).

var (
	haveAVX2   = archsimd.X86.AVX2() && archsimd.X86.FMA()
	haveAVX512 = archsimd.X86.AVX512()
)

// SIMD names the vector kernels in use ("" for the portable scalar path).
func SIMD() string {
	switch {
	case haveAVX512:
		return "avx512"
	case haveAVX2:
		return "avx2+fma"
	}
	return ""
}

// vecWinograd: the AVX direct kernels beat scalar Winograd, and there are
// no AVX Winograd kernels, so 3×3 convolutions stay direct.
func vecWinograd(*convStep) bool { return false }

// maxPool2Vec is the 2×2/2 max-pool of rows r0, r1 into y, 16 outputs at
// a time on AVX-512: vertical maxima of 32 columns in two vectors, then the
// even and odd columns gathered by two two-vector permutes. It returns how
// many outputs it wrote (none without AVX-512). VMAXPS does not propagate a
// NaN in its first operand as Go's max does; the model's activations hold
// none.
func maxPool2Vec(r0, r1, y []float32) int {
	if !haveAVX512 {
		return 0
	}
	even := archsimd.LoadUint32x16Array(&[16]uint32{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30})
	odd := archsimd.LoadUint32x16Array(&[16]uint32{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31})
	ox := 0
	for ; 2*ox+32 <= len(r0) && 2*ox+32 <= len(r1) && ox+16 <= len(y); ox += 16 {
		a, b := r0[2*ox:][:32], r1[2*ox:][:32]
		lo := archsimd.LoadFloat32x16(a[:16]).Max(archsimd.LoadFloat32x16(b[:16]))
		hi := archsimd.LoadFloat32x16(a[16:]).Max(archsimd.LoadFloat32x16(b[16:]))
		lo.ConcatPermute(hi, even).Max(lo.ConcatPermute(hi, odd)).Store(y[ox:][:16])
	}
	return ox
}

// sigmoid16 is sigmoid4 (simd_wasm.go) on AVX-512: 1/(1+e^−x) in float32,
// e^x by x = k·ln2 + r, a degree-7 polynomial and 2^k built in the exponent
// bits; x clamped to ±87. Max |error| against float64: a few 1e-8
// (TestSigmoid16).
func sigmoid16(x archsimd.Float32x16) archsimd.Float32x16 {
	b := archsimd.BroadcastFloat32x16
	x = archsimd.Float32x16{}.Sub(x).Max(b(-87)).Min(b(87)) // e^−x
	k := x.Mul(b(1.44269504088896341)).RoundScaled(0)
	r := x.Sub(k.Mul(b(0.693359375))).Sub(k.Mul(b(-2.12194440e-4)))
	p := b(1.0 / 5040)
	for _, c := range [...]float32{1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1} {
		p = p.Mul(r).Add(b(c))
	}
	e := p.Mul(k.ConvertToInt32().Add(archsimd.BroadcastInt32x16(127)).ShiftAllLeft(23).AsFloat32x16())
	return b(1).Div(b(1).Add(e))
}

func gemmVec([]float32, []float32, []int32, int, []float32) int         { return 0 }
func (w *winograd) input4Vec(*convStep, []float32, []float32, int) int  { return 0 }
func (w *winograd) output4Vec(*convStep, []float32, []float32, int) int { return 0 }

func simdRows(s *convStep, p, out []float32) bool {
	switch {
	case haveAVX512:
		s.rows512(p, out)
	case haveAVX2:
		s.rows256(p, out)
	default:
		return false
	}
	return true
}

// storeVec writes channel o's 16 (or 8) pixels at (y, x) with bias and activation.
func (s *convStep) storeVec16(out []float32, o, y, x int, v archsimd.Float32x16) {
	if o >= s.co {
		return
	}
	v = v.Add(archsimd.BroadcastFloat32x16(s.bias[o]))
	dst := out[o*s.oh*s.ow+y*s.ow+x:][:16]
	switch s.act.kind {
	case actNone:
		v.Store(dst)
	case actRelu:
		v.Max(archsimd.Float32x16{}).Store(dst)
	case actSigmoid:
		sigmoid16(v).Store(dst)
	default:
		v.Store(dst)
		for j := range dst {
			dst[j] = s.act.one(dst[j])
		}
	}
}

func (s *convStep) storeVec8(out []float32, o, y, x int, v archsimd.Float32x8) {
	if o >= s.co {
		return
	}
	v = v.Add(archsimd.BroadcastFloat32x8(s.bias[o]))
	dst := out[o*s.oh*s.ow+y*s.ow+x:][:8]
	switch s.act.kind {
	case actNone:
		v.Store(dst)
	case actRelu:
		v.Max(archsimd.Float32x8{}).Store(dst)
	default:
		v.Store(dst)
		for j := range dst {
			dst[j] = s.act.one(dst[j])
		}
	}
}

func (s *convStep) rows512(p, out []float32) {
	k := s.k
	for y := 0; y < s.oh; y++ {
		rowBase := y * s.sh * s.wp
		cob := 0
		for ; cob+8 <= len(s.bias); cob += 8 {
			w0 := s.wpk[cob*k : (cob+4)*k]
			w1 := s.wpk[(cob+4)*k : (cob+8)*k]
			x := 0
			for ; x+16 <= s.ow; x += 16 {
				var c [8]archsimd.Float32x16
				kern8x16(w0, w1, p, s.off, rowBase+x, &c)
				for i := range c {
					s.storeVec16(out, cob+i, y, x, c[i])
				}
			}
			s.tail(p, out, w0, cob, y, x, rowBase)
			s.tail(p, out, w1, cob+4, y, x, rowBase)
		}
		for ; cob < len(s.bias); cob += 4 {
			w := s.wpk[cob*k : (cob+4)*k]
			x := 0
			for ; x+16 <= s.ow; x += 16 {
				var c [4]archsimd.Float32x16
				kern4x16z(w, p, s.off, rowBase+x, &c)
				for i := range c {
					s.storeVec16(out, cob+i, y, x, c[i])
				}
			}
			s.tail(p, out, w, cob, y, x, rowBase)
		}
	}
}

func kern8x16(w0, w1, p []float32, off []int32, base int, c *[8]archsimd.Float32x16) {
	var c0, c1, c2, c3, c4, c5, c6, c7 archsimd.Float32x16
	w0 = w0[:4*len(off)]
	w1 = w1[:4*len(off)]
	for k, o := range off {
		b := archsimd.LoadFloat32x16(p[base+int(o):][:16])
		a := w0[4*k : 4*k+4]
		e := w1[4*k : 4*k+4]
		c0 = archsimd.BroadcastFloat32x16(a[0]).MulAdd(b, c0)
		c1 = archsimd.BroadcastFloat32x16(a[1]).MulAdd(b, c1)
		c2 = archsimd.BroadcastFloat32x16(a[2]).MulAdd(b, c2)
		c3 = archsimd.BroadcastFloat32x16(a[3]).MulAdd(b, c3)
		c4 = archsimd.BroadcastFloat32x16(e[0]).MulAdd(b, c4)
		c5 = archsimd.BroadcastFloat32x16(e[1]).MulAdd(b, c5)
		c6 = archsimd.BroadcastFloat32x16(e[2]).MulAdd(b, c6)
		c7 = archsimd.BroadcastFloat32x16(e[3]).MulAdd(b, c7)
	}
	*c = [8]archsimd.Float32x16{c0, c1, c2, c3, c4, c5, c6, c7}
}

func kern4x16z(w, p []float32, off []int32, base int, c *[4]archsimd.Float32x16) {
	var c0, c1, c2, c3 archsimd.Float32x16
	w = w[:4*len(off)]
	for k, o := range off {
		b := archsimd.LoadFloat32x16(p[base+int(o):][:16])
		a := w[4*k : 4*k+4]
		c0 = archsimd.BroadcastFloat32x16(a[0]).MulAdd(b, c0)
		c1 = archsimd.BroadcastFloat32x16(a[1]).MulAdd(b, c1)
		c2 = archsimd.BroadcastFloat32x16(a[2]).MulAdd(b, c2)
		c3 = archsimd.BroadcastFloat32x16(a[3]).MulAdd(b, c3)
	}
	*c = [4]archsimd.Float32x16{c0, c1, c2, c3}
}

func (s *convStep) rows256(p, out []float32) {
	k := s.k
	for y := 0; y < s.oh; y++ {
		rowBase := y * s.sh * s.wp
		for cob := 0; cob < len(s.bias); cob += 4 {
			w := s.wpk[cob*k : (cob+4)*k]
			x := 0
			for ; x+16 <= s.ow; x += 16 {
				var c [8]archsimd.Float32x8
				kern4x16(w, p, s.off, rowBase+x, &c)
				for i := 0; i < 4; i++ {
					s.storeVec8(out, cob+i, y, x, c[i])
					s.storeVec8(out, cob+i, y, x+8, c[4+i])
				}
			}
			s.tail(p, out, w, cob, y, x, rowBase)
		}
	}
}

func kern4x16(w, p []float32, off []int32, base int, c *[8]archsimd.Float32x8) {
	var c0, c1, c2, c3, d0, d1, d2, d3 archsimd.Float32x8
	w = w[:4*len(off)]
	for k, o := range off {
		q := p[base+int(o):][:16]
		b := archsimd.LoadFloat32x8(q[:8])
		e := archsimd.LoadFloat32x8(q[8:16])
		a := w[4*k : 4*k+4]
		a0 := archsimd.BroadcastFloat32x8(a[0])
		c0 = a0.MulAdd(b, c0)
		d0 = a0.MulAdd(e, d0)
		a1 := archsimd.BroadcastFloat32x8(a[1])
		c1 = a1.MulAdd(b, c1)
		d1 = a1.MulAdd(e, d1)
		a2 := archsimd.BroadcastFloat32x8(a[2])
		c2 = a2.MulAdd(b, c2)
		d2 = a2.MulAdd(e, d2)
		a3 := archsimd.BroadcastFloat32x8(a[3])
		c3 = a3.MulAdd(b, c3)
		d3 = a3.MulAdd(e, d3)
	}
	*c = [8]archsimd.Float32x8{c0, c1, c2, c3, d0, d1, d2, d3}
}
