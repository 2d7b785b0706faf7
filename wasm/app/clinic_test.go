package app

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"myoseg/core/clinical/sr/srtest"
	"myoseg/core/imaging/calib"
	"myoseg/core/imaging/decode"
	"myoseg/wasm/session"
)

// A patient's two exams: the report has a page each; the SR of the first
// exam references its two DICOM images and names the PNG it left out;
// deleting the patient removes their images and keeps the others.
func TestReportSRDelete(t *testing.T) {
	ctx := context.Background()
	a, st := loaded(t)
	pngData, _ := ellipsePNG(t)
	g, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	id := func(n string) decode.Identity {
		return decode.Identity{SOPInstanceUID: "1.2.3.4.5." + n, StudyInstanceUID: "1.2.3.4", SeriesInstanceUID: "1.2.3.4.1", PatientID: "P1", StudyDate: "20260301"}
	}
	p := &session.Patient{ID: "P1", AgeYears: 40, Sex: "F", HeightCm: 170, WeightKg: 60}
	if err := a.SavePatients([]session.Patient{*p, {ID: "P2", AgeYears: 50, Sex: "M", HeightCm: 180, WeightKg: 80}}); err != nil {
		t.Fatal(err)
	}
	jobs := []struct {
		name string
		data []byte
		opt  session.Options
	}{
		{"ta_l.dcm", srtest.DICOM(g.(*image.Gray), id("1")), session.Options{Muscle: "tibialis_anterior", Side: "left", PatientID: "P1", ExamDate: "2026-03-01", CmPerPx: 0.01, Operator: "J. Doe"}},
		{"ta_r.dcm", srtest.DICOM(g.(*image.Gray), id("2")), session.Options{Muscle: "tibialis_anterior", Side: "right", PatientID: "P1", CmPerPx: 0.01}}, // exam date from the file
		{"bb_l.png", pngData, session.Options{Muscle: "biceps_brachii", Side: "left", PatientID: "P1", ExamDate: "2026-03-01", CmPerPx: 0.01}},
		{"ta_l2.png", pngData, session.Options{Muscle: "tibialis_anterior", Side: "left", PatientID: "P1", ExamDate: "2026-09-01", CmPerPx: 0.01}},
		{"other.png", pngData, session.Options{Muscle: "tibialis_anterior", PatientID: "P2", CmPerPx: 0.01}},
	}
	for i, j := range jobs {
		pp := p
		if j.opt.PatientID == "P2" {
			pp = &session.Patient{ID: "P2", AgeYears: 50, Sex: "M", HeightCm: 180, WeightKg: 80}
		}
		out, err := a.Run(ctx, Job{ID: "j" + string(rune('a'+i)), Name: j.name, Order: int64(i + 1), Options: j.opt, Patient: pp}, j.data, nil)
		if err != nil || out.Item.Status != "done" {
			t.Fatalf("%s: %v %s", j.name, err, out.Item.Error)
		}
		if j.name == "ta_r.dcm" && (out.Item.Options.Scanner != "Esaote" || out.Item.Options.Operator != "") {
			t.Errorf("DICOM exam fields: %+v", out.Item.Options)
		}
		wantDate := j.opt.ExamDate
		if j.name == "ta_r.dcm" {
			wantDate = "2026-03-01"
		}
		if r := decodeRecord(t, out.Item); r.PatientID != j.opt.PatientID || r.ExamDate != wantDate || out.Item.Options.ExamDate != wantDate {
			t.Errorf("%s: record patient %q exam %q", j.name, r.PatientID, r.ExamDate)
		}
	}

	html, err := a.Report("P1", map[string]map[string]string{"2026-03-01": {"TA": "3"}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	if n := strings.Count(s, `<section class="page">`); n != 2 {
		t.Errorf("%d report pages, want 2 (two exams)", n)
	}
	for _, want := range []string{"2026-03-01", "2026-09-01", "Tibialis anterior", "Biceps brachii", "J. Doe", "data:image/png;base64,", "<option selected>3</option>", "test-net"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(s, "other.png") {
		t.Error("another patient's image is in the report")
	}

	b, sum, err := a.SR("P1", "2026-03-01", "normal", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Images != 2 || len(sum.LeftOut) != 1 || sum.LeftOut[0] != "bb_l.png" {
		t.Errorf("SR summary %+v, want 2 images, bb_l.png left out", sum)
	}
	for _, u := range []string{"1.2.3.4.5.1", "1.2.3.4.5.2", "1.2.840.10008.5.1.4.1.1.88.33"} {
		if !bytes.Contains(b, []byte(u)) {
			t.Errorf("SR lacks %s", u)
		}
	}
	if _, _, err := a.SR("P1", "2026-09-01", "", time.Now()); err == nil || !strings.Contains(err.Error(), "no DICOM images") {
		t.Errorf("SR of a PNG-only exam: err = %v", err)
	}

	removed, err := a.DeletePatient("P1")
	if err != nil || len(removed) != 4 {
		t.Fatalf("removed %v, %v; want P1's 4 images", removed, err)
	}
	items, _ := st.List()
	ps, _ := st.Patients()
	if len(items) != 1 || items[0].Name != "other.png" || len(ps) != 1 || ps[0].ID != "P2" {
		t.Errorf("after delete: items %d, patients %+v", len(items), ps)
	}
	if _, err := a.Report("P1", nil); err == nil {
		t.Error("report of a deleted patient: want an error")
	}
}

func TestCalibrationAndPatientTables(t *testing.T) {
	got, err := CalibrationTable([]byte("file,cm_per_pixel_x,cm_per_pixel_y\na.png,0.01,0.01\nsub/b.dcm,0.02,\n"), []string{"a.png", "b.dcm", "c.png"})
	if err != nil || got["a.png"] != 0.01 || got["b.dcm"] != 0.02 || len(got) != 2 {
		t.Errorf("got %v, %v", got, err)
	}
	_, err = CalibrationTable([]byte("a.png,0.01,0.01\nz.png,0.01,0.01\na.png,x,\n"), []string{"a.png"})
	var te *calib.TableError
	if !errors.As(err, &te) || len(te.Rows) != 2 || te.Rows[0].Line != 2 || te.Rows[1].Line != 3 {
		t.Errorf("bad rows: %v", err)
	}
	ps, probs, err := PatientTable("characteristics.csv", []byte("ID,age,sex,height,weight\nP7,61,F,165,70\nP8,30,M,,80\n"), "M")
	if err != nil || len(ps) != 2 || ps[0].ID != "P7" || ps[0].AgeYears != 61 || ps[0].Sex != "F" || len(probs) != 1 || !strings.HasPrefix(probs[0], "P8:") {
		t.Errorf("patients %+v, problems %v, err %v", ps, probs, err)
	}
}
