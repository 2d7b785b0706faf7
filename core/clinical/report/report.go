// Package report writes the patient report: one printable, self-contained
// HTML page per exam (print CSS; images inline as data: URLs, no network),
// with the muscles × left/right table (CSA, EI, expected EI, z, flag) and
// the side-averaged value per muscle, the flow chart's reading in plain
// words naming every rule that fired, overlay thumbnails, a Heckmatt grade
// field per muscle, the model and its caveats, corrected masks marked, and
// the patient's visits over time (CSA and z per muscle, inline SVG). The
// browser page and the command line both call HTML.
package report

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"myoseg/core/clinical/quality"
	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
)

// Image is one measured image of an exam.
type Image struct {
	Record  record.Record
	Overlay []byte // overlay PNG (a thumbnail is enough); nil = none
}

// Exam is one visit.
type Exam struct {
	Date                      string // YYYY-MM-DD; orders the visits
	Operator, Scanner, Preset string
	Images                    []Image
	// Heckmatt is the clinician's grade per muscle (zscore key or code →
	// "1".."4"); a missing muscle gets an empty field to fill in.
	Heckmatt map[string]string
}

// Patient is one patient with all their exams.
type Patient struct {
	ID    string
	Exams []Exam
}

// Model is what made the masks.
type Model struct {
	Name    string
	Warning string // the model's own warning, shown as is
	// ResearchOnly puts "research use only" on every page (a model trained
	// on phantoms only).
	ResearchOnly bool
}

// HTML writes the report of one patient: a page per exam, in date order,
// each with the visits up to and including it.
func HTML(p Patient, m Model) ([]byte, error) {
	if len(p.Exams) == 0 {
		return nil, errors.New("report: no exams")
	}
	exams := slices.Clone(p.Exams)
	sort.SliceStable(exams, func(i, j int) bool { return exams[i].Date < exams[j].Date })
	var pages []page
	for i, ex := range exams {
		if len(ex.Images) == 0 {
			return nil, fmt.Errorf("report: patient %q, exam %q: no images", p.ID, ex.Date)
		}
		pages = append(pages, buildPage(p.ID, ex, exams[:i+1]))
	}
	return []byte(render(p.ID, m, zscore.Caveat, pages)), nil
}

// cell is one side's (or the sides' mean) values for one muscle.
type cell struct {
	Label                string
	N                    int
	CSA, EI, Expected, Z string
	Flag                 string // "z > 2", "", "mask flagged" (z withheld), or "—" without a z
	Abnormal, Corrected  bool
	Flagged              bool // a mask failed its quality check: its z is withheld
	csa, ei, exp, z      float64
	hasCSA, hasExp, hasZ bool
	csaPx                bool
}

type muscleRows struct {
	Name     string
	Key      string
	Rows     []cell // left, right, unspecified side (those present), then mean
	Heckmatt string
	Grades   []string
}

type thumb struct {
	Src       string // a data: URL
	Caption   string
	Corrected bool
}

type page struct {
	Exam     Exam
	Age, Sex string
	Muscles  []muscleRows
	Reading  string
	Verdict  string
	Thumbs   []thumb
	Visits   []visitPlot
	NVisits  int
	AnyPx    bool
}

func buildPage(id string, ex Exam, visits []Exam) page {
	pg := page{Exam: ex, NVisits: len(visits)}
	for _, im := range ex.Images {
		r := im.Record
		if pg.Age == "" && r.AgeYears != nil {
			pg.Age = fmt.Sprintf("%g", *r.AgeYears)
		}
		if pg.Sex == "" {
			pg.Sex = r.Sex
		}
		if len(im.Overlay) > 0 {
			cap := strings.TrimSpace(fmt.Sprintf("%s — %s %s", r.File, muscleName(r.Muscle), r.Side))
			pg.Thumbs = append(pg.Thumbs, thumb{"data:image/png;base64," + base64.StdEncoding.EncodeToString(im.Overlay), cap, r.Corrected})
		}
	}
	for _, key := range muscleOrder(ex.Images) {
		mr := muscleRows{Name: muscleName(key), Key: key, Grades: []string{"", "0", "1", "2", "3", "4"}}
		mr.Heckmatt = heckmatt(ex.Heckmatt, key)
		sides := sideCells(ex.Images, key)
		for _, c := range sides {
			pg.AnyPx = pg.AnyPx || c.csaPx
		}
		mr.Rows = append(sides, mean(sides))
		pg.Muscles = append(pg.Muscles, mr)
	}
	var recs []record.Record
	for _, im := range ex.Images {
		recs = append(recs, im.Record)
	}
	if rs := zscore.ReadPatients([]zscore.PatientScores{record.Scores(id, recs)}); len(rs) == 1 {
		pg.Verdict, pg.Reading = rs[0].Verdict, rs[0].Explanation
	} else {
		pg.Reading = "No patient-level reading: the flow chart needs z-scores of at least two muscles (patient data and muscle given)."
	}
	pg.Visits = plots(visits)
	return pg
}

// sideCells are one muscle's rows: left, right and side not given, those
// with images.
func sideCells(ims []Image, key string) []cell {
	var out []cell
	for _, side := range []string{"left", "right", ""} {
		var recs []record.Record
		for _, im := range ims {
			if muscleKey(im.Record.Muscle) == key && normSide(im.Record.Side) == side {
				recs = append(recs, im.Record)
			}
		}
		if len(recs) > 0 {
			c := average(recs)
			c.Label = map[string]string{"left": "left", "right": "right", "": "side not given"}[side]
			out = append(out, c)
		}
	}
	return out
}

// average is one side's images of one muscle (usually one image).
func average(recs []record.Record) cell {
	c := cell{N: len(recs)}
	var csa, ei, exp, z []float64
	for _, r := range recs {
		switch {
		case r.CSACm2 != nil:
			csa = append(csa, *r.CSACm2)
		default:
			csa = append(csa, float64(r.CSAPx))
			c.csaPx = true
		}
		ei = append(ei, r.EIMean)
		if r.EIExpected != nil {
			exp = append(exp, *r.EIExpected)
		}
		if r.Z != nil {
			z = append(z, *r.Z)
		}
		c.Corrected = c.Corrected || r.Corrected
		c.Flagged = c.Flagged || r.Quality == string(quality.StatusFlagged)
	}
	c.csa, c.hasCSA = avg(csa), !c.csaPx
	c.ei = avg(ei)
	c.exp, c.hasExp = avg(exp), len(exp) == len(recs)
	c.z, c.hasZ = avg(z), len(z) == len(recs)
	c.format()
	return c
}

// mean is the side-averaged row: the mean of the sides' values.
func mean(sides []cell) cell {
	c := cell{Label: "mean of sides", hasCSA: true, hasExp: true, hasZ: true}
	var csa, ei, exp, z []float64
	for _, s := range sides {
		c.N += s.N
		csa, ei, exp, z = append(csa, s.csa), append(ei, s.ei), append(exp, s.exp), append(z, s.z)
		c.hasCSA, c.hasExp, c.hasZ = c.hasCSA && s.hasCSA, c.hasExp && s.hasExp, c.hasZ && s.hasZ
		c.csaPx = c.csaPx || s.csaPx
		c.Corrected = c.Corrected || s.Corrected
		c.Flagged = c.Flagged || s.Flagged
	}
	c.csa, c.ei, c.exp, c.z = avg(csa), avg(ei), avg(exp), avg(z)
	if c.csaPx {
		c.hasCSA = false
	}
	c.format()
	return c
}

func (c *cell) format() {
	switch {
	case c.csaPx:
		c.CSA = fmt.Sprintf("%.0f px", c.csa)
	default:
		c.CSA = fmt.Sprintf("%.2f", c.csa)
	}
	c.EI = fmt.Sprintf("%.1f", c.ei)
	c.Expected, c.Z, c.Flag = "—", "—", "—"
	if c.hasExp {
		c.Expected = fmt.Sprintf("%.1f", c.exp)
	}
	if !c.hasZ && c.Flagged {
		c.Z, c.Flag = "not computed", "mask flagged"
	}
	if c.hasZ {
		c.Z = fmt.Sprintf("%.2f", c.z)
		c.Abnormal = c.z > zscore.AbnormalZ
		c.Flag = ""
		if c.Abnormal {
			c.Flag = fmt.Sprintf("z > %g", zscore.AbnormalZ)
		}
	}
}

func avg(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func normSide(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "left", "l":
		return "left"
	case "right", "r":
		return "right"
	}
	return ""
}

// muscleKey is zscore's key for a known muscle, the text otherwise.
func muscleKey(s string) string {
	if m, err := zscore.ParseMuscle(s); err == nil {
		return string(m)
	}
	if strings.TrimSpace(s) == "" {
		return "(muscle not given)"
	}
	return s
}

func muscleName(s string) string {
	if m, err := zscore.ParseMuscle(s); err == nil {
		return m.Label()
	}
	return muscleKey(s)
}

// muscleOrder lists the exam's muscles: zscore's order, then the others.
func muscleOrder(ims []Image) []string {
	seen := map[string]bool{}
	for _, im := range ims {
		seen[muscleKey(im.Record.Muscle)] = true
	}
	var out []string
	for _, m := range zscore.Muscles() {
		if seen[string(m)] {
			out = append(out, string(m))
			delete(seen, string(m))
		}
	}
	var rest []string
	for k := range seen {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func heckmatt(h map[string]string, key string) string {
	for k, v := range h {
		if muscleKey(k) == key {
			return v
		}
	}
	return ""
}

// visitPlot is one muscle's CSA and z over the visits.
type visitPlot struct {
	Muscle string
	CSA, Z string // SVG markup (svgPlot), written as is
	Table  []visitRow
}

type visitRow struct{ Date, CSA, Z string }

func plots(visits []Exam) []visitPlot {
	keys := map[string]bool{}
	var order []string
	for _, ex := range visits {
		for _, k := range muscleOrder(ex.Images) {
			if !keys[k] {
				keys[k] = true
				order = append(order, k)
			}
		}
	}
	var out []visitPlot
	for _, k := range order {
		vp := visitPlot{Muscle: muscleName(k)}
		var csa, z []point
		for _, ex := range visits {
			sides := sideCells(ex.Images, k)
			row := visitRow{Date: ex.Date, CSA: "—", Z: "—"}
			if len(sides) > 0 {
				c := mean(sides)
				if c.hasCSA {
					csa = append(csa, point{ex.Date, c.csa})
					row.CSA = c.CSA
				}
				if c.hasZ {
					z = append(z, point{ex.Date, c.z})
					row.Z = c.Z
				}
			}
			vp.Table = append(vp.Table, row)
		}
		if len(visits) > 1 { // one visit is the table above; a plot needs two
			vp.CSA = svgPlot("CSA (cm²)", csa, math.NaN())
			vp.Z = svgPlot("z", z, zscore.AbnormalZ)
		}
		out = append(out, vp)
	}
	return out
}

type point struct {
	Label string
	V     float64
}

// svgPlot draws values over visits, evenly spaced, with an optional
// reference line (z = 2).
func svgPlot(title string, pts []point, ref float64) string {
	const w, h, l, r, t, btm = 220.0, 110.0, 34.0, 8.0, 16.0, 22.0
	if len(pts) == 0 {
		return ""
	}
	lo, hi := pts[0].V, pts[0].V
	for _, p := range pts {
		lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
	}
	if !math.IsNaN(ref) {
		lo, hi = math.Min(lo, ref), math.Max(hi, ref)
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.1
	lo, hi = lo-pad, hi+pad
	x := func(i int) float64 {
		if len(pts) == 1 {
			return (l + w - r) / 2
		}
		return l + float64(i)*(w-l-r)/float64(len(pts)-1)
	}
	y := func(v float64) float64 { return t + (hi-v)/(hi-lo)*(h-t-btm) }
	esc := escText
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="plot" xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="%s">`, w, h, w, h, esc(title))
	fmt.Fprintf(&b, `<text x="%g" y="11" class="pt">%s</text>`, l, esc(title))
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" class="ax"/><line x1="%g" y1="%g" x2="%g" y2="%g" class="ax"/>`, l, t, l, h-btm, l, h-btm, w-r, h-btm)
	fmt.Fprintf(&b, `<text x="%g" y="%g" class="tk" text-anchor="end">%.3g</text><text x="%g" y="%g" class="tk" text-anchor="end">%.3g</text>`, l-3, y(hi)+4, hi, l-3, y(lo), lo)
	if !math.IsNaN(ref) {
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" class="ref"/>`, l, y(ref), w-r, y(ref))
	}
	var path []string
	for i, p := range pts {
		path = append(path, fmt.Sprintf("%.1f,%.1f", x(i), y(p.V)))
	}
	fmt.Fprintf(&b, `<polyline points="%s" class="ln"/>`, strings.Join(path, " "))
	for i, p := range pts {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" class="dt"><title>%s: %.3g</title></circle>`, x(i), y(p.V), esc(p.Label), p.V)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" class="tk" text-anchor="middle">%s</text>`, x(i), h-6, esc(p.Label))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
