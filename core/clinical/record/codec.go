package record

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"myoseg/core/clinical/zscore"
)

// WriteCSV writes the header (Columns) and one row per record: the results
// CSV of segment --csv, batch and the browser's export. patient_verdict is
// the patient-level reading (zscore.ReadPatients) of all the records with
// the same patient_id in recs; empty where there is none (fewer than two
// muscles with a z-score).
func WriteCSV(w io.Writer, recs []Record) error {
	verdicts := Verdicts(recs)
	cw := csv.NewWriter(w)
	cw.Write(Columns())
	for _, r := range recs {
		r.PatientVerdict = verdicts[r.PatientID]
		cw.Write(r.Row())
	}
	cw.Flush()
	return cw.Error()
}

// EncodeCSV is WriteCSV into a byte slice.
func EncodeCSV(recs []Record) []byte {
	var b bytes.Buffer
	WriteCSV(&b, recs) // a bytes.Buffer does not fail
	return b.Bytes()
}

// ReadCSV reads what WriteCSV wrote. Columns are found by their header
// name: a file from an older version, with fewer columns, reads with the
// missing fields empty; unknown columns are skipped.
func ReadCSV(r io.Reader) ([]Record, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("record: CSV: %w", err)
	}
	if len(rows) == 0 {
		return nil, errors.New("record: CSV: no header")
	}
	at := make([]int, len(columns)) // column → field index, -1 when absent
	for i, c := range columns {
		at[i] = slices.Index(rows[0], c.name)
	}
	if at[0] < 0 {
		return nil, fmt.Errorf("record: CSV: no %q column in the header", columns[0].name)
	}
	out := make([]Record, 0, len(rows)-1)
	for n, row := range rows[1:] {
		var rec Record
		for i, c := range columns {
			if at[i] < 0 {
				continue
			}
			if err := c.set(&rec, row[at[i]]); err != nil {
				return nil, fmt.Errorf("record: CSV line %d, column %s: %w", n+2, c.name, err)
			}
		}
		out = append(out, rec)
	}
	return out, nil
}

// WriteJSONL writes one record a line: segment --json and results.jsonl.
func WriteJSONL(w io.Writer, recs []Record) error {
	enc := json.NewEncoder(w)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("record: JSON: %s: %w", r.File, err)
		}
	}
	return nil
}

// ReadJSONL reads what WriteJSONL wrote, refusing unknown keys and records
// without a file.
func ReadJSONL(r io.Reader) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec Record
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if rec.File == "" {
			return nil, fmt.Errorf("line %d: record without a file", n)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}

// Scores collects one patient's z-scores from records, for
// zscore.ReadPatients: those with a muscle and a z-score, and those with a
// muscle whose mask is flagged (their z-score is withheld, and so is the
// reading). The age is the first record's that has one.
func Scores(patientID string, recs []Record) zscore.PatientScores {
	ps := zscore.PatientScores{PatientID: patientID}
	for _, r := range recs {
		if r.Muscle == "" {
			continue
		}
		if r.Quality == "flagged" {
			ps.Scores = append(ps.Scores, zscore.MuscleZ{Muscle: r.Muscle, Withheld: r.QualityReasons})
			continue
		}
		if r.Z == nil {
			continue
		}
		if ps.AgeYears == 0 && r.AgeYears != nil {
			ps.AgeYears = *r.AgeYears
		}
		ps.Scores = append(ps.Scores, zscore.MuscleZ{Muscle: r.Muscle, Z: *r.Z, ResearchOnly: r.ResearchOnly()})
	}
	return ps
}

// ResearchOnly reports whether the record's z-score comes from a model
// trained on phantoms: its z_note begins with zscore.ResearchOnly.
func (r Record) ResearchOnly() bool { return strings.HasPrefix(r.ZNote, zscore.ResearchOnly) }

// Verdicts is the patient-level verdict per patient ID of recs (records
// without an ID form one patient, as the command line's single patient).
func Verdicts(recs []Record) map[string]string {
	var ids []string
	by := map[string][]Record{}
	for _, r := range recs {
		if _, ok := by[r.PatientID]; !ok {
			ids = append(ids, r.PatientID)
		}
		by[r.PatientID] = append(by[r.PatientID], r)
	}
	var ps []zscore.PatientScores
	for _, id := range ids {
		ps = append(ps, Scores(id, by[id]))
	}
	out := map[string]string{}
	for _, pr := range zscore.ReadPatients(ps) {
		v := pr.Verdict
		if pr.ResearchOnly {
			v += " (" + zscore.ResearchOnly + ")"
		}
		out[pr.PatientID] = v
	}
	return out
}
