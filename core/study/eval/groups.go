package eval

import (
	"math"
	"sort"

	"myoseg/core/clinical/zscore"
	"myoseg/core/study/dataset"
	"myoseg/core/study/stats"
)

// Maybe is a statistic that may not be computable; Why says why not (empty
// when Value holds the result).
type Maybe[T any] struct {
	Value T
	Why   string
}

// OK reports whether the statistic was computed.
func (m Maybe[T]) OK() bool { return m.Why == "" }

func maybe[T any](v T, err error) Maybe[T] {
	if err != nil {
		return Maybe[T]{Why: err.Error()} // e.g. "not computable: 2 pairs (need at least 3)"
	}
	return Maybe[T]{Value: v}
}

// Metric is one per-image number: its key (the per_image.csv column), a
// label and unit for tables and axes, and how to read it.
type Metric struct {
	Key, Label, Unit string
	Get              func(*ImageResult) float64
}

// Metrics lists the per-image metrics summarised per group, in table order.
func Metrics() []Metric {
	return []Metric{
		{"precision", "Precision", "", func(r *ImageResult) float64 { return r.Precision }},
		{"recall", "Recall", "", func(r *ImageResult) float64 { return r.Recall }},
		{"dice", "Dice", "", func(r *ImageResult) float64 { return r.Dice }},
		{"iou", "IoU", "", func(r *ImageResult) float64 { return r.IoU }},
		{"hausdorff_px", "Hausdorff", "px", func(r *ImageResult) float64 { return r.HausdorffPx }},
		{"msd_px", "Mean surface distance", "px", func(r *ImageResult) float64 { return r.MeanSurfacePx }},
		{"hausdorff_mm", "Hausdorff", "mm", func(r *ImageResult) float64 { return r.HausdorffMm }},
		{"msd_mm", "Mean surface distance", "mm", func(r *ImageResult) float64 { return r.MeanSurfaceMm }},
		{"csa_manual_px", "CSA manual", "px²", func(r *ImageResult) float64 { return r.CSAManualPx }},
		{"csa_auto_px", "CSA automatic", "px²", func(r *ImageResult) float64 { return r.CSAAutoPx }},
		{"csa_manual_cm2", "CSA manual", "cm²", func(r *ImageResult) float64 { return r.CSAManualCm2 }},
		{"csa_auto_cm2", "CSA automatic", "cm²", func(r *ImageResult) float64 { return r.CSAAutoCm2 }},
		{"ei_manual", "EI manual", "grey level", func(r *ImageResult) float64 { return r.EIManual }},
		{"ei_auto", "EI automatic", "grey level", func(r *ImageResult) float64 { return r.EIAuto }},
		{"z_manual", "z-score manual", "SD", func(r *ImageResult) float64 { return r.ZManual }},
		{"z_auto", "z-score automatic", "SD", func(r *ImageResult) float64 { return r.ZAuto }},
	}
}

// MetricSummary is one metric's mean ± SD over a group.
type MetricSummary struct {
	Metric Metric
	stats.Summary
}

// PairedStats compares the automatic with the manual measurement of one
// quantity over a group: Pearson's r (automatic against manual) and the
// Bland–Altman analysis of automatic − manual.
type PairedStats struct {
	Unit        string    // "grey level", "cm²" or "px²"
	Manual      []float64 // the pairs used, for plots
	Auto        []float64
	Units       []UnitRef // which image or subject each pair is
	Pearson     Maybe[stats.Correlation]
	BlandAltman Maybe[stats.Agreement]
}

// ZStats compares the z-scores of the automatic and manual EI: ICC(A,1)
// and the healthy/abnormal call (z > 2), manual as the reference.
type ZStats struct {
	Manual, Auto []float64
	Units        []UnitRef
	ICC          Maybe[stats.ICC]
	// Confusion counts manual call × automatic call (true = abnormal).
	Confusion stats.Confusion
	Agreement Maybe[float64] // observed proportion of agreement
	Kappa     Maybe[float64] // Cohen's kappa
}

// GroupStats is the analysis of one group of units (images or subjects).
type GroupStats struct {
	Label  string // "BB Healthy", "All Healthy", "All"
	Muscle string // folder code; "" = every muscle
	Group  string // Healthy or Pathological; "" = both
	Units  int    // images (or subjects) in the group
	Scored int    // with both masks read
	// Summaries are the per-image metrics' mean ± SD (image level), or the
	// EI and z-score summaries (subject level).
	Summaries []MetricSummary
	EI        PairedStats
	CSA       PairedStats // image level only
	Z         ZStats
}

// UnitRef names the image or subject behind a pair.
type UnitRef struct {
	Muscle, Group string
	Name          string // image file name or subject ID
}

// unit is what the group statistics need of an image or a subject.
type unit struct {
	muscle, group string
	name          string
	scored        bool
	img           *ImageResult // nil for subjects
	csaM, csaA    float64
	csaUnit       string
	eiM, eiA      float64
	zM, zA        float64
}

func imageUnit(r *ImageResult) unit {
	u := unit{muscle: r.Item.Muscle, group: r.Item.Group, name: r.Item.Name, scored: r.Scored(), img: r,
		eiM: r.EIManual, eiA: r.EIAuto, zM: r.ZManual, zA: r.ZAuto}
	u.csaM, u.csaA, u.csaUnit = r.CSAManualPx, r.CSAAutoPx, "px²"
	if r.Cal.Known() {
		u.csaM, u.csaA, u.csaUnit = r.CSAManualCm2, r.CSAAutoCm2, "cm²"
	}
	return u
}

// selection is one group's filter.
type selection struct {
	label, muscle, group string
}

// selections lists muscle × group for the groups present, then all Healthy,
// all Pathological and all.
func selections(units []unit) []selection {
	type key struct{ m, g string }
	seen := map[key]bool{}
	var order []key
	groups := map[string]bool{}
	for _, u := range units {
		k := key{u.muscle, u.group}
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
		groups[u.group] = true
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].m != order[j].m {
			return MuscleRank(order[i].m) < MuscleRank(order[j].m)
		}
		return order[i].g < order[j].g
	})
	var out []selection
	for _, k := range order {
		out = append(out, selection{k.m + " " + k.g, k.m, k.g})
	}
	for _, g := range []string{dataset.Healthy, dataset.Pathological} {
		if groups[g] && len(groups) > 1 {
			out = append(out, selection{"All " + g, "", g})
		}
	}
	return append(out, selection{"All", "", ""})
}

// MuscleRank orders muscle codes as the seed folders are: BB, GM, TA, then
// the others (tables and plots share it).
func MuscleRank(code string) int {
	switch code {
	case "BB":
		return 0
	case "GM":
		return 1
	case "TA":
		return 2
	}
	return 3
}

func (s selection) has(u unit) bool {
	return (s.muscle == "" || s.muscle == u.muscle) && (s.group == "" || s.group == u.group)
}

func pairs(units []unit, get func(unit) (float64, float64)) (m, a []float64, refs []UnitRef) {
	for _, u := range units {
		x, y := get(u)
		if math.IsNaN(x) || math.IsNaN(y) {
			continue
		}
		m = append(m, x)
		a = append(a, y)
		refs = append(refs, UnitRef{u.muscle, u.group, u.name})
	}
	return m, a, refs
}

func pairedStats(unitName string, m, a []float64, refs []UnitRef) PairedStats {
	p := PairedStats{Unit: unitName, Manual: m, Auto: a, Units: refs}
	c, err := stats.Pearson(m, a)
	p.Pearson = maybe(c, err)
	ba, err := stats.BlandAltman(a, m)
	p.BlandAltman = maybe(ba, err)
	return p
}

func zStats(m, a []float64, refs []UnitRef) ZStats {
	z := ZStats{Manual: m, Auto: a, Units: refs}
	rows := make([][]float64, len(m))
	cm := make([]bool, len(m))
	ca := make([]bool, len(m))
	for i := range m {
		rows[i] = []float64{m[i], a[i]}
		cm[i] = m[i] > zscore.AbnormalZ
		ca[i] = a[i] > zscore.AbnormalZ
	}
	icc, err := stats.ICCA1(rows)
	z.ICC = maybe(icc, err)
	z.Confusion, _ = stats.Confuse(cm, ca)
	po, err := z.Confusion.Agreement()
	z.Agreement = maybe(po, err)
	k, err := stats.Kappa(z.Confusion)
	z.Kappa = maybe(k, err)
	return z
}

// analyse computes one group's statistics over units.
func analyse(s selection, units []unit, summaries []Metric, imageLevel bool) *GroupStats {
	g := &GroupStats{Label: s.label, Muscle: s.muscle, Group: s.group}
	var in []unit
	for _, u := range units {
		if s.has(u) {
			in = append(in, u)
			if u.scored {
				g.Scored++
			}
		}
	}
	g.Units = len(in)
	for _, m := range summaries {
		var vals []float64
		for _, u := range in {
			vals = append(vals, m.Get(u.img))
		}
		g.Summaries = append(g.Summaries, MetricSummary{Metric: m, Summary: stats.Summarize(vals)})
	}
	m, a, refs := pairs(in, func(u unit) (float64, float64) { return u.eiM, u.eiA })
	g.EI = pairedStats("grey level", m, a, refs)
	if imageLevel {
		// CSA in cm² only when every pair is calibrated; else all in pixels.
		allCm := true
		for _, u := range in {
			if !math.IsNaN(u.csaM) && !math.IsNaN(u.csaA) && u.csaUnit != "cm²" {
				allCm = false
			}
		}
		get := func(u unit) (float64, float64) { return u.img.CSAManualPx, u.img.CSAAutoPx }
		unitName := "px²"
		if allCm {
			get = func(u unit) (float64, float64) { return u.csaM, u.csaA }
			unitName = "cm²"
		}
		m, a, refs := pairs(in, get)
		if len(m) == 0 {
			unitName = "px²"
		}
		g.CSA = pairedStats(unitName, m, a, refs)
	}
	m, a, refs = pairs(in, func(u unit) (float64, float64) { return u.zM, u.zA })
	g.Z = zStats(m, a, refs)
	return g
}

func groupImages(results []*ImageResult) []*GroupStats {
	units := make([]unit, 0, len(results))
	for _, r := range results {
		units = append(units, imageUnit(r))
	}
	var out []*GroupStats
	for _, s := range selections(units) {
		out = append(out, analyse(s, units, Metrics(), true))
	}
	return out
}

// SubjectResult is one subject's muscle: the EI of each mask averaged over
// the subject's images of that muscle in which both masks were measured
// (the clinical reading averages a muscle's images), and its z-scores.
type SubjectResult struct {
	Muscle, Group, SubjectID string
	MuscleName               zscore.Muscle
	Images                   int // images averaged
	EIManual, EIAuto         float64
	ZManual, ZAuto           float64 // NaN without patient data
}

// SubjectResults groups images by (muscle, group, subject).
func SubjectResults(results []*ImageResult) []*SubjectResult {
	type key struct{ m, g, s string }
	idx := map[key]*SubjectResult{}
	var order []*SubjectResult
	patients := map[key]*zscore.Patient{}
	for _, r := range results {
		if math.IsNaN(r.EIManual) || math.IsNaN(r.EIAuto) {
			continue
		}
		k := key{r.Item.Muscle, r.Item.Group, r.Item.SubjectID}
		s, ok := idx[k]
		if !ok {
			s = &SubjectResult{Muscle: k.m, Group: k.g, SubjectID: k.s, MuscleName: r.Item.MuscleName}
			idx[k] = s
			order = append(order, s)
			patients[k] = r.Item.Patient
		}
		s.Images++
		s.EIManual += r.EIManual
		s.EIAuto += r.EIAuto
	}
	for k, s := range idx {
		s.EIManual /= float64(s.Images)
		s.EIAuto /= float64(s.Images)
		s.ZManual, s.ZAuto = math.NaN(), math.NaN()
		if p := patients[k]; p != nil {
			if z, err := zscore.Compute(s.MuscleName, *p, s.EIManual); err == nil {
				s.ZManual = z.Z
			}
			if z, err := zscore.Compute(s.MuscleName, *p, s.EIAuto); err == nil {
				s.ZAuto = z.Z
			}
		}
	}
	return order
}

func groupSubjects(subs []*SubjectResult) []*GroupStats {
	units := make([]unit, 0, len(subs))
	for _, s := range subs {
		units = append(units, unit{muscle: s.Muscle, group: s.Group, name: s.SubjectID, scored: true,
			eiM: s.EIManual, eiA: s.EIAuto, zM: s.ZManual, zA: s.ZAuto})
	}
	var out []*GroupStats
	if len(units) == 0 {
		return nil
	}
	for _, s := range selections(units) {
		g := analyse(s, units, nil, false)
		for _, m := range []struct {
			key, label, unit string
			get              func(unit) float64
		}{
			{"ei_manual", "EI manual", "grey level", func(u unit) float64 { return u.eiM }},
			{"ei_auto", "EI automatic", "grey level", func(u unit) float64 { return u.eiA }},
			{"z_manual", "z-score manual", "SD", func(u unit) float64 { return u.zM }},
			{"z_auto", "z-score automatic", "SD", func(u unit) float64 { return u.zA }},
		} {
			var vals []float64
			for _, u := range units {
				if s.has(u) {
					vals = append(vals, m.get(u))
				}
			}
			g.Summaries = append(g.Summaries, MetricSummary{Metric: Metric{Key: m.key, Label: m.label, Unit: m.unit}, Summary: stats.Summarize(vals)})
		}
		out = append(out, g)
	}
	return out
}
