package record

import (
	"bytes"
	"encoding/json"
	"myoseg/core/clinical/zscore"
	"reflect"
	"strings"
	"testing"
)

func TestRowMatchesColumns(t *testing.T) {
	z, cm2, yes := 2.34567, 12.345678, true
	r := Record{File: "a.png", Model: "m", CalibrationSource: "user-cm-per-px", CSAPx: 100, CSACm2: &cm2,
		EIMean: 61.23456, Z: &z, Abnormal: &yes, Corrected: true}
	row, cols := r.Row(), Columns()
	if len(row) != len(cols) {
		t.Fatalf("%d fields, %d columns", len(row), len(cols))
	}
	get := func(col string) string {
		for i, c := range cols {
			if c == col {
				return row[i]
			}
		}
		t.Fatalf("no column %s", col)
		return ""
	}
	for col, want := range map[string]string{"file": "a.png", "csa_px": "100", "csa_cm2": "12.3457", "ei_mean": "61.235",
		"z": "2.346", "abnormal": "true", "corrected": "true", "perimeter_cm": "", "age_years": ""} {
		if got := get(col); got != want {
			t.Errorf("%s = %q, want %q", col, got, want)
		}
	}
}

// Every CSV column is also a JSON key, so the two outputs never drift apart.
func TestJSONKeysAreColumns(t *testing.T) {
	one, b := 1.0, true
	r := Record{CmPerPxX: &one, CmPerPxY: &one, CSACm2: &one, PerimeterCm: &one, AgeYears: &one, HeightCm: &one,
		WeightKg: &one, EIExpected: &one, EIPredSD: &one, Z: &one, Abnormal: &b, Muscle: "x", Side: "x", Sex: "x", ZNote: "x", Warning: "x",
		PatientID: "x", ExamDate: "x", PatientVerdict: "x", QualityReasons: "x"}
	raw, _ := json.Marshal(r)
	var keys map[string]any
	if err := json.Unmarshal(raw, &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(Columns()) {
		t.Errorf("%d JSON keys, %d columns", len(keys), len(Columns()))
	}
	for _, c := range Columns() {
		if _, ok := keys[c]; !ok {
			t.Errorf("column %s is not a JSON key (%s)", c, strings.Join(Columns(), ","))
		}
	}
}

func TestRound(t *testing.T) {
	z := 1.23456
	r := Record{EIMean: 10.12345, Z: &z}
	r.Round()
	if r.EIMean != 10.123 || *r.Z != 1.235 {
		t.Errorf("rounded %v %v", r.EIMean, *r.Z)
	}
}

func TestCSVAndJSONLRoundTrip(t *testing.T) {
	x, cm2, z, age, no := 0.0123, 4.56789, -1.25, 41.5, false
	recs := []Record{
		{File: "a,\"quoted\".png", Frame: 2, Muscle: "tibialis_anterior", Model: "m", CalibrationSource: "dicom-region",
			CmPerPxX: &x, CmPerPxY: &x, CSAPx: 1234, CSACm2: &cm2, PerimeterPx: 140.25, EIMean: 61.5, EISD: 12.125,
			AgeYears: &age, Sex: "F", Z: &z, Abnormal: &no, ZNote: "line\nbreak", Corrected: true, Quality: "ok"},
		{File: "b.png", CalibrationSource: "none", Quality: "flagged", QualityReasons: "no muscle found: the mask is empty; x",
			ZNote: "not computed: mask flagged (no muscle found: the mask is empty)"},
		{File: "c.png", CalibrationSource: "none", Quality: "accepted", QualityReasons: "r", ZNote: zscore.ResearchOnly + "; " + zscore.Caveat},
	}
	for i := range recs {
		recs[i].Round()
	}
	csvBytes := EncodeCSV(recs)
	back, err := ReadCSV(bytes.NewReader(csvBytes))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, recs) {
		t.Errorf("CSV round trip:\n got %+v\nwant %+v", back, recs)
	}
	if again := EncodeCSV(back); !bytes.Equal(again, csvBytes) {
		t.Errorf("CSV not byte-identical after a round trip:\n%s\n%s", again, csvBytes)
	}
	var jl bytes.Buffer
	if err := WriteJSONL(&jl, recs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(csvBytes, []byte(",research use only; "+CaveatCode+",")) {
		t.Errorf("the scanner caveat inside a longer note is not written as its code:\n%s", csvBytes)
	}
	if strings.Count(jl.String(), "\n") != 3 {
		t.Errorf("JSONL is not one record a line:\n%s", jl.String())
	}
	back, err = ReadJSONL(&jl)
	if err != nil || !reflect.DeepEqual(back, recs) {
		t.Errorf("JSONL round trip: %v\n got %+v\nwant %+v", err, back, recs)
	}
	// An older file with fewer columns reads; a bad number names its line and column.
	old, err := ReadCSV(strings.NewReader("file,csa_px\nc.png,7\n"))
	if err != nil || len(old) != 1 || old[0].File != "c.png" || old[0].CSAPx != 7 {
		t.Errorf("older CSV: %+v %v", old, err)
	}
	if _, err := ReadCSV(strings.NewReader("file,csa_px\nc.png,seven\n")); err == nil || !strings.Contains(err.Error(), "line 2, column csa_px") {
		t.Errorf("bad number: %v", err)
	}
	if _, err := ReadJSONL(strings.NewReader(`{"file":"a","nose":1}`)); err == nil {
		t.Error("unknown JSON key accepted")
	}
}

// A flagged record withholds its patient's reading; research-only z-scores
// mark the verdict.
func TestScoresQualityAndVerdicts(t *testing.T) {
	z1, z2, age := 0.5, 0.2, 50.0
	note := zscore.ResearchOnly + "; " + zscore.Caveat
	recs := []Record{
		{PatientID: "A", Muscle: "biceps_brachii", Z: &z1, AgeYears: &age, ZNote: note, Quality: "ok"},
		{PatientID: "A", Muscle: "tibialis_anterior", Z: &z2, ZNote: note, Quality: "accepted", QualityReasons: "r"},
		{PatientID: "B", Muscle: "biceps_brachii", Z: &z1, Quality: "ok"},
		{PatientID: "B", Muscle: "tibialis_anterior", Z: &z2, Quality: "ok"},
		{PatientID: "B", Muscle: "rectus_femoris", Quality: "flagged", QualityReasons: "no muscle found: the mask is empty"},
	}
	ps := Scores("B", recs[2:])
	if len(ps.Scores) != 3 || ps.Scores[2].Withheld != "no muscle found: the mask is empty" || ps.Scores[0].ResearchOnly {
		t.Errorf("B scores %+v", ps)
	}
	if ps := Scores("A", recs[:2]); len(ps.Scores) != 2 || !ps.Scores[0].ResearchOnly || ps.Scores[1].Withheld != "" {
		t.Errorf("A scores %+v", ps)
	}
	v := Verdicts(recs)
	if v["A"] != zscore.VerdictNormal+" (research use only)" {
		t.Errorf("A verdict %q", v["A"])
	}
	if v["B"] != "not computed: mask flagged (Rectus femoris: no muscle found: the mask is empty)" {
		t.Errorf("B verdict %q", v["B"])
	}
}

func TestScores(t *testing.T) {
	z1, z2, age := 1.5, 2.5, 70.0
	ps := Scores("P1", []Record{{Muscle: "biceps_brachii", Z: &z1, AgeYears: &age}, {Muscle: "", Z: &z2}, {Muscle: "tibialis_anterior"}, {Muscle: "tibialis_anterior", Z: &z2}})
	if ps.PatientID != "P1" || ps.AgeYears != 70 || len(ps.Scores) != 2 || ps.Scores[1].Z != 2.5 {
		t.Errorf("%+v", ps)
	}
}

// The verdict column reads each patient's records together; the caveat is a
// code in the CSV and its text again when read back.
func TestCSVVerdictAndCaveat(t *testing.T) {
	z := func(v float64) *float64 { return &v }
	age := 40.0
	recs := []Record{
		{File: "a1", PatientID: "A", Muscle: "TA", Z: z(2.6), AgeYears: &age, ZNote: zscore.Caveat},
		{File: "a2", PatientID: "A", Muscle: "BB", Z: z(2.7), AgeYears: &age, ZNote: zscore.Caveat},
		{File: "b1", PatientID: "B", Muscle: "TA", Z: z(0.1), AgeYears: &age},
		{File: "b2", PatientID: "B", Muscle: "BB", Z: z(0.2), AgeYears: &age, ExamDate: "2026-03-01"},
		{File: "c1", PatientID: "C", Muscle: "TA", Z: z(3.9), AgeYears: &age}, // one muscle: no reading
	}
	data := EncodeCSV(recs)
	if bytes.Count(data, []byte(zscore.Caveat)) != 0 || bytes.Count(data, []byte(CaveatCode)) != 2 {
		t.Errorf("caveat text in the CSV, or code not twice:\n%s", data)
	}
	back, err := ReadCSV(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a1": zscore.VerdictLikely, "a2": zscore.VerdictLikely, "b1": zscore.VerdictNormal, "b2": zscore.VerdictNormal, "c1": ""}
	for _, r := range back {
		if r.PatientVerdict != want[r.File] {
			t.Errorf("%s: verdict %q, want %q", r.File, r.PatientVerdict, want[r.File])
		}
	}
	if back[0].ZNote != zscore.Caveat || back[3].ExamDate != "2026-03-01" || back[2].PatientID != "B" {
		t.Errorf("read back: %+v", back)
	}
	if recs[0].PatientVerdict != "" {
		t.Error("WriteCSV changed the caller's records")
	}
}
