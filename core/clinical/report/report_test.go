package report

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"regexp"
	"strings"
	"testing"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
)

func f(v float64) *float64 { return &v }
func bl(v bool) *bool      { return &v }

func rec(file, muscle, side string, csa, ei, exp, z float64, corrected bool) record.Record {
	age := 42.0
	return record.Record{File: file, Muscle: muscle, Side: side, CSACm2: f(csa), EIMean: ei, EIExpected: f(exp), Z: f(z),
		Abnormal: bl(z > 2), Corrected: corrected, AgeYears: &age, Sex: "F", PatientID: "P<1>"}
}

func tinyPNG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// twoVisits: TA both sides and BB left; the second visit is worse.
func twoVisits(t *testing.T) Patient {
	return Patient{ID: "P<1>", Exams: []Exam{
		{Date: "2026-05-01", Operator: "J. Doe", Scanner: "Esaote MyLab", Preset: "MSK", Heckmatt: map[string]string{"TA": "2"}, Images: []Image{
			{rec("ta_l2.png", "TA", "left", 7.0, 90, 70, 2.5, true), tinyPNG(t)},
			{rec("ta_r2.png", "TA", "right", 7.4, 86, 70, 2.1, false), nil},
			{rec("bb_l2.png", "BB", "left", 9.9, 80, 60, 2.2, false), nil},
		}},
		{Date: "2026-01-10", Images: []Image{ // listed second, read first
			{rec("ta_l1.png", "TA", "left", 8.0, 70, 70, 0, false), nil},
			{rec("ta_r1.png", "TA", "right", 8.4, 74, 70, 0.4, false), nil},
			{rec("bb_l1.png", "BB", "left", 10.5, 62, 60, 0.2, false), nil},
		}},
	}}
}

func TestHTMLTwoVisits(t *testing.T) {
	out, err := HTML(twoVisits(t), Model{Name: "myoseg-unet-phantom-v1", Warning: "Trained on synthetic phantoms only.", ResearchOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("MYOSEG_REPORT_OUT"); p != "" { // to look at it
		os.WriteFile(p, out, 0o644)
	}
	s := string(out)
	pages := strings.Split(s, `<section class="page">`)[1:]
	if len(pages) != 2 {
		t.Fatalf("%d pages, want 2 (one per exam)", len(pages))
	}
	first, second := pages[0], pages[1]
	if !strings.Contains(first, "2026-01-10") || !strings.Contains(second, "2026-05-01") {
		t.Error("pages not in date order")
	}
	// Second visit: TA left 7.00/90.0/70.0/2.50 flagged, right 7.40/86.0/2.10,
	// mean of sides CSA 7.20, EI 88.0, z 2.30.
	for _, want := range []string{
		"<td>7.00</td><td>90.0</td><td>70.0</td><td>2.50</td><td class=\"flag\">z &gt; 2</td>",
		"<td>7.40</td><td>86.0</td><td>70.0</td><td>2.10</td>",
		"<td>7.20</td><td>88.0</td><td>70.0</td><td>2.30</td>",
		"Tibialis anterior", "Biceps brachii", "✎ corrected", "data:image/png;base64,",
		"Research use only", "Trained on synthetic phantoms only.", zscore.Caveat, "J. Doe", "Esaote MyLab", "MSK",
		"<option selected>2</option>", // the TA Heckmatt grade
		// the reading names both rules that fired: TA mean 2.30 and BB 2.20 > 2.0; 2 > 1.5
		"Uncertain (2 muscles read, sides averaged)", "age &lt; 65: at least 1 muscle with z &gt; 2.0",
		"at least 2 with z &gt; 1.5", "Also true:",
		"<svg", "<polyline points=",
	} {
		if !strings.Contains(second, want) {
			t.Errorf("second page lacks %q", want)
		}
	}
	// CSA and z plot per muscle, two visits each: 2 muscles × 2 plots × 2 points.
	if n := strings.Count(second, "<circle"); n != 8 {
		t.Errorf("%d plot points on the second page, want 8", n)
	}
	if strings.Contains(first, "<svg") || !strings.Contains(first, "One visit so far") {
		t.Error("first page (one visit) should have no plot")
	}
	if !strings.Contains(first, "Normal: 2 muscles read") {
		t.Error("first visit's reading is not normal")
	}
	// The ID is escaped; nothing is fetched from the network.
	if strings.Contains(s, "P<1>") || !strings.Contains(s, "P&lt;1&gt;") {
		t.Error("patient ID not escaped")
	}
	if regexp.MustCompile(`(src|href)="https?:`).MatchString(s) {
		t.Error("report refers to the network")
	}
	if !strings.Contains(s, "@media print") || !strings.Contains(s, "page-break-after:always") {
		t.Error("no print CSS")
	}
}

func TestHTMLUncalibratedAndRefusals(t *testing.T) {
	r := record.Record{File: "x.png", Muscle: "GM", Side: "right", CSAPx: 1234, EIMean: 50}
	out, err := HTML(Patient{ID: "Q", Exams: []Exam{{Date: "2026-02-02", Images: []Image{{Record: r}}}}}, Model{Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"1234 px", "<td>50.0</td><td>—</td><td>—</td>", "No patient-level reading"} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q", want)
		}
	}
	if strings.Contains(s, "Research use only") {
		t.Error("research-use banner on a model not marked so")
	}
	if _, err := HTML(Patient{ID: "Q"}, Model{}); err == nil {
		t.Error("no exams: want an error")
	}
	if _, err := HTML(Patient{ID: "Q", Exams: []Exam{{Date: "d"}}}, Model{}); err == nil || !strings.Contains(err.Error(), "no images") {
		t.Errorf("empty exam: err = %v", err)
	}
}

// A mask that failed its quality check has no z: the table says it was
// withheld and why, for its side and for the mean of sides, instead of a
// bare dash.
func TestHTMLFlaggedMask(t *testing.T) {
	ok := rec("ta_l.png", "TA", "left", 7.0, 70, 70, 0.1, false)
	flagged := record.Record{File: "ta_r.png", Muscle: "TA", Side: "right", CSACm2: f(0.4), EIMean: 90,
		EIExpected: f(70), Quality: "flagged", QualityReasons: "area 0.4 cm² is smaller than any tibialis anterior"}
	out, err := HTML(Patient{ID: "Q", Exams: []Exam{{Date: "2026-02-02", Images: []Image{{Record: ok}, {Record: flagged}}}}}, Model{Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if n := strings.Count(s, `<td>not computed</td><td class="flag">mask flagged</td>`); n != 2 {
		t.Errorf("%d rows say the z was withheld for a flagged mask, want 2 (right side, mean of sides)", n)
	}
	if !strings.Contains(s, "<td>0.10</td>") {
		t.Error("the left side's z is missing")
	}
}
