package record

import (
	"encoding/json"
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
		WeightKg: &one, EIExpected: &one, EIPredSD: &one, Z: &one, Abnormal: &b, Muscle: "x", Side: "x", Sex: "x", ZNote: "x", Warning: "x"}
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
