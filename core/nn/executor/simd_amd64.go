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

func maxPool2Vec([]float32, []float32, []float32) int { return 0 }

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
