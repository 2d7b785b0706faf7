package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

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
