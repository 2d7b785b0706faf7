package pipeline

import (
	"context"
	"math"
	"strings"
	"testing"

	"myoseg/core/imaging/calib"
)

// A depth calibrates a single linear frame (the synthetic image fills its
// frame) and is refused, with the reason, on a field that is not one; the
// exam's patient ID and date reach the record.
func TestDepthAndExam(t *testing.T) {
	data, truth := synthetic(t)
	s := segmenter(t, truth)
	req, err := Options{DepthCm: 4.8, PatientID: " P-1 ", ExamDate: "2026-03-01"}.Request("s.png")
	if err != nil {
		t.Fatal(err)
	}
	req.Data = data
	res, err := s.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Record
	if res.DepthRefusal != "" || r.CalibrationSource != string(calib.SourceUserDepth) || r.CmPerPxY == nil || math.Abs(*r.CmPerPxY-4.8/float64(r.FieldH)) > 1e-9 {
		t.Errorf("linear frame: refusal %q, source %s, cm/px %v (field %d px high)", res.DepthRefusal, r.CalibrationSource, r.CmPerPxY, r.FieldH)
	}
	if r.PatientID != "P-1" || r.ExamDate != "2026-03-01" {
		t.Errorf("exam: %q %q", r.PatientID, r.ExamDate)
	}
	res.DepthRefusal = "the image field fills 60 % of its bounding box"
	if _, err := s.Remeasure(res, res.Mask, false); err == nil || !strings.Contains(err.Error(), "depth calibration refused: the image field fills 60 %") {
		t.Errorf("panoramic: err = %v", err)
	}
	res.Request.User = calib.User{CmPerPx: 0.01} // cm/px is not refused
	if _, err := s.Remeasure(res, res.Mask, false); err != nil {
		t.Errorf("cm/px on a panoramic field: %v", err)
	}
	if _, err := (Options{ExamDate: "1.3.2026"}).Request("x"); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Errorf("bad exam date: err = %v", err)
	}
}
