package zscore

import (
	"fmt"
	"sort"
	"strings"
)

// ParseSex reads a patient's sex: M or F in any case, or "" (not given).
func ParseSex(s string) (string, error) {
	switch v := strings.ToUpper(strings.TrimSpace(s)); v {
	case "", "M", "F":
		return v, nil
	}
	return "", fmt.Errorf("zscore: sex must be M or F, got %q", s)
}

// PatientScores is one patient's z-scores, one per image: several images
// (or both sides) of one muscle are averaged by ReadPatients. Its JSON is
// what the browser page sends.
type PatientScores struct {
	PatientID string    `json:"patientId"`
	AgeYears  float64   `json:"age"`
	Scores    []MuscleZ `json:"scores"`
}

// MuscleZ is one image's z-score.
type MuscleZ struct {
	Muscle string  `json:"muscle"` // anything ParseMuscle reads
	Z      float64 `json:"z"`
	// Withheld says why this image has no z-score although it should have
	// one (its mask was flagged by the quality check and nobody has
	// corrected or accepted it yet); Z is then meaningless, and the
	// patient's reading is withheld too: a reading without that muscle
	// could say "normal" for the wrong reason.
	Withheld string `json:"withheld,omitempty"`
	// ResearchOnly marks a z-score from a model trained on phantoms; the
	// reading made from it carries the mark too.
	ResearchOnly bool `json:"researchOnly,omitempty"`
}

// ResearchOnly is written next to every z-score and verdict made with a
// model trained on phantoms, not in a caveat far away.
const ResearchOnly = "research use only"

// withheldVerdict begins the verdict of a patient one of whose masks is
// flagged.
const withheldVerdict = "not computed: mask flagged"

// PatientReading is the patient-level reading of one patient.
type PatientReading struct {
	PatientID string `json:"patientId"`
	Verdict   string `json:"verdict"`
	Rule      string `json:"rule"`
	Muscles   int    `json:"muscles"`
	// Fired names every rule that fired (Reading.Fired), Explanation says
	// the reading in plain words (Reading.Explain).
	Fired       []string `json:"fired,omitempty"`
	Explanation string   `json:"explanation"`
	// Withheld is set when the reading is not computed because a mask is
	// flagged (Verdict then says so); ResearchOnly when a z-score behind
	// it comes from a model trained on phantoms.
	Withheld     bool `json:"withheld,omitempty"`
	ResearchOnly bool `json:"researchOnly,omitempty"`
}

// String is the reading as one line, as the command line prints it:
// "ID: verdict (N muscles; rule)", without "ID: " when there is none.
func (r PatientReading) String() string {
	s := fmt.Sprintf("%s (%d muscles; %s)", r.Verdict, r.Muscles, r.Rule)
	if r.Withheld {
		s = r.Verdict
	}
	if r.ResearchOnly {
		s += " — " + ResearchOnly
	}
	if r.PatientID != "" {
		s = r.PatientID + ": " + s
	}
	return s
}

// ReadPatients applies Read per patient, averaging several images (or both
// sides) of one muscle first, as the flow chart asks. Scores of unknown
// muscles are left out; patients with fewer than two muscles get no
// reading. A patient with a withheld score (and two muscles or more) gets
// the verdict "not computed: mask flagged (muscle: reason)" instead of a
// reading.
func ReadPatients(ps []PatientScores) []PatientReading {
	var out []PatientReading
	for _, p := range ps {
		sum := map[Muscle]float64{}
		n := map[Muscle]int{}
		var withheld []string
		muscles := map[Muscle]bool{} // with a z-score or withheld
		research := false
		for _, s := range p.Scores {
			m, err := ParseMuscle(s.Muscle)
			if err != nil {
				continue
			}
			muscles[m] = true
			if s.Withheld != "" {
				withheld = append(withheld, m.Label()+": "+s.Withheld)
				continue
			}
			research = research || s.ResearchOnly
			sum[m] += s.Z
			n[m]++
		}
		if len(withheld) > 0 && len(muscles) >= 2 {
			v := withheldVerdict + " (" + strings.Join(withheld, "; ") + ")"
			out = append(out, PatientReading{PatientID: p.PatientID, Verdict: v, Muscles: len(n), Withheld: true,
				ResearchOnly: research,
				Explanation:  "No patient-level reading: " + v + ". Correct the mask, or accept it as it is, to read this patient."})
			continue
		}
		if len(n) < 2 {
			continue
		}
		var scores []Score
		for m, c := range n {
			scores = append(scores, Score{Muscle: m, Z: sum[m] / float64(c)})
		}
		sort.Slice(scores, func(i, j int) bool { return scores[i].Muscle < scores[j].Muscle })
		r := Read(scores, p.AgeYears)
		pr := PatientReading{PatientID: p.PatientID, Verdict: r.Verdict, Rule: r.Rule, Muscles: r.Muscles, Explanation: r.Explain(), ResearchOnly: research}
		for _, f := range r.Fired {
			pr.Fired = append(pr.Fired, f.Rule.Text)
		}
		out = append(out, pr)
	}
	return out
}

// Explain is the reading in plain words: the verdict, every rule that
// fired and the muscles that made it fire.
func (r Reading) Explain() string {
	if r.Muscles == 0 {
		return "No muscle has a z-score, so there is no patient-level reading."
	}
	if len(r.Fired) == 0 {
		return fmt.Sprintf("Normal: %d muscles read (sides averaged); none is high enough, alone or together, for any rule of the flow chart.", r.Muscles)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s (%d muscles read, sides averaged), because %s", strings.ToUpper(r.Verdict[:1]), r.Verdict[1:], r.Muscles, firedWords(r.Fired[0]))
	if len(r.Fired) > 1 {
		b.WriteString(". Also true:")
		for i, f := range r.Fired[1:] {
			if i > 0 {
				b.WriteString(";")
			}
			b.WriteString(" " + firedWords(f))
		}
	}
	b.WriteString(". The first rule that applies sets the verdict.")
	return b.String()
}

func firedWords(f Fired) string {
	ms := make([]string, len(f.Muscles))
	for i, s := range f.Muscles {
		ms[i] = fmt.Sprintf("%s z %.2f", s.Muscle.Label(), s.Z)
	}
	return fmt.Sprintf("%s [rule: %s] (%s)", f.Rule.Verdict, f.Rule.Text, strings.Join(ms, ", "))
}
