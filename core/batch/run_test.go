package batch

import (
	"bytes"
	"strings"
	"testing"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
)

// Readings group a whole run's records by subject, across muscle folders.
func TestReadingsBySubject(t *testing.T) {
	z := func(v float64) *float64 { return &v }
	age := 40.0
	inputs := []Input{
		{Key: "BB/Healthy/Images/S1_1.png", Subject: "S1"},
		{Key: "TA/Healthy/Images/S1_1.png", Subject: "S1"},
		{Key: "TA/Healthy/Images/S1_2.png", Subject: "S1"},
		{Key: "BB/Healthy/Images/S2_1.png", Subject: "S2"}, // one muscle: no reading
		{Key: "GM/Healthy/Images/S3_1.png", Subject: "S3"}, // failed: no record
		{Key: "loose.png"}, // no subject
	}
	plan, err := NewPlan(inputs, Shard{})
	if err != nil {
		t.Fatal(err)
	}
	recs := []*record.Record{
		{Muscle: "biceps_brachii", Z: z(2.6), AgeYears: &age},
		{Muscle: "tibialis_anterior", Z: z(3.4), AgeYears: &age},
		{Muscle: "tibialis_anterior", Z: z(2.6), AgeYears: &age},
		{Muscle: "biceps_brachii", Z: z(5)},
		nil,
		{Muscle: "tibialis_anterior", Z: z(5)},
	}
	got := readings(plan, recs)
	if len(got) != 1 || got[0].PatientID != "S1" || got[0].Verdict != zscore.VerdictLikely || got[0].Muscles != 2 {
		t.Errorf("readings %+v", got)
	}
}

// rewritingStore changes every record file as it is written, as another
// writer of the folder would.
type rewritingStore struct{ *memStore }

func (s rewritingStore) WriteFile(name string, data []byte) error {
	if strings.HasPrefix(name, "records/") {
		data = bytes.Replace(data, []byte(`"calibration_source": "none"`), []byte(`"calibration_source": "changed-on-disk"`), 1)
	}
	return s.memStore.WriteFile(name, data)
}

// results.csv and .jsonl are rebuilt from the record files, so they never
// disagree with records/ (issue 15, fault 2: they came from memory).
func TestResultsRebuiltFromRecords(t *testing.T) {
	fsys := phantoms(t, 3)
	out := rewritingStore{newStore()}
	mustRun(t, fsys, out, tinySegmenter(t, 1), Shard{}, 1)
	files := out.snapshot()
	recs, err := record.ReadJSONL(bytes.NewReader(files["results.jsonl"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d rows", len(recs))
	}
	for _, r := range recs {
		if r.CalibrationSource != "changed-on-disk" {
			t.Errorf("%s: results.jsonl says %q, the record file %q", r.File, r.CalibrationSource, "changed-on-disk")
		}
	}
	if n := bytes.Count(files["results.csv"], []byte("changed-on-disk")); n != 3 {
		t.Errorf("results.csv names the records' calibration %d times, want 3", n)
	}
}
