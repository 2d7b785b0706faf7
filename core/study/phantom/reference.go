package phantom

import "math"

// expectedEI is the normal echo intensity and its prediction SD for a
// subject, from the Radboudumc linear models transcribed in
// shared/reference/echo-intensity-reference.json (Esaote, fixed muscle
// preset): EI_hat = coefficients·x, SD = sqrt(x'·coeff_cov·x + mse).
// Kept private here so phantoms do not depend on core/clinical/zscore.
func expectedEI(muscle string, s Subject) (mean, sd float64) {
	age := float64(s.Age)
	male := 0.0
	if s.Sex == "M" {
		male = 1
	}
	var x, b []float64
	var cov [][]float64
	var mse float64
	switch muscle {
	case "BB": // terms Intercept, Age, Weight, Age^2
		x = []float64{1, age, s.WeightKg, age * age}
		b = []float64{53.159884576842742, 0.066149812211101416, 0.087741223140804042, 0.0025047900746030822}
		cov = [][]float64{
			{4.2482237277042874, -0.068757114541559736, -0.044298793355570576, 0.00081282812835382077},
			{-0.068757114541559736, 0.019386634598539381, -0.0044990474048780035, -0.00019650873330553784},
			{-0.044298793355570576, -0.0044990474048780035, 0.0021505826942933644, 4.0124231481371795e-5},
			{0.00081282812835382077, -0.00019650873330553784, 4.0124231481371795e-5, 2.09997978406186e-6},
		}
		mse = 49.569248428791312
	case "TA": // terms Intercept, Sex_Male, Age
		x = []float64{1, male, age}
		b = []float64{63.601269249536138, -6.4645668443179538, 0.35272171724456558}
		cov = [][]float64{
			{4.5264189099986885, -1.7870737744417446, -0.067504202415608658},
			{-1.7870737744417446, 3.5520089966049722, -0.00021931986204229878},
			{-0.067504202415608658, -0.00021931986204229878, 0.0016688741760899225},
		}
		mse = 79.021581400424068
	default: // "GM", gastrocnemius medial head: Intercept, Sex_Male, Age, Height
		x = []float64{1, male, age, float64(s.HeightCm)}
		b = []float64{78.678693615468973, -4.3735448664086745, 0.32507746691462697, -0.13369387312606573}
		cov = [][]float64{
			{51.214635287578218, 1.6786881151297317, 0.10129167369055755, -0.33193438326724578},
			{1.6786881151297317, 3.1056490473009593, 0.011923191361754763, -0.022701904925149348},
			{0.10129167369055755, 0.011923191361754763, 0.0018865264109274138, -0.0010806525306709714},
			{-0.33193438326724578, -0.022701904925149348, -0.0010806525306709714, 0.002314550000102238},
		}
		mse = 61.024508442661443
	}
	q := mse
	for r := range x {
		mean += b[r] * x[r]
		for c := range x {
			q += x[r] * cov[r][c] * x[c]
		}
	}
	return mean, math.Sqrt(q)
}
