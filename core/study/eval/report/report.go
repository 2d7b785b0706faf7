// Package report turns an eval.Report into the files a reader opens:
// report.md and report.html (tables with their plots beside them),
// per_image.csv, per_subject.csv and the plots as PNG (gonum.org/v1/plot).
// It returns the files' bytes; the caller writes them. It is a package of its
// own so that the plotting library stays out of the WebAssembly build.
package report

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"myoseg/core/study/eval"
	"myoseg/core/study/stats"
)

// File is one output file, its name relative to the report folder.
type File struct {
	Name string
	Data []byte
}

// Meta describes the run, for the report's header.
type Meta struct {
	Title   string   // "" = "Segmentation evaluation"
	Data    string   // the dataset folder as given
	Pred    string   // the prediction folder, or the model's name
	Command string   // the command line, for reproduction
	Notes   []string // extra lines for the header (model warning, calibration given)
}

// The seed paper's test-set results for its ensemble (Marzola et al. 2021).
const (
	paperPrecision = "0.88 ± 0.12"
	paperRecall    = "0.92 ± 0.09"
	paperEIr       = "0.99"
	paperICC       = "0.99"
)

// document is the report before it is written as Markdown or HTML.
type document struct {
	title    string
	header   []string // paragraphs
	sections []section
}

type section struct {
	title string
	intro []string
	// blocks are shown one under another; each holds tables and the plots
	// that go with them, side by side in HTML.
	blocks []block
}

type block struct {
	tables []table
	plots  []plotRef
	list   []string // a bullet list (problems)
}

type table struct {
	caption string
	head    []string
	rows    [][]string
	notes   []string
}

type plotRef struct{ file, alt string }

// Build makes every file of the report.
func Build(rep *eval.Report, meta Meta) ([]File, error) {
	var files []File
	var b bytes.Buffer
	if err := eval.WritePerImageCSV(&b, rep.Images); err != nil {
		return nil, err
	}
	files = append(files, File{"per_image.csv", append([]byte(nil), b.Bytes()...)})
	b.Reset()
	if err := eval.WritePerSubjectCSV(&b, rep.SubjectRows); err != nil {
		return nil, err
	}
	files = append(files, File{"per_subject.csv", append([]byte(nil), b.Bytes()...)})

	plots, err := makePlots(rep)
	if err != nil {
		return nil, fmt.Errorf("report: plots: %w", err)
	}
	doc := compose(rep, meta, plots)
	files = append(files, File{"report.md", []byte(markdown(doc))})
	files = append(files, File{"report.html", []byte(htmlDoc(doc))})
	for _, p := range plots {
		files = append(files, File{p.name, p.data})
	}
	return files, nil
}

// rendered is one plot's PNG.
type rendered struct {
	key, name, alt string
	data           []byte
}

func find(all []rendered, key string) []plotRef {
	for _, p := range all {
		if p.key == key {
			return []plotRef{{p.name, p.alt}}
		}
	}
	return nil
}

func allGroup(gs []*eval.GroupStats) *eval.GroupStats {
	for _, g := range gs {
		if g.Muscle == "" && g.Group == "" {
			return g
		}
	}
	return nil
}

// makePlots renders every figure that has data.
func makePlots(rep *eval.Report) ([]rendered, error) {
	var out []rendered
	add := func(key, name, alt string, data []byte, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if data != nil {
			out = append(out, rendered{key, "plots/" + name, alt, data})
		}
		return nil
	}
	all := allGroup(rep.Groups)
	if all == nil {
		return nil, nil
	}
	if len(all.EI.Manual) > 0 {
		d, err := blandAltmanPlot("Echo intensity, per image: Bland–Altman", "EI", "grey level 0–255", all.EI)
		if err := add("ei_ba", "ei_bland_altman.png", "Bland–Altman plot of echo intensity, automatic − manual, per image", d, err); err != nil {
			return nil, err
		}
		d, err = scatterPlot("Echo intensity, per image", "EI", "grey level 0–255", all.EI.Manual, all.EI.Auto, all.EI.Units, all.EI.Pearson, nil)
		if err := add("ei_scatter", "ei_scatter.png", "Automatic against manual echo intensity with the identity line", d, err); err != nil {
			return nil, err
		}
	}
	if len(all.CSA.Manual) > 0 {
		u := all.CSA.Unit
		d, err := blandAltmanPlot("Cross-sectional area, per image: Bland–Altman", "CSA", u, all.CSA)
		if err := add("csa_ba", "csa_bland_altman.png", "Bland–Altman plot of cross-sectional area", d, err); err != nil {
			return nil, err
		}
		d, err = scatterPlot("Cross-sectional area, per image", "CSA", u, all.CSA.Manual, all.CSA.Auto, all.CSA.Units, all.CSA.Pearson, nil)
		if err := add("csa_scatter", "csa_scatter.png", "Automatic against manual cross-sectional area with the identity line", d, err); err != nil {
			return nil, err
		}
	}
	if len(all.Z.Manual) > 0 {
		title := "EI z-score, per image"
		if all.Z.ICC.OK() {
			v := all.Z.ICC.Value
			title += fmt.Sprintf(": ICC(A,1) = %.3f [%.3f, %.3f]", v.Value, v.Low, v.High)
		}
		d, err := scatterPlot(title, "z-score", "SD", all.Z.Manual, all.Z.Auto, all.Z.Units, zCorr(all.Z), []float64{2})
		if err := add("z_scatter", "z_scatter.png", "Automatic against manual z-scores with z = 2 thresholds", d, err); err != nil {
			return nil, err
		}
	}
	if sub := allGroup(rep.Subjects); sub != nil {
		if len(sub.EI.Manual) > 0 {
			d, err := blandAltmanPlot("Echo intensity, per subject and muscle: Bland–Altman", "EI", "grey level 0–255", sub.EI)
			if err := add("sub_ei_ba", "subject_ei_bland_altman.png", "Bland–Altman plot of subject-level echo intensity", d, err); err != nil {
				return nil, err
			}
		}
		if len(sub.Z.Manual) > 0 {
			title := "EI z-score, per subject and muscle"
			if sub.Z.ICC.OK() {
				v := sub.Z.ICC.Value
				title += fmt.Sprintf(": ICC(A,1) = %.3f [%.3f, %.3f]", v.Value, v.Low, v.High)
			}
			d, err := scatterPlot(title, "z-score", "SD", sub.Z.Manual, sub.Z.Auto, sub.Z.Units, zCorr(sub.Z), []float64{2})
			if err := add("sub_z_scatter", "subject_z_scatter.png", "Subject-level automatic against manual z-scores", d, err); err != nil {
				return nil, err
			}
		}
	}
	// Distributions per muscle × group (and all).
	var groups []string
	for _, g := range rep.Groups {
		if g.Muscle != "" || (g.Group == "" && g.Muscle == "") {
			groups = append(groups, g.Label)
		}
	}
	collect := func(get func(*eval.ImageResult) float64) map[string][]float64 {
		m := map[string][]float64{}
		for _, r := range rep.Images {
			v := get(r)
			if math.IsNaN(v) {
				continue
			}
			m[r.Item.Muscle+" "+r.Item.Group] = append(m[r.Item.Muscle+" "+r.Item.Group], v)
			m["All"] = append(m["All"], v)
		}
		return m
	}
	overlap := []boxSeries{
		{"Dice", colourDice, collect(func(r *eval.ImageResult) float64 { return r.Dice })},
		{"Precision", colourPrecision, collect(func(r *eval.ImageResult) float64 { return r.Precision })},
		{"Recall", colourRecall, collect(func(r *eval.ImageResult) float64 { return r.Recall })},
	}
	d, err := boxPlot("Overlap with the expert mask, per image", "Overlap (0–1, 1 = perfect)", groups, overlap, 0, 1)
	if err := add("overlap_box", "overlap_box.png", "Box plots of Dice, precision and recall per group", d, err); err != nil {
		return nil, err
	}
	unit, hd, msd := "px", func(r *eval.ImageResult) float64 { return r.HausdorffPx }, func(r *eval.ImageResult) float64 { return r.MeanSurfacePx }
	if allCalibrated(rep) {
		unit, hd, msd = "mm", func(r *eval.ImageResult) float64 { return r.HausdorffMm }, func(r *eval.ImageResult) float64 { return r.MeanSurfaceMm }
	}
	surface := []boxSeries{
		{"Hausdorff distance", colourDice, collect(hd)},
		{"Mean surface distance", colourRecall, collect(msd)},
	}
	d, err = boxPlot("Boundary distance to the expert mask, per image", "Distance ("+unit+")", groups, surface, 0, math.NaN())
	if err := add("surface_box", "surface_box.png", "Box plots of Hausdorff and mean surface distance per group", d, err); err != nil {
		return nil, err
	}
	return out, nil
}

// zCorr is Pearson's r of the z-scores, shown on the z scatter plot.
func zCorr(z eval.ZStats) eval.Maybe[stats.Correlation] {
	c, err := stats.Pearson(z.Manual, z.Auto)
	if err != nil {
		return eval.Maybe[stats.Correlation]{Why: err.Error()}
	}
	return eval.Maybe[stats.Correlation]{Value: c}
}

// allCalibrated: every scored image has a calibration.
func allCalibrated(rep *eval.Report) bool {
	any := false
	for _, r := range rep.Images {
		if r.Scored() {
			if !r.Cal.Known() {
				return false
			}
			any = true
		}
	}
	return any
}

// ---- formatting ----

func why(reason string) string {
	return "n/a: " + strings.TrimPrefix(reason, stats.ErrNotComputable.Error()+": ")
}

// fixed formats v with prec decimals, never as "-0.000" (a kappa of
// −1e−17 is 0).
func fixed(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	s := fmt.Sprintf("%.*f", prec, v)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}

// signed is fixed with an explicit sign: "+2.00", "-1.29", "0.00".
func signed(v float64, prec int) string {
	s := fixed(v, prec)
	if strings.Trim(s, "0.") != "" && !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

func meanSD(s stats.Summary, prec int) string {
	switch s.N {
	case 0:
		return "n/a: no values"
	case 1:
		return fixed(s.Mean, prec) + " (one value, no SD)"
	}
	return fixed(s.Mean, prec) + " ± " + fixed(s.SD, prec)
}

func summary(g *eval.GroupStats, key string) stats.Summary {
	for _, s := range g.Summaries {
		if s.Metric.Key == key {
			return s.Summary
		}
	}
	return stats.Summary{Mean: math.NaN(), SD: math.NaN()}
}

func pValue(p float64) string {
	if p < 0.001 {
		return "< 0.001"
	}
	return fmt.Sprintf("%.3f", p)
}

// paired formats a PairedStats' columns: manual, auto, r, p, bias, SD, LoA.
func paired(ps eval.PairedStats, prec int) []string {
	row := []string{
		fmt.Sprint(len(ps.Manual)),
		meanSD(stats.Summarize(ps.Manual), prec),
		meanSD(stats.Summarize(ps.Auto), prec),
	}
	if ps.Pearson.OK() {
		row = append(row, fmt.Sprintf("%.3f", ps.Pearson.Value.R), pValue(ps.Pearson.Value.P))
	} else {
		row = append(row, why(ps.Pearson.Why), "")
	}
	if ps.BlandAltman.OK() {
		a := ps.BlandAltman.Value
		row = append(row, signed(a.Bias, prec), fixed(a.SD, prec),
			signed(a.Lower, prec)+" to "+signed(a.Upper, prec))
	} else {
		row = append(row, why(ps.BlandAltman.Why), "", "")
	}
	return row
}

func zRow(z eval.ZStats) []string {
	row := []string{
		fmt.Sprint(len(z.Manual)),
		meanSD(stats.Summarize(z.Manual), 2),
		meanSD(stats.Summarize(z.Auto), 2),
	}
	if z.ICC.OK() {
		v := z.ICC.Value
		row = append(row, fmt.Sprintf("%.3f [%.3f, %.3f]", v.Value, v.Low, v.High))
	} else {
		row = append(row, why(z.ICC.Why))
	}
	c := z.Confusion
	row = append(row, fmt.Sprintf("%d / %d / %d / %d", c.TT, c.TF, c.FT, c.FF))
	if z.Agreement.OK() {
		row = append(row, fmt.Sprintf("%.1f %%", 100*z.Agreement.Value))
	} else {
		row = append(row, why(z.Agreement.Why))
	}
	if z.Kappa.OK() {
		row = append(row, fixed(z.Kappa.Value, 3))
	} else {
		row = append(row, why(z.Kappa.Why))
	}
	return row
}

var pairedHead = []string{"Pairs", "Manual (mean ± SD)", "Automatic (mean ± SD)", "Pearson r", "p", "Bias (auto − manual)", "SD of differences", "95 % limits of agreement"}
var zHead = []string{"Group", "Pairs", "z manual", "z automatic", "ICC(A,1) [95 % CI]", "Abnormal (z > 2): both / manual only / auto only / neither", "Agreement", "Cohen's κ"}

// ---- the document ----

func compose(rep *eval.Report, meta Meta, plots []rendered) document {
	d := document{title: meta.Title}
	if d.title == "" {
		d.title = "Segmentation evaluation"
	}
	var scored, manual, auto, withZ int
	calSources := map[string]int{}
	for _, r := range rep.Images {
		if r.HasManual {
			manual++
		}
		if r.HasAuto {
			auto++
		}
		if r.Scored() {
			scored++
			calSources[string(r.Cal.Source)]++
		}
		if !math.IsNaN(r.ZManual) && !math.IsNaN(r.ZAuto) {
			withZ++
		}
	}
	if meta.Data != "" {
		d.header = append(d.header, "Dataset: `"+meta.Data+"`")
	}
	src := rep.Source
	if meta.Pred != "" {
		src += ": `" + meta.Pred + "`"
	}
	d.header = append(d.header, "Automatic masks: "+src)
	if meta.Command != "" {
		d.header = append(d.header, "Command: `"+meta.Command+"`")
	}
	d.header = append(d.header, fmt.Sprintf("Images: %d; with an expert mask: %d; with an automatic mask: %d; scored (both masks): %d; with z-scores for both masks: %d.",
		len(rep.Images), manual, auto, scored, withZ))
	var cs []string
	for k, n := range calSources {
		cs = append(cs, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(cs)
	if len(cs) > 0 {
		d.header = append(d.header, "Calibration of the scored images ("+strings.Join(cs, ", ")+"). Without calibration, CSA is in pixels and distances in pixels only.")
	}
	d.header = append(d.header, meta.Notes...)
	d.header = append(d.header, "Analysis after Marzola F., van Alfen N., Doorduin J., Meiburger K.M., \"Deep learning segmentation of transverse musculoskeletal ultrasound images for neuromuscular disease assessment\", Computers in Biology and Medicine 135:104623 (2021). Results obtained on its dataset (Mendeley Data doi 10.17632/3jykz7wz8d, CC BY 4.0) must cite the article.")

	all := allGroup(rep.Groups)
	subAll := allGroup(rep.Subjects)
	if all != nil {
		d.sections = append(d.sections, headline(all, subAll))
		d.sections = append(d.sections, overlapSection(rep, plots))
		d.sections = append(d.sections, csaSection(rep, plots))
		d.sections = append(d.sections, eiSection("Echo intensity (per image)", rep.Groups, plots, "ei_ba", "ei_scatter",
			"Echo intensity (EI) is the mean grey value (0–255) inside the mask, on the image's 8-bit grey plane. Bland–Altman: automatic − manual; limits of agreement bias ± 1.96 SD."))
		d.sections = append(d.sections, zSection("z-scores (per image)", rep.Groups, plots, "z_scatter",
			"z = (EI − normal EI for the patient) / prediction SD, Radboudumc normal values (valid only for the reference scanner and preset). ICC(A,1): two-way, absolute agreement, single measures (McGraw & Wong 1996), manual and automatic as the two raters. With two raters the rater effect (a systematic bias of automatic against manual) has a single degree of freedom, so even a small consistent bias widens the interval's lower bound a lot; read it together with the Bland–Altman bias of EI. The abnormal call (z > 2) of the automatic EI is compared with that of the manual EI (manual as reference)."))
	}
	if len(rep.Subjects) > 0 {
		d.sections = append(d.sections, eiSection("Echo intensity (per subject and muscle)", rep.Subjects, plots, "sub_ei_ba", "",
			"Each subject's EI for a muscle is the mean over the subject's images of that muscle in which both masks were measured, as the clinical reading averages a muscle's images; the z-score is computed from that mean. See per_subject.csv."))
		d.sections = append(d.sections, zSection("z-scores (per subject and muscle)", rep.Subjects, plots, "sub_z_scatter", ""))
	}
	d.sections = append(d.sections, problemsSection(rep))
	d.sections = append(d.sections, methodsSection())
	return d
}

func headline(all, sub *eval.GroupStats) section {
	s := section{title: "Summary, against the seed paper"}
	t := table{head: []string{"", "This evaluation (all images)", "Per subject and muscle", "Marzola et al. 2021 (test set, ensemble)"}}
	subCell := func(f func(*eval.GroupStats) string) string {
		if sub == nil {
			return "n/a"
		}
		return f(sub)
	}
	r := func(ps eval.PairedStats) string {
		if !ps.Pearson.OK() {
			return why(ps.Pearson.Why)
		}
		return fmt.Sprintf("%.3f (n = %d)", ps.Pearson.Value.R, ps.Pearson.Value.N)
	}
	icc := func(z eval.ZStats) string {
		if !z.ICC.OK() {
			return why(z.ICC.Why)
		}
		v := z.ICC.Value
		return fmt.Sprintf("%.3f [%.3f, %.3f] (n = %d)", v.Value, v.Low, v.High, v.N)
	}
	t.rows = [][]string{
		{"Precision", meanSD(summary(all, "precision"), 3), "—", paperPrecision},
		{"Recall", meanSD(summary(all, "recall"), 3), "—", paperRecall},
		{"Dice", meanSD(summary(all, "dice"), 3), "—", "not reported"},
		{"EI, Pearson r automatic vs manual", r(all.EI), subCell(func(g *eval.GroupStats) string { return r(g.EI) }), paperEIr},
		{"z-score, ICC(A,1) [95 % CI]", icc(all.Z), subCell(func(g *eval.GroupStats) string { return icc(g.Z) }), paperICC},
	}
	t.notes = []string{"The paper's numbers are for its own test set (713 images); they compare with these only when this dataset is that test set."}
	s.blocks = []block{{tables: []table{t}}}
	return s
}

func overlapSection(rep *eval.Report, plots []rendered) section {
	s := section{title: "Segmentation overlap and boundary distance (per image)",
		intro: []string{"Precision = TP/(TP+FP), recall = TP/(TP+FN), Dice = 2TP/(2TP+FP+FN), IoU = TP/(TP+FP+FN), counted in pixels against the expert mask. Hausdorff: the largest distance from a boundary pixel of either mask to the other mask's boundary; mean surface distance: the mean of those distances over both boundaries (average symmetric surface distance). Mean ± SD over the images where the metric exists (see Problems)."}}
	calibrated := false
	for _, r := range rep.Images {
		if !math.IsNaN(r.HausdorffMm) {
			calibrated = true
		}
	}
	head := []string{"Group", "Images", "Scored", "Precision", "Recall", "Dice", "IoU", "Hausdorff (px)", "Mean surface distance (px)"}
	keys := []string{"precision", "recall", "dice", "iou", "hausdorff_px", "msd_px"}
	precs := []int{3, 3, 3, 3, 1, 2}
	if calibrated {
		head = append(head, "Hausdorff (mm)", "Mean surface distance (mm)")
		keys = append(keys, "hausdorff_mm", "msd_mm")
		precs = append(precs, 2, 2)
	}
	t := table{head: head}
	for _, g := range rep.Groups {
		row := []string{g.Label, fmt.Sprint(g.Units), fmt.Sprint(g.Scored)}
		for i, k := range keys {
			row = append(row, meanSD(summary(g, k), precs[i]))
		}
		t.rows = append(t.rows, row)
	}
	b := block{tables: []table{t}}
	b.plots = append(b.plots, find(plots, "overlap_box")...)
	b.plots = append(b.plots, find(plots, "surface_box")...)
	s.blocks = []block{b}
	return s
}

func csaSection(rep *eval.Report, plots []rendered) section {
	s := section{title: "Cross-sectional area (per image)",
		intro: []string{"CSA is the mask's area: in cm² when every scored image of the group is calibrated, else in pixels. Bland–Altman: automatic − manual."}}
	t := table{head: append([]string{"Group", "Unit"}, pairedHead...)}
	for _, g := range rep.Groups {
		prec := 0 // pixels
		if g.CSA.Unit == "cm²" {
			prec = 2
		}
		t.rows = append(t.rows, append([]string{g.Label, g.CSA.Unit}, paired(g.CSA, prec)...))
	}
	b := block{tables: []table{t}}
	b.plots = append(b.plots, find(plots, "csa_ba")...)
	b.plots = append(b.plots, find(plots, "csa_scatter")...)
	s.blocks = []block{b}
	return s
}

func eiSection(title string, groups []*eval.GroupStats, plots []rendered, ba, scatter, intro string) section {
	s := section{title: title}
	if intro != "" {
		s.intro = []string{intro}
	}
	t := table{head: append([]string{"Group"}, pairedHead...)}
	for _, g := range groups {
		t.rows = append(t.rows, append([]string{g.Label}, paired(g.EI, 2)...))
	}
	b := block{tables: []table{t}}
	b.plots = append(b.plots, find(plots, ba)...)
	b.plots = append(b.plots, find(plots, scatter)...)
	s.blocks = []block{b}
	return s
}

func zSection(title string, groups []*eval.GroupStats, plots []rendered, scatter, intro string) section {
	s := section{title: title}
	if intro != "" {
		s.intro = []string{intro}
	}
	t := table{head: zHead}
	for _, g := range groups {
		t.rows = append(t.rows, append([]string{g.Label}, zRow(g.Z)...))
	}
	blocks := []table{t}
	if all := allGroup(groups); all != nil && len(all.Z.Manual) > 0 {
		c := all.Z.Confusion
		blocks = append(blocks, table{
			caption: "All: healthy/abnormal call, manual (rows) against automatic (columns)",
			head:    []string{"", "Automatic abnormal", "Automatic normal", "Total"},
			rows: [][]string{
				{"Manual abnormal", fmt.Sprint(c.TT), fmt.Sprint(c.TF), fmt.Sprint(c.TT + c.TF)},
				{"Manual normal", fmt.Sprint(c.FT), fmt.Sprint(c.FF), fmt.Sprint(c.FT + c.FF)},
				{"Total", fmt.Sprint(c.TT + c.FT), fmt.Sprint(c.TF + c.FF), fmt.Sprint(c.N())},
			},
		})
	}
	s.blocks = []block{{tables: blocks, plots: find(plots, scatter)}}
	return s
}

// maxListed caps the per-image problem list; per_image.csv has them all.
const maxListed = 300

func problemsSection(rep *eval.Report) section {
	s := section{title: "Problems"}
	counts := map[string]int{}
	var lines []string
	for _, r := range rep.Images {
		if len(r.Problems) == 0 {
			continue
		}
		for _, p := range r.Problems {
			counts[problemKind(p)]++
		}
		lines = append(lines, r.Item.Key()+": "+strings.Join(r.Problems, "; "))
	}
	if len(lines) == 0 && len(rep.Warnings) == 0 {
		s.intro = []string{"None: every image had both masks, patient data and every metric."}
		return s
	}
	if len(counts) > 0 {
		t := table{caption: "Problems by kind (an image may have several)", head: []string{"Problem", "Images"}}
		var kinds []string
		for k := range counts {
			kinds = append(kinds, k)
		}
		sort.Slice(kinds, func(i, j int) bool {
			if counts[kinds[i]] != counts[kinds[j]] {
				return counts[kinds[i]] > counts[kinds[j]]
			}
			return kinds[i] < kinds[j]
		})
		for _, k := range kinds {
			t.rows = append(t.rows, []string{k, fmt.Sprint(counts[k])})
		}
		s.blocks = append(s.blocks, block{tables: []table{t}})
	}
	if len(lines) > maxListed {
		extra := len(lines) - maxListed
		lines = append(lines[:maxListed], fmt.Sprintf("… and %d more images (see the problems column of per_image.csv)", extra))
	}
	if len(lines) > 0 {
		s.blocks = append(s.blocks, block{list: lines})
	}
	if len(rep.Warnings) > 0 {
		s.blocks = append(s.blocks, block{tables: []table{{caption: "Dataset warnings", head: []string{"Warning"}, rows: oneColumn(rep.Warnings)}}})
	}
	return s
}

func oneColumn(xs []string) [][]string {
	out := make([][]string, len(xs))
	for i, x := range xs {
		out[i] = []string{x}
	}
	return out
}

// problemKind reduces a problem to its kind for counting: quoted names
// and numbers replaced, parenthesised details dropped.
func problemKind(p string) string {
	p = quoted.ReplaceAllString(p, "…")
	p = paren.ReplaceAllString(p, "")
	p = number.ReplaceAllString(p, "N")
	return strings.TrimSpace(p)
}

var (
	quoted = regexp.MustCompile(`"[^"]*"`)
	paren  = regexp.MustCompile(` \([^()]*\)`)
	number = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)
)

func methodsSection() section {
	s := section{title: "Methods and files"}
	s.intro = []string{
		"Statistics (package myoseg/core/study/stats): mean and sample SD (n − 1); Pearson's r with a two-sided t-test p-value (n − 2 df); Bland–Altman bias and 95 % limits of agreement bias ± 1.96 SD of the differences (Bland & Altman 1986); ICC(A,1) with its 95 % confidence interval from McGraw & Wong (1996), case 2A (Shrout & Fleiss ICC(2,1)); Cohen's κ. A statistic needs at least 3 pairs and non-zero variance; when it cannot be computed the table says why.",
		"Boundary pixels are mask pixels with a 4-neighbour outside the mask (the image edge counts as outside); distances are exact Euclidean distance transforms (Felzenszwalb & Huttenlocher 2012) between pixel centres, in pixels and, for calibrated images, in millimetres with the image's pixel size.",
		"per_image.csv: one row per image; an empty cell means not computed (the problems column says why). Columns: " + strings.Join(eval.PerImageColumns(), ", ") + ".",
		"per_subject.csv: one row per subject and muscle. Columns: " + strings.Join(eval.PerSubjectColumns(), ", ") + ".",
	}
	return s
}
