// Package zscore turns a muscle's echo intensity into a z-score against the
// Radboudumc normal values, and reads a patient's z-scores as the hospital's
// flow chart does. The normals hold only for the reference scanner and
// preset: every Score carries that caveat.
package zscore

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Muscle names a muscle with normal values.
type Muscle string

const (
	BicepsBrachii         Muscle = "biceps_brachii"
	TibialisAnterior      Muscle = "tibialis_anterior"
	GastrocnemiusMedialis Muscle = "gastrocnemius_medialis"
	RectusFemoris         Muscle = "rectus_femoris"
	VastusLateralis       Muscle = "vastus_lateralis"
)

// Muscles lists the muscles with normal values, in display order.
func Muscles() []Muscle {
	return []Muscle{BicepsBrachii, TibialisAnterior, GastrocnemiusMedialis, RectusFemoris, VastusLateralis}
}

// Label is the muscle's English name.
func (m Muscle) Label() string {
	switch m {
	case BicepsBrachii:
		return "Biceps brachii"
	case TibialisAnterior:
		return "Tibialis anterior"
	case GastrocnemiusMedialis:
		return "Gastrocnemius medialis"
	case RectusFemoris:
		return "Rectus femoris"
	case VastusLateralis:
		return "Vastus lateralis"
	}
	return string(m)
}

// Code is the seed dataset's folder name (BB, TA, GM) or the usual
// abbreviation (RF, VL).
func (m Muscle) Code() string {
	switch m {
	case BicepsBrachii:
		return "BB"
	case TibialisAnterior:
		return "TA"
	case GastrocnemiusMedialis:
		return "GM"
	case RectusFemoris:
		return "RF"
	case VastusLateralis:
		return "VL"
	}
	return ""
}

// ParseMuscle accepts the canonical key, the code (BB, TA, GM, RF, VL) or
// the English name, case-insensitively.
func ParseMuscle(s string) (Muscle, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	key = strings.NewReplacer(" ", "_", "-", "_").Replace(key)
	for _, m := range Muscles() {
		if key == string(m) || key == strings.ToLower(m.Code()) ||
			key == strings.ToLower(strings.ReplaceAll(m.Label(), " ", "_")) {
			return m, nil
		}
	}
	if key == "gastrocnemius_medial_head" || key == "gastrocnemius" {
		return GastrocnemiusMedialis, nil
	}
	return "", fmt.Errorf("zscore: unknown muscle %q (want one of BB, TA, GM, RF, VL or their names)", s)
}

// Patient holds the predictors of the normal-value models.
type Patient struct {
	AgeYears float64
	Sex      string // "M" or "F"
	HeightCm float64
	WeightKg float64
}

// Caveat is shown next to every z-score.
const Caveat = "z-score valid only for Esaote scanners at the Radboudumc muscle preset (gain 50 %, enhancers off); not for other devices or presets without a conversion"

// ReferenceManufacturer made the scanner the normal values were measured
// with (Esaote MyLab, Radboudumc).
const ReferenceManufacturer = "Esaote"

// ScannerApplies reports whether the normal values may be used for an image
// whose DICOM Manufacturer (0008,0070) is manufacturer: the reference
// scanner's, or not stated (not a DICOM, or the tag is empty), which is left
// to the Caveat. Another manufacturer's echo intensities are on another
// scale: a z-score against these normals would be a number without meaning.
func ScannerApplies(manufacturer string) bool {
	m := strings.TrimSpace(manufacturer)
	return m == "" || strings.Contains(strings.ToLower(m), strings.ToLower(ReferenceManufacturer))
}

// AbnormalZ is the usual per-muscle mark: z above it is abnormal.
const AbnormalZ = 2.0

// Score is one muscle's echo intensity compared with normal values.
type Score struct {
	Muscle   Muscle
	EI       float64
	Expected float64 // normal EI for this patient
	SD       float64 // prediction SD: sqrt(x'·cov·x + mse)
	Z        float64
	Abnormal bool // Z > AbnormalZ
	Caveat   string
}

func find(m Muscle) (linearModel, error) {
	for _, lm := range reference() {
		if lm.muscle == m {
			return lm, nil
		}
	}
	return linearModel{}, fmt.Errorf("zscore: no normal values for muscle %q", m)
}

// predictors builds x in the order of the model's terms, checking that the
// patient data each term needs is present and plausible.
func (lm linearModel) predictors(p Patient) ([]float64, error) {
	x := make([]float64, len(lm.terms))
	for i, t := range lm.terms {
		switch t {
		case intercept:
			x[i] = 1
		case age, ageSquared:
			if !(p.AgeYears >= 1 && p.AgeYears <= 120) {
				return nil, fmt.Errorf("zscore: %s needs age in years (1–120), got %g", lm.muscle.Label(), p.AgeYears)
			}
			x[i] = p.AgeYears
			if t == ageSquared {
				x[i] *= p.AgeYears
			}
		case sexMale:
			switch strings.ToUpper(strings.TrimSpace(p.Sex)) {
			case "M":
				x[i] = 1
			case "F":
				x[i] = 0
			default:
				return nil, fmt.Errorf("zscore: %s needs sex M or F, got %q", lm.muscle.Label(), p.Sex)
			}
		case weight:
			if !(p.WeightKg >= 10 && p.WeightKg <= 400) {
				return nil, fmt.Errorf("zscore: %s needs weight in kg (10–400), got %g", lm.muscle.Label(), p.WeightKg)
			}
			x[i] = p.WeightKg
		case height:
			if !(p.HeightCm >= 50 && p.HeightCm <= 250) {
				return nil, fmt.Errorf("zscore: %s needs height in cm (50–250), got %g", lm.muscle.Label(), p.HeightCm)
			}
			x[i] = p.HeightCm
		}
	}
	return x, nil
}

// Expected returns the normal EI for the patient and its prediction SD.
func Expected(m Muscle, p Patient) (mean, sd float64, err error) {
	lm, err := find(m)
	if err != nil {
		return 0, 0, err
	}
	x, err := lm.predictors(p)
	if err != nil {
		return 0, 0, err
	}
	var quad float64
	for i := range x {
		mean += lm.coef[i] * x[i]
		for j := range x {
			quad += x[i] * lm.cov[i][j] * x[j]
		}
	}
	return mean, math.Sqrt(quad + lm.mse), nil
}

// Compute scores an echo intensity (mean grey value inside the muscle).
func Compute(m Muscle, p Patient, ei float64) (Score, error) {
	if math.IsNaN(ei) || ei < 0 || ei > 255 {
		return Score{}, fmt.Errorf("zscore: echo intensity %g is outside 0–255", ei)
	}
	mean, sd, err := Expected(m, p)
	if err != nil {
		return Score{}, err
	}
	z := (ei - mean) / sd
	return Score{Muscle: m, EI: ei, Expected: mean, SD: sd, Z: z, Abnormal: z > AbnormalZ, Caveat: Caveat}, nil
}

// Reading is the patient-level interpretation of several muscles' z-scores.
type Reading struct {
	Verdict string // VerdictNormal, VerdictUncertain or VerdictLikely
	Rule    string // the first rule that fired (the one that sets the verdict), in words
	Muscles int    // how many muscles were read
	// Fired lists every rule that fired, in the flow chart's order: the
	// first sets the verdict; the others say what else is true (three
	// flagged muscles may fire both a "likely" and an "uncertain" rule).
	Fired []Fired
}

const (
	VerdictNormal    = "normal"
	VerdictUncertain = "uncertain"
	VerdictLikely    = "neuromuscular disease likely"
)

// Rule is one rule of the flow chart: at least Count muscles with z above
// Z, for patients the condition admits.
type Rule struct {
	Verdict string
	Count   int
	Z       float64
	Young   int  // +1: age < 65 only; -1: age ≥ 65 only; 0: any age
	Few     bool // only with fewer than 6 muscles read
	Text    string
}

// Fired is a rule that fired and the muscles that made it fire.
type Fired struct {
	Rule    Rule
	Muscles []Score // the muscles above the rule's z, highest first
}

// Rules is the Radboudumc neurology flow chart (shared/reference/README.md),
// in the order it is read.
func Rules() []Rule {
	return []Rule{
		{VerdictLikely, 1, 3.5, 0, false, "at least 1 muscle with z > 3.5"},
		{VerdictLikely, 2, 2.5, 0, false, "at least 2 muscles with z > 2.5"},
		{VerdictLikely, 3, 1.5, 0, false, "at least 3 muscles with z > 1.5"},
		{VerdictUncertain, 1, 2.0, +1, false, "age < 65: at least 1 muscle with z > 2.0"},
		{VerdictUncertain, 2, 1.5, +1, true, "age < 65, fewer than 6 muscles: at least 2 with z > 1.5"},
		{VerdictUncertain, 3, 1.0, +1, true, "age < 65, fewer than 6 muscles: at least 3 with z > 1.0"},
		{VerdictUncertain, 1, 2.5, -1, true, "age ≥ 65, fewer than 6 muscles: at least 1 with z > 2.5"},
	}
}

// Read applies the flow chart (Rules): likely with ≥1 muscle z > 3.5, ≥2
// with z > 2.5 or ≥3 with z > 1.5; uncertain (age < 65) with ≥1 z > 2.0,
// and with fewer than 6 muscles also ≥2 z > 1.5 or ≥3 z > 1.0; uncertain
// (age ≥ 65, fewer than 6 muscles) with ≥1 z > 2.5; otherwise normal. One
// score per muscle (average sides first).
func Read(scores []Score, ageYears float64) Reading {
	n := len(scores)
	if n == 0 {
		return Reading{Verdict: VerdictNormal, Rule: "no muscles measured"}
	}
	r := Reading{Verdict: VerdictNormal, Rule: "no rule of the flow chart fired", Muscles: n}
	for _, rule := range Rules() {
		if (rule.Young > 0 && ageYears >= 65) || (rule.Young < 0 && ageYears < 65) || (rule.Few && n >= 6) {
			continue
		}
		var above []Score
		for _, s := range scores {
			if s.Z > rule.Z {
				above = append(above, s)
			}
		}
		if len(above) < rule.Count {
			continue
		}
		sort.SliceStable(above, func(i, j int) bool { return above[i].Z > above[j].Z })
		if len(r.Fired) == 0 {
			r.Verdict, r.Rule = rule.Verdict, rule.Text
		}
		r.Fired = append(r.Fired, Fired{Rule: rule, Muscles: above})
	}
	return r
}
