package executor

// Winograd F(4×4, 3×3): each 4×4 output tile from a 6×6 input patch with
// 36 products per channel pair instead of 144. The transforms are larger
// and lose a few bits more (measured on the shipped model: max |Δ| ≤ 1e-6
// on probabilities).
//
//	Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
//	G  = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1]
//	Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
//
// The padded plane is stored with each row deinterleaved by 4: column
// 4q+r sits at r·qw + q (qw = tw+1). Column j of tile tx is then at
// (j&3)·qw + tx + j>>2, so column j of 4 adjacent tiles is 4 adjacent
// floats: the SIMD128 transforms load them as one vector, without shuffles.

// bt6 is Bᵀ d for one column or row of 6.
func bt6(d0, d1, d2, d3, d4, d5 float32) (t0, t1, t2, t3, t4, t5 float32) {
	t0 = 4*d0 - 5*d2 + d4
	t1 = d3 + d4 - 4*(d1+d2)
	t2 = d4 - d3 + 4*(d1-d2)
	t3 = d4 - d2 + 2*(d3-d1)
	t4 = d4 - d2 + 2*(d1-d3)
	t5 = 4*d1 - 5*d3 + d5
	return
}

// at6 is Aᵀ m for one column or row of 6.
func at6(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	a, b := m1+m2, m1-m2
	c, d := m3+m4, m3-m4
	return m0 + a + c, b + 2*d, a + 4*c, b + 8*d + m5
}

// run4 works one tile row at a time: its 6 padded input rows of every
// channel (p, a band of 6·wp floats per channel), V and M stay in cache,
// and the scratch is a band instead of the whole padded input (4 MB on the
// 240×256 layers, whose first writes also cost start-up time).
func (w *winograd) run4(s *convStep, x, out, scratch []float32, vec bool) {
	band := 6 * w.wp
	p := scratch[:s.ci*band]
	v := scratch[s.ci*band : s.ci*band+36*w.vst+3]
	m := scratch[s.ci*band+36*w.vst+3:][:36*w.mst]
	plan := w.deintPlan(s)
	for ty := 0; ty < w.th; ty++ {
		w.pad4(s, x, p, 4*ty, &plan)
		tx := 0
		if vec {
			tx = w.input4Vec(s, p, v)
		}
		w.input4(s, p, v, tx)
		w.products(s, 36, v, m, vec)
		tx = 0
		if vec {
			tx = w.output4Vec(s, m, out, ty)
		}
		w.output4(s, m, out, ty, tx)
	}
}

// deintPlan says where the input goes in a row of the padded,
// deinterleaved plane: sub-row r holds columns 4q+r, i.e. input x =
// 4q+r−pl, so from the first q with x ≥ 0 (at r·qw+q) it takes every 4th
// input value; plan[r], plan[4+r], plan[8+r] are that position, the first
// x and how many (deintRows).
func (w *winograd) deintPlan(s *convStep) (plan [12]int) {
	qw := w.wp / 4
	for r := 0; r < 4; r++ {
		q := max(0, (s.pl-r+3)/4)
		xi := 4*q + r - s.pl
		plan[r], plan[4+r] = r*qw+q, xi
		if xi < s.w {
			plan[8+r] = min(qw-q, (s.w-xi+3)/4)
		}
	}
	return plan
}

// pad4 fills p, 6 rows per channel, with rows y0 … y0+5 of the
// zero-padded, deinterleaved input plane.
func (w *winograd) pad4(s *convStep, x, p []float32, y0 int, plan *[12]int) {
	band := 6 * w.wp
	// Band rows r0 … r1−1 hold input rows y0+r−pt; the others are padding.
	r0, r1 := min(max(0, s.pt-y0), 6), min(max(0, s.pt+s.h-y0), 6)
	for c := 0; c < s.ci; c++ {
		pc := p[c*band:][:band]
		clear(pc[:r0*w.wp])
		clear(pc[max(r0, r1)*w.wp:])
		if r1 > r0 {
			deint(pc[r0*w.wp:r1*w.wp], x[(c*s.h+y0+r0-s.pt)*s.w:][:(r1-r0)*s.w], w.wp, s.w, plan)
		}
	}
}

// deintRows fills rows of wp floats from input rows of w floats: each row is
// cleared, then dst[plan[r]+k] = src[plan[4+r]+4k] for k < plan[8+r] and
// the 4 sub-rows r (pad4's plan).
func deintRows(dst, src []float32, wp, w int, plan *[12]int) {
	for y := 0; y*wp < len(dst); y++ {
		row, in := dst[y*wp:][:wp], src[y*w:][:w]
		clear(row)
		for r := 0; r < 4; r++ {
			d := row[plan[r]:][:plan[8+r]]
			for k := range d {
				d[k] = in[plan[4+r]+4*k]
			}
		}
	}
}

// input4 transforms tiles tx0… of tile row ty into V ([ξ][ci][tw]).
func (w *winograd) input4(s *convStep, p, v []float32, tx0 int) {
	qw, wp := w.wp/4, w.wp
	st := w.vst
	for c := 0; c < s.ci; c++ {
		pc := p[c*6*wp:][:6*wp]
		vc := v[c*w.tw:]
		for tx := tx0; tx < w.tw; tx++ {
			var t [6][6]float32 // t[i][j] = (Bᵀ d)[i][j]
			for j := 0; j < 6; j++ {
				o := (j&3)*qw + tx + j>>2
				t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j] = bt6(pc[o], pc[wp+o], pc[2*wp+o], pc[3*wp+o], pc[4*wp+o], pc[5*wp+o])
			}
			for i := 0; i < 6; i++ {
				r := &t[i]
				v0, v1, v2, v3, v4, v5 := bt6(r[0], r[1], r[2], r[3], r[4], r[5])
				b := 6 * i * st
				vc[b+tx], vc[b+st+tx], vc[b+2*st+tx], vc[b+3*st+tx], vc[b+4*st+tx], vc[b+5*st+tx] = v0, v1, v2, v3, v4, v5
			}
		}
	}
}

// output4 transforms tiles tx0… of tile row ty from M and stores them with
// bias and activation.
func (w *winograd) output4(s *convStep, m, out []float32, ty, tx0 int) {
	tw := w.tw
	os := w.mst
	for o := 0; o < s.co; o++ {
		b := s.bias[o]
		mo := m[o*tw:]
		rows := w.outRows(s, out, o, ty)
		for tx := tx0; tx < tw; tx++ {
			var r [4][6]float32 // Aᵀ M, per column j
			for j := 0; j < 6; j++ {
				r[0][j], r[1][j], r[2][j], r[3][j] = at6(mo[j*os+tx], mo[(6+j)*os+tx], mo[(12+j)*os+tx], mo[(18+j)*os+tx], mo[(24+j)*os+tx], mo[(30+j)*os+tx])
			}
			x0 := 4 * tx
			for k, row := range rows {
				if row == nil {
					continue
				}
				q := &r[k]
				y0, y1, y2, y3 := at6(q[0], q[1], q[2], q[3], q[4], q[5])
				for l, y := range [4]float32{y0, y1, y2, y3} {
					if x0+l < s.ow {
						row[x0+l] = s.act.one(y + b)
					}
				}
			}
		}
	}
}

// outRows are the output rows of channel o that tile row ty covers (nil
// past the bottom).
func (w *winograd) outRows(s *convStep, out []float32, o, ty int) (rows [4][]float32) {
	for k := range rows {
		if y := 4*ty + k; y < s.oh {
			rows[k] = out[(o*s.oh+y)*s.ow:][:s.ow]
		}
	}
	return rows
}
