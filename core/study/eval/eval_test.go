package eval

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"
	"testing/fstest"

	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
	"myoseg/core/study/dataset"
)

const tw, th = 64, 48

// region is the expert mask of the synthetic images: a 20×10 rectangle
// whose left half is grey v and right half grey v+4, on a black image.
var region = image.Rect(20, 15, 40, 25)

func leftHalf() image.Rectangle  { return image.Rect(20, 15, 30, 25) }
func rightHalf() image.Rectangle { return image.Rect(30, 15, 40, 25) }

func pngBytes(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func scan(v uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, tw, th))
	for y := region.Min.Y; y < region.Max.Y; y++ {
		for x := region.Min.X; x < region.Max.X; x++ {
			g.Pix[g.PixOffset(x, y)] = v
			if x >= 30 {
				g.Pix[g.PixOffset(x, y)] = v + 4
			}
		}
	}
	return g
}

func maskOf(w, h int, r image.Rectangle) *image.Gray { return rectMask(w, h, r) }

// fixture builds a dataset and a prediction folder:
//   - BB/Healthy: five subjects H1..H5 with images of grey 60..100 (step
//     10), the prediction is the right half of the expert mask (so EI auto =
//     EI manual + 2, CSA auto = CSA manual / 2); H1 has a second image.
//   - BB/Pathological: P1 normal, P2 without an expert mask, P3 with a
//     prediction of the wrong size, P4 with an empty prediction, P5 not in
//     characteristics.csv, P6 without a prediction; P7's prediction sits
//     flat in the group folder (no Masks/).
func fixture(t testing.TB) (data, pred fstest.MapFS) {
	data, pred = fstest.MapFS{}, fstest.MapFS{}
	put := func(fs fstest.MapFS, p string, m image.Image) { fs[p] = &fstest.MapFile{Data: pngBytes(t, m)} }
	hc := "ID,age,sex,height,weight\n"
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("H%d_1.png", i)
		put(data, "BB/Healthy/Images/"+name, scan(uint8(50+10*i)))
		put(data, "BB/Healthy/Masks/"+name, maskOf(tw, th, region))
		put(pred, "BB/Healthy/Masks/"+name, maskOf(tw, th, rightHalf()))
		hc += fmt.Sprintf("H%d,%d,F,165,60\n", i, 30+i)
	}
	put(data, "BB/Healthy/Images/H1_2.png", scan(120))
	put(data, "BB/Healthy/Masks/H1_2.png", maskOf(tw, th, region))
	put(pred, "BB/Healthy/Masks/H1_2.png", maskOf(tw, th, rightHalf()))
	data["BB/Healthy/characteristics.csv"] = &fstest.MapFile{Data: []byte(hc)}

	pc := "ID,age,sex,height,weight\n"
	for i := 1; i <= 7; i++ {
		name := fmt.Sprintf("P%d_1.png", i)
		put(data, "BB/Pathological/Images/"+name, scan(150))
		if i != 2 {
			put(data, "BB/Pathological/Masks/"+name, maskOf(tw, th, region))
		}
		switch i {
		case 3:
			put(pred, "BB/Pathological/Masks/"+name, maskOf(tw+1, th, rightHalf()))
		case 4:
			put(pred, "BB/Pathological/Masks/"+name, image.NewGray(image.Rect(0, 0, tw, th)))
		case 6:
		case 7:
			put(pred, "BB/Pathological/"+name, maskOf(tw, th, leftHalf()))
		default:
			put(pred, "BB/Pathological/Masks/"+name, maskOf(tw, th, rightHalf()))
		}
		if i != 5 {
			pc += fmt.Sprintf("P%d,%d,M,180,80\n", i, 60+i)
		}
	}
	data["BB/Pathological/characteristics.csv"] = &fstest.MapFile{Data: []byte(pc)}
	return data, pred
}

func run(t *testing.T, data, pred fstest.MapFS, opt Options) *Report {
	t.Helper()
	ds, err := dataset.Read(data, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opt.Pred = pred
	rep, err := Evaluate(context.Background(), data, ds, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func byName(rep *Report) map[string]*ImageResult {
	m := map[string]*ImageResult{}
	for _, r := range rep.Images {
		m[r.Item.Name] = r
	}
	return m
}

func hasProblem(r *ImageResult, part string) bool {
	for _, p := range r.Problems {
		if strings.Contains(p, part) {
			return true
		}
	}
	return false
}

func TestEvaluatePerImage(t *testing.T) {
	data, pred := fixture(t)
	rep := run(t, data, pred, Options{Workers: 3, User: calib.User{CmPerPx: 0.01}})
	if len(rep.Images) != 13 {
		t.Fatalf("%d images, want 13", len(rep.Images))
	}
	img := byName(rep)

	h := img["H2_1.png"]
	if !h.Scored() || len(h.Problems) != 0 {
		t.Fatalf("H2: scored %v problems %q", h.Scored(), h.Problems)
	}
	// Right half of the expert mask: TP 100, FP 0, FN 100.
	if h.TP != 100 || h.FP != 0 || h.FN != 100 || h.Precision != 1 || h.Recall != 0.5 || math.Abs(h.Dice-2.0/3) > 1e-12 || h.IoU != 0.5 {
		t.Errorf("H2 overlap %+v", h.Overlap)
	}
	// The left edge moved 10 px: Hausdorff 10 px = 1 mm at 0.01 cm/px.
	if h.HausdorffPx != 10 || math.Abs(h.HausdorffMm-1) > 1e-12 {
		t.Errorf("H2 Hausdorff %g px %g mm", h.HausdorffPx, h.HausdorffMm)
	}
	if h.EIManual != 72 || h.EIAuto != 74 || h.EISDManual != 2 || h.EISDAuto != 0 {
		t.Errorf("H2 EI %g/%g SD %g/%g", h.EIManual, h.EIAuto, h.EISDManual, h.EISDAuto)
	}
	if h.CSAManualPx != 200 || h.CSAAutoPx != 100 || math.Abs(h.CSAManualCm2-0.02) > 1e-12 || math.Abs(h.CSAAutoCm2-0.01) > 1e-12 {
		t.Errorf("H2 CSA %g/%g px %g/%g cm²", h.CSAManualPx, h.CSAAutoPx, h.CSAManualCm2, h.CSAAutoCm2)
	}
	p := zscore.Patient{AgeYears: 32, Sex: "F", HeightCm: 165, WeightKg: 60}
	zm, _ := zscore.Compute(zscore.BicepsBrachii, p, 72)
	za, _ := zscore.Compute(zscore.BicepsBrachii, p, 74)
	if math.Abs(h.ZManual-zm.Z) > 1e-12 || math.Abs(h.ZAuto-za.Z) > 1e-12 || h.Expected != zm.Expected {
		t.Errorf("H2 z %g/%g, want %g/%g", h.ZManual, h.ZAuto, zm.Z, za.Z)
	}

	cases := []struct {
		name, problem      string
		manual, auto       bool
		precisionNaN, zNaN bool
	}{
		{"P2_1.png", "no expert mask", false, true, true, false},
		{"P3_1.png", "predicted mask is 65×48", true, false, true, false},
		{"P4_1.png", "automatic mask is empty", true, true, true, false},
		{"P5_1.png", `subject "P5" not in`, true, true, false, true},
		// All three layouts looked for are named (the batch one was left out).
		{"P6_1.png", "no predicted mask (looked for BB/Pathological/Masks/P6_1.png, BB/Pathological/P6_1.png and BB/Pathological/Images/P6_1.mask.png)", true, false, true, false},
	}
	for _, c := range cases {
		r := img[c.name]
		if !hasProblem(r, c.problem) {
			t.Errorf("%s: problems %q lack %q", c.name, r.Problems, c.problem)
		}
		if r.HasManual != c.manual || r.HasAuto != c.auto {
			t.Errorf("%s: has manual %v auto %v", c.name, r.HasManual, r.HasAuto)
		}
		if math.IsNaN(r.Precision) != c.precisionNaN {
			t.Errorf("%s: precision %g", c.name, r.Precision)
		}
		if math.IsNaN(r.ZManual) != c.zNaN && c.manual {
			t.Errorf("%s: z manual %g", c.name, r.ZManual)
		}
	}
	if r := img["P4_1.png"]; r.Recall != 0 || r.Dice != 0 || !math.IsNaN(r.HausdorffPx) || !math.IsNaN(r.EIAuto) {
		t.Errorf("P4 (empty prediction): recall %g dice %g HD %g EI auto %g", r.Recall, r.Dice, r.HausdorffPx, r.EIAuto)
	}
	if r := img["P7_1.png"]; !r.Scored() || r.PredPath != "BB/Pathological/P7_1.png" || r.EIAuto != 150 {
		t.Errorf("P7 (flat prediction folder): scored %v from %q EI %g", r.Scored(), r.PredPath, r.EIAuto)
	}
}

func TestEvaluateGroups(t *testing.T) {
	data, pred := fixture(t)
	rep := run(t, data, pred, Options{})
	labels := []string{}
	for _, g := range rep.Groups {
		labels = append(labels, g.Label)
	}
	if strings.Join(labels, ",") != "BB Healthy,BB Pathological,All Healthy,All Pathological,All" {
		t.Fatalf("groups %q", labels)
	}
	hg := rep.Groups[0]
	if hg.Units != 6 || hg.Scored != 6 {
		t.Errorf("BB Healthy: %d units %d scored", hg.Units, hg.Scored)
	}
	// Every healthy pair: auto − manual EI = 2 exactly, CSA −100 px.
	ba := hg.EI.BlandAltman
	if !ba.OK() || ba.Value.N != 6 || math.Abs(ba.Value.Bias-2) > 1e-12 || ba.Value.SD > 1e-12 {
		t.Errorf("EI Bland–Altman %+v", ba)
	}
	if c := hg.EI.Pearson; !c.OK() || math.Abs(c.Value.R-1) > 1e-12 {
		t.Errorf("EI Pearson %+v", c)
	}
	if c := hg.CSA; c.Unit != "px²" || !c.BlandAltman.OK() || c.BlandAltman.Value.Bias != -100 {
		t.Errorf("CSA %+v", c)
	}
	// CSA has zero variance in the manual masks: r cannot be computed, and
	// the report must say so.
	if c := hg.CSA.Pearson; c.OK() || !strings.Contains(c.Why, "zero variance") {
		t.Errorf("CSA Pearson on constant areas: %+v", c)
	}
	for _, s := range hg.Summaries {
		switch s.Metric.Key {
		case "recall":
			if s.N != 6 || s.Mean != 0.5 || s.SD != 0 {
				t.Errorf("recall summary %+v", s.Summary)
			}
		case "ei_manual":
			// 62, 72, 82, 92, 102, 122.
			want := (62.0 + 72 + 82 + 92 + 102 + 122) / 6
			if s.N != 6 || math.Abs(s.Mean-want) > 1e-12 {
				t.Errorf("ei_manual summary %+v, want mean %g", s.Summary, want)
			}
		case "hausdorff_mm":
			if s.N != 0 {
				t.Errorf("uncalibrated run has %d Hausdorff mm values", s.N)
			}
		}
	}
	// z-scores: auto = manual + 2/SD for each subject, so ICC is high but
	// below 1, and the confusion matrix counts the z > 2 calls.
	z := hg.Z
	if !z.ICC.OK() || !(z.ICC.Value.Value > 0.9 && z.ICC.Value.Value < 1) || z.ICC.Value.N != 6 {
		t.Errorf("z ICC %+v", z.ICC)
	}
	var want [4]int
	for _, r := range rep.Images[:6] {
		m, _ := r.AbnormalManual()
		a, _ := r.AbnormalAuto()
		switch {
		case m && a:
			want[0]++
		case m:
			want[1]++
		case a:
			want[2]++
		default:
			want[3]++
		}
	}
	if got := [4]int{z.Confusion.TT, z.Confusion.TF, z.Confusion.FT, z.Confusion.FF}; got != want {
		t.Errorf("confusion %v, want %v", got, want)
	}
	pg := rep.Groups[1]
	// Pathological: 7 images; scored = P1, P4, P5, P7 (P2 no manual, P3 bad
	// size, P6 no prediction).
	if pg.Units != 7 || pg.Scored != 4 {
		t.Errorf("BB Pathological: %d units %d scored", pg.Units, pg.Scored)
	}
	// EI pairs: P1, P5, P7 (P4's automatic mask is empty).
	if n := len(pg.EI.Manual); n != 3 {
		t.Errorf("pathological EI pairs %d, want 3", n)
	}
	// z pairs: P1, P7 only (P5 has no patient data): too few for ICC.
	if pg.Z.ICC.OK() || !strings.Contains(pg.Z.ICC.Why, "2 target(s)") {
		t.Errorf("pathological ICC %+v", pg.Z.ICC)
	}
	if all := rep.Groups[4]; all.Units != 13 || all.Scored != 10 {
		t.Errorf("All: %d units %d scored", all.Units, all.Scored)
	}

	// Subject level: H1's two images average (62+122)/2 = 92 manual.
	var h1 *SubjectResult
	for _, s := range rep.SubjectRows {
		if s.SubjectID == "H1" {
			h1 = s
		}
	}
	if h1 == nil || h1.Images != 2 || h1.EIManual != 92 || h1.EIAuto != 94 {
		t.Errorf("subject H1 %+v", h1)
	}
	if len(rep.Subjects) == 0 || rep.Subjects[0].Units != 5 {
		t.Errorf("subject groups %+v", rep.Subjects)
	}
}

type fakePredictor map[string]*image.Gray

func (f fakePredictor) Predict(_ context.Context, name string, data []byte) (*image.Gray, error) {
	if len(data) == 0 {
		return nil, errors.New("no data")
	}
	m, ok := f[name]
	if !ok {
		return nil, errors.New("model failed")
	}
	return m, nil
}

func TestEvaluatePredictor(t *testing.T) {
	data, _ := fixture(t)
	ds, err := dataset.Read(data, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pr := fakePredictor{"H1_1.png": maskOf(tw, th, region)}
	rep, err := Evaluate(context.Background(), data, ds, Options{Predictor: pr, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	img := byName(rep)
	if r := img["H1_1.png"]; !r.Scored() || r.Dice != 1 || r.HausdorffPx != 0 || r.PredPath != "" {
		t.Errorf("H1_1: %+v", r)
	}
	if r := img["H2_1.png"]; r.HasAuto || !hasProblem(r, "model: model failed") {
		t.Errorf("H2_1 problems %q", r.Problems)
	}
	if _, err := Evaluate(context.Background(), data, ds, Options{}); err == nil {
		t.Error("no source of automatic masks accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Evaluate(ctx, data, ds, Options{Predictor: pr}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run err = %v", err)
	}
}

func TestEvaluateBadImage(t *testing.T) {
	data := fstest.MapFS{
		"TA/Healthy/Images/A_1.png": {Data: []byte("not a png")},
		"TA/Healthy/Masks/A_1.png":  {Data: pngBytes(t, maskOf(tw, th, region))},
		"TA/Healthy/Images/B_1.png": {Data: pngBytes(t, scan(80))},
		"TA/Healthy/Masks/B_1.png":  {Data: pngBytes(t, maskOf(tw, th+2, region))},
	}
	pred := fstest.MapFS{"TA/Healthy/Masks/B_1.png": {Data: pngBytes(t, maskOf(tw, th, region))}}
	rep := run(t, data, pred, Options{})
	img := byName(rep)
	if r := img["A_1.png"]; !hasProblem(r, "image:") || r.Scored() {
		t.Errorf("A_1 problems %q", r.Problems)
	}
	if r := img["B_1.png"]; !hasProblem(r, "expert mask is 64×50, image 64×48") || r.HasManual || !r.HasAuto {
		t.Errorf("B_1 problems %q", r.Problems)
	}
	// Nothing computable: every group statistic says why.
	for _, g := range rep.Groups {
		if g.EI.Pearson.OK() || g.EI.BlandAltman.OK() || g.Z.ICC.OK() || g.Z.Kappa.OK() {
			t.Errorf("%s: statistics on no data: %+v", g.Label, g)
		}
	}
}

func TestPerImageCSV(t *testing.T) {
	data, pred := fixture(t)
	rep := run(t, data, pred, Options{User: calib.User{CmPerPx: 0.01}})
	var b bytes.Buffer
	if err := WritePerImageCSV(&b, rep.Images); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 14 || strings.Join(rows[0], ",") != strings.Join(PerImageColumns(), ",") {
		t.Fatalf("%d rows, header %q", len(rows), rows[0])
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	var h2, p2 []string
	for _, r := range rows[1:] {
		switch r[col["file"]] {
		case "H2_1.png":
			h2 = r
		case "P2_1.png":
			p2 = r
		}
	}
	want := map[string]string{
		"muscle": "BB", "group": "Healthy", "subject": "H2", "tp": "100", "fp": "0", "fn": "100",
		"precision": "1.0000", "recall": "0.5000", "dice": "0.6667", "hausdorff_px": "10.000", "hausdorff_mm": "1.000",
		"csa_manual_px": "200", "csa_auto_cm2": "0.0100", "ei_manual": "72.000", "ei_auto": "74.000",
		"calibration": "user-cm-per-px", "age": "32.0", "sex": "F", "problems": "",
	}
	for k, v := range want {
		if h2[col[k]] != v {
			t.Errorf("H2 %s = %q, want %q", k, h2[col[k]], v)
		}
	}
	if p2[col["precision"]] != "" || p2[col["tp"]] != "" || !strings.Contains(p2[col["problems"]], "no expert mask") {
		t.Errorf("P2 row %q", p2)
	}
	for _, r := range rows {
		for _, c := range r {
			if strings.Contains(strings.ToLower(c), "nan") {
				t.Errorf("NaN printed: %q", r)
			}
		}
	}
	b.Reset()
	if err := WritePerSubjectCSV(&b, rep.SubjectRows); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "muscle,group,subject,images,") || !strings.Contains(b.String(), "BB,Healthy,H1,2,92.000,94.000,") {
		t.Errorf("per_subject.csv:\n%s", b.String())
	}
}

func BenchmarkEvaluate(b *testing.B) {
	data, pred := fixture(b)
	ds, err := dataset.Read(data, dataset.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Evaluate(context.Background(), data, ds, Options{Pred: pred}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFindPred(t *testing.T) {
	img := pngBytes(t, scan(80))
	mask := pngBytes(t, maskOf(tw, th, region))
	data := fstest.MapFS{
		"Polito/BB/Healthy/Images/A_1.png":      {Data: img},
		"Polito/BB/Healthy/Masks/A_1.png":       {Data: mask},
		"Polito/ta/healthy/images/B_1.png":      {Data: img},
		"Polito/ta/healthy/masks/B_1.png":       {Data: mask},
		"Polito/GM/Healthy/Images/C_1.tif":      {Data: img}, // a PNG despite the name: decode sniffs
		"Polito/GM/Healthy/Masks/C_1.png":       {Data: mask},
		"Polito/TA/Pathological/Images/D_1.png": {Data: img},
		"Polito/TA/Pathological/Masks/D_1.png":  {Data: mask},
	}
	pred := fstest.MapFS{
		"BB/Healthy/Masks/A_1.png":                   {Data: mask}, // relative to the dataset root
		"Polito/ta/healthy/B_1.png":                  {Data: mask}, // root kept, flat
		"GM/Healthy/Masks/C_1.png":                   {Data: mask}, // stem + .png
		"GM/Healthy/Masks/unused.png":                {Data: mask},
		"Polito/TA/Pathological/Images/D_1.mask.png": {Data: mask}, // batch output's masks/ folder
	}
	rep := run(t, data, pred, Options{})
	want := map[string]string{
		"A_1.png": "BB/Healthy/Masks/A_1.png",
		"B_1.png": "Polito/ta/healthy/B_1.png",
		"C_1.tif": "GM/Healthy/Masks/C_1.png",
		"D_1.png": "Polito/TA/Pathological/Images/D_1.mask.png",
	}
	for _, r := range rep.Images {
		if r.PredPath != want[r.Item.Name] || r.Dice != 1 {
			t.Errorf("%s: prediction %q (Dice %g), want %q", r.Item.Name, r.PredPath, r.Dice, want[r.Item.Name])
		}
	}
}

// BenchmarkEvaluateSeedImage scores one 480×512 image (decode image, expert
// and predicted mask; overlap; surface distances in px and mm; EI; z).
func BenchmarkEvaluateSeedImage(b *testing.B) {
	const w, h = 512, 480
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 7 % 251)
	}
	manual, auto := image.NewGray(g.Rect), image.NewGray(g.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := (float64(x)-256)/180, (float64(y)-200)/90
			if dx*dx+dy*dy <= 1 {
				manual.Pix[y*w+x] = 255
			}
			dx, dy = (float64(x)-262)/175, (float64(y)-204)/88
			if dx*dx+dy*dy <= 1 {
				auto.Pix[y*w+x] = 255
			}
		}
	}
	data := fstest.MapFS{
		"GM/Healthy/Images/S1_1.png":     {Data: pngBytes(b, g)},
		"GM/Healthy/Masks/S1_1.png":      {Data: pngBytes(b, manual)},
		"GM/Healthy/characteristics.csv": {Data: []byte("ID,age,sex,height,weight\nS1,50,M,180,80\n")},
	}
	pred := fstest.MapFS{"GM/Healthy/Masks/S1_1.png": {Data: pngBytes(b, auto)}}
	ds, err := dataset.Read(data, dataset.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Evaluate(context.Background(), data, ds, Options{Pred: pred, User: calib.User{CmPerPx: 0.01}})
		if err != nil || !rep.Images[0].Scored() {
			b.Fatal(err, rep.Images[0].Problems)
		}
	}
}
