package realism

import (
	"fmt"
	"math"
	"sort"
)

// PatchSize is the side of the classifier's patches, model pixels.
const PatchSize = 24

// patchFeatures are the texture features of one patch: grey mean, SD,
// skewness, 10th/50th/90th percentiles, lag-1 and lag-3 correlations
// across and along the beam, mean gradient and edge share.
func patchFeatures(v View, x0, y0 int) []float64 {
	n := PatchSize * PatchSize
	vals := make([]float64, 0, n)
	var s float64
	for y := y0; y < y0+PatchSize; y++ {
		for x := x0; x < x0+PatchSize; x++ {
			g := float64(v.Grey[y*ViewW+x])
			vals = append(vals, g)
			s += g
		}
	}
	m := s / float64(n)
	var m2, m3 float64
	for _, g := range vals {
		d := g - m
		m2 += d * d
		m3 += d * d * d
	}
	m2 /= float64(n)
	m3 /= float64(n)
	sd := math.Sqrt(m2)
	skew := 0.0
	if sd > 1e-9 {
		skew = m3 / (sd * sd * sd)
	}
	corr := func(dx, dy int) float64 {
		var c, a float64
		for y := 0; y+dy < PatchSize; y++ {
			for x := 0; x+dx < PatchSize; x++ {
				p, q := vals[y*PatchSize+x]-m, vals[(y+dy)*PatchSize+x+dx]-m
				c += p * q
				a += p * p
			}
		}
		if a == 0 {
			return 0
		}
		return c / a
	}
	var gsum, edges float64
	cnt := 0.0
	for y := y0 + 1; y < y0+PatchSize-1; y++ {
		for x := x0 + 1; x < x0+PatchSize-1; x++ {
			gr := gradient(v.Grey, x, y)
			gsum += gr
			if gr > edgeGrey {
				edges++
			}
			cnt++
		}
	}
	sorted := append([]float64(nil), vals...)
	sort.Float64s(sorted)
	q := func(p float64) float64 { return sorted[int(p*float64(n-1))] }
	return []float64{m, sd, skew, q(0.1), q(0.5), q(0.9), corr(1, 0), corr(0, 1), corr(3, 0), corr(0, 3), gsum / cnt, edges / cnt}
}

// Patches returns the features of up to maxN non-overlapping patches lying
// wholly inside v's field, spread evenly over the candidates.
func Patches(v View, maxN int) [][]float64 {
	type pt struct{ x, y int }
	var cand []pt
	for y := 0; y+PatchSize <= ViewH; y += PatchSize {
		for x := 0; x+PatchSize <= ViewW; x += PatchSize {
			ok := true
			for yy := y; yy < y+PatchSize && ok; yy++ {
				for xx := x; xx < x+PatchSize; xx++ {
					if !v.Valid[yy*ViewW+xx] {
						ok = false
						break
					}
				}
			}
			if ok {
				cand = append(cand, pt{x, y})
			}
		}
	}
	var out [][]float64
	for i := 0; i < min(maxN, len(cand)); i++ {
		c := cand[i*len(cand)/min(maxN, len(cand))]
		out = append(out, patchFeatures(v, c.x, c.y))
	}
	return out
}

// ClassifierAccuracy trains a logistic regression to tell patches of set a
// (label 1) from patches of set b (label 0) and returns its balanced
// accuracy under k-fold cross-validation by image (no image's patches are
// in both the training and the test folds). a and b hold one feature list
// per image. 0.5 means the sets are indistinguishable to this classifier.
func ClassifierAccuracy(a, b [][][]float64, folds int) (float64, error) {
	if folds < 2 || len(a) < folds || len(b) < folds {
		return 0, fmt.Errorf("realism: %d and %d images for %d folds", len(a), len(b), folds)
	}
	type sample struct {
		x    []float64
		y    float64
		fold int
	}
	var all []sample
	for i, img := range a {
		for _, x := range img {
			all = append(all, sample{x, 1, i % folds})
		}
	}
	for i, img := range b {
		for _, x := range img {
			all = append(all, sample{x, 0, i % folds})
		}
	}
	var right, total [2]float64
	for f := 0; f < folds; f++ {
		var xs [][]float64
		var ys []float64
		for _, s := range all {
			if s.fold != f {
				xs, ys = append(xs, s.x), append(ys, s.y)
			}
		}
		model, err := fitLogistic(xs, ys)
		if err != nil {
			return 0, err
		}
		for _, s := range all {
			if s.fold == f {
				c := int(s.y)
				total[c]++
				if (model.prob(s.x) >= 0.5) == (c == 1) {
					right[c]++
				}
			}
		}
	}
	if total[0] == 0 || total[1] == 0 {
		return 0, fmt.Errorf("realism: a set has no patches")
	}
	return (right[0]/total[0] + right[1]/total[1]) / 2, nil
}

type logistic struct {
	mu, sd, w []float64
	b         float64
}

func (m *logistic) prob(x []float64) float64 {
	z := m.b
	for j, v := range x {
		z += m.w[j] * (v - m.mu[j]) / m.sd[j]
	}
	return 1 / (1 + math.Exp(-z))
}

// fitLogistic fits standardised features with class-balanced weights and a
// small L2 penalty by gradient descent.
func fitLogistic(xs [][]float64, ys []float64) (*logistic, error) {
	if len(xs) == 0 {
		return nil, fmt.Errorf("realism: no training patches")
	}
	d := len(xs[0])
	m := &logistic{mu: make([]float64, d), sd: make([]float64, d), w: make([]float64, d)}
	for _, x := range xs {
		for j, v := range x {
			m.mu[j] += v / float64(len(xs))
		}
	}
	for _, x := range xs {
		for j, v := range x {
			m.sd[j] += (v - m.mu[j]) * (v - m.mu[j]) / float64(len(xs))
		}
	}
	for j := range m.sd {
		m.sd[j] = math.Max(math.Sqrt(m.sd[j]), 1e-9)
	}
	var pos float64
	for _, y := range ys {
		pos += y
	}
	if pos == 0 || pos == float64(len(ys)) {
		return nil, fmt.Errorf("realism: training folds hold one class only")
	}
	wPos, wNeg := float64(len(ys))/(2*pos), float64(len(ys))/(2*(float64(len(ys))-pos))
	const lambda, rate, iters = 1e-3, 0.5, 400
	gw := make([]float64, d)
	for it := 0; it < iters; it++ {
		clear(gw)
		gb := 0.0
		for i, x := range xs {
			e := m.prob(x) - ys[i]
			if ys[i] == 1 {
				e *= wPos
			} else {
				e *= wNeg
			}
			for j, v := range x {
				gw[j] += e * (v - m.mu[j]) / m.sd[j]
			}
			gb += e
		}
		n := float64(len(xs))
		for j := range m.w {
			m.w[j] -= rate * (gw[j]/n + lambda*m.w[j])
		}
		m.b -= rate * gb / n
	}
	return m, nil
}
