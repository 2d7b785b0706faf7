package quality

import (
	"image"
	"math"
	"strings"
	"testing"

	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
)

// Scenes are 512×480 images whose whole rectangle is the field; the model
// sees them at 256×240 (every model pixel covers 2×2 image pixels).
const (
	imgW, imgH = 512, 480
	modW, modH = 256, 240
)

type shape func(x, y float64) bool

func ellipse(cx, cy, a, b float64) shape {
	return func(x, y float64) bool { dx, dy := (x-cx)/a, (y-cy)/b; return dx*dx+dy*dy <= 1 }
}

func rect(x0, y0, x1, y1 float64) shape {
	return func(x, y float64) bool { return x >= x0 && x < x1 && y >= y0 && y < y1 }
}

func union(s ...shape) shape {
	return func(x, y float64) bool {
		for _, f := range s {
			if f(x, y) {
				return true
			}
		}
		return false
	}
}

// scene builds an input whose final mask is mask and whose probabilities
// are prob at the model pixels' centres, in image coordinates.
func scene(mask shape, prob func(x, y float64) float32, cmPerPx float64, muscle zscore.Muscle) Input {
	m := image.NewGray(image.Rect(0, 0, imgW, imgH))
	for y := 0; y < imgH; y++ {
		for x := 0; x < imgW; x++ {
			if mask(float64(x)+0.5, float64(y)+0.5) {
				m.Pix[y*imgW+x] = 255
			}
		}
	}
	p := make([]float32, modW*modH)
	for y := 0; y < modH; y++ {
		for x := 0; x < modW; x++ {
			p[y*modW+x] = prob(2*float64(x)+1, 2*float64(y)+1)
		}
	}
	cal := calib.None()
	if cmPerPx > 0 {
		cal = calib.Calibration{CmPerPxX: cmPerPx, CmPerPxY: cmPerPx, Source: calib.SourceUserCmPerPx}
	}
	return Input{
		Mask: m, Field: m.Bounds(), Prob: p, ProbW: modW, ProbH: modH,
		Place: image.Rect(0, 0, modW, modH), Threshold: 0.5, Cal: cal, Muscle: muscle,
	}
}

// sharp is a model sure of every pixel: 0.98 inside s, 0.02 outside.
func sharp(s shape) func(x, y float64) float32 {
	return func(x, y float64) float32 {
		if s(x, y) {
			return 0.98
		}
		return 0.02
	}
}

// clean is the usual case: the mask is what a sure model found.
func clean(s shape, cmPerPx float64, muscle zscore.Muscle) Input {
	return scene(s, sharp(s), cmPerPx, muscle)
}

func run(t *testing.T, in Input) Check {
	t.Helper()
	c, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	if c.OK != (len(c.Reasons) == 0) {
		t.Fatalf("OK = %v with reasons %v", c.OK, c.Reasons)
	}
	return c
}

// wantCodes checks the reasons' codes, in order, and that each has words.
func wantCodes(t *testing.T, c Check, want ...Code) {
	t.Helper()
	var got []Code
	for _, r := range c.Reasons {
		got = append(got, r.Code)
		if len(r.Text) < 20 {
			t.Errorf("reason %q has no sentence: %q", r.Code, r.Text)
		}
	}
	if strings.Join(codes(got), ",") != strings.Join(codes(want), ",") {
		t.Errorf("reasons %v, want codes %v (measures %+v)", c.Reasons, want, c.Measures)
	}
}

func codes(c []Code) []string {
	s := make([]string, len(c))
	for i, v := range c {
		s[i] = string(v)
	}
	return s
}

// maskCase is a clean mask (a sure model found it) that should pass, or
// be flagged for one reason whose sentence contains words.
type maskCase struct {
	name    string
	s       shape
	cmPerPx float64
	muscle  zscore.Muscle
	flagged bool
	words   string
}

func runCases(t *testing.T, code Code, cases []maskCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := run(t, clean(tc.s, tc.cmPerPx, tc.muscle))
			if !tc.flagged {
				wantCodes(t, c)
				return
			}
			wantCodes(t, c, code)
			if !strings.Contains(c.Summary(), tc.words) {
				t.Errorf("summary %q does not contain %q", c.Summary(), tc.words)
			}
		})
	}
}

// A biceps of 3.8 cm² in the middle of a 5 cm field, found by a sure
// model, passes, and the measures say why.
func TestGoodMaskPasses(t *testing.T) {
	c := run(t, clean(ellipse(256, 240, 150, 80), 0.01, zscore.BicepsBrachii))
	wantCodes(t, c)
	m := c.Measures
	if want := math.Pi * 150 * 80; math.Abs(float64(m.AreaPx)-want) > 0.01*want {
		t.Errorf("AreaPx = %d, want ≈ %.0f", m.AreaPx, want)
	}
	if math.Abs(m.AreaCm2-float64(m.AreaPx)*1e-4) > 1e-9 {
		t.Errorf("AreaCm2 = %v, want AreaPx·0.01² = %v", m.AreaCm2, float64(m.AreaPx)*1e-4)
	}
	if math.Abs(m.FieldWidthCm-5.12) > 1e-9 {
		t.Errorf("FieldWidthCm = %v, want 5.12", m.FieldWidthCm)
	}
	if m.EdgeTop != 0 || m.EdgeBottom != 0 || m.EdgeSides != 0 {
		t.Errorf("edge shares %v %v %v, want 0 for a mask inside the field", m.EdgeTop, m.EdgeBottom, m.EdgeSides)
	}
	if len(m.Regions) != 1 || m.FootprintPx != modW*modH {
		t.Errorf("regions %v of %d, want one of %d", m.Regions, m.FootprintPx, modW*modH)
	}
	if m.Uncertain != 0 || math.Abs(m.Margin-0.96) > 1e-6 {
		t.Errorf("uncertain %v margin %v, want 0 and 0.96 for probabilities 0.98/0.02", m.Uncertain, m.Margin)
	}
	if c.Summary() != "" || c.Codes() != "" {
		t.Errorf("summary %q codes %q, want empty", c.Summary(), c.Codes())
	}
}

func TestEmptyMask(t *testing.T) {
	none := func(x, y float64) bool { return false }
	c := run(t, clean(none, 0.01, zscore.BicepsBrachii))
	wantCodes(t, c, CodeEmpty)
	if !strings.Contains(c.Summary(), "empty") {
		t.Errorf("summary %q does not say empty", c.Summary())
	}
}

func TestArea(t *testing.T) {
	runCases(t, CodeArea, []maskCase{
		// 2827 px at 0.01 cm/px = 0.28 cm²: a speck, not a muscle.
		{"speck", ellipse(256, 240, 30, 30), 0.01, zscore.TibialisAnterior, true, "smaller"},
		// The same speck without calibration: nothing to compare.
		{"speck uncalibrated", ellipse(256, 240, 30, 30), 0, zscore.TibialisAnterior, false, ""},
		// The same speck, muscle unknown: no range.
		{"speck no muscle", ellipse(256, 240, 30, 30), 0.01, "", false, ""},
		// 94248 px at 0.025 cm/px = 58.9 cm² of biceps.
		{"huge biceps", ellipse(256, 240, 200, 150), 0.025, zscore.BicepsBrachii, true, "larger"},
		// 6912 px at 0.03 cm/px = 6.2 cm² of VL, 43 % of a 15.4 cm panoramic
		// field's width: the whole VL is in view and this is too small.
		{"small VL panoramic", ellipse(256, 240, 110, 20), 0.03, zscore.VastusLateralis, true, "at least 8.0"},
		// The same mask at 0.009 cm/px (a 4.6 cm linear field) is 0.61 cm²:
		// a VL cut by a narrow field may show that little.
		{"small VL single frame", ellipse(256, 240, 60, 40), 0.009, zscore.VastusLateralis, false, ""},
	})
}

// Every muscle the app offers has a range, and the ranges are sane.
func TestRanges(t *testing.T) {
	r := Ranges()
	for _, m := range zscore.Muscles() {
		g, ok := r[m]
		if !ok {
			t.Errorf("%s: no area range", m)
			continue
		}
		if !(g.Min >= MinVisibleCm2 && g.Max > 2*g.Min) {
			t.Errorf("%s: range %v", m, g)
		}
	}
	if g := r[zscore.VastusLateralis]; g.Min > 15 || g.Max < 40 {
		t.Errorf("VL range %v does not hold the 15–40 cm² of healthy adults", g)
	}
}

// A panoramic VL scan shows the whole muscle: a mask spanning a third of
// its width is part of it, even when its area is plausible; the same mask
// of RF (a panoramic anterior thigh shows the vasti too) or in a linear
// field is not flagged.
func TestPartial(t *testing.T) {
	runCases(t, CodePartial, []maskCase{
		// 170 px of 512 wide (33 %), 15 860 px at 0.03 cm/px = 14.3 cm².
		{"third of a panoramic VL", ellipse(256, 240, 85, 60), 0.03, zscore.VastusLateralis, true, "33 %"},
		{"wide panoramic VL", ellipse(256, 240, 150, 40), 0.03, zscore.VastusLateralis, false, ""},
		{"third of a panoramic RF", ellipse(256, 240, 85, 60), 0.03, zscore.RectusFemoris, false, ""},
		{"third of a linear VL", ellipse(256, 240, 85, 60), 0.009, zscore.VastusLateralis, false, ""},
	})
}

func TestEdge(t *testing.T) {
	runCases(t, CodeEdge, []maskCase{
		// The skin and subcutaneous layers under the probe.
		{"along the top", rect(100, 0, 400, 60), 0.01, "", true, "top"},
		// A region cut by the bottom of the image.
		{"along the bottom", ellipse(256, 470, 150, 60), 0.01, "", true, "bottom"},
		// Nearly the whole field.
		{"fills the field", rect(0, 40, 512, 440), 0.01, "", true, "border"},
		// A wide muscle 1.5 cm thick cut at both sides of a 5 cm field, as
		// the seed's GM images often are: fine.
		{"cut at both sides, single frame", rect(0, 150, 512, 300), 0.01, "", false, ""},
		// The same band in a 15 cm panoramic field spans the image: a layer,
		// not a muscle that should be whole in view.
		{"spans a panoramic field", rect(0, 150, 512, 300), 0.03, "", true, "panoramic"},
	})
}

// A curved field's border is where the field mask ends, not the rectangle.
func TestEdgeFollowsFieldMask(t *testing.T) {
	s := rect(100, 100, 400, 160)
	in := clean(s, 0.01, "")
	c := run(t, in)
	wantCodes(t, c) // inside the rectangle, far from its edges
	fm := image.NewGray(in.Mask.Bounds())
	for y := 100; y < imgH; y++ { // the field starts at row 100 (a convex skin line, say)
		for x := 0; x < imgW; x++ {
			fm.Pix[y*imgW+x] = 255
		}
	}
	in.FieldMask = fm
	c = run(t, in)
	wantCodes(t, c, CodeEdge)
	if want := 300.0 / (2*300 + 2*58); math.Abs(c.Measures.EdgeTop-want) > 1e-9 {
		t.Errorf("EdgeTop = %v, want %v", c.Measures.EdgeTop, want)
	}
}

func TestRegions(t *testing.T) {
	a := ellipse(150, 240, 80, 60)
	b := ellipse(380, 240, 70, 50)
	// The model found two muscle-like regions; the post-processing kept a.
	in := scene(a, sharp(union(a, b)), 0.01, zscore.GastrocnemiusMedialis)
	c := run(t, in)
	wantCodes(t, c, CodeRegions)
	if !strings.Contains(c.Summary(), "2 separate") {
		t.Errorf("summary %q", c.Summary())
	}
	// A speck beside the muscle (2 % of it, 0.2 % of the field) is noise.
	speck := ellipse(380, 240, 10, 10)
	c = run(t, scene(a, sharp(union(a, speck)), 0.01, zscore.GastrocnemiusMedialis))
	wantCodes(t, c)
	if len(c.Measures.Regions) != 2 {
		t.Errorf("regions %v, want the muscle and the speck", c.Measures.Regions)
	}
}

func TestConfidence(t *testing.T) {
	s := ellipse(256, 240, 150, 80)
	// Above the threshold everywhere inside, but only just: a guess.
	unsure := func(x, y float64) float32 {
		if s(x, y) {
			return 0.6
		}
		return 0.1
	}
	c := run(t, scene(s, unsure, 0.01, zscore.BicepsBrachii))
	wantCodes(t, c, CodeConfidence)
	if u := c.Measures.Uncertain; u != 1 {
		t.Errorf("Uncertain = %v, want 1 (every mask pixel at 0.6)", u)
	}

	// A disc whose border is a 40-pixel ramp (20 model pixels): the band of
	// doubt is thin next to the disc, but along the outline the model is
	// unsure where the border is.
	const r = 180.0
	ramp := func(x, y float64) float32 {
		d := r - math.Hypot(x-256, y-240) // image px inside the border
		return float32(math.Max(0, math.Min(1, 0.5+d/40)))
	}
	c = run(t, scene(ellipse(256, 240, r, r), ramp, 0.01, zscore.GastrocnemiusMedialis))
	wantCodes(t, c, CodeConfidence)
	if m := c.Measures; m.Uncertain > MaxUncertain || m.Margin > 0.3 {
		t.Errorf("uncertain %v margin %v: want a thin band (≤ %v) and a low margin (≤ 0.3)", m.Uncertain, m.Margin, MaxUncertain)
	}
	if !strings.Contains(c.Summary(), "border") {
		t.Errorf("summary %q", c.Summary())
	}
}

// A person's correction is judged on the mask alone: the model's doubt
// about its own output does not flag it, an empty or misplaced mask still
// does.
func TestCorrectedMask(t *testing.T) {
	s := ellipse(256, 240, 150, 80)
	unsure := func(x, y float64) float32 {
		if s(x, y) {
			return 0.6
		}
		return 0.1
	}
	in := scene(s, unsure, 0.01, zscore.BicepsBrachii)
	in.Corrected = true
	c := run(t, in)
	wantCodes(t, c)
	if c.Status(false) != StatusOK {
		t.Errorf("status %q, want ok", c.Status(false))
	}
	in = scene(rect(100, 0, 400, 60), unsure, 0.01, zscore.BicepsBrachii)
	in.Corrected = true
	c = run(t, in)
	wantCodes(t, c, CodeEdge)
	if c.Status(false) != StatusFlagged || c.Status(true) != StatusAccepted {
		t.Errorf("status %q / accepted %q, want flagged / accepted", c.Status(false), c.Status(true))
	}
}

// Several signs at once are all reported.
func TestSeveralReasons(t *testing.T) {
	s := rect(0, 0, 512, 40) // the skin band, found by a guessing model
	unsure := func(x, y float64) float32 {
		if s(x, y) {
			return 0.55
		}
		return 0.2
	}
	c := run(t, scene(s, unsure, 0.01, zscore.VastusLateralis))
	wantCodes(t, c, CodeEdge, CodeConfidence)
}

func TestBadInput(t *testing.T) {
	in := clean(ellipse(256, 240, 100, 80), 0.01, "")
	short := in
	short.Prob = in.Prob[:10]
	fm := in
	fm.FieldMask = image.NewGray(image.Rect(0, 0, 10, 10))
	nomask := in
	nomask.Mask = nil
	nofield := in
	nofield.Field = image.Rectangle{}
	for name, bad := range map[string]Input{"short prob": short, "field mask size": fm, "no mask": nomask, "empty field": nofield} {
		if _, err := Run(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestConfusion(t *testing.T) {
	var c Confusion
	for _, v := range []struct{ flagged, wrong bool }{{true, true}, {true, true}, {false, true}, {true, false}, {false, false}, {false, false}, {false, false}} {
		c.Add(v.flagged, v.wrong)
	}
	if c != (Confusion{FlaggedWrong: 2, MissedWrong: 1, FlaggedGood: 1, PassedGood: 3}) {
		t.Fatalf("counts %+v", c)
	}
	if got := c.FlaggedGoodRate(); got != 0.25 {
		t.Errorf("FlaggedGoodRate = %v, want 0.25", got)
	}
	if got := c.CaughtWrongRate(); math.Abs(got-2.0/3) > 1e-12 {
		t.Errorf("CaughtWrongRate = %v, want 2/3", got)
	}
	if got := (Confusion{}).CaughtWrongRate(); got != 1 {
		t.Errorf("no wrong masks: CaughtWrongRate = %v, want 1", got)
	}
	md := c.Markdown()
	for _, want := range []string{"| 2 | 1 |", "| 1 | 3 |", "wrong masks flagged: 67 %", "good masks flagged: 25.0 %"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown misses %q:\n%s", want, md)
		}
	}
}
