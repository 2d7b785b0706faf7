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

func (w *winograd) run4(s *convStep, x, out, scratch []float32, vec bool) {
	plane := w.hp * w.wp
	p := scratch[:s.ci*plane]
	v := scratch[s.ci*plane : s.ci*plane+36*w.vst+3]
	m := scratch[s.ci*plane+36*w.vst+3:][:36*w.mst]
	w.pad4(s, x, p)
	for ty := 0; ty < w.th; ty++ {
		tx := 0
		if vec {
			tx = w.input4Vec(s, p, v, ty)
		}
		w.input4(s, p, v, ty, tx)
		w.products(s, 36, v, m, vec)
		tx = 0
		if vec {
			tx = w.output4Vec(s, m, out, ty)
		}
		w.output4(s, m, out, ty, tx)
	}
}

// pad4 copies the input into the zero-padded, deinterleaved plane p.
// Rows are cleared as they are filled (deint): the whole plane is up to
// 4 MB on the 240×256 layers, and clearing it at once took as long as the
// input transform.
func (w *winograd) pad4(s *convStep, x, p []float32) {
	plane, qw := w.hp*w.wp, w.wp/4
	y0, y1 := min(s.pt, w.hp), min(s.pt+s.h, w.hp) // rows holding input
	// Sub-row r of a row holds columns 4q+r, i.e. input x = 4q+r−pl: from
	// the first q with x ≥ 0 (at r·qw+q), every 4th input value.
	var plan [12]int
	for r := 0; r < 4; r++ {
		q := max(0, (s.pl-r+3)/4)
		xi := 4*q + r - s.pl
		plan[r], plan[4+r] = r*qw+q, xi
		if xi < s.w {
			plan[8+r] = min(qw-q, (s.w-xi+3)/4)
		}
	}
	for c := 0; c < s.ci; c++ {
		pc := p[c*plane:][:plane]
		clear(pc[:y0*w.wp])
		clear(pc[y1*w.wp:])
		if y1 > y0 {
			deint(pc[y0*w.wp:y1*w.wp], x[(c*s.h+y0-s.pt)*s.w:][:(y1-y0)*s.w], w.wp, s.w, &plan)
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
func (w *winograd) input4(s *convStep, p, v []float32, ty, tx0 int) {
	plane, qw, wp := w.hp*w.wp, w.wp/4, w.wp
	st := w.vst
	for c := 0; c < s.ci; c++ {
		pc := p[c*plane+4*ty*wp:]
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
