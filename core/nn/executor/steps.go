package executor

import (
	"math"
)

type unaryStep struct {
	in, out, n int
	a          act
}

func (s *unaryStep) bind(f func(int) int) { s.in, s.out = f(s.in), f(s.out) }
func (s *unaryStep) run(r *Runner) {
	y := r.bufs[s.out][:s.n]
	copy(y, r.bufs[s.in][:s.n])
	s.a.apply(y)
}

// transposeStep permutes axes. It walks the output in order with an
// odometer over the input strides; the innermost two axes are a tight loop.
type transposeStep struct {
	in, out int
	oshape  []int // output shape
	istride []int // input stride of each output axis
}

func newTranspose(in, out int, shape, perm []int) *transposeStep {
	st := make([]int, len(shape))
	acc := 1
	for j := len(shape) - 1; j >= 0; j-- {
		st[j] = acc
		acc *= shape[j]
	}
	s := &transposeStep{in: in, out: out}
	for _, p := range perm {
		s.oshape = append(s.oshape, shape[p])
		s.istride = append(s.istride, st[p])
	}
	return s
}

func (s *transposeStep) bind(f func(int) int) { s.in, s.out = f(s.in), f(s.out) }
func (s *transposeStep) run(r *Runner) {
	x, y := r.bufs[s.in], r.bufs[s.out][:prod(s.oshape)]
	last := len(s.oshape) - 1
	if last == 0 { // a 1-D transpose is a copy
		copy(y, x[:len(y)])
		return
	}
	// The last two output axes form one block per odometer step: the
	// pixel shuffle's last axis has only 2 elements, too short to pay
	// for an odometer step each.
	n, st := s.oshape[last], s.istride[last]
	a, sa := s.oshape[last-1], s.istride[last-1]
	idx := make([]int, last)
	base := 0
	for o := 0; o < len(y); o += a * n {
		blk := y[o : o+a*n]
		if n == 2 && sa == 1 {
			// The pixel shuffle's interleave of two rows.
			r0, r1 := x[base:][:a], x[base+st:][:a]
			blk = blk[:2*len(r0)]
			for i, v := range r0 {
				blk[2*i], blk[2*i+1] = v, r1[i]
			}
		} else if st == 1 {
			for i := 0; i < a; i++ {
				copy(blk[i*n:(i+1)*n], x[base+i*sa:][:n])
			}
		} else {
			for j := 0; j < n; j++ {
				xj := x[base+j*st:]
				for i := 0; i < a; i++ {
					blk[i*n+j] = xj[i*sa]
				}
			}
		}
		for d := last - 2; d >= 0; d-- {
			idx[d]++
			base += s.istride[d]
			if idx[d] < s.oshape[d] {
				break
			}
			base -= idx[d] * s.istride[d]
			idx[d] = 0
		}
	}
}

type concatStep struct {
	ins   []int
	chunk []int // values per outer index, per input
	outer int
	out   int
}

func (s *concatStep) bind(f func(int) int) {
	for j := range s.ins {
		s.ins[j] = f(s.ins[j])
	}
	s.out = f(s.out)
}
func (s *concatStep) run(r *Runner) {
	y := r.bufs[s.out]
	o := 0
	for i := 0; i < s.outer; i++ {
		for j, in := range s.ins {
			n := s.chunk[j]
			copy(y[o:o+n], r.bufs[in][i*n:(i+1)*n])
			o += n
		}
	}
}

type poolStep struct {
	in, out                    int
	planes, h, w, oh, ow       int
	kh, kw, sh, sw, dh, dw, pt int
	pl                         int
	vec                        bool // vector kernel where built (tests turn it off)
}

func (s *poolStep) bind(f func(int) int) { s.in, s.out = f(s.in), f(s.out) }
func (s *poolStep) run(r *Runner) {
	x, y := r.bufs[s.in], r.bufs[s.out]
	if s.kh == 2 && s.kw == 2 && s.sh == 2 && s.sw == 2 && s.dh == 1 && s.dw == 1 && s.pt == 0 && s.pl == 0 {
		// The U-Net's 2×2/2 pool, without bounds tests.
		for p := 0; p < s.planes; p++ {
			xp := x[p*s.h*s.w : (p+1)*s.h*s.w]
			yp := y[p*s.oh*s.ow : (p+1)*s.oh*s.ow]
			for oy := 0; oy < s.oh; oy++ {
				r0 := xp[2*oy*s.w : 2*oy*s.w+2*s.ow]
				r1 := xp[(2*oy+1)*s.w : (2*oy+1)*s.w+2*s.ow]
				yr := yp[oy*s.ow : (oy+1)*s.ow]
				ox0 := 0
				if s.vec {
					ox0 = maxPool2Vec(r0, r1, yr)
				}
				for ox := ox0; ox < len(yr); ox++ {
					m := max(r0[2*ox], r0[2*ox+1])
					yr[ox] = max(m, r1[2*ox], r1[2*ox+1])
				}
			}
		}
		return
	}
	for p := 0; p < s.planes; p++ {
		xp := x[p*s.h*s.w : (p+1)*s.h*s.w]
		yp := y[p*s.oh*s.ow : (p+1)*s.oh*s.ow]
		for oy := 0; oy < s.oh; oy++ {
			for ox := 0; ox < s.ow; ox++ {
				m := float32(math.Inf(-1))
				for ky := 0; ky < s.kh; ky++ {
					iy := oy*s.sh - s.pt + ky*s.dh
					if iy < 0 || iy >= s.h {
						continue
					}
					for kx := 0; kx < s.kw; kx++ {
						ix := ox*s.sw - s.pl + kx*s.dw
						if ix < 0 || ix >= s.w {
							continue
						}
						if v := xp[iy*s.w+ix]; v > m || v != v {
							m = v
						}
					}
				}
				yp[oy*s.ow+ox] = m
			}
		}
	}
}

type gapStep struct{ in, out, planes, size int }

func (s *gapStep) bind(f func(int) int) { s.in, s.out = f(s.in), f(s.out) }
func (s *gapStep) run(r *Runner) {
	x, y := r.bufs[s.in], r.bufs[s.out]
	for p := 0; p < s.planes; p++ {
		var t float64
		for _, v := range x[p*s.size : (p+1)*s.size] {
			t += float64(v)
		}
		y[p] = float32(t / float64(s.size))
	}
}

type softmaxStep struct{ in, out, rows, cols int }

func (s *softmaxStep) bind(f func(int) int) { s.in, s.out = f(s.in), f(s.out) }
func (s *softmaxStep) run(r *Runner) {
	x, y := r.bufs[s.in], r.bufs[s.out]
	for i := 0; i < s.rows; i++ {
		xr, yr := x[i*s.cols:(i+1)*s.cols], y[i*s.cols:(i+1)*s.cols]
		m := float32(math.Inf(-1))
		for _, v := range xr {
			m = max(m, v)
		}
		var t float64
		for j, v := range xr {
			e := exp(float64(v - m))
			yr[j] = float32(e)
			t += e
		}
		for j := range yr {
			yr[j] = float32(float64(yr[j]) / t)
		}
	}
}

// affineStep is y = x·scale[c] + shift[c] over channel c (inference BatchNorm).
type affineStep struct {
	in, out, n, ch, size int
	scale, shift         []float32
}

func (s *affineStep) bind(f func(int) int) { s.in, s.out = f(s.in), f(s.out) }
func (s *affineStep) run(r *Runner) {
	x, y := r.bufs[s.in], r.bufs[s.out]
	for b := 0; b < s.n; b++ {
		for c := 0; c < s.ch; c++ {
			o := (b*s.ch + c) * s.size
			a, d := s.scale[c], s.shift[c]
			yr := y[o : o+s.size]
			for j, v := range x[o : o+s.size] {
				yr[j] = v*a + d
			}
		}
	}
}

type binaryStep struct {
	op            string
	a, b, out     int
	shape, sa, sb []int
}

func (s *binaryStep) bind(f func(int) int) { s.a, s.b, s.out = f(s.a), f(s.b), f(s.out) }
func (s *binaryStep) run(r *Runner) {
	a, b, y := r.bufs[s.a], r.bufs[s.b], r.bufs[s.out][:prod(s.shape)]
	idx := make([]int, len(s.shape))
	ia, ib := 0, 0
	for o := range y {
		u, v := a[ia], b[ib]
		switch s.op {
		case "Add":
			y[o] = u + v
		case "Sub":
			y[o] = u - v
		case "Mul":
			y[o] = u * v
		default:
			y[o] = u / v
		}
		for d := len(s.shape) - 1; d >= 0; d-- {
			idx[d]++
			ia += s.sa[d]
			ib += s.sb[d]
			if idx[d] < s.shape[d] {
				break
			}
			ia -= idx[d] * s.sa[d]
			ib -= idx[d] * s.sb[d]
			idx[d] = 0
		}
	}
}
