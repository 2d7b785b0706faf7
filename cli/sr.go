package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"myoseg/core/batch"
	"myoseg/core/clinical/record"
	"myoseg/core/clinical/sr"
	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/decode"
	"myoseg/core/nn/onnxmodel"
)

// checkSRPath refuses an --sr file that is one of the inputs.
func checkSRPath(path string, inputs []string) error {
	if path == "" {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("--sr %s: %w", path, err)
	}
	for _, in := range inputs {
		if a, err := filepath.Abs(in); err == nil && a == abs {
			return fmt.Errorf("--sr %s is an input file", path)
		}
	}
	return nil
}

// writeSR writes the DICOM Structured Report (core/clinical/sr) of the
// results whose input was DICOM (ids[i] non-nil for recs[i]); the others are
// named on w as left out.
func writeSR(path string, recs []record.Record, ids []*decode.Identity, readings []zscore.PatientReading, info onnxmodel.Info, w io.Writer) error {
	ex := sr.Exam{Model: info.Name, Created: time.Now(), Notes: []string{info.Warning}}
	if len(readings) == 1 {
		ex.Reading = readings[0].Explanation
	}
	var left []string
	for i, r := range recs {
		if ids[i] == nil || ids[i].SOPInstanceUID == "" {
			left = append(left, r.File)
			continue
		}
		if ex.PatientID == "" {
			ex.PatientID, ex.ExamDate = r.PatientID, r.ExamDate
		}
		if r.Z != nil && r.ZNote != "" && len(ex.Notes) < 2 {
			ex.Notes = append(ex.Notes, "z-scores: "+r.ZNote)
		}
		ex.Images = append(ex.Images, sr.Image{Record: r, ID: *ids[i]})
	}
	if len(ex.Images) == 0 {
		return errors.New("--sr: no DICOM input was measured; a Structured Report references DICOM images only")
	}
	if len(left) > 0 {
		fmt.Fprintf(w, "sr: not DICOM, left out: %s\n", strings.Join(left, ", "))
	}
	b, err := sr.Write(ex)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o666); err != nil {
		return fmt.Errorf("--sr: %w", err)
	}
	fmt.Fprintf(w, "sr: %s: %d image(s)\n", path, len(ex.Images))
	return nil
}

// writeBatchSRs writes one Structured Report per patient and exam date of
// a whole batch run, from its results.jsonl, into OUT/sr/: the records
// whose input is DICOM, with the identity read again from the input (the
// records do not keep it); patient and date are the run's (seed-layout
// subject, --patient-id, --exam-date) or else the file's. Exams without a
// DICOM image get none.
func writeBatchSRs(out string, inputs []batch.Input, readings []zscore.PatientReading, info onnxmodel.Info, w io.Writer) error {
	f, err := os.Open(filepath.Join(out, "results.jsonl"))
	if err != nil {
		return fmt.Errorf("--sr: %w", err)
	}
	recs, err := record.ReadJSONL(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("--sr: %s: %w", filepath.Join(out, "results.jsonl"), err)
	}
	paths := make(map[string]string, len(inputs))
	for _, in := range inputs {
		paths[in.Key] = in.Path
	}
	type exam struct{ patient, date string }
	groups := map[exam][]int{}
	var order []exam
	ids := make([]*decode.Identity, len(recs))
	for i, r := range recs {
		data, err := os.ReadFile(paths[r.File])
		if err != nil {
			return fmt.Errorf("--sr: %w", err)
		}
		if img, err := decode.Decode(paths[r.File], data, decode.Options{Frame: r.Frame}); err == nil && img.DICOM != nil && img.DICOM.Identity.SOPInstanceUID != "" {
			ids[i] = &img.DICOM.Identity
		} else {
			continue
		}
		// The run's patient and date when it has them, else the file's own.
		e := exam{cmp.Or(r.PatientID, ids[i].PatientID), cmp.Or(r.ExamDate, ids[i].ExamDate())}
		if _, ok := groups[e]; !ok {
			order = append(order, e)
		}
		groups[e] = append(groups[e], i)
	}
	if len(order) == 0 {
		return errors.New("--sr: no DICOM input was measured; a Structured Report references DICOM images only")
	}
	if err := os.MkdirAll(filepath.Join(out, "sr"), 0o777); err != nil {
		return fmt.Errorf("--sr: %w", err)
	}
	for _, e := range order {
		var grecs []record.Record
		var gids []*decode.Identity
		for _, i := range groups[e] {
			grecs, gids = append(grecs, recs[i]), append(gids, ids[i])
		}
		var rd []zscore.PatientReading
		for _, p := range readings {
			if p.PatientID == e.patient && e.patient != "" {
				rd = append(rd, p)
			}
		}
		name := strings.Map(func(c rune) rune {
			if c == '/' || c == '\\' || c == os.PathSeparator || c < ' ' {
				return '_'
			}
			return c
		}, fmt.Sprintf("%s_%s.dcm", cmp.Or(e.patient, "unknown-patient"), cmp.Or(e.date, "undated")))
		if err := writeSR(filepath.Join(out, "sr", name), grecs, gids, rd, info, w); err != nil {
			return err
		}
	}
	return nil
}
