// Package record is the result of one image: the JSON object and the CSV
// row every front end writes, and reads back (results.csv, results.jsonl;
// codec.go). The column order below is the contract; append new columns at
// the end, never reorder.
package record

import (
	"strconv"
	"strings"

	"myoseg/core/clinical/zscore"
)

// CaveatCode stands for zscore.Caveat in the CSV's z_note column.
const CaveatCode = "scanner-caveat"

// Record is one image's result. Optional numbers are pointers: nil means
// "not available" (uncalibrated, no patient data), never zero.
type Record struct {
	File        string `json:"file"`
	Frame       int    `json:"frame"`
	Muscle      string `json:"muscle,omitempty"`
	Side        string `json:"side,omitempty"`
	Model       string `json:"model"`
	ModelSHA256 string `json:"model_sha256"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	FieldX      int    `json:"field_x"`
	FieldY      int    `json:"field_y"`
	FieldW      int    `json:"field_w"`
	FieldH      int    `json:"field_h"`

	CalibrationSource string   `json:"calibration_source"`
	CmPerPxX          *float64 `json:"cm_per_px_x,omitempty"`
	CmPerPxY          *float64 `json:"cm_per_px_y,omitempty"`

	CSAPx       int      `json:"csa_px"`
	CSACm2      *float64 `json:"csa_cm2,omitempty"`
	PerimeterPx float64  `json:"perimeter_px"`
	PerimeterCm *float64 `json:"perimeter_cm,omitempty"`
	EIMean      float64  `json:"ei_mean"`
	EISD        float64  `json:"ei_sd"`
	BBoxX       int      `json:"bbox_x"`
	BBoxY       int      `json:"bbox_y"`
	BBoxW       int      `json:"bbox_w"`
	BBoxH       int      `json:"bbox_h"`

	AgeYears   *float64 `json:"age_years,omitempty"`
	Sex        string   `json:"sex,omitempty"`
	HeightCm   *float64 `json:"height_cm,omitempty"`
	WeightKg   *float64 `json:"weight_kg,omitempty"`
	EIExpected *float64 `json:"ei_expected,omitempty"`
	EIPredSD   *float64 `json:"ei_pred_sd,omitempty"`
	Z          *float64 `json:"z,omitempty"`
	Abnormal   *bool    `json:"abnormal,omitempty"`
	ZNote      string   `json:"z_note,omitempty"` // the scanner caveat, or why there is no z-score

	Corrected bool   `json:"corrected"`
	Warning   string `json:"warning,omitempty"` // the model's warning (e.g. trained on phantoms only)

	// The exam: who and when (the page's exam form, the CLI's --patient-id
	// and --exam-date), and the patient-level reading of all the patient's
	// records in the same file, filled in by WriteCSV.
	PatientID      string `json:"patient_id,omitempty"`
	ExamDate       string `json:"exam_date,omitempty"` // YYYY-MM-DD
	PatientVerdict string `json:"patient_verdict,omitempty"`

	// The quality check of the mask (core/clinical/quality): ok, flagged
	// (z-score and reading withheld) or accepted (flagged, then accepted as
	// it is by a person); the reasons in plain words, "; "-separated.
	Quality        string `json:"quality"`
	QualityReasons string `json:"quality_reasons,omitempty"`
}

// column is one CSV column: its name, how a record's field is written and
// how it is read back. The table below is the one place that knows both.
type column struct {
	name string
	prec int // decimals of a rounded measurement; -1 for the rest
	get  func(*Record) string
	set  func(*Record, string) error
}

func text(name string, f func(*Record) *string) column {
	return column{name, -1, func(r *Record) string { return *f(r) }, func(r *Record, v string) error { *f(r) = v; return nil }}
}

func integer(name string, f func(*Record) *int) column {
	return column{name, -1, func(r *Record) string { return strconv.Itoa(*f(r)) }, func(r *Record, v string) (err error) {
		*f(r), err = strconv.Atoi(v)
		return err
	}}
}

// decimal is a measurement with prec decimals (prec < 0: as many as needed).
func decimal(name string, prec int, f func(*Record) *float64) column {
	return column{name, prec, func(r *Record) string { return format(*f(r), prec) }, func(r *Record, v string) (err error) {
		*f(r), err = strconv.ParseFloat(v, 64)
		return err
	}}
}

// optional is a number that may be absent (an empty field, nil).
func optional(name string, prec int, f func(*Record) **float64) column {
	return column{name, prec, func(r *Record) string {
		if *f(r) == nil {
			return ""
		}
		return format(**f(r), prec)
	}, func(r *Record, v string) error {
		if v == "" {
			*f(r) = nil
			return nil
		}
		x, err := strconv.ParseFloat(v, 64)
		*f(r) = &x
		return err
	}}
}

func boolean(name string, f func(*Record) *bool) column {
	return column{name, -1, func(r *Record) string { return strconv.FormatBool(*f(r)) }, func(r *Record, v string) (err error) {
		*f(r), err = strconv.ParseBool(v)
		return err
	}}
}

func optionalBool(name string, f func(*Record) **bool) column {
	return column{name, -1, func(r *Record) string {
		if *f(r) == nil {
			return ""
		}
		return strconv.FormatBool(**f(r))
	}, func(r *Record, v string) error {
		if v == "" {
			*f(r) = nil
			return nil
		}
		b, err := strconv.ParseBool(v)
		*f(r) = &b
		return err
	}}
}

// format writes a number with prec decimals, so that records are
// byte-identical across runs and platforms (prec < 0: shortest exact form).
func format(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

// columns is the CSV layout. Units: cm, cm², grey levels 0–255, years, kg.
var columns = []column{
	text("file", func(r *Record) *string { return &r.File }),
	integer("frame", func(r *Record) *int { return &r.Frame }),
	text("muscle", func(r *Record) *string { return &r.Muscle }),
	text("side", func(r *Record) *string { return &r.Side }),
	text("model", func(r *Record) *string { return &r.Model }),
	text("model_sha256", func(r *Record) *string { return &r.ModelSHA256 }),
	integer("width", func(r *Record) *int { return &r.Width }),
	integer("height", func(r *Record) *int { return &r.Height }),
	integer("field_x", func(r *Record) *int { return &r.FieldX }),
	integer("field_y", func(r *Record) *int { return &r.FieldY }),
	integer("field_w", func(r *Record) *int { return &r.FieldW }),
	integer("field_h", func(r *Record) *int { return &r.FieldH }),
	text("calibration_source", func(r *Record) *string { return &r.CalibrationSource }),
	optional("cm_per_px_x", -1, func(r *Record) **float64 { return &r.CmPerPxX }),
	optional("cm_per_px_y", -1, func(r *Record) **float64 { return &r.CmPerPxY }),
	integer("csa_px", func(r *Record) *int { return &r.CSAPx }),
	optional("csa_cm2", 4, func(r *Record) **float64 { return &r.CSACm2 }),
	decimal("perimeter_px", 2, func(r *Record) *float64 { return &r.PerimeterPx }),
	optional("perimeter_cm", 3, func(r *Record) **float64 { return &r.PerimeterCm }),
	decimal("ei_mean", 3, func(r *Record) *float64 { return &r.EIMean }),
	decimal("ei_sd", 3, func(r *Record) *float64 { return &r.EISD }),
	integer("bbox_x", func(r *Record) *int { return &r.BBoxX }),
	integer("bbox_y", func(r *Record) *int { return &r.BBoxY }),
	integer("bbox_w", func(r *Record) *int { return &r.BBoxW }),
	integer("bbox_h", func(r *Record) *int { return &r.BBoxH }),
	optional("age_years", -1, func(r *Record) **float64 { return &r.AgeYears }),
	text("sex", func(r *Record) *string { return &r.Sex }),
	optional("height_cm", -1, func(r *Record) **float64 { return &r.HeightCm }),
	optional("weight_kg", -1, func(r *Record) **float64 { return &r.WeightKg }),
	optional("ei_expected", 3, func(r *Record) **float64 { return &r.EIExpected }),
	optional("ei_pred_sd", 3, func(r *Record) **float64 { return &r.EIPredSD }),
	optional("z", 3, func(r *Record) **float64 { return &r.Z }),
	optionalBool("abnormal", func(r *Record) **bool { return &r.Abnormal }),
	// z_note holds CaveatCode instead of the scanner caveat's long text,
	// which would otherwise repeat in every row (README, "Results CSV").
	column{"z_note", -1, func(r *Record) string {
		return strings.Replace(r.ZNote, zscore.Caveat, CaveatCode, 1)
	}, func(r *Record, v string) error {
		r.ZNote = strings.Replace(v, CaveatCode, zscore.Caveat, 1)
		return nil
	}},
	boolean("corrected", func(r *Record) *bool { return &r.Corrected }),
	text("warning", func(r *Record) *string { return &r.Warning }),
	text("patient_id", func(r *Record) *string { return &r.PatientID }),
	text("exam_date", func(r *Record) *string { return &r.ExamDate }),
	text("patient_verdict", func(r *Record) *string { return &r.PatientVerdict }),
	text("quality", func(r *Record) *string { return &r.Quality }),
	text("quality_reasons", func(r *Record) *string { return &r.QualityReasons }),
}

// Columns is the CSV header, in order.
func Columns() []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = c.name
	}
	return out
}

// Row is the record as CSV fields in Columns order.
func (r Record) Row() []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = c.get(&r)
	}
	return out
}

// Round keeps the record's measurements at the precision the CSV shows, so
// that JSON and CSV say the same thing.
func (r *Record) Round() {
	for _, c := range columns {
		if c.prec >= 0 {
			c.set(r, c.get(r)) // cannot fail: it reads what format wrote
		}
	}
}
