package stats

import (
	"errors"
	"math"
	"testing"
)

// The expected values below come from published worked examples, each
// re-derived independently with numpy (numerical integration of the t and F
// densities, no statistics library); the script is quoted in the report of
// issue 6.

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.6g, want %.6g (±%g)", name, got, want, tol)
	}
}

func TestMeanSD(t *testing.T) {
	tests := []struct {
		x        []float64
		mean, sd float64
	}{
		{[]float64{2, 4, 4, 4, 5, 5, 7, 9}, 5, math.Sqrt(32.0 / 7)},
		{[]float64{1, 2}, 1.5, math.Sqrt(0.5)},
		{[]float64{3, 3, 3}, 3, 0},
	}
	for _, tc := range tests {
		m, err := Mean(tc.x)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "mean", m, tc.mean, 1e-12)
		sd, err := SD(tc.x)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "sd", sd, tc.sd, 1e-12)
	}
	if _, err := Mean(nil); !errors.Is(err, ErrNotComputable) {
		t.Errorf("Mean(nil) err = %v, want ErrNotComputable", err)
	}
	if _, err := SD([]float64{1}); !errors.Is(err, ErrNotComputable) {
		t.Errorf("SD of one value err = %v, want ErrNotComputable", err)
	}
	s := Summarize([]float64{1, math.NaN(), 3})
	if s.N != 2 || s.Mean != 2 {
		t.Errorf("Summarize skipping NaN = %+v, want N 2 mean 2", s)
	}
	near(t, "summary sd", s.SD, math.Sqrt2, 1e-12)
}

func TestPearson(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		r, p float64
	}{
		// Anscombe (1973), data set I: r = 0.816, p = 0.00217.
		{"anscombe I",
			[]float64{10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5},
			[]float64{8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68},
			0.81642051634484, 0.0021696288730787845},
		// Hand-checked: Sxy = 6, Sxx = 10, Syy = 6, r = sqrt(0.6); t = 2.1213, df 3.
		{"five points", []float64{1, 2, 3, 4, 5}, []float64{2, 4, 5, 4, 5},
			math.Sqrt(0.6), 0.12402706265755466},
		// Negative correlation: mirror y, same |r| and p.
		{"negative", []float64{1, 2, 3, 4, 5}, []float64{-2, -4, -5, -4, -5},
			-math.Sqrt(0.6), 0.12402706265755466},
		{"perfect", []float64{1, 2, 3}, []float64{2, 4, 6}, 1, 0},
	}
	for _, tc := range tests {
		c, err := Pearson(tc.x, tc.y)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		near(t, tc.name+" r", c.R, tc.r, 1e-9)
		near(t, tc.name+" p", c.P, tc.p, 1e-6)
		if c.N != len(tc.x) {
			t.Errorf("%s: N = %d", tc.name, c.N)
		}
	}
}

func TestPearsonNotComputable(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
	}{
		{"two pairs", []float64{1, 2}, []float64{1, 2}},
		{"constant x", []float64{1, 1, 1, 1}, []float64{1, 2, 3, 4}},
		{"NaN", []float64{1, 2, math.NaN()}, []float64{1, 2, 3}},
	}
	for _, tc := range tests {
		if _, err := Pearson(tc.x, tc.y); !errors.Is(err, ErrNotComputable) {
			t.Errorf("%s: err = %v, want ErrNotComputable", tc.name, err)
		}
	}
	if _, err := Pearson([]float64{1, 2, 3}, []float64{1, 2}); err == nil || errors.Is(err, ErrNotComputable) {
		t.Errorf("length mismatch err = %v, want a usage error", err)
	}
}

func TestBlandAltman(t *testing.T) {
	// Bland & Altman (1986, Lancet), peak expiratory flow: first readings of
	// the large Wright meter against the mini Wright meter, 17 subjects.
	// Published: mean difference −2.1 l/min, SD 38.8 l/min.
	wright := []float64{494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427}
	mini := []float64{512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451}
	a, err := BlandAltman(wright, mini)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "bias", a.Bias, -2.1, 0.05)
	near(t, "sd", a.SD, 38.8, 0.05)
	near(t, "bias exact", a.Bias, -36.0/17, 1e-12)
	near(t, "lower", a.Lower, -78.097301611094, 1e-9)
	near(t, "upper", a.Upper, 73.86200749344692, 1e-9)

	// Hand-checked: differences 1, 2, 3 → bias 2, SD 1, LoA 2 ± 1.96.
	h, err := BlandAltman([]float64{11, 22, 33}, []float64{10, 20, 30})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "hand bias", h.Bias, 2, 1e-12)
	near(t, "hand sd", h.SD, 1, 1e-12)
	near(t, "hand lower", h.Lower, 0.04, 1e-12)
	near(t, "hand upper", h.Upper, 3.96, 1e-12)

	if _, err := BlandAltman([]float64{1, 2}, []float64{1, 2}); !errors.Is(err, ErrNotComputable) {
		t.Errorf("two pairs err = %v, want ErrNotComputable", err)
	}
}

func TestICCA1ShroutFleiss(t *testing.T) {
	// Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
	// Published ICC(2,1) = .29; the 95 % interval (0.019, 0.76) matches the
	// one R's psych::ICC prints for these data and our numpy re-derivation.
	data := [][]float64{
		{9, 2, 5, 8},
		{6, 1, 3, 2},
		{8, 4, 6, 8},
		{7, 1, 2, 6},
		{10, 5, 6, 9},
		{6, 2, 4, 7},
	}
	icc, err := ICCA1(data)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "ICC published", icc.Value, 0.29, 0.005)
	near(t, "ICC", icc.Value, 0.2897637795275591, 1e-12)
	// Mean squares of Shrout & Fleiss Table 3: BMS 11.24, JMS 32.49, EMS 1.02.
	near(t, "MSR", icc.MSR, 11.241666666666669, 1e-9)
	near(t, "MSC", icc.MSC, 32.486111111111114, 1e-9)
	near(t, "MSE", icc.MSE, 1.0194444444444444, 1e-9)
	near(t, "low", icc.Low, 0.018786513374710257, 1e-4)
	near(t, "high", icc.High, 0.7610843696489588, 1e-4)
	if icc.N != 6 || icc.K != 4 {
		t.Errorf("N, K = %d, %d", icc.N, icc.K)
	}
}

func TestICCA1Agreement(t *testing.T) {
	// Two raters, the second always exactly 10 higher: consistency is perfect
	// but absolute agreement is not; ICC(A,1) must fall well below 1.
	var shifted, same [][]float64
	for i := 0; i < 8; i++ {
		v := float64(i * 3)
		shifted = append(shifted, []float64{v, v + 10})
		same = append(same, []float64{v, v})
	}
	s, err := ICCA1(shifted)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: row means 3i+5 (i = 0..7), SSR = 2·9·Σ(i−3.5)² = 756, MSR = 108;
	// column means 10.5 and 20.5, SSC = 8·(25+25) = 400 = MSC; MSE = 0:
	// ICC = 108/(108 + 0 + 2/8·400) = 108/208.
	near(t, "shifted ICC", s.Value, 108.0/208, 1e-12)
	if !(s.Low < s.Value && s.Value < s.High) {
		t.Errorf("interval (%g, %g) does not hold %g", s.Low, s.High, s.Value)
	}
	p, err := ICCA1(same)
	if err != nil {
		t.Fatal(err)
	}
	if p.Value != 1 || p.Low != 1 || p.High != 1 {
		t.Errorf("identical raters: %+v, want 1 [1, 1]", p)
	}
	constant := [][]float64{{5, 5}, {5, 5}, {5, 5}}
	if _, err := ICCA1(constant); !errors.Is(err, ErrNotComputable) {
		t.Errorf("constant ratings err = %v, want ErrNotComputable", err)
	}
	if _, err := ICCA1([][]float64{{1, 2}, {3, 4}}); !errors.Is(err, ErrNotComputable) {
		t.Errorf("two targets err = %v, want ErrNotComputable", err)
	}
	if _, err := ICCA1([][]float64{{1, 2}, {3, 4}, {5}}); err == nil {
		t.Error("ragged rows accepted")
	}
}

func TestKappa(t *testing.T) {
	tests := []struct {
		name   string
		c      Confusion
		po, k  float64
		refuse bool
	}{
		// Wikipedia's worked example ("Cohen's kappa"): 50 proposals,
		// 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no: po 0.7, pe 0.5, κ 0.4.
		{"wikipedia", Confusion{TT: 20, TF: 5, FT: 10, FF: 15}, 0.7, 0.4, false},
		// Cohen (1960)-style hand check: po = 0.85, pe = 0.4·0.45+0.6·0.55 = 0.51.
		{"hand", Confusion{TT: 35, TF: 5, FT: 10, FF: 50}, 0.85, (0.85 - 0.51) / 0.49, false},
		{"perfect", Confusion{TT: 3, FF: 7}, 1, 1, false},
		{"all negative", Confusion{FF: 12}, 1, 0, true},
	}
	for _, tc := range tests {
		po, err := tc.c.Agreement()
		if err != nil {
			t.Fatal(err)
		}
		near(t, tc.name+" po", po, tc.po, 1e-12)
		k, err := Kappa(tc.c)
		if tc.refuse {
			if !errors.Is(err, ErrNotComputable) {
				t.Errorf("%s: err = %v, want ErrNotComputable", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		near(t, tc.name+" kappa", k, tc.k, 1e-12)
	}
}

func TestConfuse(t *testing.T) {
	a := []bool{true, true, false, false, true}
	b := []bool{true, false, true, false, true}
	c, err := Confuse(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if c != (Confusion{TT: 2, TF: 1, FT: 1, FF: 1}) {
		t.Errorf("Confuse = %+v", c)
	}
	if _, err := Confuse(a, b[:2]); err == nil {
		t.Error("length mismatch accepted")
	}
}
