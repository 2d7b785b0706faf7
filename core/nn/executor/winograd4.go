package executor

// Winograd F(4×4, 3×3): each 4×4 output tile from a 6×6 input patch with
// 36 products per channel pair instead of 144 (4× fewer multiply-adds;
// F(2×2, 3×3) saves 2.25×). The transforms are larger and lose a few bits
// more (measured on the shipped model: max |Δ| ≤ 1e-6 on probabilities).
//
//	Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
//	G  = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1]
//	Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]

var wino4G = [6][3]float64{
	{1.0 / 4, 0, 0},
	{-1.0 / 6, -1.0 / 6, -1.0 / 6},
	{-1.0 / 6, 1.0 / 6, -1.0 / 6},
	{1.0 / 24, 1.0 / 12, 1.0 / 6},
	{1.0 / 24, -1.0 / 12, 1.0 / 6},
	{0, 0, 1},
}

func newWinograd4(s *convStep, wt []float32) *winograd {
	w := &winograd{tile: 4, th: (s.oh + 3) / 4, tw: (s.ow + 3) / 4}
	w.hp, w.wp = 4*w.th+2, 4*w.tw+2
	co4 := (s.co + 3) &^ 3
	w.u = make([]float32, 36*co4*s.ci)
	for o := 0; o < s.co; o++ {
		for c := 0; c < s.ci; c++ {
			g := wt[(o*s.ci+c)*9 : (o*s.ci+c)*9+9]
			var t [6][3]float64 // G g
			for i := 0; i < 6; i++ {
				for j := 0; j < 3; j++ {
					for k := 0; k < 3; k++ {
						t[i][j] += wino4G[i][k] * float64(g[k*3+j])
					}
				}
			}
			for i := 0; i < 6; i++ {
				for j := 0; j < 6; j++ {
					var u float64 // (G g) Gᵀ
					for k := 0; k < 3; k++ {
						u += t[i][k] * wino4G[j][k]
					}
					xi := i*6 + j
					w.u[((xi*co4/4+o/4)*s.ci+c)*4+o%4] = float32(u)
				}
			}
		}
	}
	for c := 0; c < s.ci; c++ {
		w.off = append(w.off, int32(c*w.tw))
	}
	return w
}

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

func (w *winograd) run4(s *convStep, x, out, scratch []float32) {
	co4 := (s.co + 3) &^ 3
	plane := w.hp * w.wp
	tw := w.tw
	p := scratch[:s.ci*plane]
	v := scratch[s.ci*plane : s.ci*plane+36*s.ci*tw+3]
	m := scratch[s.ci*plane+36*s.ci*tw+3:][:36*co4*tw]
	clear(p)
	for c := 0; c < s.ci; c++ {
		for y := 0; y < s.h && y+s.pt < w.hp; y++ {
			n := min(s.w, w.wp-s.pl)
			copy(p[c*plane+(y+s.pt)*w.wp+s.pl:][:n], x[(c*s.h+y)*s.w:][:n])
		}
	}
	var acc [16]float32
	st := s.ci * tw
	for ty := 0; ty < w.th; ty++ {
		for c := 0; c < s.ci; c++ {
			pc := p[c*plane+4*ty*w.wp:]
			vc := v[c*tw:]
			for tx := 0; tx < tw; tx++ {
				var t [6][6]float32 // t[i][j] = (Bᵀ d)[i][j]
				for j := 0; j < 6; j++ {
					o := 4*tx + j
					t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j] = bt6(pc[o], pc[w.wp+o], pc[2*w.wp+o], pc[3*w.wp+o], pc[4*w.wp+o], pc[5*w.wp+o])
				}
				for i := 0; i < 6; i++ {
					r := &t[i]
					v0, v1, v2, v3, v4, v5 := bt6(r[0], r[1], r[2], r[3], r[4], r[5])
					b := 6 * i * st
					vc[b+tx], vc[b+st+tx], vc[b+2*st+tx], vc[b+3*st+tx], vc[b+4*st+tx], vc[b+5*st+tx] = v0, v1, v2, v3, v4, v5
				}
			}
		}
		for xi := 0; xi < 36; xi++ {
			vx := v[xi*st:]
			for cob := 0; cob < co4; cob += 4 {
				up := w.u[(xi*co4+cob)*s.ci : (xi*co4+cob+4)*s.ci]
				mr := m[(xi*co4+cob)*tw : (xi*co4+cob+4)*tw]
				tx := 0
				for ; tx+4 <= tw; tx += 4 {
					kern4x4(up, vx, w.off, tx, &acc)
					for i := 0; i < 4; i++ {
						mr[i*tw+tx], mr[i*tw+tx+1], mr[i*tw+tx+2], mr[i*tw+tx+3] = acc[i], acc[4+i], acc[8+i], acc[12+i]
					}
				}
				for ; tx < tw; tx++ {
					kern4x1(up, vx, w.off, tx, &acc)
					for i := 0; i < 4; i++ {
						mr[i*tw+tx] = acc[i]
					}
				}
			}
		}
		os := co4 * tw
		for o := 0; o < s.co; o++ {
			b := s.bias[o]
			mo := m[o*tw:]
			var rows [4][]float32
			for k := 0; k < 4; k++ {
				if y := 4*ty + k; y < s.oh {
					rows[k] = out[(o*s.oh+y)*s.ow:][:s.ow]
				}
			}
			for tx := 0; tx < tw; tx++ {
				var r [4][6]float32 // Aᵀ M, per column j
				for j := 0; j < 6; j++ {
					r[0][j], r[1][j], r[2][j], r[3][j] = at6(mo[j*os+tx], mo[(6+j)*os+tx], mo[(12+j)*os+tx], mo[(18+j)*os+tx], mo[(24+j)*os+tx], mo[(30+j)*os+tx])
				}
				x0 := 4 * tx
				for k := 0; k < 4; k++ {
					row := rows[k]
					if row == nil {
						continue
					}
					q := &r[k]
					y0, y1, y2, y3 := at6(q[0], q[1], q[2], q[3], q[4], q[5])
					if x0+4 <= s.ow {
						d := row[x0 : x0+4]
						d[0], d[1], d[2], d[3] = y0+b, y1+b, y2+b, y3+b
						continue
					}
					for l, y := range [4]float32{y0, y1, y2, y3} {
						if x0+l < s.ow {
							row[x0+l] = y + b
						}
					}
				}
			}
		}
		for o := 0; o < s.co; o++ {
			for k := 0; k < 4; k++ {
				if y := 4*ty + k; y < s.oh {
					s.act.apply(out[(o*s.oh+y)*s.ow:][:s.ow])
				}
			}
		}
	}
}
