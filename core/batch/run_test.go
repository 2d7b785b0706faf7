package batch

import (
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
