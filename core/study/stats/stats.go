// Package stats holds the statistics of the seed paper's analysis: summary
// statistics, Pearson's correlation with its p-value, Bland–Altman agreement,
// the intraclass correlation ICC(A,1) with its confidence interval, and
// Cohen's kappa on a 2×2 confusion matrix.
//
// Every function works on plain slices and returns an error wrapping
// ErrNotComputable, with the reason, when its statistic is undefined for the
// data (too few values, zero variance, non-finite input), so that a report
// can say why instead of printing NaN.
package stats

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// ErrNotComputable is wrapped by every error that says a statistic is
// undefined for the data given.
var ErrNotComputable = errors.New("not computable")

// MinPairs is the fewest pairs the paired statistics (Pearson, Bland–Altman,
// ICC) accept: with fewer, a p-value or an interval means nothing.
const MinPairs = 3

func notComputable(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrNotComputable, fmt.Sprintf(format, a...))
}

func checkFinite(name string, x []float64) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return notComputable("%s[%d] is %g", name, i, v)
		}
	}
	return nil
}

func checkPairs(x, y []float64) error {
	if len(x) != len(y) {
		return fmt.Errorf("stats: %d values against %d: the two series must pair up", len(x), len(y))
	}
	if len(x) < MinPairs {
		return notComputable("%d pair(s) (need at least %d)", len(x), MinPairs)
	}
	if err := checkFinite("x", x); err != nil {
		return err
	}
	return checkFinite("y", y)
}

// Mean is the arithmetic mean; it needs at least one finite value.
func Mean(x []float64) (float64, error) {
	if len(x) == 0 {
		return 0, notComputable("no values")
	}
	if err := checkFinite("x", x); err != nil {
		return 0, err
	}
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x)), nil
}

// SD is the sample standard deviation (denominator n−1); it needs at least
// two values. A constant series has SD 0, which is not an error.
func SD(x []float64) (float64, error) {
	if len(x) < 2 {
		return 0, notComputable("%d value(s) (SD needs at least 2)", len(x))
	}
	m, err := Mean(x)
	if err != nil {
		return 0, err
	}
	var ss float64
	for _, v := range x {
		d := v - m
		ss += d * d
	}
	return math.Sqrt(ss / float64(len(x)-1)), nil
}

// Summary is a series' size, mean and sample SD. SD is NaN when N < 2
// (check N before printing it); Mean is NaN when N == 0.
type Summary struct {
	N        int
	Mean, SD float64
}

// Summarize skips NaN values (a metric that could not be computed for an
// image) and summarises the rest.
func Summarize(x []float64) Summary {
	var kept []float64
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			kept = append(kept, v)
		}
	}
	s := Summary{N: len(kept), Mean: math.NaN(), SD: math.NaN()}
	if m, err := Mean(kept); err == nil {
		s.Mean = m
	}
	if sd, err := SD(kept); err == nil {
		s.SD = sd
	}
	return s
}

// Correlation is Pearson's product-moment correlation of n pairs and its
// two-sided p-value for the null hypothesis r = 0 (t test with n−2 degrees of
// freedom).
type Correlation struct {
	N int
	R float64
	P float64
}

// Pearson computes r and its two-sided p-value. It needs MinPairs pairs and
// non-zero variance in both series.
func Pearson(x, y []float64) (Correlation, error) {
	if err := checkPairs(x, y); err != nil {
		return Correlation{}, err
	}
	mx, _ := Mean(x)
	my, _ := Mean(y)
	var sxx, syy, sxy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		syy += dy * dy
		sxy += dx * dy
	}
	if sxx == 0 || syy == 0 {
		return Correlation{}, notComputable("zero variance (every value of one series is the same)")
	}
	r := sxy / math.Sqrt(sxx*syy)
	r = math.Max(-1, math.Min(1, r)) // rounding can push |r| past 1
	n := len(x)
	c := Correlation{N: n, R: r}
	if math.Abs(r) == 1 {
		c.P = 0
		return c, nil
	}
	df := float64(n - 2)
	t := r * math.Sqrt(df/(1-r*r))
	st := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	// Survival on the far tail rather than 1−CDF keeps small p-values exact.
	c.P = 2 * st.Survival(math.Abs(t))
	return c, nil
}

// Agreement is a Bland–Altman analysis of a − b: the bias (mean difference),
// the SD of the differences and the 95 % limits of agreement
// bias ± 1.96·SD (Bland & Altman 1986).
type Agreement struct {
	N            int
	Bias, SD     float64
	Lower, Upper float64
}

// LoAFactor is the normal quantile used for the 95 % limits of agreement.
const LoAFactor = 1.96

// BlandAltman compares method a with method b (differences a − b). It needs
// MinPairs pairs. Identical series give bias 0 and SD 0, which is reported,
// not refused: perfect agreement is a result.
func BlandAltman(a, b []float64) (Agreement, error) {
	if err := checkPairs(a, b); err != nil {
		return Agreement{}, err
	}
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	bias, _ := Mean(d)
	sd, _ := SD(d)
	return Agreement{N: len(d), Bias: bias, SD: sd, Lower: bias - LoAFactor*sd, Upper: bias + LoAFactor*sd}, nil
}

// ICC is an intraclass correlation with its confidence interval.
type ICC struct {
	N, K      int     // targets (rows) and raters (columns)
	Value     float64 // the point estimate
	Low, High float64 // the 95 % confidence interval
	// The mean squares of the two-way ANOVA, for checking and reporting.
	MSR, MSC, MSE float64
}

// ICCA1 is McGraw & Wong's (1996) ICC(A,1): two-way model, absolute
// agreement, single measures — numerically Shrout & Fleiss's (1979) ICC(2,1).
// rows[i][j] is target i's rating by rater j; every row must have the same
// number K ≥ 2 of ratings and there must be at least MinPairs rows. The 95 %
// interval uses McGraw & Wong's F-based formulas with Satterthwaite's degrees
// of freedom.
func ICCA1(rows [][]float64) (ICC, error) {
	n := len(rows)
	if n < MinPairs {
		return ICC{}, notComputable("%d target(s) (need at least %d)", n, MinPairs)
	}
	k := len(rows[0])
	if k < 2 {
		return ICC{}, notComputable("%d rater(s) (need at least 2)", k)
	}
	var grand float64
	rowMean := make([]float64, n)
	colMean := make([]float64, k)
	for i, r := range rows {
		if len(r) != k {
			return ICC{}, fmt.Errorf("stats: ICC row %d has %d ratings, row 0 has %d", i, len(r), k)
		}
		if err := checkFinite(fmt.Sprintf("row %d", i), r); err != nil {
			return ICC{}, err
		}
		for j, v := range r {
			rowMean[i] += v
			colMean[j] += v
			grand += v
		}
	}
	nf, kf := float64(n), float64(k)
	grand /= nf * kf
	for i := range rowMean {
		rowMean[i] /= kf
	}
	for j := range colMean {
		colMean[j] /= nf
	}
	var ssr, ssc, sse float64
	for i := range rowMean {
		d := rowMean[i] - grand
		ssr += d * d
	}
	ssr *= kf
	for j := range colMean {
		d := colMean[j] - grand
		ssc += d * d
	}
	ssc *= nf
	for i, r := range rows {
		for j, v := range r {
			e := v - rowMean[i] - colMean[j] + grand
			sse += e * e
		}
	}
	msr := ssr / (nf - 1)
	msc := ssc / (kf - 1)
	mse := sse / ((nf - 1) * (kf - 1))
	den := msr + (kf-1)*mse + kf/nf*(msc-mse)
	if den <= 0 || msr+msc+mse == 0 {
		return ICC{}, notComputable("zero variance (every rating is the same)")
	}
	icc := (msr - mse) / den
	out := ICC{N: n, K: k, Value: icc, MSR: msr, MSC: msc, MSE: mse}
	if mse == 0 && msc == 0 {
		// Perfect agreement: the interval collapses onto 1.
		out.Low, out.High = 1, 1
		return out, nil
	}
	if icc >= 1 {
		out.Low, out.High = 1, 1
		return out, nil
	}
	// McGraw & Wong (1996), Table 7, case 2A (Satterthwaite df v).
	a := kf * icc / (nf * (1 - icc))
	b := 1 + kf*icc*(nf-1)/(nf*(1-icc))
	v := (a*msc + b*mse) * (a*msc + b*mse) /
		((a*msc)*(a*msc)/(kf-1) + (b*mse)*(b*mse)/((nf-1)*(kf-1)))
	const alpha = 0.05
	if math.IsNaN(v) || v <= 0 {
		return ICC{}, notComputable("confidence interval degrees of freedom undefined (v = %g)", v)
	}
	fL := distuv.F{D1: nf - 1, D2: v}.Quantile(1 - alpha/2)
	fU := distuv.F{D1: v, D2: nf - 1}.Quantile(1 - alpha/2)
	c := kf*msc + (kf*nf-kf-nf)*mse
	out.Low = nf * (msr - fL*mse) / (fL*c + nf*msr)
	out.High = nf * (fU*msr - mse) / (c + nf*fU*msr)
	return out, nil
}

// Confusion is a 2×2 table of two binary ratings of the same items: the
// first index is rater A (e.g. the manual mask), the second rater B (e.g.
// the automatic one); true = positive (abnormal).
type Confusion struct {
	TT, TF, FT, FF int // TF: A positive, B negative
}

// Confuse counts the pairs. a and b must have the same length.
func Confuse(a, b []bool) (Confusion, error) {
	if len(a) != len(b) {
		return Confusion{}, fmt.Errorf("stats: %d ratings against %d: the two series must pair up", len(a), len(b))
	}
	var c Confusion
	for i := range a {
		switch {
		case a[i] && b[i]:
			c.TT++
		case a[i]:
			c.TF++
		case b[i]:
			c.FT++
		default:
			c.FF++
		}
	}
	return c, nil
}

// N is the number of pairs.
func (c Confusion) N() int { return c.TT + c.TF + c.FT + c.FF }

// Agreement is the observed proportion of agreement (TT+FF)/N.
func (c Confusion) Agreement() (float64, error) {
	n := c.N()
	if n == 0 {
		return 0, notComputable("no pairs")
	}
	return float64(c.TT+c.FF) / float64(n), nil
}

// Kappa is Cohen's (1960) kappa: (po − pe)/(1 − pe). It is undefined when
// both raters put every item in the same class (pe = 1).
func Kappa(c Confusion) (float64, error) {
	n := float64(c.N())
	if n == 0 {
		return 0, notComputable("no pairs")
	}
	po := float64(c.TT+c.FF) / n
	aPos := float64(c.TT+c.TF) / n
	bPos := float64(c.TT+c.FT) / n
	pe := aPos*bPos + (1-aPos)*(1-bPos)
	if pe >= 1 {
		return 0, notComputable("both ratings put every item in the same class (chance agreement 1)")
	}
	return (po - pe) / (1 - pe), nil
}
