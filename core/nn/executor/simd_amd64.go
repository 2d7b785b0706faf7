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

// vecWinograd: 3×3 convolutions whose tile rows fill a vector of 8 (at
// least 8 tiles, 32 output columns) and with enough channels take Winograd
// F(4×4,3×3): the transforms of winograd4.go on 16 tiles at once with
// AVX-512, then on 8 (AVX), the products on the direct kernel's 4-channel
// × 16 FMA block (AVX-512) and a 4 × 8 one (AVX2+FMA).
// Narrower rows and fewer channels stay on the direct kernels (thresholds
// from a per-step timing of the shipped model: with AVX-512, ≥ 8 output
// channels win; with AVX2 only, ≥ 16 input and output channels).
func vecWinograd(s *convStep) bool {
	if s.wino == nil || s.wino.tile != 4 || s.wino.tw < 8 {
		return false
	}
	switch {
	case haveAVX512:
		return s.co >= 8
	case haveAVX2:
		// 8 lanes: the transforms weigh more; 8-channel layers lose.
		return s.co >= 16 && s.ci >= 16
	}
	return false
}

// maxPool2Vec is the 2×2/2 max-pool of rows r0, r1 into y, 16 outputs at
// a time on AVX-512: vertical maxima of 32 columns in two vectors, then the
// even and odd columns gathered by two two-vector permutes (AVX2 only:
// maxPool2Vec8; neither: none). It returns how many outputs it wrote.
// VMAXPS does not propagate a NaN in its first operand as Go's max does;
// the model's activations hold none.
func maxPool2Vec(r0, r1, y []float32) int {
	if !haveAVX512 {
		if haveAVX2 {
			return maxPool2Vec8(r0, r1, y)
		}
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

// maxPool2Vec8 is maxPool2Vec on AVX, 4 outputs a step: vertical maxima
// at columns c and c+1 (two overlapping loads), whose lanes 0, 2, 4, 6 hold
// the pairs' maxima (the SIMD128 kernel's method).
func maxPool2Vec8(r0, r1, y []float32) int {
	ox := 0
	var h [8]float32
	for ; 2*ox+9 <= len(r0) && 2*ox+9 <= len(r1) && ox+4 <= len(y); ox += 4 {
		a, b := r0[2*ox:][:9], r1[2*ox:][:9]
		m0 := archsimd.LoadFloat32x8(a[0:8]).Max(archsimd.LoadFloat32x8(b[0:8]))
		m1 := archsimd.LoadFloat32x8(a[1:9]).Max(archsimd.LoadFloat32x8(b[1:9]))
		m0.Max(m1).StoreArray(&h)
		d := y[ox : ox+4]
		d[0], d[1], d[2], d[3] = h[0], h[2], h[4], h[6]
	}
	return ox
}

// sigmoid8 is sigmoid16 on AVX2.
func sigmoid8(x archsimd.Float32x8) archsimd.Float32x8 {
	b := archsimd.BroadcastFloat32x8
	x = archsimd.Float32x8{}.Sub(x).Max(b(-87)).Min(b(87)) // e^−x
	k := x.Mul(b(1.44269504088896341)).Round()
	r := x.Sub(k.Mul(b(0.693359375))).Sub(k.Mul(b(-2.12194440e-4)))
	p := b(1.0 / 5040)
	for _, c := range [...]float32{1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1} {
		p = p.Mul(r).Add(b(c))
	}
	e := p.Mul(k.ConvertToInt32().Add(archsimd.BroadcastInt32x8(127)).ShiftAllLeft(23).AsFloat32x8())
	return b(1).Div(b(1).Add(e))
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

type f32x16 = archsimd.Float32x16

func bcast16(v float32) f32x16  { return archsimd.BroadcastFloat32x16(v) }
func load16(s []float32) f32x16 { return archsimd.LoadFloat32x16(s[:16]) }

// gemmVec computes the Winograd products of one block of 4 output channels
// over 16 tiles at a time (AVX-512), then 8; it returns how many tiles it did.
func gemmVec(up, vx []float32, off []int32, tw int, mr []float32) int {
	if !haveAVX512 && !haveAVX2 {
		return 0
	}
	tx := 0
	for ; haveAVX512 && tx+16 <= tw; tx += 16 {
		var c [4]f32x16
		kern4x16z(up, vx, off, tx, &c)
		for i := range c {
			c[i].Store(mr[i*tw+tx:][:16])
		}
	}
	for ; tx+8 <= tw; tx += 8 {
		var c [4]f32x8
		kern4x8y(up, vx, off, tx, &c)
		for i := range c {
			c[i].Store(mr[i*tw+tx:][:8])
		}
	}
	return tx
}

type f32x8 = archsimd.Float32x8

func bcast8(v float32) f32x8  { return archsimd.BroadcastFloat32x8(v) }
func load8(s []float32) f32x8 { return archsimd.LoadFloat32x8(s[:8]) }

// kern4x8y is kern4x16z for 8 pixels (or tiles).
func kern4x8y(w, p []float32, off []int32, base int, c *[4]f32x8) {
	var c0, c1, c2, c3 f32x8
	w = w[:4*len(off)]
	for k, o := range off {
		b := load8(p[base+int(o):])
		a := w[4*k : 4*k+4]
		c0 = bcast8(a[0]).MulAdd(b, c0)
		c1 = bcast8(a[1]).MulAdd(b, c1)
		c2 = bcast8(a[2]).MulAdd(b, c2)
		c3 = bcast8(a[3]).MulAdd(b, c3)
	}
	*c = [4]f32x8{c0, c1, c2, c3}
}

// bt6y and at6y are bt6 and at6 on 8 tiles.
func bt6y(d0, d1, d2, d3, d4, d5 f32x8) (t0, t1, t2, t3, t4, t5 f32x8) {
	two, four, five := bcast8(2), bcast8(4), bcast8(5)
	t0 = four.Mul(d0).Sub(five.Mul(d2)).Add(d4)
	t1 = d3.Add(d4).Sub(four.Mul(d1.Add(d2)))
	t2 = d4.Sub(d3).Add(four.Mul(d1.Sub(d2)))
	t3 = d4.Sub(d2).Add(two.Mul(d3.Sub(d1)))
	t4 = d4.Sub(d2).Add(two.Mul(d1.Sub(d3)))
	t5 = four.Mul(d1).Sub(five.Mul(d3)).Add(d5)
	return
}

func at6y(m0, m1, m2, m3, m4, m5 f32x8) (y0, y1, y2, y3 f32x8) {
	a, b := m1.Add(m2), m1.Sub(m2)
	c, d := m3.Add(m4), m3.Sub(m4)
	return m0.Add(a).Add(c), b.Add(bcast8(2).Mul(d)), a.Add(bcast8(4).Mul(c)), b.Add(bcast8(8).Mul(d)).Add(m5)
}

// input8 is input4Vec's loop for 8 tiles from tx.
func (w *winograd) input8(s *convStep, pc, vc []float32, tx int) {
	qw, wp := w.wp/4, w.wp
	st := w.vst
	var t [36][8]float32
	for j := 0; j < 6; j++ {
		o := (j&3)*qw + tx + j>>2
		t0, t1, t2, t3, t4, t5 := bt6y(load8(pc[o:]), load8(pc[wp+o:]), load8(pc[2*wp+o:]),
			load8(pc[3*wp+o:]), load8(pc[4*wp+o:]), load8(pc[5*wp+o:]))
		t0.StoreArray(&t[j])
		t1.StoreArray(&t[6+j])
		t2.StoreArray(&t[12+j])
		t3.StoreArray(&t[18+j])
		t4.StoreArray(&t[24+j])
		t5.StoreArray(&t[30+j])
	}
	for i := 0; i < 6; i++ {
		r := t[6*i : 6*i+6]
		v0, v1, v2, v3, v4, v5 := bt6y(archsimd.LoadFloat32x8Array(&r[0]), archsimd.LoadFloat32x8Array(&r[1]), archsimd.LoadFloat32x8Array(&r[2]),
			archsimd.LoadFloat32x8Array(&r[3]), archsimd.LoadFloat32x8Array(&r[4]), archsimd.LoadFloat32x8Array(&r[5]))
		b := 6*i*st + tx
		v0.Store(vc[b:][:8])
		v1.Store(vc[b+st:][:8])
		v2.Store(vc[b+2*st:][:8])
		v3.Store(vc[b+3*st:][:8])
		v4.Store(vc[b+4*st:][:8])
		v5.Store(vc[b+5*st:][:8])
	}
}

// output8 is output4Vec's loop for 8 tiles from tx of channel o.
func (w *winograd) output8(s *convStep, mo []float32, rows [4][]float32, o, tx int) {
	os := w.mst
	b := bcast8(s.bias[o])
	var r [24][8]float32
	var t [4][8]float32
	for j := 0; j < 6; j++ {
		r0, r1, r2, r3 := at6y(load8(mo[j*os+tx:]), load8(mo[(6+j)*os+tx:]), load8(mo[(12+j)*os+tx:]),
			load8(mo[(18+j)*os+tx:]), load8(mo[(24+j)*os+tx:]), load8(mo[(30+j)*os+tx:]))
		r0.StoreArray(&r[j])
		r1.StoreArray(&r[6+j])
		r2.StoreArray(&r[12+j])
		r3.StoreArray(&r[18+j])
	}
	for k, row := range rows {
		if row == nil {
			continue
		}
		q := r[6*k : 6*k+6]
		y0, y1, y2, y3 := at6y(archsimd.LoadFloat32x8Array(&q[0]), archsimd.LoadFloat32x8Array(&q[1]), archsimd.LoadFloat32x8Array(&q[2]),
			archsimd.LoadFloat32x8Array(&q[3]), archsimd.LoadFloat32x8Array(&q[4]), archsimd.LoadFloat32x8Array(&q[5]))
		y0, y1, y2, y3 = y0.Add(b), y1.Add(b), y2.Add(b), y3.Add(b)
		if s.act.kind == actRelu {
			z := f32x8{}
			y0, y1, y2, y3 = y0.Max(z), y1.Max(z), y2.Max(z), y3.Max(z)
		}
		y0.StoreArray(&t[0])
		y1.StoreArray(&t[1])
		y2.StoreArray(&t[2])
		y3.StoreArray(&t[3])
		d := row[4*tx : 4*tx+32]
		for i := 0; i < 8; i++ {
			d[4*i], d[4*i+1], d[4*i+2], d[4*i+3] = t[0][i], t[1][i], t[2][i], t[3][i]
		}
		if s.act.kind != actNone && s.act.kind != actRelu {
			for i, x := range d {
				d[i] = s.act.one(x)
			}
		}
	}
}

// bt6z and at6z are bt6 and at6 on 16 tiles, in the same order of operations.
func bt6z(d0, d1, d2, d3, d4, d5 f32x16) (t0, t1, t2, t3, t4, t5 f32x16) {
	two, four, five := bcast16(2), bcast16(4), bcast16(5)
	t0 = four.Mul(d0).Sub(five.Mul(d2)).Add(d4)
	t1 = d3.Add(d4).Sub(four.Mul(d1.Add(d2)))
	t2 = d4.Sub(d3).Add(four.Mul(d1.Sub(d2)))
	t3 = d4.Sub(d2).Add(two.Mul(d3.Sub(d1)))
	t4 = d4.Sub(d2).Add(two.Mul(d1.Sub(d3)))
	t5 = four.Mul(d1).Sub(five.Mul(d3)).Add(d5)
	return
}

func at6z(m0, m1, m2, m3, m4, m5 f32x16) (y0, y1, y2, y3 f32x16) {
	a, b := m1.Add(m2), m1.Sub(m2)
	c, d := m3.Add(m4), m3.Sub(m4)
	return m0.Add(a).Add(c), b.Add(bcast16(2).Mul(d)), a.Add(bcast16(4).Mul(c)), b.Add(bcast16(8).Mul(d)).Add(m5)
}

// input4Vec transforms the tile row in p (run4's band), 16 tiles at a time with AVX-512
// (column j of 16 adjacent tiles is 16 adjacent floats of the
// deinterleaved plane), then 8; it returns how many tiles it did (input4
// does the rest).
func (w *winograd) input4Vec(s *convStep, p, v []float32) int {
	if !haveAVX512 && !haveAVX2 {
		return 0
	}
	qw, wp := w.wp/4, w.wp
	st := w.vst
	n, n8 := w.tw&^15, w.tw&^7
	if !haveAVX512 {
		n = 0
	}
	var t [36][16]float32 // (Bᵀ d)[i][j] of the 16 tiles at 6i+j
	for c := 0; c < s.ci; c++ {
		pc := p[c*6*wp:][:6*wp]
		vc := v[c*w.tw:]
		for tx := 0; tx < n; tx += 16 {
			for j := 0; j < 6; j++ {
				o := (j&3)*qw + tx + j>>2
				t0, t1, t2, t3, t4, t5 := bt6z(load16(pc[o:]), load16(pc[wp+o:]), load16(pc[2*wp+o:]),
					load16(pc[3*wp+o:]), load16(pc[4*wp+o:]), load16(pc[5*wp+o:]))
				t0.StoreArray(&t[j])
				t1.StoreArray(&t[6+j])
				t2.StoreArray(&t[12+j])
				t3.StoreArray(&t[18+j])
				t4.StoreArray(&t[24+j])
				t5.StoreArray(&t[30+j])
			}
			for i := 0; i < 6; i++ {
				r := t[6*i : 6*i+6]
				v0, v1, v2, v3, v4, v5 := bt6z(archsimd.LoadFloat32x16Array(&r[0]), archsimd.LoadFloat32x16Array(&r[1]), archsimd.LoadFloat32x16Array(&r[2]),
					archsimd.LoadFloat32x16Array(&r[3]), archsimd.LoadFloat32x16Array(&r[4]), archsimd.LoadFloat32x16Array(&r[5]))
				b := 6*i*st + tx
				v0.Store(vc[b:][:16])
				v1.Store(vc[b+st:][:16])
				v2.Store(vc[b+2*st:][:16])
				v3.Store(vc[b+3*st:][:16])
				v4.Store(vc[b+4*st:][:16])
				v5.Store(vc[b+5*st:][:16])
			}
		}
		for tx := n; tx < n8; tx += 8 {
			w.input8(s, pc, vc, tx)
		}
	}
	return n8
}

// output4Vec transforms tile row ty, 16 tiles at a time with AVX-512, then
// 8, while their columns are inside the output; it returns how many tiles
// it did.
func (w *winograd) output4Vec(s *convStep, m, out []float32, ty int) int {
	if !haveAVX512 && !haveAVX2 {
		return 0
	}
	tw := w.tw
	os := w.mst
	n8 := min(tw, s.ow/4) &^ 7
	n := n8 &^ 15
	if !haveAVX512 {
		n = 0
	}
	var r [24][16]float32 // Aᵀ M: row k, column j at 6k+j
	var t [4][16]float32  // t[l][i]: pixel l of tile i
	for o := 0; o < s.co; o++ {
		b := bcast16(s.bias[o])
		mo := m[o*tw:]
		rows := w.outRows(s, out, o, ty)
		for tx := 0; tx < n; tx += 16 {
			for j := 0; j < 6; j++ {
				r0, r1, r2, r3 := at6z(load16(mo[j*os+tx:]), load16(mo[(6+j)*os+tx:]), load16(mo[(12+j)*os+tx:]),
					load16(mo[(18+j)*os+tx:]), load16(mo[(24+j)*os+tx:]), load16(mo[(30+j)*os+tx:]))
				r0.StoreArray(&r[j])
				r1.StoreArray(&r[6+j])
				r2.StoreArray(&r[12+j])
				r3.StoreArray(&r[18+j])
			}
			for k, row := range rows {
				if row == nil {
					continue
				}
				q := r[6*k : 6*k+6]
				y0, y1, y2, y3 := at6z(archsimd.LoadFloat32x16Array(&q[0]), archsimd.LoadFloat32x16Array(&q[1]), archsimd.LoadFloat32x16Array(&q[2]),
					archsimd.LoadFloat32x16Array(&q[3]), archsimd.LoadFloat32x16Array(&q[4]), archsimd.LoadFloat32x16Array(&q[5]))
				y0, y1, y2, y3 = y0.Add(b), y1.Add(b), y2.Add(b), y3.Add(b)
				if s.act.kind == actRelu {
					z := f32x16{}
					y0, y1, y2, y3 = y0.Max(z), y1.Max(z), y2.Max(z), y3.Max(z)
				}
				y0.StoreArray(&t[0])
				y1.StoreArray(&t[1])
				y2.StoreArray(&t[2])
				y3.StoreArray(&t[3])
				d := row[4*tx : 4*tx+64]
				for i := 0; i < 16; i++ {
					d[4*i], d[4*i+1], d[4*i+2], d[4*i+3] = t[0][i], t[1][i], t[2][i], t[3][i]
				}
				if s.act.kind != actNone && s.act.kind != actRelu {
					for i, x := range d {
						d[i] = s.act.one(x)
					}
				}
			}
		}
		for tx := n; tx < n8; tx += 8 {
			w.output8(s, mo, rows, o, tx)
		}
	}
	return n8
}

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
	case actSigmoid:
		sigmoid8(v).Store(dst)
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
