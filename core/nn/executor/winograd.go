package executor

// Winograd F(m×m, 3×3) for 3×3, stride-1 convolutions: each m×m output
// tile comes from an n×n input patch (n = m+2) with n² products per
// (input, output) channel pair instead of 9m². F(4×4,3×3) is the default
// (4× fewer multiply-adds, winograd4.go); F(2×2,3×3) (2.25×) is kept and
// tested. Work goes one row of tiles at a time, so the transformed input
// (n² × Ci × tiles) and products (n² × Co × tiles) stay in cache.
//
//	input  V = Bᵀ d B,  weight U = G g Gᵀ,  output Y = Aᵀ M A,  M = Σ_ci U ⊙ V
//
// The n² products M[ξ] = U[ξ]·V[ξ] are small GEMMs (Co×Ci by Ci×tiles),
// shared by both tile sizes (products); with SIMD128 (wasm) they and the
// F(4×4) transforms run on vectors of 4 tiles.

type winograd struct {
	tile   int       // output tile side: 2 for F(2×2,3×3), 4 for F(4×4,3×3)
	th, tw int       // tiles down and across
	hp, wp int       // padded plane (F(4×4): each row deinterleaved by 4, see winograd4.go)
	u      []float32 // [n²][co4/4][ci][4]
	off    []int32   // ci·tw: channel offsets in one ξ plane of V
	// vst, mst: the ξ-plane strides of V ([ξ][ci][tw]) and M ([ξ][co4][tw]),
	// ci·tw and co4·tw floats padded off multiples of 2 KiB (planeStride).
	vst, mst int
}

// planeStride is n floats, plus 16 when 4n is a multiple of 2 KiB: a
// transform touches the same column of all 36 ξ planes, and at a stride of
// 4 KiB (ci·tw = 1024 on three of the U-Net's layers) they all fall into
// the same L1 cache set. Padding made those input transforms 8× faster
// under Node (32→16 at 120×128: 2.2 → 0.27 ms per image).
func planeStride(n int) int {
	if n%512 == 0 {
		return n + 16
	}
	return n
}

// winoWeights writes U = G g Gᵀ, in float64 then rounded, for output
// channel o's kernels g (ci×9) into u ([n²][co4/4][ci][4]). It is called
// once per output channel, not once per layer, for the browser's sake:
// model load runs in V8's baseline tier, and V8 optimises a function only
// for its next call, so a single call over a whole layer never leaves it.
func winoWeights(u, g []float32, G [][3]float64, o, co4 int) {
	n, ci := len(G), len(g)/9
	plane := co4 * ci        // floats in one ξ plane of u
	base := (o/4*ci)*4 + o%4 // o's lane of channel 0 in plane 0
	var kf [9]float64
	var t [6][3]float64 // G g
	for c := 0; c < ci; c++ {
		for m, v := range g[c*9 : c*9+9] {
			kf[m] = float64(v)
		}
		for i, r := range G {
			for j := 0; j < 3; j++ {
				t[i][j] = 0 + r[0]*kf[j] + r[1]*kf[3+j] + r[2]*kf[6+j]
			}
		}
		at := u[base+c*4:]
		for i := 0; i < n; i++ {
			for j, r := range G {
				at[(i*n+j)*plane] = float32(0 + t[i][0]*r[0] + t[i][1]*r[1] + t[i][2]*r[2])
			}
		}
	}
}

// winoMinChannels: below this the transforms cost more than they save.
const winoMinChannels = 4

// G for F(2×2,3×3) and F(4×4,3×3).
var (
	wino2G = [][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	wino4G = [][3]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}
)

func newWinograd(s *convStep, wt []float32, dil []int, tile int) *winograd {
	if s.kh != 3 || s.kw != 3 || s.sh != 1 || s.sw != 1 || dil[0] != 1 || dil[1] != 1 || s.ci < winoMinChannels {
		return nil
	}
	w := &winograd{tile: tile, th: (s.oh + tile - 1) / tile, tw: (s.ow + tile - 1) / tile}
	G := wino2G
	w.hp, w.wp = tile*w.th+2, tile*w.tw+2
	if tile == 4 {
		G = wino4G
		w.wp = 4 * (w.tw + 1) // 4 deinterleaved sub-rows of tw+1 columns
	}
	n := len(G)
	co4 := (s.co + 3) &^ 3
	w.u = make([]float32, n*n*co4*s.ci)
	for o := 0; o < s.co; o++ {
		winoWeights(w.u, wt[o*s.ci*9:(o+1)*s.ci*9], G, o, co4)
	}
	for c := 0; c < s.ci; c++ {
		w.off = append(w.off, int32(c*w.tw))
	}
	w.vst, w.mst = planeStride(s.ci*w.tw), planeStride(co4*w.tw)
	ascending(w.off)
	return w
}

// scratchSize is what run needs: the padded plane, V and M for one tile row.
func (w *winograd) scratchSize(s *convStep) int {
	n := w.tile + 2
	n *= n
	rows := w.hp // run2 pads the whole input; run4 one tile row's 6 rows at a time
	if w.tile == 4 {
		rows = 6
	}
	return s.ci*rows*w.wp + n*w.vst + n*w.mst + 3 // +3: the 4-wide kernel may read past the last tile
}

// run computes one image; vec selects the vector kernels where built.
func (w *winograd) run(s *convStep, x, out, scratch []float32, vec bool) {
	if w.tile == 4 {
		w.run4(s, x, out, scratch, vec)
		return
	}
	w.run2(s, x, out, scratch, vec)
}

// products computes M[ξ] = U[ξ]·V[ξ] for the nxi transform points of one
// tile row: V is [ξ][ci][tw], M is [ξ][co4][tw].
func (w *winograd) products(s *convStep, nxi int, v, m []float32, vec bool) {
	co4 := (s.co + 3) &^ 3
	tw := w.tw
	var acc [16]float32
	for xi := 0; xi < nxi; xi++ {
		vx := v[xi*w.vst:]
		for cob := 0; cob < co4; cob += 4 {
			up := w.u[(xi*co4+cob)*s.ci : (xi*co4+cob+4)*s.ci]
			mr := m[xi*w.mst+cob*tw:][:4*tw]
			tx := 0
			if vec {
				tx = gemmVec(up, vx, w.off, tw, mr)
			}
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
}

// run2 is F(2×2, 3×3):
//
//	Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
//	G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//	Aᵀ = [1 1 1 0; 0 1 −1 −1]
func (w *winograd) run2(s *convStep, x, out, scratch []float32, vec bool) {
	plane := w.hp * w.wp
	p := scratch[:s.ci*plane]
	v := scratch[s.ci*plane : s.ci*plane+16*w.vst+3]
	m := scratch[s.ci*plane+16*w.vst+3:][:16*w.mst]
	// Zero-padded copy: the input sits at (pt, pl); everything else is 0,
	// including the extra row/column an odd output size needs.
	clear(p)
	for c := 0; c < s.ci; c++ {
		for y := 0; y < s.h && y+s.pt < w.hp; y++ {
			n := min(s.w, w.wp-s.pl)
			copy(p[c*plane+(y+s.pt)*w.wp+s.pl:][:n], x[(c*s.h+y)*s.w:][:n])
		}
	}
	tw := w.tw
	for ty := 0; ty < w.th; ty++ {
		// Input transform of one row of tiles.
		for c := 0; c < s.ci; c++ {
			r0 := p[c*plane+2*ty*w.wp:][:w.wp]
			r1 := p[c*plane+(2*ty+1)*w.wp:][:w.wp]
			r2 := p[c*plane+(2*ty+2)*w.wp:][:w.wp]
			r3 := p[c*plane+(2*ty+3)*w.wp:][:w.wp]
			st := w.vst
			vc := v[c*tw:]
			for tx := 0; tx < tw; tx++ {
				x0 := 2 * tx
				// Bᵀ d: combine rows, per column j (t_ij), then columns.
				a0, a1, a2, a3 := r0[x0:x0+4], r1[x0:x0+4], r2[x0:x0+4], r3[x0:x0+4]
				t00, t01, t02, t03 := a0[0]-a2[0], a0[1]-a2[1], a0[2]-a2[2], a0[3]-a2[3]
				t10, t11, t12, t13 := a1[0]+a2[0], a1[1]+a2[1], a1[2]+a2[2], a1[3]+a2[3]
				t20, t21, t22, t23 := a2[0]-a1[0], a2[1]-a1[1], a2[2]-a1[2], a2[3]-a1[3]
				t30, t31, t32, t33 := a1[0]-a3[0], a1[1]-a3[1], a1[2]-a3[2], a1[3]-a3[3]
				vc[tx] = t00 - t02
				vc[st+tx] = t01 + t02
				vc[2*st+tx] = t02 - t01
				vc[3*st+tx] = t01 - t03
				vc[4*st+tx] = t10 - t12
				vc[5*st+tx] = t11 + t12
				vc[6*st+tx] = t12 - t11
				vc[7*st+tx] = t11 - t13
				vc[8*st+tx] = t20 - t22
				vc[9*st+tx] = t21 + t22
				vc[10*st+tx] = t22 - t21
				vc[11*st+tx] = t21 - t23
				vc[12*st+tx] = t30 - t32
				vc[13*st+tx] = t31 + t32
				vc[14*st+tx] = t32 - t31
				vc[15*st+tx] = t31 - t33
			}
		}
		w.products(s, 16, v, m, vec)
		// Output transform, bias, activation, store.
		ostride := w.mst
		for o := 0; o < s.co; o++ {
			b := s.bias[o]
			y0 := out[(o*s.oh+2*ty)*s.ow:][:s.ow]
			var y1 []float32
			if 2*ty+1 < s.oh {
				y1 = out[(o*s.oh+2*ty+1)*s.ow:][:s.ow]
			}
			mo := m[o*tw:]
			os := ostride
			for tx := 0; tx < tw; tx++ {
				q0, q1, q2, q3 := mo[tx], mo[os+tx], mo[2*os+tx], mo[3*os+tx]
				q4, q5, q6, q7 := mo[4*os+tx], mo[5*os+tx], mo[6*os+tx], mo[7*os+tx]
				q8, q9, q10, q11 := mo[8*os+tx], mo[9*os+tx], mo[10*os+tx], mo[11*os+tx]
				q12, q13, q14, q15 := mo[12*os+tx], mo[13*os+tx], mo[14*os+tx], mo[15*os+tx]
				// Aᵀ M (rows), then · A (columns).
				r00, r01, r02, r03 := q0+q4+q8, q1+q5+q9, q2+q6+q10, q3+q7+q11
				r10, r11, r12, r13 := q4-q8-q12, q5-q9-q13, q6-q10-q14, q7-q11-q15
				x0 := 2 * tx
				y0[x0] = r00 + r01 + r02 + b
				if x0+1 < s.ow {
					y0[x0+1] = r01 - r02 - r03 + b
				}
				if y1 != nil {
					y1[x0] = r10 + r11 + r12 + b
					if x0+1 < s.ow {
						y1[x0+1] = r11 - r12 - r13 + b
					}
				}
			}
			s.act.apply(y0)
			if y1 != nil {
				s.act.apply(y1)
			}
		}
	}
}
