package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"myoseg/core/study/eval"
	"myoseg/core/study/stats"
)

// Figure size and resolution: 900×675 px, readable on screen and in print.
const (
	figW = 6 * vg.Inch
	figH = 4.5 * vg.Inch
	dpi  = 150
)

// Okabe–Ito colours (distinguishable with colour-vision deficiency), one per
// muscle in the seed folders' order.
var muscleColours = map[string]color.RGBA{
	"BB": {0, 114, 178, 255},   // blue
	"GM": {230, 159, 0, 255},   // orange
	"TA": {0, 158, 115, 255},   // green
	"RF": {204, 121, 167, 255}, // purple
	"VL": {213, 94, 0, 255},    // vermilion
}

var grey = color.RGBA{90, 90, 90, 255}

func muscleColour(m string) color.RGBA {
	if c, ok := muscleColours[m]; ok {
		return c
	}
	return grey
}

// groupShape: circles for Healthy, triangles for Pathological.
func groupShape(g string) draw.GlyphDrawer {
	if g == "Pathological" {
		return draw.TriangleGlyph{}
	}
	return draw.CircleGlyph{}
}

func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(12)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(10)
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// niceTicks labels about six round values (1, 2 or 5 × 10^k apart); the
// default marker labels only two or three, too few to read values off.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, f := range []float64{1, 2, 5, 10} {
		// The round step nearest to the raw one (on a log scale).
		if math.Abs(math.Log(f*mag/raw)) < math.Abs(math.Log(step/raw)) {
			step = f * mag
		}
	}
	prec := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	minor := step / 5
	for v := math.Ceil(lo/minor) * minor; v <= hi+minor*1e-6; v += minor {
		t := plot.Tick{Value: v}
		if r := math.Round(v / step); math.Abs(v/step-r) < 1e-6 {
			t.Value = r * step
			t.Label = strconv.FormatFloat(t.Value+0, 'f', prec, 64) // +0 turns −0 into 0
		}
		ticks = append(ticks, t)
	}
	return ticks
}

func render(p *plot.Plot) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(figW, figH), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("render %q: %w", p.Title.Text, err)
	}
	return b.Bytes(), nil
}

// point is one pair placed on a plot, with what it belongs to.
type point struct {
	x, y          float64
	muscle, group string
}

// addPoints draws points as one series per muscle × group, for the legend.
func addPoints(p *plot.Plot, pts []point) (entries int, err error) {
	type key struct{ m, g string }
	series := map[key]plotter.XYs{}
	var keys []key
	for _, q := range pts {
		k := key{q.muscle, q.group}
		if _, ok := series[k]; !ok {
			keys = append(keys, k)
		}
		series[k] = append(series[k], plotter.XY{X: q.x, Y: q.y})
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].m != keys[j].m {
			return eval.MuscleRank(keys[i].m) < eval.MuscleRank(keys[j].m)
		}
		return keys[i].g < keys[j].g
	})
	for _, k := range keys {
		s, err := plotter.NewScatter(series[k])
		if err != nil {
			return 0, err
		}
		c := muscleColour(k.m)
		s.GlyphStyle.Color = color.NRGBA{R: c.R, G: c.G, B: c.B, A: 210} // non-premultiplied: RGBA with A < R is invalid
		s.GlyphStyle.Shape = groupShape(k.g)
		s.GlyphStyle.Radius = vg.Points(2.6)
		p.Add(s)
		p.Legend.Add(fmt.Sprintf("%s %s (n = %d)", k.m, k.g, len(series[k])), s)
	}
	return len(keys), nil
}

func hline(p *plot.Plot, y, x0, x1 float64, c color.Color, dashed bool) error {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return err
	}
	l.LineStyle.Color = c
	l.LineStyle.Width = vg.Points(1.2)
	if dashed {
		l.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	p.Add(l)
	return nil
}

func label(p *plot.Plot, x, y float64, s string, c color.Color) error {
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: x, Y: y}}, Labels: []string{s}})
	if err != nil {
		return err
	}
	l.TextStyle[0].Color = c
	l.TextStyle[0].Font.Size = vg.Points(9)
	l.TextStyle[0].XAlign = draw.XRight
	l.TextStyle[0].YAlign = draw.YBottom
	l.Offset = vg.Point{X: -vg.Points(3), Y: vg.Points(2)}
	p.Add(l)
	return nil
}

func xRange(pts []point) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, q := range pts {
		lo, hi = math.Min(lo, q.x), math.Max(hi, q.x)
	}
	if lo == hi {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.04
	return lo - pad, hi + pad
}

func pointsOf(refs []eval.UnitRef, xs, ys []float64) []point {
	pts := make([]point, len(xs))
	for i := range xs {
		pts[i] = point{x: xs[i], y: ys[i], muscle: refs[i].Muscle, group: refs[i].Group}
	}
	return pts
}

// blandAltmanPlot: mean of the two methods on x, automatic − manual on y,
// with the bias and the 95 % limits of agreement drawn and labelled.
func blandAltmanPlot(title, quantity, unit string, ps eval.PairedStats) ([]byte, error) {
	pts := make([]point, len(ps.Manual))
	for i := range ps.Manual {
		pts[i] = point{x: (ps.Manual[i] + ps.Auto[i]) / 2, y: ps.Auto[i] - ps.Manual[i],
			muscle: ps.Units[i].Muscle, group: ps.Units[i].Group}
	}
	if !ps.BlandAltman.OK() {
		title += "\n(" + ps.BlandAltman.Why + ")"
	}
	p := newPlot(title,
		fmt.Sprintf("Mean of automatic and manual %s (%s)", quantity, unit),
		fmt.Sprintf("Automatic − manual %s (%s)", quantity, unit))
	entries, err := addPoints(p, pts)
	if err != nil {
		return nil, err
	}
	x0, x1 := xRange(pts)
	if ps.BlandAltman.OK() {
		a := ps.BlandAltman.Value
		red := color.RGBA{200, 30, 30, 255}
		for _, l := range []struct {
			y      float64
			text   string
			dashed bool
		}{
			{a.Bias, "bias " + short(a.Bias), false},
			{a.Upper, "+1.96 SD: " + short(a.Upper), true},
			{a.Lower, "−1.96 SD: " + short(a.Lower), true},
		} {
			if err := hline(p, l.y, x0, x1, red, l.dashed); err != nil {
				return nil, err
			}
			if err := label(p, x1, l.y, l.text, red); err != nil {
				return nil, err
			}
		}
		// Room for the labels above the upper line.
		span := math.Max(a.Upper-a.Lower, 1e-9)
		p.Y.Max = math.Max(p.Y.Max, a.Upper+0.15*span)
		p.Y.Min = math.Min(p.Y.Min, a.Lower-0.1*span)
	}
	if err := hline(p, 0, x0, x1, grey, false); err != nil {
		return nil, err
	}
	p.X.Min, p.X.Max = x0, x1
	legendRoom(p, entries)
	p.Legend.Top, p.Legend.Left = true, true
	return render(p)
}

// short writes v with about three significant digits, no exponent, and a
// typographic minus: "−2.04", "+0.539", "−17486".
func short(v float64) string {
	a := math.Abs(v)
	prec := 3
	switch {
	case a >= 100:
		prec = 0
	case a >= 10:
		prec = 1
	case a >= 1:
		prec = 2
	}
	s := strconv.FormatFloat(v+0, 'f', prec, 64)
	if strings.HasPrefix(s, "-") {
		return "−" + s[1:]
	}
	return "+" + s
}

func formatP(p float64) string {
	if p < 0.001 {
		return "p < 0.001"
	}
	return fmt.Sprintf("p = %.3f", p)
}

// scatterPlot: manual on x, automatic on y, identity line, r in the title.
func scatterPlot(title, quantity, unit string, manual, auto []float64, refs []eval.UnitRef, r eval.Maybe[stats.Correlation], lines []float64) ([]byte, error) {
	if r.OK() {
		title += fmt.Sprintf("\nPearson r = %.3f (%s), n = %d", r.Value.R, formatP(r.Value.P), r.Value.N)
	} else if r.Why != "" {
		title += "\n(r " + r.Why + ")"
	}
	p := newPlot(title,
		fmt.Sprintf("Manual %s (%s)", quantity, unit),
		fmt.Sprintf("Automatic %s (%s)", quantity, unit))
	pts := pointsOf(refs, manual, auto)
	if _, err := addPoints(p, pts); err != nil {
		return nil, err
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range manual {
		lo = math.Min(lo, math.Min(manual[i], auto[i]))
		hi = math.Max(hi, math.Max(manual[i], auto[i]))
	}
	for _, v := range lines {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if lo == hi {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.05
	lo, hi = lo-pad, hi+pad
	id, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
	if err != nil {
		return nil, err
	}
	id.LineStyle.Color = grey
	id.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	p.Add(id)
	p.Legend.Add("identity (automatic = manual)", id)
	// Thresholds (z = 2) on both axes.
	for _, v := range lines {
		red := color.NRGBA{R: 200, G: 30, B: 30, A: 170}
		h, _ := plotter.NewLine(plotter.XYs{{X: lo, Y: v}, {X: hi, Y: v}})
		vl, _ := plotter.NewLine(plotter.XYs{{X: v, Y: lo}, {X: v, Y: hi}})
		for _, l := range []*plotter.Line{h, vl} {
			l.LineStyle.Color = red
			l.LineStyle.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
			p.Add(l)
		}
		p.Legend.Add(fmt.Sprintf("abnormal above z = %g", v), h)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, hi, lo, hi
	p.Legend.Top, p.Legend.Left = true, true
	return render(p)
}

// legendRoom raises the y axis's top so that a top legend of n entries sits
// above the data instead of on it.
func legendRoom(p *plot.Plot, n int) {
	span := p.Y.Max - p.Y.Min
	if !(span > 0) {
		return
	}
	// Each entry takes about 4 % of the data area's height.
	frac := math.Min(0.6, 0.045*float64(n)+0.03)
	p.Y.Max += span * frac / (1 - frac)
}

// boxSeries is one metric's values per group.
type boxSeries struct {
	name   string
	colour color.Color
	values map[string][]float64 // group label → values
}

// boxPlot draws, for each group on x, one box per series side by side. The
// y axis spans the whiskers (so boxes of values crowded near 1 stay
// readable), within the metric's own limits lo..hi (NaN: none); values
// beyond the axis are counted in the title, never silently dropped.
func boxPlot(title, ylabel string, groups []string, series []boxSeries, lo, hi float64) ([]byte, error) {
	w := vg.Points(14)
	n := len(series)
	type entry struct {
		b    *plotter.BoxPlot
		vals []float64
	}
	var boxes []entry
	var legend []boxSeries
	low, high := math.Inf(1), math.Inf(-1)
	for si, s := range series {
		used := false
		for gi, g := range groups {
			vals := s.values[g]
			if len(vals) == 0 {
				continue
			}
			b, err := plotter.NewBoxPlot(w, float64(gi), plotter.Values(vals))
			if err != nil {
				return nil, err
			}
			b.Offset = vg.Length(float64(si)-float64(n-1)/2) * (w + vg.Points(2))
			b.FillColor = s.colour
			b.BoxStyle.Width = vg.Points(0.8)
			b.MedianStyle.Width = vg.Points(1.5)
			b.GlyphStyle.Radius = vg.Points(1.8)
			low, high = math.Min(low, b.AdjLow), math.Max(high, b.AdjHigh)
			boxes = append(boxes, entry{b, vals})
			used = true
		}
		if used {
			legend = append(legend, s)
		}
	}
	if len(boxes) == 0 {
		return nil, nil
	}
	span := math.Max(high-low, 0.02*math.Max(math.Abs(high), 1))
	yMin, yMax := low-0.1*span, high+0.1*span
	if !math.IsNaN(lo) {
		yMin = math.Max(yMin, lo)
	}
	if !math.IsNaN(hi) {
		yMax = math.Min(yMax, hi)
	}
	hidden := 0
	for _, e := range boxes {
		for _, v := range e.vals {
			if v < yMin || v > yMax {
				hidden++
			}
		}
	}
	if hidden > 0 {
		title += fmt.Sprintf("\n(%d outlying value(s) beyond the axis; see per_image.csv)", hidden)
	}
	p := newPlot(title, "Group", ylabel)
	for _, e := range boxes {
		p.Add(e.b)
	}
	for _, s := range legend {
		p.Legend.Add(s.name, swatch{s.colour})
	}
	p.NominalX(groups...)
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Min, p.Y.Max = yMin, yMax
	// Room above the data for the legend; no tick labels there.
	legendRoom(p, len(legend))
	p.Y.Tick.Marker = boundedTicks{yMin, yMax}
	p.Legend.Top, p.Legend.Left = true, true
	return render(p)
}

// boundedTicks labels only values inside lo..hi (the data's part of the axis).
type boundedTicks struct{ lo, hi float64 }

func (b boundedTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (niceTicks{}).Ticks(lo, hi) {
		if t.Value >= b.lo-1e-12 && t.Value <= b.hi+1e-12 {
			out = append(out, t)
		}
	}
	return out
}

// swatch is a filled legend thumbnail (box plots have none of their own).
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y}}
	c.FillPolygon(s.c, c.ClipPolygonY(pts))
	c.StrokeLines(draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}, append(pts, pts[0]))
}
