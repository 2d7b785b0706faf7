package zscore

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// Expected values computed independently with numpy from
// shared/reference/echo-intensity-reference.json for a 40-year-old man,
// 180 cm, 70 kg, EI 80.
func TestComputeMatchesIndependentNumbers(t *testing.T) {
	p := Patient{AgeYears: 40, Sex: "M", HeightCm: 180, WeightKg: 70}
	tests := []struct {
		m            Muscle
		mean, sd, z  float64
		wantAbnormal bool
	}{
		{BicepsBrachii, 65.95542680450801, 7.091444511693203, 1.9804953944621098, false},
		{TibialisAnterior, 71.24557109500081, 8.987668143499516, 0.9740489707923826, false},
		{GastrocnemiusMedialis, 63.24335026295354, 7.908145185936916, 2.118910230283186, true},
		{RectusFemoris, 65.75013792717078, 7.894741763231792, 1.8049814041030636, false},
		{VastusLateralis, 63.96859897708593, 9.036012965765655, 1.7741675541692483, false},
	}
	for _, tc := range tests {
		s, err := Compute(tc.m, p, 80)
		if err != nil {
			t.Fatalf("%s: %v", tc.m, err)
		}
		if math.Abs(s.Expected-tc.mean) > 1e-9 || math.Abs(s.SD-tc.sd) > 1e-9 || math.Abs(s.Z-tc.z) > 1e-9 {
			t.Errorf("%s: got mean %.12g sd %.12g z %.12g, want %.12g %.12g %.12g", tc.m, s.Expected, s.SD, s.Z, tc.mean, tc.sd, tc.z)
		}
		if s.Abnormal != tc.wantAbnormal || s.Caveat != Caveat {
			t.Errorf("%s: abnormal %v caveat %q", tc.m, s.Abnormal, s.Caveat)
		}
	}
}

// The transcribed table must equal the shared JSON, number for number.
func TestReferenceMatchesSharedJSON(t *testing.T) {
	const path = "../../../../shared/reference/echo-intensity-reference.json"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("shared reference not reachable at %s: %v", path, err)
	}
	var doc struct {
		Muscles []struct {
			Muscle       string      `json:"muscle"`
			Terms        []string    `json:"terms"`
			Coefficients []float64   `json:"coefficients"`
			MSE          float64     `json:"mse"`
			Cov          [][]float64 `json:"coeff_cov"`
		} `json:"muscles"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ref := reference()
	if len(doc.Muscles) != len(ref) {
		t.Fatalf("%d muscles in JSON, %d in Go", len(doc.Muscles), len(ref))
	}
	for i, jm := range doc.Muscles {
		m, err := ParseMuscle(jm.Muscle)
		if err != nil {
			t.Fatal(err)
		}
		lm := ref[i]
		if lm.muscle != m || len(lm.terms) != len(jm.Terms) {
			t.Fatalf("muscle %d: %s vs %s", i, lm.muscle, m)
		}
		for k := range jm.Terms {
			if lm.terms[k].String() != jm.Terms[k] || lm.coef[k] != jm.Coefficients[k] {
				t.Errorf("%s term %d: %s %g vs %s %g", m, k, lm.terms[k], lm.coef[k], jm.Terms[k], jm.Coefficients[k])
			}
			for j := range jm.Cov[k] {
				if lm.cov[k][j] != jm.Cov[k][j] {
					t.Errorf("%s cov[%d][%d]", m, k, j)
				}
			}
		}
		if lm.mse != jm.MSE {
			t.Errorf("%s mse", m)
		}
	}
}

func TestMissingPredictors(t *testing.T) {
	tests := []struct {
		m Muscle
		p Patient
	}{
		{BicepsBrachii, Patient{AgeYears: 40}},                   // weight missing
		{TibialisAnterior, Patient{AgeYears: 40, Sex: "x"}},      // bad sex
		{GastrocnemiusMedialis, Patient{AgeYears: 40, Sex: "F"}}, // height missing
		{RectusFemoris, Patient{HeightCm: 170}},                  // age missing
		{Muscle("deltoid"), Patient{AgeYears: 40}},
	}
	for _, tc := range tests {
		if _, err := Compute(tc.m, tc.p, 60); err == nil {
			t.Errorf("%s %+v: want error", tc.m, tc.p)
		}
	}
	if _, err := Compute(BicepsBrachii, Patient{AgeYears: 40, WeightKg: 70}, 300); err == nil {
		t.Error("EI 300 accepted")
	}
}

func TestParseMuscle(t *testing.T) {
	tests := map[string]Muscle{"BB": BicepsBrachii, "ta": TibialisAnterior, "Gastrocnemius medial head": GastrocnemiusMedialis,
		"rectus-femoris": RectusFemoris, "Vastus lateralis": VastusLateralis, "gm": GastrocnemiusMedialis}
	for in, want := range tests {
		got, err := ParseMuscle(in)
		if err != nil || got != want {
			t.Errorf("ParseMuscle(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseMuscle("deltoid"); err == nil {
		t.Error("deltoid accepted")
	}
}

func TestRead(t *testing.T) {
	zs := func(v ...float64) []Score {
		s := make([]Score, len(v))
		for i := range v {
			s[i].Z = v[i]
		}
		return s
	}
	tests := []struct {
		name string
		z    []Score
		age  float64
		want string
	}{
		{"one very high", zs(3.6, 0, 0), 40, VerdictLikely},
		{"two high", zs(2.6, 2.6, 0), 40, VerdictLikely},
		{"three raised", zs(1.6, 1.6, 1.6), 70, VerdictLikely},
		{"one abnormal young", zs(2.1, 0), 40, VerdictUncertain},
		{"one abnormal old", zs(2.1, 0), 70, VerdictNormal},
		{"one 2.6 old", zs(2.6, 0), 70, VerdictUncertain},
		{"two 1.6 young", zs(1.6, 1.6), 40, VerdictUncertain},
		{"three 1.1 young", zs(1.1, 1.1, 1.1), 40, VerdictUncertain},
		{"three 1.1 young six muscles", zs(1.1, 1.1, 1.1, 0, 0, 0), 40, VerdictNormal},
		{"all normal", zs(0.5, -1, 1.4), 40, VerdictNormal},
		{"none", nil, 40, VerdictNormal},
	}
	for _, tc := range tests {
		if got := Read(tc.z, tc.age); got.Verdict != tc.want {
			t.Errorf("%s: got %q (%s), want %q", tc.name, got.Verdict, got.Rule, tc.want)
		}
	}
}

// Every rule that fired is listed with its muscles, highest z first; the
// first sets the verdict (the case: three images above 2, verdict
// "likely" with the "uncertain" rules listed too).
func TestReadFiredAll(t *testing.T) {
	s := []Score{{Muscle: BicepsBrachii, Z: 2.2}, {Muscle: TibialisAnterior, Z: 2.7}, {Muscle: RectusFemoris, Z: 2.1}, {Muscle: VastusLateralis, Z: 0.3}}
	r := Read(s, 40)
	var got []string
	for _, f := range r.Fired {
		got = append(got, f.Rule.Text)
	}
	want := []string{"at least 2 muscles with z > 2.5", "at least 3 muscles with z > 1.5", "age < 65: at least 1 muscle with z > 2.0",
		"age < 65, fewer than 6 muscles: at least 2 with z > 1.5", "age < 65, fewer than 6 muscles: at least 3 with z > 1.0"}
	if r.Verdict != VerdictLikely || r.Rule != want[1] {
		t.Errorf("verdict %q by %q, want likely by %q", r.Verdict, r.Rule, want[1])
	}
	// "at least 2 with z > 2.5" does not fire (only TA is above 2.5).
	want = want[1:]
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("fired %q\nwant  %q", got, want)
	}
	if m := r.Fired[0].Muscles; len(m) != 3 || m[0].Muscle != TibialisAnterior || m[2].Muscle != RectusFemoris {
		t.Errorf("muscles of the first rule: %+v, want TA, BB, RF", m)
	}
	if r := Read([]Score{{Z: 0.1}, {Z: 1.2}}, 40); r.Verdict != VerdictNormal || len(r.Fired) != 0 || r.Muscles != 2 {
		t.Errorf("normal: %+v", r)
	}
}
