// Package edt computes exact Euclidean distance transforms in linear time:
// Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions"
// (Theory of Computing 8, 2012), one 1-D lower-envelope pass per column and
// then per row. Morphology with large discs (core/imaging/modelio), surface
// distances (core/study/eval) and phantom geometry (core/study/phantom) all use it.
package edt

import "math"

// Far marks a pixel that is not a feature. Finite, so that the parabola
// arithmetic stays free of Inf−Inf; far above any squared distance on an
// image (even 10⁵ px at 10 mm per pixel gives 10¹⁴).
const Far = 1e20

// Squared replaces f (w×h, row-major; 0 at features, Far elsewhere) by the
// squared Euclidean distance to the nearest feature, for pixels sx wide and
// sy tall. With no feature at all, every value stays ≥ Far.
func Squared(f []float64, w, h int, sx, sy float64) {
	squared(f, w, h, sx, sy, isBinary(f[:w*h]))
}

func isBinary(f []float64) bool {
	for _, v := range f {
		if v != 0 && v != Far {
			return false
		}
	}
	return true
}

// squared is Squared; binary says every value of f is 0 or Far.
func squared(f []float64, w, h int, sx, sy float64, binary bool) {
	n := max(w, h)
	buf := make([]float64, n)
	v := make([]int, n)
	z := make([]float64, n+1)
	col := make([]float64, n)
	// Columns, then rows.
	var skip []bool
	if binary {
		skip = nearestInColumns(f, w, h, sy*sy)
	}
	for x := 0; x < w; x++ {
		if skip != nil && skip[x] {
			continue
		}
		for y := 0; y < h; y++ {
			buf[y] = f[y*w+x]
		}
		line(buf[:h], col[:h], v, z, sy*sy)
		for y := 0; y < h; y++ {
			f[y*w+x] = col[y]
		}
	}
	for y := 0; y < h; y++ {
		row := f[y*w : (y+1)*w]
		copy(buf, row)
		line(buf[:w], row, v, z, sx*sx)
	}
}

// nearestInColumns does the column pass of a 0/Far input by two sweeps
// down and up the rows: in a column with a feature, the lower envelope of
// the parabolas is the nearest feature's, so each value is s2·(p−q)² for the
// nearest feature q, the very value line computes. Columns without a
// feature are left to line (they get values above Far, not Far itself);
// skip marks the columns done here.
func nearestInColumns(f []float64, w, h int, s2 float64) (skip []bool) {
	last := make([]int, w) // row of the nearest feature above, -1 when none yet
	for x := range last {
		last[x] = -1
	}
	for y := 0; y < h; y++ {
		row := f[y*w : (y+1)*w]
		for x, d := range row {
			if d == 0 {
				last[x] = y
			} else if q := last[x]; q >= 0 {
				row[x] = s2 * float64((y-q)*(y-q))
			}
		}
	}
	skip = make([]bool, w)
	next := last // row of the nearest feature below
	for x := range next {
		skip[x] = next[x] >= 0
		next[x] = -1
	}
	for y := h - 1; y >= 0; y-- {
		row := f[y*w : (y+1)*w]
		for x, d := range row {
			if d == 0 {
				next[x] = y
			} else if q := next[x]; q >= 0 {
				row[x] = min(d, s2*float64((q-y)*(q-y)))
			}
		}
	}
	return skip
}

// ToNearest returns the squared distance in pixels from every pixel to the
// nearest one where feature(i) is true (≥ Far when there is none).
func ToNearest(w, h int, feature func(i int) bool) []float64 {
	f := make([]float64, w*h)
	for i := range f {
		if !feature(i) {
			f[i] = Far
		}
	}
	Squared(f, w, h, 1, 1)
	return f
}

// ToMask is ToNearest for a row-major w×h mask: the squared distance in
// pixels to the nearest pixel where m[i] == feature. It writes into dst when
// dst holds at least w·h values, so that a chain of morphology steps reuses
// one buffer, and returns the w·h result.
func ToMask(dst []float64, m []bool, w, h int, feature bool) []float64 {
	if cap(dst) < w*h {
		dst = make([]float64, w*h)
	}
	dst = dst[:w*h]
	for i, v := range m[:w*h] {
		if v == feature {
			dst[i] = 0
		} else {
			dst[i] = Far
		}
	}
	squared(dst, w, h, 1, 1, true)
	return dst
}

// line computes d(p) = min_q f(q) + s2·(p−q)² by the lower envelope of
// parabolas. v and z are scratch of length ≥ len(f) and len(f)+1.
func line(f, d []float64, v []int, z []float64, s2 float64) {
	n := len(f)
	if n == 0 {
		return
	}
	k := 0
	v[0] = 0
	z[0] = math.Inf(-1)
	z[1] = math.Inf(1)
	for q := 1; q < n; q++ {
		// Intersection of parabola q with the envelope's last one; z[0] is
		// −Inf, so the loop stops at k = 0 at the latest.
		s := intersect(f, v[k], q, s2)
		for s <= z[k] {
			k--
			s = intersect(f, v[k], q, s2)
		}
		k++
		v[k] = q
		z[k] = s
		z[k+1] = math.Inf(1)
	}
	k = 0
	for p := 0; p < n; p++ {
		for z[k+1] < float64(p) {
			k++
		}
		q := v[k]
		d[p] = s2*float64((p-q)*(p-q)) + f[q]
	}
}

func intersect(f []float64, p, q int, s2 float64) float64 {
	return ((f[q] + s2*float64(q*q)) - (f[p] + s2*float64(p*p))) / (2 * s2 * float64(q-p))
}
