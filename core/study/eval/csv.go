package eval

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"myoseg/core/clinical/zscore"
)

// PerImageColumns are the columns of per_image.csv, one row per image of the
// dataset, in dataset order. An empty cell means "not computed"; the
// problems column says why.
//
//	muscle, group        folder code (BB, GM, TA) and Healthy/Pathological
//	file, subject        image file name and subject ID (name before the first '_')
//	image                image path inside the dataset folder
//	manual_mask          expert mask path inside the dataset folder ("" = none)
//	auto_mask            predicted mask path inside the prediction folder ("" = made by the model, or none)
//	width, height        image size in pixels
//	calibration          calib.Source: none, user-cm-per-px, user-depth, dicom-region, dicom-pixel-spacing
//	cm_per_px_x, cm_per_px_y
//	age, sex, height_cm, weight_kg   patient data from characteristics.csv/.xlsx
//	tp, fp, fn           muscle pixels in both masks, in the automatic only, in the manual only
//	precision, recall, dice, iou     overlap of the automatic mask with the manual one (0–1)
//	hausdorff_px, msd_px symmetric Hausdorff distance and mean (average symmetric) surface distance, pixels
//	hausdorff_mm, msd_mm the same in millimetres (calibrated images only)
//	csa_manual_px, csa_auto_px       cross-sectional area, pixels
//	csa_manual_cm2, csa_auto_cm2     cross-sectional area, cm² (calibrated images only)
//	ei_manual, ei_auto   echo intensity: mean grey value (0–255) inside each mask
//	ei_sd_manual, ei_sd_auto         population SD of those grey values
//	ei_truth             phantoms: ground-truth EI from truth.csv
//	ei_expected, ei_expected_sd      normal EI for the patient and its prediction SD
//	z_manual, z_auto     EI z-scores (Radboudumc normal values)
//	abnormal_manual, abnormal_auto   z > 2: "yes" or "no"
//	problems             everything missing or wrong for this image, separated by "; "
func PerImageColumns() []string {
	return []string{
		"muscle", "group", "file", "subject", "image", "manual_mask", "auto_mask",
		"width", "height", "calibration", "cm_per_px_x", "cm_per_px_y",
		"age", "sex", "height_cm", "weight_kg",
		"tp", "fp", "fn", "precision", "recall", "dice", "iou",
		"hausdorff_px", "msd_px", "hausdorff_mm", "msd_mm",
		"csa_manual_px", "csa_auto_px", "csa_manual_cm2", "csa_auto_cm2",
		"ei_manual", "ei_auto", "ei_sd_manual", "ei_sd_auto", "ei_truth",
		"ei_expected", "ei_expected_sd", "z_manual", "z_auto",
		"abnormal_manual", "abnormal_auto", "problems",
	}
}

// num formats v with prec decimals, "" when not computed.
func num(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func yesNo(v, ok bool) string {
	switch {
	case !ok:
		return ""
	case v:
		return "yes"
	}
	return "no"
}

// Row is the image's per_image.csv row, in PerImageColumns order.
func (r *ImageResult) Row() []string {
	it := r.Item
	nan := math.NaN()
	age, height, weight, sex := nan, nan, nan, ""
	if p := it.Patient; p != nil {
		age, height, weight, sex = orNaN(p.AgeYears), orNaN(p.HeightCm), orNaN(p.WeightKg), p.Sex
	}
	truth := nan
	if it.Truth != nil {
		truth = it.Truth.EIMean
	}
	counts := []string{"", "", ""}
	if r.Scored() {
		counts = []string{strconv.Itoa(r.TP), strconv.Itoa(r.FP), strconv.Itoa(r.FN)}
	}
	size := []string{"", ""}
	if r.Width > 0 {
		size = []string{strconv.Itoa(r.Width), strconv.Itoa(r.Height)}
	}
	cx, cy := nan, nan
	if r.Cal.Known() {
		cx, cy = r.Cal.CmPerPxX, r.Cal.CmPerPxY
	}
	am, aa := r.AbnormalManual()
	bm, ba := r.AbnormalAuto()
	row := []string{it.Muscle, it.Group, it.Name, it.SubjectID, it.ImagePath, it.MaskPath, r.PredPath}
	row = append(row, size...)
	row = append(row, string(r.Cal.Source), num(cx, 6), num(cy, 6),
		num(age, 1), sex, num(height, 1), num(weight, 1))
	row = append(row, counts...)
	row = append(row,
		num(r.Precision, 4), num(r.Recall, 4), num(r.Dice, 4), num(r.IoU, 4),
		num(r.HausdorffPx, 3), num(r.MeanSurfacePx, 3), num(r.HausdorffMm, 3), num(r.MeanSurfaceMm, 3),
		num(r.CSAManualPx, 0), num(r.CSAAutoPx, 0), num(r.CSAManualCm2, 4), num(r.CSAAutoCm2, 4),
		num(r.EIManual, 3), num(r.EIAuto, 3), num(r.EISDManual, 3), num(r.EISDAuto, 3), num(truth, 3),
		num(r.Expected, 3), num(r.ExpectedSD, 3), num(r.ZManual, 3), num(r.ZAuto, 3),
		yesNo(am, aa), yesNo(bm, ba), strings.Join(r.Problems, "; "))
	return row
}

// orNaN turns a zero (missing) patient field into NaN so it prints empty.
func orNaN(v float64) float64 {
	if v == 0 {
		return math.NaN()
	}
	return v
}

// WritePerImageCSV writes per_image.csv (see PerImageColumns).
func WritePerImageCSV(w io.Writer, results []*ImageResult) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(PerImageColumns()); err != nil {
		return fmt.Errorf("per_image.csv: %w", err)
	}
	for _, r := range results {
		if err := cw.Write(r.Row()); err != nil {
			return fmt.Errorf("per_image.csv: %s: %w", r.Item.Key(), err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("per_image.csv: %w", err)
	}
	return nil
}

// PerSubjectColumns are the columns of per_subject.csv: one row per subject
// and muscle with at least one image where both masks were measured.
//
//	muscle, group, subject  as in per_image.csv
//	images                  images averaged
//	ei_manual, ei_auto      mean of the images' EI (grey level 0–255)
//	z_manual, z_auto        z-scores of those means ("" without patient data)
//	abnormal_manual, abnormal_auto   z > 2
func PerSubjectColumns() []string {
	return []string{"muscle", "group", "subject", "images", "ei_manual", "ei_auto", "z_manual", "z_auto", "abnormal_manual", "abnormal_auto"}
}

// WritePerSubjectCSV writes per_subject.csv (see PerSubjectColumns).
func WritePerSubjectCSV(w io.Writer, subjects []*SubjectResult) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(PerSubjectColumns()); err != nil {
		return fmt.Errorf("per_subject.csv: %w", err)
	}
	for _, s := range subjects {
		row := []string{s.Muscle, s.Group, s.SubjectID, strconv.Itoa(s.Images),
			num(s.EIManual, 3), num(s.EIAuto, 3), num(s.ZManual, 3), num(s.ZAuto, 3),
			yesNo(s.ZManual > zscore.AbnormalZ, !math.IsNaN(s.ZManual)), yesNo(s.ZAuto > zscore.AbnormalZ, !math.IsNaN(s.ZAuto))}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("per_subject.csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("per_subject.csv: %w", err)
	}
	return nil
}
