package executor

import "math"

// exp is e^x for the activations. It is pure Go on purpose: with
// GOEXPERIMENT=simd, math.Exp's assembly runs about 90× slower once AVX
// registers are in use (measured: 61 440 sigmoids took 68 ms instead of
// 0.8 ms), which made the U-Net's final sigmoid cost more than its convs.
// Range reduction x = k·ln2 + r, |r| ≤ ln2/2, then a degree-11 Taylor
// polynomial: relative error below 1e-15, far under float32's 6e-8.
func exp(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > 709.78:
		return math.Inf(1)
	case x < -745.1:
		return 0
	}
	const ln2Hi, ln2Lo = 6.93147180369123816490e-01, 1.90821492927058770002e-10
	k := math.Floor(x*math.Log2E + 0.5)
	r := (x - k*ln2Hi) - k*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040+r*(1.0/40320+r*(1.0/362880+r*(1.0/3628800+r*(1.0/39916800)))))))))))
	return math.Ldexp(p, int(k))
}

func sigmoid32(x float32) float32 {
	return float32(1 / (1 + exp(-float64(x))))
}

func tanh32(x float32) float32 {
	if x > 20 {
		return 1
	}
	if x < -20 {
		return -1
	}
	if x > -0.01 && x < 0.01 { // (e−1)/(e+1) loses digits near 0
		y := float64(x)
		return float32(y - y*y*y/3 + 2*y*y*y*y*y/15)
	}
	e := exp(2 * float64(x))
	return float32((e - 1) / (e + 1))
}
