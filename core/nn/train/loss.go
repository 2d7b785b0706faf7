package train

import "math"

// diceBCE is models/train's loss for one image: mean BCE on the logits plus
// 1 − soft Dice (smoothing 1). It writes dL/dlogits into dz.
func diceBCE(z, p, y, dz []float32) float64 {
	n := float64(len(z))
	var bce, inter, den float64
	for i, zv := range z {
		t := float64(y[i])
		x := float64(zv)
		bce += math.Max(x, 0) - x*t + math.Log1p(math.Exp(-math.Abs(x)))
		inter += float64(p[i]) * t
		den += float64(p[i]) + t
	}
	dice := (2*inter + 1) / (den + 1)
	c := 2*inter + 1
	d2 := (den + 1) * (den + 1)
	for i := range z {
		t, pv := float64(y[i]), float64(p[i])
		dp := -(2*t*(den+1) - c) / d2 // d(1−Dice)/dp
		dz[i] = float32((pv-t)/n + dp*pv*(1-pv))
	}
	return bce/n + 1 - dice
}

// hardDice is the Dice of p ≥ thr against the mask; 1 when both are empty.
func hardDice(p []float32, y []float32, thr float32) float64 {
	var inter, a, b int
	for i, v := range p {
		pv := v >= thr
		yv := y[i] > 0.5
		if pv {
			a++
		}
		if yv {
			b++
		}
		if pv && yv {
			inter++
		}
	}
	if a+b == 0 {
		return 1
	}
	return 2 * float64(inter) / float64(a+b)
}
