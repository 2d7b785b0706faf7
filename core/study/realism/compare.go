package realism

import (
	"fmt"
	"image"
	"io"
	"math"
)

// Summary pools a set of images' statistics.
type Summary struct {
	Name                          string
	N                             int
	Hist                          [HistBins]float64 // mean of the images' histograms
	Depth                         [DepthBins]float64
	Mean, SD, CorrX, CorrY, Edges MeanSD
}

// MeanSD is a mean and a sample SD over images.
type MeanSD struct{ Mean, SD float64 }

func meanSD(v []float64) MeanSD {
	if len(v) == 0 {
		return MeanSD{math.NaN(), math.NaN()}
	}
	var s, s2 float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	for _, x := range v {
		s2 += (x - m) * (x - m)
	}
	sd := 0.0
	if len(v) > 1 {
		sd = math.Sqrt(s2 / float64(len(v)-1))
	}
	return MeanSD{m, sd}
}

// Summarise pools stats under a name.
func Summarise(name string, stats []Stats) Summary {
	s := Summary{Name: name, N: len(stats)}
	var mean, sd, cx, cy, ed []float64
	for _, st := range stats {
		for b := range s.Hist {
			s.Hist[b] += st.Hist[b] / float64(len(stats))
		}
		for b := range s.Depth {
			s.Depth[b] += st.Depth[b] / float64(len(stats))
		}
		mean, sd = append(mean, st.Mean), append(sd, st.SD)
		cx, cy, ed = append(cx, st.CorrLenX), append(cy, st.CorrLenY), append(ed, st.EdgeDensity)
	}
	s.Mean, s.SD, s.CorrX, s.CorrY, s.Edges = meanSD(mean), meanSD(sd), meanSD(cx), meanSD(cy), meanSD(ed)
	return s
}

// Distance says how far a set lies from the reference (real) set.
type Distance struct {
	// HistW1 is the earth mover's distance between the pooled grey
	// histograms, in grey levels.
	HistW1 float64
	// DepthRMS is the RMS difference of the mean depth profiles, grey.
	DepthRMS float64
	// Standardised mean differences (|Δmean| / the reference's SD) of the
	// per-image statistics.
	SMDMean, SMDSD, SMDCorrX, SMDCorrY, SMDEdges float64
}

// Compare measures s against the reference ref.
func Compare(s, ref Summary) Distance {
	var d Distance
	cum := 0.0
	for b := range s.Hist {
		cum += s.Hist[b] - ref.Hist[b]
		d.HistW1 += math.Abs(cum) * 256 / HistBins
	}
	for b := range s.Depth {
		e := s.Depth[b] - ref.Depth[b]
		d.DepthRMS += e * e / DepthBins
	}
	d.DepthRMS = math.Sqrt(d.DepthRMS)
	smd := func(a, r MeanSD) float64 { return math.Abs(a.Mean-r.Mean) / math.Max(r.SD, 1e-9) }
	d.SMDMean, d.SMDSD = smd(s.Mean, ref.Mean), smd(s.SD, ref.SD)
	d.SMDCorrX, d.SMDCorrY, d.SMDEdges = smd(s.CorrX, ref.CorrX), smd(s.CorrY, ref.CorrY), smd(s.Edges, ref.Edges)
	return d
}

// WriteTable writes a Markdown table of the summaries, the first being the
// reference, with each other set's distance to it and, when acc has an
// entry for the set, the patch classifier's accuracy.
func WriteTable(w io.Writer, sums []Summary, acc map[string]float64) error {
	if len(sums) == 0 {
		return fmt.Errorf("realism: no sets to tabulate")
	}
	ref := sums[0]
	f := func(m MeanSD, p int) string { return fmt.Sprintf("%.*f ± %.*f", p, m.Mean, p, m.SD) }
	lines := []string{
		"| set | images | mean grey | grey SD | speckle corr. length across (px) | along (px) | edge density | histogram W1 to " + ref.Name + " (grey) | depth profile RMS (grey) | real-vs-set patch classifier accuracy |",
		"| --- | ---: | --- | --- | --- | --- | --- | ---: | ---: | ---: |",
	}
	for i, s := range sums {
		d := Compare(s, ref)
		w1, rms := fmt.Sprintf("%.1f", d.HistW1), fmt.Sprintf("%.1f", d.DepthRMS)
		if i == 0 {
			w1, rms = "–", "–"
		}
		a := "–"
		if v, ok := acc[s.Name]; ok {
			a = fmt.Sprintf("%.1f %%", 100*v)
		}
		lines = append(lines, fmt.Sprintf("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |",
			s.Name, s.N, f(s.Mean, 1), f(s.SD, 1), f(s.CorrX, 2), f(s.CorrY, 2), f(s.Edges, 3), w1, rms, a))
	}
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return fmt.Errorf("realism: write table: %w", err)
		}
	}
	return nil
}

// Set is a named group of images.
type Set struct {
	Name   string
	Images []*image.Gray
}

// Result is Run's output: one summary per set (the first is the reference)
// and, for every other set, the cross-validated accuracy of a patch
// classifier telling the reference's patches from the set's.
type Result struct {
	Summaries []Summary
	Accuracy  map[string]float64
}

// Run measures every set and compares each with sets[0]. Every image must
// have a detectable ultrasound field; errors name the set and the image.
func Run(sets []Set, patchesPerImage, folds int) (Result, error) {
	if len(sets) < 2 {
		return Result{}, fmt.Errorf("realism: need a reference set and at least one other")
	}
	res := Result{Accuracy: map[string]float64{}}
	patches := make([][][][]float64, len(sets))
	for si, set := range sets {
		var stats []Stats
		for i, g := range set.Images {
			v, err := NewView(g)
			if err != nil {
				return Result{}, fmt.Errorf("realism: %s image %d: %w", set.Name, i, err)
			}
			stats = append(stats, Measure(v))
			patches[si] = append(patches[si], Patches(v, patchesPerImage))
		}
		res.Summaries = append(res.Summaries, Summarise(set.Name, stats))
	}
	for si := 1; si < len(sets); si++ {
		acc, err := ClassifierAccuracy(patches[0], patches[si], folds)
		if err != nil {
			return Result{}, fmt.Errorf("realism: %s vs %s: %w", sets[0].Name, sets[si].Name, err)
		}
		res.Accuracy[sets[si].Name] = acc
	}
	return res, nil
}
