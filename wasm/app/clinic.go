package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"sort"
	"strings"
	"time"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/report"
	"myoseg/core/clinical/sr"
	"myoseg/core/imaging/calib"
	"myoseg/core/imaging/decode"
	"myoseg/core/imaging/render"
	"myoseg/core/study/dataset"
	"myoseg/wasm/session"
)

// The clinic's workflow around the numbers: the calibration and patient
// tables, the patient report, the DICOM Structured Report, deleting a
// patient. Each reads the stored session, so any worker can answer.

// thumbWidth is the overlay thumbnails' width in the report.
const thumbWidth = 320

// CalibrationTable reads a calibration table (calib.ReadTable) for the
// files the page holds (names): cm per pixel by file name, or every bad
// row and nothing to apply.
func CalibrationTable(data []byte, names []string) (map[string]float64, error) {
	known := map[string]bool{}
	for _, n := range names {
		known[calib.BaseName(n)] = true
	}
	t, err := calib.ReadTable(bytes.NewReader(data), func(n string) bool { return known[n] })
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(t))
	for k, u := range t {
		out[k] = u.CmPerPx
	}
	return out, nil
}

// PatientTable reads a patient table in the seed dataset's characteristics
// layout (CSV or XLSX, dataset.ParseCharacteristics) as the page's
// patients; sexOne says what a sex code of 1 means ("M" or "F").
func PatientTable(name string, data []byte, sexOne string) ([]session.Patient, []string, error) {
	opt := dataset.Options{}
	if strings.EqualFold(sexOne, "F") {
		opt.SexOne = "F"
	}
	ch, err := dataset.ParseCharacteristics(name, data, opt)
	if err != nil {
		return nil, nil, err
	}
	var out []session.Patient
	var problems []string
	for _, id := range ch.IDs() {
		p, probs, _ := ch.Lookup(id)
		for _, pr := range probs {
			problems = append(problems, id+": "+pr)
		}
		out = append(out, session.Patient{ID: id, AgeYears: p.AgeYears, Sex: p.Sex, HeightCm: p.HeightCm, WeightKg: p.WeightKg})
	}
	if len(out) == 0 {
		return nil, problems, fmt.Errorf("%s: no patients in the table", name)
	}
	return out, problems, nil
}

// examItems are the finished items of one patient, by exam date.
func (a *App) examItems(patientID string) (map[string][]session.Item, error) {
	items, err := a.store.List()
	if err != nil {
		return nil, err
	}
	out := map[string][]session.Item{}
	for _, it := range items {
		if it.Status == "done" && it.Options.PatientID == patientID && len(it.Record) > 0 {
			out[it.Options.ExamDate] = append(out[it.Options.ExamDate], it)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("patient %q has no measured images", patientID)
	}
	return out, nil
}

func itemRecord(it session.Item) (record.Record, error) {
	var r record.Record
	if err := json.Unmarshal(it.Record, &r); err != nil {
		return r, fmt.Errorf("%s: stored record: %w", it.Name, err)
	}
	return r, nil
}

// Report is the patient report (report.HTML): every exam of the patient,
// one page each, with overlay thumbnails. heckmatt holds the clinician's
// grades by exam date, then muscle.
func (a *App) Report(patientID string, heckmatt map[string]map[string]string) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	byExam, err := a.examItems(patientID)
	if err != nil {
		return nil, err
	}
	p := report.Patient{ID: patientID}
	for date, its := range byExam {
		sort.Slice(its, func(i, j int) bool { return its[i].Order < its[j].Order })
		ex := report.Exam{Date: date, Heckmatt: heckmatt[date]}
		for _, it := range its {
			r, err := itemRecord(it)
			if err != nil {
				return nil, err
			}
			r.Corrected = it.Corrected
			if ex.Operator == "" {
				ex.Operator, ex.Scanner, ex.Preset = it.Options.Operator, it.Options.Scanner, it.Options.Preset
			}
			th, err := a.thumbnail(it.ID)
			if err != nil {
				return nil, err
			}
			ex.Images = append(ex.Images, report.Image{Record: r, Overlay: th})
		}
		p.Exams = append(p.Exams, ex)
	}
	m := report.Model{Name: a.info.Name, Warning: a.info.Warning,
		ResearchOnly: strings.Contains(strings.ToLower(a.info.TrainedOn), "phantom")}
	return report.HTML(p, m)
}

// thumbnail is the item's overlay, scaled down to thumbWidth (nearest
// neighbour: a thumbnail, not a measurement).
func (a *App) thumbnail(id string) ([]byte, error) {
	e, err := a.entry(id)
	if err != nil {
		return nil, err
	}
	sv := e.sv
	f := sv.Field
	ov, err := render.Overlay(sv.Gray, sv.Mask, image.Rect(f[0], f[1], f[2], f[3]))
	if err != nil {
		return nil, fmt.Errorf("%s: overlay: %w", sv.Name, err)
	}
	b := ov.Bounds()
	w := min(thumbWidth, b.Dx())
	h := max(1, b.Dy()*w/b.Dx())
	th := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			th.Set(x, y, ov.At(b.Min.X+x*b.Dx()/w, b.Min.Y+y*b.Dy()/h))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, th); err != nil {
		return nil, fmt.Errorf("%s: thumbnail: %w", sv.Name, err)
	}
	return buf.Bytes(), nil
}

// SRSummary says what the Structured Report holds.
type SRSummary struct {
	Images  int      `json:"images"`
	LeftOut []string `json:"leftOut"` // images not from a DICOM file
}

// SR is the DICOM Structured Report (sr.Write) of one patient's exam: the
// DICOM images of that exam; the others are named in the summary.
func (a *App) SR(patientID, examDate, reading string, now time.Time) ([]byte, SRSummary, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var sum SRSummary
	byExam, err := a.examItems(patientID)
	if err != nil {
		return nil, sum, err
	}
	its := byExam[examDate]
	if len(its) == 0 {
		return nil, sum, fmt.Errorf("patient %q has no images of the exam %q", patientID, examDate)
	}
	sort.Slice(its, func(i, j int) bool { return its[i].Order < its[j].Order })
	ex := sr.Exam{PatientID: patientID, ExamDate: examDate, Model: a.info.Name, Reading: reading, Created: now,
		Notes: []string{a.info.Warning}}
	if strings.Contains(strings.ToLower(a.info.TrainedOn), "phantom") {
		ex.Notes = append([]string{"Research use only: the segmentation model was trained on phantoms."}, ex.Notes...)
	}
	var recs []record.Record
	for _, it := range its {
		r, err := itemRecord(it)
		if err != nil {
			return nil, sum, err
		}
		recs = append(recs, r)
		d := it.Image.DICOM
		if d == nil || d.Identity.SOPInstanceUID == "" {
			sum.LeftOut = append(sum.LeftOut, it.Name)
			continue
		}
		r.Corrected = it.Corrected
		ex.Images = append(ex.Images, sr.Image{Record: r, ID: d.Identity})
		if ex.Operator == "" {
			ex.Operator = it.Options.Operator
		}
	}
	if len(ex.Images) == 0 {
		return nil, sum, errors.New("no DICOM images in this exam: a Structured Report references DICOM images only")
	}
	ex.Notes = append(ex.Notes, "z-scores: "+scannerCaveat(recs))
	b, err := sr.Write(ex)
	sum.Images = len(ex.Images)
	return b, sum, err
}

func scannerCaveat(recs []record.Record) string {
	for _, r := range recs {
		if r.Z != nil && r.ZNote != "" {
			return r.ZNote
		}
	}
	return "none computed"
}

// DeletePatient removes a patient and every stored image of theirs.
func (a *App) DeletePatient(id string) ([]string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	items, err := a.store.List()
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, it := range items {
		if it.Options.PatientID != id {
			continue
		}
		a.cache.drop(it.ID)
		if err := a.store.Remove(it.ID); err != nil {
			return removed, err
		}
		removed = append(removed, it.ID)
	}
	ps, err := a.store.Patients()
	if err != nil {
		return removed, err
	}
	kept := ps[:0]
	for _, p := range ps {
		if p.ID != id {
			kept = append(kept, p)
		}
	}
	return removed, a.store.SavePatients(kept)
}

// examFromDICOM fills the exam fields the page left empty from the DICOM
// file (study date, manufacturer and model, operator); it reports whether
// it changed anything.
func examFromDICOM(o *session.Options, d *decode.DICOMInfo) bool {
	if d == nil {
		return false
	}
	changed := false
	set := func(f *string, v string) {
		if *f == "" && strings.TrimSpace(v) != "" {
			*f, changed = strings.TrimSpace(v), true
		}
	}
	set(&o.ExamDate, d.Identity.ExamDate())
	set(&o.Scanner, strings.TrimSpace(d.Manufacturer+" "+d.Model))
	set(&o.Operator, strings.Join(strings.Fields(strings.ReplaceAll(d.Identity.OperatorsName, "^", " ")), " "))
	return changed
}
