// Package quality says when a muscle mask should not be trusted. A mask on
// the wrong structure looks as clean as a good one, and every number read
// off it (CSA, echo intensity, z-score) inherits the error; the check looks
// for the signs a careful reader would: nothing found, an area no muscle of
// that kind has, a mask running along the field's border, several
// candidate regions, and a model unsure of where the border is. Each sign
// is a Reason in plain words; any Reason flags the mask.
//
// The thresholds were chosen on phantoms (core/study/phantom) and on what
// real images can look like, not fitted to the real validation images: the
// check must generalise to scanners it has never seen. Pure functions, no
// OS.
package quality

import (
	"fmt"
	"strings"

	"myoseg/core/clinical/zscore"
)

// Status is what the record's quality column says.
type Status string

const (
	StatusOK       Status = "ok"       // no reason to doubt the mask
	StatusFlagged  Status = "flagged"  // doubtful: numbers read off it are withheld
	StatusAccepted Status = "accepted" // flagged, then accepted as it is by a person
)

// Status is the check's status; accepted says a person accepted this mask.
func (c Check) Status(accepted bool) Status {
	switch {
	case c.OK:
		return StatusOK
	case accepted:
		return StatusAccepted
	}
	return StatusFlagged
}

// Code names a reason.
type Code string

const (
	CodeEmpty      Code = "empty"
	CodeArea       Code = "area"
	CodeEdge       Code = "edge"
	CodeRegions    Code = "regions"
	CodeConfidence Code = "confidence"
	CodePartial    Code = "partial"
)

// Reason is one sign that the mask may be wrong: a code and a sentence for
// the clinician.
type Reason struct {
	Code Code   `json:"code"`
	Text string `json:"text"`
}

// Check is the verdict on one mask.
type Check struct {
	OK       bool     `json:"ok"`
	Reasons  []Reason `json:"reasons,omitempty"`
	Measures Measures `json:"-"`
}

// Summary is the reasons' sentences joined by "; " ("" when OK).
func (c Check) Summary() string {
	t := make([]string, len(c.Reasons))
	for i, r := range c.Reasons {
		t[i] = r.Text
	}
	return strings.Join(t, "; ")
}

// Codes is the reasons' codes joined by "+" (for tables).
func (c Check) Codes() string {
	t := make([]string, len(c.Reasons))
	for i, r := range c.Reasons {
		t[i] = string(r.Code)
	}
	return strings.Join(t, "+")
}

// Thresholds. Each is explained where it is used.
const (
	// MaxEdgeTop, MaxEdgeBottom: the muscle lies under skin and fat and
	// above bone or deeper muscle, so its outline should not run along the
	// field's top (the skin) or bottom (the end of the imaged depth). A
	// tenth of the outline there means the mask holds the skin and
	// subcutaneous layers, or runs out of the image below.
	MaxEdgeTop    = 0.10
	MaxEdgeBottom = 0.10
	// MaxEdgeBorder: a single-frame image often cuts a wide muscle at its
	// left and right edges (the seed's GM and BB images do). A muscle 2.5 cm
	// thick cut on both sides of a 5 cm wide field has a third of its
	// outline on the border; more than that is a mask filling the field,
	// not a muscle belly.
	MaxEdgeBorder = 0.35
	// MaxEdgeSidesWide: in an extended field of view (wider than
	// LinearProbeMaxCm) the whole muscle is meant to be in view, so a mask
	// running off the side continues out of sight or is a layer that spans
	// the image (the subcutaneous band does); a twentieth of the outline on
	// the sides flags it.
	MaxEdgeSidesWide = 0.05
	// Regions: the thresholded output's regions of at least MinRegionShare
	// of the field's footprint and RegionRatio of the largest count as
	// candidates; two or more means the model saw several muscle-like
	// structures of comparable size and the post-processing had to guess
	// (it keeps the largest, or the more superficial of two within 75 %).
	// On the anatomical phantoms (version 2: neighbouring muscles drawn)
	// the model's second region reached 26–46 % of the largest beside
	// masks it got right, and 60–96 % beside masks on the wrong muscle.
	MinRegionShare = 0.01
	RegionRatio    = 0.5
	// MaxUncertain: on a mask it is sure of, the model's band of
	// probabilities in 0.3–0.7 is a thin rim around the outline; a band
	// as large as a quarter of the mask means it is guessing.
	MaxUncertain = 0.25
	// MinMargin: mean |p − 0.5|·2 within two model pixels of the outline.
	MinMargin = 0.40
	// LinearProbeMaxCm: linear probes are at most ~6 cm wide; a wider field
	// is an extended field of view (panoramic) that shows the whole muscle,
	// so the muscle's whole-CSA range applies. In a narrower field the muscle
	// may be cut at the sides and only MinVisibleCm2 is required.
	LinearProbeMaxCm = 7.0
	MinVisibleCm2    = 0.5
	// MinWidthShareWide: a panoramic vastus lateralis scan is swept across
	// the lateral thigh to bring the whole muscle into one image, so VL
	// spans most of the sweep; a mask spanning under 40 % of its width is
	// most likely a part of it (one limb of a curved sweep, a belly between
	// septa). On 200 version 2 phantoms (seed 999) VL spans 50–100 % of the
	// field's width. Not applied to other muscles: a panoramic sweep of the
	// anterior thigh shows RF beside the vasti (RF spans 34–100 % there).
	MinWidthShareWide = 0.40
)

// CSARange is the plausible cross-sectional area of a whole muscle in
// adults, in cm², generous on both sides (atrophy to hypertrophy).
type CSARange struct{ Min, Max float64 }

// Ranges: the whole muscle at the usual measuring site, in adults from
// severe atrophy to athletes, widened on purpose: the check must flag a
// mask on the wrong structure, not an unusual patient. Basis (reasoned from
// transverse dimensions, area ≈ π/4 · width · depth):
//   - BB at mid-upper arm: 2.5–6 cm wide, 1–3.5 cm deep → 2–16 cm²; 1–25.
//   - TA a third below the knee: 2–4 cm wide, 1.5–3.5 cm deep → 2–11 cm²; 1–20.
//   - GM at its thickest: 3–7 cm wide, 1–2.5 cm deep → 2–14 cm²; 1–25.
//   - RF at mid-thigh: 3–6 cm wide, 1–3 cm deep → 2–14 cm² (critically ill
//     patients reach ~2 cm²); 1–25.
//   - VL at mid-thigh, panoramic: 15–40 cm² in healthy adults (the real
//     panoramic images in ../shared/data/real come from such a study), less
//     in the old and atrophic; 8–60.
func Ranges() map[zscore.Muscle]CSARange {
	return map[zscore.Muscle]CSARange{
		zscore.BicepsBrachii:         {1, 25},
		zscore.TibialisAnterior:      {1, 20},
		zscore.GastrocnemiusMedialis: {1, 25},
		zscore.RectusFemoris:         {1, 25},
		zscore.VastusLateralis:       {8, 60},
	}
}

// Run measures the input and checks it. An error means inconsistent input
// (sizes), not a bad mask.
func Run(in Input) (Check, error) {
	m, err := Measure(in)
	if err != nil {
		return Check{}, err
	}
	return Judge(m, in.Muscle, in.Corrected), nil
}

// Judge turns measures into a verdict for muscle (may be ""); corrected
// is Input.Corrected.
func Judge(m Measures, muscle zscore.Muscle, corrected bool) Check {
	c := Check{Measures: m}
	add := func(code Code, format string, a ...any) {
		c.Reasons = append(c.Reasons, Reason{code, fmt.Sprintf(format, a...)})
	}
	if m.AreaPx == 0 {
		add(CodeEmpty, "no muscle found: the mask is empty")
		c.OK = false
		return c // nothing else to say about an empty mask
	}
	if r, ok := Ranges()[muscle]; ok && m.AreaCm2 > 0 {
		lo := r.Min
		if m.FieldWidthCm <= LinearProbeMaxCm {
			lo = MinVisibleCm2
		}
		switch {
		case m.AreaCm2 < lo:
			add(CodeArea, "area %.1f cm² is smaller than any %s (at least %.1f cm² expected)", m.AreaCm2, name(muscle), lo)
		case m.AreaCm2 > r.Max:
			add(CodeArea, "area %.1f cm² is larger than any %s (at most %.0f cm² expected)", m.AreaCm2, name(muscle), r.Max)
		}
	}
	wide := m.FieldWidthCm > LinearProbeMaxCm
	switch {
	case m.EdgeTop > MaxEdgeTop:
		add(CodeEdge, "%.0f %% of the outline runs along the top of the image (skin), where the muscle cannot be", 100*m.EdgeTop)
	case m.EdgeBottom > MaxEdgeBottom:
		add(CodeEdge, "%.0f %% of the outline runs along the bottom of the image: the mask runs out of the imaged depth", 100*m.EdgeBottom)
	case wide && m.EdgeSides > MaxEdgeSidesWide:
		add(CodeEdge, "the mask runs off the side of a panoramic image (%.0f %% of its outline), where the whole muscle should be in view", 100*m.EdgeSides)
	case m.EdgeTop+m.EdgeBottom+m.EdgeSides > MaxEdgeBorder:
		add(CodeEdge, "%.0f %% of the outline runs along the image's border: the mask fills the field rather than outlining a muscle", 100*(m.EdgeTop+m.EdgeBottom+m.EdgeSides))
	}
	if wide && muscle == zscore.VastusLateralis && m.WidthShare < MinWidthShareWide {
		add(CodePartial, "the mask spans only %.0f %% of the panoramic image's width, which is swept to show the whole muscle: it is likely only part of it", 100*m.WidthShare)
	}
	if corrected {
		c.OK = len(c.Reasons) == 0
		return c
	}
	if n := largeRegions(m); n > 1 {
		add(CodeRegions, "the model found %d separate muscle-like regions; the one kept may not be the muscle", n)
	}
	switch {
	case m.Uncertain > MaxUncertain:
		add(CodeConfidence, "the model is unsure: a band of doubtful pixels (probability 0.3–0.7) %.0f %% the size of the mask", 100*m.Uncertain)
	case m.Margin < MinMargin:
		add(CodeConfidence, "the model is unsure where the border is (mean confidence along the outline %.2f, want ≥ %.2f)", m.Margin, MinMargin)
	}
	c.OK = len(c.Reasons) == 0
	return c
}

// largeRegions counts the candidate regions (see MinRegionShare).
func largeRegions(m Measures) int {
	if len(m.Regions) == 0 {
		return 0
	}
	n := 0
	for _, a := range m.Regions {
		if float64(a) >= MinRegionShare*float64(m.FootprintPx) && float64(a) >= RegionRatio*float64(m.Regions[0]) {
			n++
		}
	}
	return n
}

func name(m zscore.Muscle) string { return strings.ReplaceAll(string(m), "_", " ") }
