//go:build goexperiment.simd && wasm && go1.27

package executor

//go:generate python3 gen_wasm.py

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
// The hot loops are WebAssembly (kern_wasm.s, wino_wasm.s, written by
// gen_wasm.py): compiled from Go, the register blocks took a third more
// time and the Winograd transforms and plane fills two to four times more
// (Go's wasm code keeps addresses in i64, checks every slice access and
// spills vectors to its stack).
//
// Browsers without SIMD load the scalar build (web/worker.js decides).

// SIMD names the vector kernels in use ("" for the portable scalar path).
func SIMD() string { return "simd128" }

// vecWinograd: 3×3 convolutions with at least 8 output channels take
// Winograd on vectors (all of the U-Net's but the first). Per-step timing
// under Node on the shipped model: 16→8 at 240×256 5.2 ms against 5.8 ms
// direct, 8→8 3.3 against 3.6 ms.
func vecWinograd(s *convStep) bool { return s.co >= 8 }

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

// input4Vec transforms the tile row in p (run4's band), 4 tiles at a time; it returns how many
// tiles it did (input4 does the rest). The transform is wino4In
// (wino_wasm.s), after a bounds check on everything it reads and writes.
func (w *winograd) input4Vec(s *convStep, p, v []float32) int {
	qw, wp := w.wp/4, w.wp
	st := w.vst
	n := w.tw &^ 3
	if n == 0 {
		return 0
	}
	var tmp [36]f32x4
	for c := 0; c < s.ci; c++ {
		// Column j of tile tx is at (j&3)·qw + tx + j>>2 of each of 6 rows.
		pc := p[c*6*wp:][:5*wp+3*qw+n]
		vc := v[c*w.tw:][:35*st+n]
		wino4In(&pc[0], &vc[0], n, wp, qw, st, &tmp)
	}
	return n
}

//go:noescape
func wino4In(pc, vc *float32, n, wp, qw, st int, tmp *[36]f32x4)

// output4Vec transforms tile row ty, 4 tiles at a time, while all 16
// columns of the 4 tiles lie inside the output; it returns how many tiles
// it did (output4 does the rest). The transform, bias and ReLU are
// wino4Out (wino_wasm.s); other activations follow here.
func (w *winograd) output4Vec(s *convStep, m, out []float32, ty int) int {
	tw := w.tw
	os := w.mst
	n := min(tw, s.ow/4) &^ 3
	if n == 0 {
		return 0
	}
	var tmp [36]f32x4
	for o := 0; o < s.co; o++ {
		mo := m[o*tw:][:35*os+n]
		rows := w.outRows(s, out, o, ty)
		var ptr [4]*float32
		nrows := 0
		for k, row := range rows {
			if row != nil {
				ptr[k] = &row[:4*n][0]
				nrows = k + 1
			}
		}
		wino4Out(&mo[0], n, os, &ptr, nrows, s.bias[o], s.act.kind == actRelu, &tmp)
		if s.act.kind != actNone && s.act.kind != actRelu {
			for _, row := range rows[:nrows] {
				for i, x := range row[:4*n] {
					row[i] = s.act.one(x)
				}
			}
		}
	}
	return n
}

//go:noescape
func wino4Out(mo *float32, n, os int, rows *[4]*float32, nrows int, bias float32, relu bool, tmp *[36]f32x4)

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
