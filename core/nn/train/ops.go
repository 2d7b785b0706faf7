package train

import (
	"runtime"
	"sync"
)

// parallel runs f(lo, hi) over [0, n) in up to GOMAXPROCS chunks of
// multiples of step (one chunk where the runtime has one thread: wasm).
func parallel(n, step int, f func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	chunks := (n + step - 1) / step
	if w <= 1 || chunks < 2 {
		f(0, n)
		return
	}
	w = min(w, chunks)
	per := (chunks + w - 1) / w * step
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// im2col writes the k×k patches of x (c×h×w, zero padded by pad) as rows
// (c·k·k) of h·w columns.
func im2col(col, x []float32, c, h, w, k, pad int) {
	hw := h * w
	parallel(c, 1, func(lo, hi int) {
		for ci := lo; ci < hi; ci++ {
			xp := x[ci*hw : (ci+1)*hw]
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					row := col[((ci*k+ky)*k+kx)*hw : ((ci*k+ky)*k+kx+1)*hw]
					dx := kx - pad
					for oy := 0; oy < h; oy++ {
						iy := oy + ky - pad
						r := row[oy*w : (oy+1)*w]
						if iy < 0 || iy >= h {
							clear(r)
							continue
						}
						src := xp[iy*w : (iy+1)*w]
						lo, hi := max(0, -dx), min(w, w-dx)
						clear(r[:lo])
						copy(r[lo:hi], src[lo+dx:hi+dx])
						clear(r[hi:])
					}
				}
			}
		}
	})
}

// col2imAdd adds the patch gradients dcol back onto dx (the adjoint of im2col).
func col2imAdd(dx, dcol []float32, c, h, w, k, pad int) {
	hw := h * w
	parallel(c, 1, func(lo, hi int) {
		for ci := lo; ci < hi; ci++ {
			xp := dx[ci*hw : (ci+1)*hw]
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					row := dcol[((ci*k+ky)*k+kx)*hw : ((ci*k+ky)*k+kx+1)*hw]
					dxo := kx - pad
					for oy := 0; oy < h; oy++ {
						iy := oy + ky - pad
						if iy < 0 || iy >= h {
							continue
						}
						dst := xp[iy*w : (iy+1)*w]
						r := row[oy*w : (oy+1)*w]
						lo, hi := max(0, -dxo), min(w, w-dxo)
						d := dst[lo+dxo : hi+dxo]
						for i, v := range r[lo:hi] {
							d[i] += v
						}
					}
				}
			}
		}
	})
}

// tile is the column block the GEMMs work on: four output rows of it stay
// in L1 while every input row passes (bit-identical to the untiled order:
// each output still sums over the input rows in order).
const tile = 1024

// gemmBias sets y (o×n) = b + wt (o×m) · col (m×n), four output rows per
// pass over a column row.
func gemmBias(y, wt, b, col []float32, o, m, n int) {
	parallel(o, 4, func(lo, hi int) {
		for p0 := 0; p0 < n; p0 += tile {
			p1 := min(p0+tile, n)
			r := lo
			for ; r+4 <= hi; r += 4 {
				y0, y1, y2, y3 := y[r*n+p0:r*n+p1], y[(r+1)*n+p0:(r+1)*n+p1], y[(r+2)*n+p0:(r+2)*n+p1], y[(r+3)*n+p0:(r+3)*n+p1]
				fill(y0, b[r])
				fill(y1, b[r+1])
				fill(y2, b[r+2])
				fill(y3, b[r+3])
				for j := 0; j < m; j++ {
					axpy4(y0, y1, y2, y3, col[j*n+p0:j*n+p1], wt[r*m+j], wt[(r+1)*m+j], wt[(r+2)*m+j], wt[(r+3)*m+j])
				}
			}
			for ; r < hi; r++ {
				yr := y[r*n+p0 : r*n+p1]
				fill(yr, b[r])
				for j := 0; j < m; j++ {
					wv := wt[r*m+j]
					c := col[j*n+p0 : j*n+p1]
					yr := yr[:len(c)]
					for p, v := range c {
						yr[p] += wv * v
					}
				}
			}
		}
	})
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

// gradWeights adds dW (o×m) += dy (o×n) · colᵀ and db += row sums of dy,
// a column tile at a time.
func gradWeights(dw, db, dy, col []float32, o, m, n int) {
	parallel(m, 1, func(lo, hi int) {
		for p0 := 0; p0 < n; p0 += tile {
			p1 := min(p0+tile, n)
			for j := lo; j < hi; j++ {
				c := col[j*n+p0 : j*n+p1]
				r := 0
				for ; r+4 <= o; r += 4 {
					d0, d1, d2, d3 := dy[r*n+p0:r*n+p1], dy[(r+1)*n+p0:(r+1)*n+p1], dy[(r+2)*n+p0:(r+2)*n+p1], dy[(r+3)*n+p0:(r+3)*n+p1]
					s0, s1, s2, s3 := dot4(d0, d1, d2, d3, c)
					dw[r*m+j] += s0
					dw[(r+1)*m+j] += s1
					dw[(r+2)*m+j] += s2
					dw[(r+3)*m+j] += s3
				}
				for ; r < o; r++ {
					d := dy[r*n+p0 : r*n+p1]
					d = d[:len(c)]
					var s float32
					for p, v := range c {
						s += d[p] * v
					}
					dw[r*m+j] += s
				}
			}
		}
	})
	for r := 0; r < o; r++ {
		var s float32
		for _, v := range dy[r*n : (r+1)*n] {
			s += v
		}
		db[r] += s
	}
}

// gradCols sets dcol (m×n) = wtᵀ · dy (o×n).
func gradCols(dcol, wt, dy []float32, o, m, n int) {
	parallel(m, 1, func(lo, hi int) {
		for p0 := 0; p0 < n; p0 += tile {
			p1 := min(p0+tile, n)
			for j := lo; j < hi; j++ {
				dc := dcol[j*n+p0 : j*n+p1]
				clear(dc)
				r := 0
				for ; r+4 <= o; r += 4 {
					w0, w1, w2, w3 := wt[r*m+j], wt[(r+1)*m+j], wt[(r+2)*m+j], wt[(r+3)*m+j]
					d0, d1, d2, d3 := dy[r*n+p0:r*n+p1], dy[(r+1)*n+p0:(r+1)*n+p1], dy[(r+2)*n+p0:(r+2)*n+p1], dy[(r+3)*n+p0:(r+3)*n+p1]
					sum4(dc, d0, d1, d2, d3, w0, w1, w2, w3)
				}
				for ; r < o; r++ {
					wv := wt[r*m+j]
					d := dy[r*n+p0 : r*n+p1]
					d = d[:len(dc)]
					for p := range dc {
						dc[p] += wv * d[p]
					}
				}
			}
		}
	})
}

// maxPool2 is the 2×2 stride-2 max pool of c planes h×w.
func maxPool2(y, x []float32, c, h, w int) {
	oh, ow := h/2, w/2
	for p := 0; p < c; p++ {
		xp, yp := x[p*h*w:(p+1)*h*w], y[p*oh*ow:(p+1)*oh*ow]
		for oy := 0; oy < oh; oy++ {
			r0, r1 := xp[2*oy*w:], xp[(2*oy+1)*w:]
			for ox := 0; ox < ow; ox++ {
				yp[oy*ow+ox] = max(r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1])
			}
		}
	}
}

// maxPool2Back adds dy to the first maximum of each window in dx.
func maxPool2Back(dx, dy, x []float32, c, h, w int) {
	oh, ow := h/2, w/2
	for p := 0; p < c; p++ {
		xp, dxp, dyp := x[p*h*w:(p+1)*h*w], dx[p*h*w:(p+1)*h*w], dy[p*oh*ow:(p+1)*oh*ow]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				i := 2*oy*w + 2*ox
				best := i
				for _, j := range [3]int{i + 1, i + w, i + w + 1} {
					if xp[j] > xp[best] {
						best = j
					}
				}
				dxp[best] += dyp[oy*ow+ox]
			}
		}
	}
}

// transpose permutes the axes of x (shape) into y.
func transpose(y, x []float32, shape, perm []int) {
	st := make([]int, len(shape))
	acc := 1
	for j := len(shape) - 1; j >= 0; j-- {
		st[j] = acc
		acc *= shape[j]
	}
	osh := make([]int, len(perm))
	ist := make([]int, len(perm))
	for i, p := range perm {
		osh[i], ist[i] = shape[p], st[p]
	}
	idx := make([]int, len(perm))
	base := 0
	for o := range y[:prod(shape)] {
		y[o] = x[base]
		for d := len(osh) - 1; d >= 0; d-- {
			idx[d]++
			base += ist[d]
			if idx[d] < osh[d] {
				break
			}
			base -= idx[d] * ist[d]
			idx[d] = 0
		}
	}
}
