package zscore

import (
	"strings"
	"testing"
)

func TestReadPatients(t *testing.T) {
	ps := []PatientScores{
		// Two TA images (sides) average to 3.0; with BB at 2.6: two muscles above 2.5.
		{PatientID: "A", AgeYears: 40, Scores: []MuscleZ{{Muscle: "TA", Z: 3.4}, {Muscle: "tibialis_anterior", Z: 2.6}, {Muscle: "BB", Z: 2.6}}},
		{PatientID: "B", AgeYears: 40, Scores: []MuscleZ{{Muscle: "TA", Z: 0.1}, {Muscle: "BB", Z: -0.5}, {Muscle: "nose", Z: 9}}},
		{PatientID: "C", AgeYears: 40, Scores: []MuscleZ{{Muscle: "TA", Z: 4}}}, // one muscle: no reading
	}
	got := ReadPatients(ps)
	if len(got) != 2 {
		t.Fatalf("readings: %+v", got)
	}
	if got[0].PatientID != "A" || got[0].Verdict != VerdictLikely || got[0].Muscles != 2 {
		t.Errorf("A: %+v", got[0])
	}
	if got[1].PatientID != "B" || got[1].Verdict != VerdictNormal || got[1].Muscles != 2 {
		t.Errorf("B: %+v", got[1])
	}
	if s := got[0].String(); s != "A: neuromuscular disease likely (2 muscles; at least 2 muscles with z > 2.5)" {
		t.Errorf("String() = %q", s)
	}
	if s := (PatientReading{Verdict: VerdictNormal, Rule: "r", Muscles: 3}).String(); s != "normal (3 muscles; r)" {
		t.Errorf("String() without ID = %q", s)
	}
}

func TestParseSex(t *testing.T) {
	for in, want := range map[string]string{"m": "M", " F ": "F", "": ""} {
		if got, err := ParseSex(in); err != nil || got != want {
			t.Errorf("ParseSex(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseSex("X"); err == nil {
		t.Error("ParseSex(X) accepted")
	}
}

func TestExplain(t *testing.T) {
	r := Read([]Score{{Muscle: BicepsBrachii, Z: 2.2}, {Muscle: TibialisAnterior, Z: 0.4}}, 40)
	want := "Uncertain (2 muscles read, sides averaged), because uncertain [rule: age < 65: at least 1 muscle with z > 2.0] (Biceps brachii z 2.20). The first rule that applies sets the verdict."
	if got := r.Explain(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := Read([]Score{{Z: 0.1}, {Z: 0.2}}, 40).Explain(); !strings.HasPrefix(got, "Normal: 2 muscles read") {
		t.Errorf("normal: %q", got)
	}
	ps := ReadPatients([]PatientScores{{PatientID: "P1", AgeYears: 40, Scores: []MuscleZ{{Muscle: "BB", Z: 2.6}, {Muscle: "TA", Z: 2.7}, {Muscle: "GM", Z: 0}}}})
	if len(ps) != 1 || len(ps[0].Fired) != 3 || ps[0].Fired[0] != "at least 2 muscles with z > 2.5" || !strings.Contains(ps[0].Explanation, "Also true:") {
		t.Errorf("ReadPatients: %+v", ps)
	}
}

// A flagged mask withholds the patient's reading, naming the muscle and the
// reason; a phantom-trained model's z-scores mark the reading research only.
func TestReadPatientsWithheldAndResearchOnly(t *testing.T) {
	got := ReadPatients([]PatientScores{
		{PatientID: "W", AgeYears: 40, Scores: []MuscleZ{{Muscle: "TA", Z: 0.1}, {Muscle: "BB", Z: 0.2}, {Muscle: "GM", Withheld: "the mask is empty"}}},
		{PatientID: "R", AgeYears: 40, Scores: []MuscleZ{{Muscle: "TA", Z: 0.1, ResearchOnly: true}, {Muscle: "BB", Z: 0.2}}},
		{PatientID: "one", AgeYears: 40, Scores: []MuscleZ{{Muscle: "TA", Withheld: "x"}}},                         // one muscle: never a reading
		{PatientID: "sides", AgeYears: 40, Scores: []MuscleZ{{Muscle: "TA", Withheld: "x"}, {Muscle: "TA", Z: 1}}}, // both sides of one muscle: neither
	})
	if len(got) != 2 {
		t.Fatalf("readings: %+v", got)
	}
	w := got[0]
	if !w.Withheld || w.Verdict != "not computed: mask flagged (Gastrocnemius medialis: the mask is empty)" || w.Rule != "" {
		t.Errorf("withheld: %+v", w)
	}
	if s := w.String(); s != "W: not computed: mask flagged (Gastrocnemius medialis: the mask is empty)" {
		t.Errorf("withheld String() = %q", s)
	}
	r := got[1]
	if r.Withheld || r.Verdict != VerdictNormal || !r.ResearchOnly {
		t.Errorf("research only: %+v", r)
	}
	if s := r.String(); !strings.HasSuffix(s, "— research use only") {
		t.Errorf("research only String() = %q", s)
	}
}

func TestScannerApplies(t *testing.T) {
	for m, want := range map[string]bool{"Esaote": true, "ESAOTE S.p.A.": true, "esaote": true, "": true, "GE Healthcare": false, "SIEMENS": false, "Philips": false} {
		if got := ScannerApplies(m); got != want {
			t.Errorf("ScannerApplies(%q) = %v, want %v", m, got, want)
		}
	}
}
