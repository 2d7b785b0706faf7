//go:build goexperiment.simd && wasm && go1.27

package executor

import (
	"simd/archsimd"
	"unsafe"
)

// With GOEXPERIMENT=simd on wasm (Go 1.27) the convolutions run on
// WebAssembly SIMD128, 4 floats a vector, with no FMA (Mul then Add, the
// scalar kernels' rounding: vector and scalar paths agree bit for bit
// except where the order of additions differs):
//
//   - direct convolutions (the first layer, 1×1, strided rows stay scalar):
//     4 output channels × 8 pixels in 8 accumulators;
//   - 3×3 stride-1 convolutions: Winograd F(4×4,3×3) with both transforms
//     on 4 tiles at once (the deinterleaved plane of winograd4.go) and the
//     36 products per tile row on the same 4×8 register block over tiles.
//
// The register blocks' loops are written in WebAssembly (kern_wasm.s):
// compiled from Go they took a third more time.
//
// Browsers without SIMD load the scalar build (web/worker.js decides).

// SIMD names the vector kernels in use ("" for the portable scalar path).
func SIMD() string { return "simd128" }

// vecWinograd: 3×3 convolutions with at least 16 output channels take
// Winograd on vectors; with fewer, the transforms cost more than the
// direct kernel (measured under Node on the shipped model, CPU time:
// 8→8 at 240×256 6 ms direct, 8–10 ms Winograd; 16→16 at 120×128 4–7 ms
// Winograd, 5–7 ms direct).
func vecWinograd(s *convStep) bool { return s.co >= 16 }

// maxPool2Vec is the 2×2/2 max-pool of rows r0, r1 into y, 4 outputs at a
// time: vertical maxima at columns c and c+1 (two overlapping loads), then
// lanes 0 and 2 hold the pairs. It returns how many outputs it wrote.
// f32x4.max propagates NaN and orders −0 < +0, like Go's max.
func maxPool2Vec(r0, r1, y []float32) int {
	ox := 0
	for ; 2*ox+9 <= len(r0) && ox+4 <= len(y); ox += 4 {
		a, b := r0[2*ox:][:9], r1[2*ox:][:9]
		m0 := load4(a[0:4]).Max(load4(b[0:4]))
		m1 := load4(a[1:5]).Max(load4(b[1:5]))
		m4 := load4(a[4:8]).Max(load4(b[4:8]))
		m5 := load4(a[5:9]).Max(load4(b[5:9]))
		var h [8]float32
		m0.Max(m1).Store(h[0:4])
		m4.Max(m5).Store(h[4:8])
		d := y[ox : ox+4]
		d[0], d[1], d[2], d[3] = h[0], h[2], h[4], h[6]
	}
	return ox
}

type f32x4 = archsimd.Float32x4

func bcast(v float32) f32x4       { return archsimd.BroadcastFloat32x4(v) }
func load4(s []float32) f32x4     { return archsimd.LoadFloat32x4(s) }
func madd(c, a, b f32x4) f32x4    { return c.Add(a.Mul(b)) } // c + a·b, rounded twice like the scalar code
func relu4(v f32x4) f32x4         { return v.Max(f32x4{}) }
func store4(v f32x4, s []float32) { v.Store(s) }

func simdRows(s *convStep, p, out []float32) bool {
	if s.co == 1 {
		s.rows1(p, out)
		return true
	}
	k := s.k
	for y := 0; y < s.oh; y++ {
		rowBase := y * s.sh * s.wp
		for cob := 0; cob < len(s.bias); cob += 4 {
			w := s.wpk[cob*k : (cob+4)*k]
			x := 0
			for ; x+8 <= s.ow; x += 8 {
				var c [8]f32x4
				kern4x8v(w, p, s.off, rowBase+x, &c)
				for i := 0; i < 4; i++ {
					s.storeVec4(out, cob+i, y, x, c[i])
					s.storeVec4(out, cob+i, y, x+4, c[4+i])
				}
			}
			s.tail(p, out, w, cob, y, x, rowBase)
		}
	}
	return true
}

// rows1 is simdRows for one output channel (the U-Net's last 1×1
// convolution): 16 pixels a step, so no lanes go to the padding channels
// of a 4-channel block.
func (s *convStep) rows1(p, out []float32) {
	w := s.wpk[:4*s.k] // channel 0 of block 0: w[4t]
	for y := 0; y < s.oh; y++ {
		rowBase := y * s.sh * s.wp
		x := 0
		for ; x+16 <= s.ow; x += 16 {
			var c0, c1, c2, c3 f32x4
			for t, o := range s.off {
				q := p[rowBase+x+int(o):][:16]
				a := bcast(w[4*t])
				c0 = madd(c0, a, load4(q[0:4]))
				c1 = madd(c1, a, load4(q[4:8]))
				c2 = madd(c2, a, load4(q[8:12]))
				c3 = madd(c3, a, load4(q[12:16]))
			}
			s.storeVec4(out, 0, y, x, c0)
			s.storeVec4(out, 0, y, x+4, c1)
			s.storeVec4(out, 0, y, x+8, c2)
			s.storeVec4(out, 0, y, x+12, c3)
		}
		s.tail(p, out, w, 0, y, x, rowBase)
	}
}

// storeVec4 writes channel o's 4 pixels at (y, x) with bias and activation.
func (s *convStep) storeVec4(out []float32, o, y, x int, v f32x4) {
	if o >= s.co {
		return
	}
	v = v.Add(bcast(s.bias[o]))
	dst := out[o*s.oh*s.ow+y*s.ow+x:][:4]
	switch s.act.kind {
	case actNone:
		store4(v, dst)
	case actRelu:
		store4(relu4(v), dst)
	case actSigmoid:
		store4(sigmoid4(v), dst)
	default:
		store4(v, dst)
		for j := range dst {
			dst[j] = s.act.one(dst[j])
		}
	}
}

// kern4x8v accumulates 4 output channels (w: [k][4]) × 8 adjacent
// pixels (or tiles) over all taps: c[i] pixels 0–3, c[4+i] pixels 4–7 of
// channel i. The loop is kern4x8 in kern_wasm.s, after one bounds check
// on all taps.
func kern4x8v(w, p []float32, off []int32, base int, c *[8]f32x4) {
	if len(off) == 0 {
		*c = [8]f32x4{}
		return
	}
	pp, wp := taps(w, p, off, base, 8)
	kern4x8((*float32)(wp), (*float32)(pp), &off[0], len(off), c)
}

//go:noescape
func kern4x8(w, p *float32, off *int32, n int, c *[8]f32x4)

// kern4x4v is kern4x8v for 4 pixels.
func kern4x4v(w, p []float32, off []int32, base int, c *[4]f32x4) {
	if len(off) == 0 {
		*c = [4]f32x4{}
		return
	}
	pp, wp := taps(w, p, off, base, 4)
	kern4x4asm((*float32)(wp), (*float32)(pp), &off[0], len(off), c)
}

//go:noescape
func kern4x4asm(w, p *float32, off *int32, n int, c *[4]f32x4)

// taps checks once that every tap's n floats, p[base+off[k]:][:n], and the
// 4 weights of every tap lie inside p and w, and returns where p[base] and
// w[0] are. Tap offsets ascend from ≥ 0 (ascending checks them where they
// are made), so the first and the last tap bound them all.
func taps(w, p []float32, off []int32, base, n int) (pp, wp unsafe.Pointer) {
	if len(off) == 0 {
		return nil, nil
	}
	_ = w[4*len(off)-1]
	_ = p[base+int(off[0])]
	_ = p[base+int(off[len(off)-1])+n-1]
	return unsafe.Pointer(unsafe.SliceData(p[base:])), unsafe.Pointer(unsafe.SliceData(w))
}

// gemmVec computes the Winograd products of one block of 4 output
// channels over the tiles it can cover with vectors; it returns how many.
func gemmVec(up, vx []float32, off []int32, tw int, mr []float32) int {
	tx := 0
	for ; tx+8 <= tw; tx += 8 {
		var c [8]f32x4
		kern4x8v(up, vx, off, tx, &c)
		for i := 0; i < 4; i++ {
			store4(c[i], mr[i*tw+tx:][:4])
			store4(c[4+i], mr[i*tw+tx+4:][:4])
		}
	}
	for ; tx+4 <= tw; tx += 4 {
		var c [4]f32x4
		kern4x4v(up, vx, off, tx, &c)
		for i := 0; i < 4; i++ {
			store4(c[i], mr[i*tw+tx:][:4])
		}
	}
	return tx
}

// bt6v and at6v are bt6 and at6 on 4 tiles, in the same order of operations.
func bt6v(d0, d1, d2, d3, d4, d5 f32x4) (t0, t1, t2, t3, t4, t5 f32x4) {
	two, four, five := bcast(2), bcast(4), bcast(5)
	t0 = four.Mul(d0).Sub(five.Mul(d2)).Add(d4)
	t1 = d3.Add(d4).Sub(four.Mul(d1.Add(d2)))
	t2 = d4.Sub(d3).Add(four.Mul(d1.Sub(d2)))
	t3 = d4.Sub(d2).Add(two.Mul(d3.Sub(d1)))
	t4 = d4.Sub(d2).Add(two.Mul(d1.Sub(d3)))
	t5 = four.Mul(d1).Sub(five.Mul(d3)).Add(d5)
	return
}

func at6v(m0, m1, m2, m3, m4, m5 f32x4) (y0, y1, y2, y3 f32x4) {
	a, b := m1.Add(m2), m1.Sub(m2)
	c, d := m3.Add(m4), m3.Sub(m4)
	return m0.Add(a).Add(c), b.Add(bcast(2).Mul(d)), a.Add(bcast(4).Mul(c)), b.Add(bcast(8).Mul(d)).Add(m5)
}

// input4Vec transforms tile row ty, 4 tiles at a time; it returns how many
// tiles it did (input4 does the rest).
func (w *winograd) input4Vec(s *convStep, p, v []float32, ty int) int {
	plane, qw, wp := w.hp*w.wp, w.wp/4, w.wp
	st := s.ci * w.tw
	n := w.tw &^ 3
	for c := 0; c < s.ci; c++ {
		pc := p[c*plane+4*ty*wp:][:6*wp]
		vc := v[c*w.tw:]
		for tx := 0; tx < n; tx += 4 {
			// (Bᵀ d)[i][j] of the 4 tiles, through memory: arrays of
			// vectors are not kept in registers.
			var t [36][4]float32
			for j := 0; j < 6; j++ {
				o := (j&3)*qw + tx + j>>2
				t0, t1, t2, t3, t4, t5 := bt6v(load4(pc[o:][:4]), load4(pc[wp+o:][:4]),
					load4(pc[2*wp+o:][:4]), load4(pc[3*wp+o:][:4]), load4(pc[4*wp+o:][:4]), load4(pc[5*wp+o:][:4]))
				t0.StoreArray(&t[j])
				t1.StoreArray(&t[6+j])
				t2.StoreArray(&t[12+j])
				t3.StoreArray(&t[18+j])
				t4.StoreArray(&t[24+j])
				t5.StoreArray(&t[30+j])
			}
			for i := 0; i < 6; i++ {
				r := t[6*i : 6*i+6]
				v0, v1, v2, v3, v4, v5 := bt6v(archsimd.LoadFloat32x4Array(&r[0]), archsimd.LoadFloat32x4Array(&r[1]), archsimd.LoadFloat32x4Array(&r[2]),
					archsimd.LoadFloat32x4Array(&r[3]), archsimd.LoadFloat32x4Array(&r[4]), archsimd.LoadFloat32x4Array(&r[5]))
				b := 6*i*st + tx
				store4(v0, vc[b:][:4])
				store4(v1, vc[b+st:][:4])
				store4(v2, vc[b+2*st:][:4])
				store4(v3, vc[b+3*st:][:4])
				store4(v4, vc[b+4*st:][:4])
				store4(v5, vc[b+5*st:][:4])
			}
		}
	}
	return n
}

// output4Vec transforms tile row ty, 4 tiles at a time, while all 16
// columns are inside the output; it returns how many tiles it did.
func (w *winograd) output4Vec(s *convStep, m, out []float32, ty int) int {
	co4 := (s.co + 3) &^ 3
	tw := w.tw
	os := co4 * tw
	n := min(tw, s.ow/4) &^ 3
	for o := 0; o < s.co; o++ {
		b := bcast(s.bias[o])
		mo := m[o*tw:]
		rows := w.outRows(s, out, o, ty)
		for tx := 0; tx < n; tx += 4 {
			var r [24][4]float32 // Aᵀ M: row k, column j at 6k+j
			for j := 0; j < 6; j++ {
				r0, r1, r2, r3 := at6v(load4(mo[j*os+tx:][:4]), load4(mo[(6+j)*os+tx:][:4]), load4(mo[(12+j)*os+tx:][:4]),
					load4(mo[(18+j)*os+tx:][:4]), load4(mo[(24+j)*os+tx:][:4]), load4(mo[(30+j)*os+tx:][:4]))
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
				y0, y1, y2, y3 := at6v(archsimd.LoadFloat32x4Array(&q[0]), archsimd.LoadFloat32x4Array(&q[1]), archsimd.LoadFloat32x4Array(&q[2]),
					archsimd.LoadFloat32x4Array(&q[3]), archsimd.LoadFloat32x4Array(&q[4]), archsimd.LoadFloat32x4Array(&q[5]))
				y0, y1, y2, y3 = y0.Add(b), y1.Add(b), y2.Add(b), y3.Add(b)
				if s.act.kind == actRelu {
					y0, y1, y2, y3 = relu4(y0), relu4(y1), relu4(y2), relu4(y3)
				}
				// No shuffles in SIMD128's Go API: interleave through memory.
				var t [4][4]float32 // t[l][i]: pixel l of tile i
				y0.StoreArray(&t[0])
				y1.StoreArray(&t[1])
				y2.StoreArray(&t[2])
				y3.StoreArray(&t[3])
				d := row[4*tx : 4*tx+16]
				for i := 0; i < 4; i++ {
					d[4*i], d[4*i+1], d[4*i+2], d[4*i+3] = t[0][i], t[1][i], t[2][i], t[3][i]
				}
				if s.act.kind != actNone && s.act.kind != actRelu {
					for i, x := range d {
						d[i] = s.act.one(x)
					}
				}
			}
		}
	}
	return n
}

// sigmoid4 is 1/(1+e^−x) in float32: e^x by x = k·ln2 + r, |r| ≤ ln2/2, a
// degree-7 Taylor polynomial (truncation < 1e-8 relative) and 2^k built
// in the exponent bits; x is clamped to ±87 so 2^k stays a normal float.
// Max |error| against float64: a few 1e-8 (TestSigmoid4).
func sigmoid4(x f32x4) f32x4 {
	x = x.Neg().Max(bcast(-87)).Min(bcast(87)) // e^−x
	k := x.Mul(bcast(1.44269504088896341)).Round()
	r := x.Sub(k.Mul(bcast(0.693359375))).Sub(k.Mul(bcast(-2.12194440e-4)))
	p := bcast(1.0 / 5040)
	for _, c := range [...]float32{1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1} {
		p = p.Mul(r).Add(bcast(c))
	}
	e := p.Mul(k.ConvertToInt32().Add(archsimd.BroadcastInt32x4(127)).ShiftAllLeft(23).ToBits().BitsToFloat32())
	return bcast(1).Div(bcast(1).Add(e))
}
