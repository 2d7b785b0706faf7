// Package record is the result of one image: the JSON object and the CSV
// row every front end writes. The column order below is the contract;
// append new columns at the end, never reorder.
package record

import (
	"strconv"
)

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
}

// Columns is the CSV header, in order. Units: cm, cm², grey levels 0–255,
// years, kg.
func Columns() []string {
	return []string{
		"file", "frame", "muscle", "side", "model", "model_sha256", "width", "height",
		"field_x", "field_y", "field_w", "field_h",
		"calibration_source", "cm_per_px_x", "cm_per_px_y",
		"csa_px", "csa_cm2", "perimeter_px", "perimeter_cm", "ei_mean", "ei_sd",
		"bbox_x", "bbox_y", "bbox_w", "bbox_h",
		"age_years", "sex", "height_cm", "weight_kg", "ei_expected", "ei_pred_sd", "z", "abnormal", "z_note",
		"corrected", "warning",
	}
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// fixed formats measurements to a stable number of decimals, so that
// records are byte-identical across runs and platforms.
func fixed(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

func opt(v *float64, prec int) string {
	if v == nil {
		return ""
	}
	if prec < 0 {
		return num(*v)
	}
	return fixed(*v, prec)
}

// Row is the record as CSV fields in Columns order.
func (r Record) Row() []string {
	abn := ""
	if r.Abnormal != nil {
		abn = strconv.FormatBool(*r.Abnormal)
	}
	return []string{
		r.File, strconv.Itoa(r.Frame), r.Muscle, r.Side, r.Model, r.ModelSHA256,
		strconv.Itoa(r.Width), strconv.Itoa(r.Height),
		strconv.Itoa(r.FieldX), strconv.Itoa(r.FieldY), strconv.Itoa(r.FieldW), strconv.Itoa(r.FieldH),
		r.CalibrationSource, opt(r.CmPerPxX, -1), opt(r.CmPerPxY, -1),
		strconv.Itoa(r.CSAPx), opt(r.CSACm2, 4), fixed(r.PerimeterPx, 2), opt(r.PerimeterCm, 3),
		fixed(r.EIMean, 3), fixed(r.EISD, 3),
		strconv.Itoa(r.BBoxX), strconv.Itoa(r.BBoxY), strconv.Itoa(r.BBoxW), strconv.Itoa(r.BBoxH),
		opt(r.AgeYears, -1), r.Sex, opt(r.HeightCm, -1), opt(r.WeightKg, -1),
		opt(r.EIExpected, 3), opt(r.EIPredSD, 3), opt(r.Z, 3), abn, r.ZNote,
		strconv.FormatBool(r.Corrected), r.Warning,
	}
}

// Round keeps the record's measurements at the precision the CSV shows, so
// that JSON and CSV say the same thing.
func (r *Record) Round() {
	round := func(v float64, prec int) float64 {
		f, _ := strconv.ParseFloat(fixed(v, prec), 64)
		return f
	}
	roundp := func(p *float64, prec int) {
		if p != nil {
			*p = round(*p, prec)
		}
	}
	r.PerimeterPx = round(r.PerimeterPx, 2)
	r.EIMean, r.EISD = round(r.EIMean, 3), round(r.EISD, 3)
	roundp(r.CSACm2, 4)
	roundp(r.PerimeterCm, 3)
	roundp(r.EIExpected, 3)
	roundp(r.EIPredSD, 3)
	roundp(r.Z, 3)
}
