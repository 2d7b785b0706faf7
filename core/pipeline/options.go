package pipeline

import (
	"fmt"
	"image"
	"strings"
	"time"

	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
)

// Options are what a user says about an image, as typed (command-line flags,
// the page's form): calibration, muscle, side and patient. Request checks
// them; every front end goes through it.
type Options struct {
	Frame   int
	CmPerPx float64 // 0 = not given
	DepthCm float64 // 0 = not given
	Muscle  string  // anything zscore.ParseMuscle reads; "" = unknown
	Side    string  // left or right, any case; "" = not given
	// Patient is nil without patient data; its Sex may be M or F in any
	// case, or "".
	Patient *zscore.Patient
	// PatientID and ExamDate (YYYY-MM-DD) go to the record as given, for the
	// CSV's patient-level columns and the report's visits.
	PatientID, ExamDate string
	// Accepted: a person accepted the mask despite the quality check
	// (Request.Accepted).
	Accepted bool
}

// Request checks the options and returns the request for the file called
// name (without its bytes): the muscle in its canonical key, the side in
// lower case, the sex in upper case.
func (o Options) Request(name string) (Request, error) {
	req := Request{Name: name, Frame: o.Frame, User: calib.User{CmPerPx: o.CmPerPx, DepthCm: o.DepthCm},
		PatientID: strings.TrimSpace(o.PatientID), ExamDate: strings.TrimSpace(o.ExamDate), Accepted: o.Accepted}
	if req.ExamDate != "" {
		if _, err := time.Parse("2006-01-02", req.ExamDate); err != nil {
			return req, fmt.Errorf("exam date must be YYYY-MM-DD, got %q", o.ExamDate)
		}
	}
	if o.Frame < 0 {
		return req, fmt.Errorf("frame must be 0 or more, got %d", o.Frame)
	}
	// A one-pixel field is enough to check the numbers before any decoding.
	if _, err := calib.FromUser(req.User, image.Rect(0, 0, 1, 1)); err != nil {
		return req, err
	}
	if o.Muscle != "" {
		m, err := zscore.ParseMuscle(o.Muscle)
		if err != nil {
			return req, err
		}
		req.Muscle = m
	}
	switch side := strings.ToLower(strings.TrimSpace(o.Side)); side {
	case "", "left", "right":
		req.Side = side
	default:
		return req, fmt.Errorf("side must be left or right, got %q", o.Side)
	}
	if o.Patient != nil {
		p := *o.Patient
		sex, err := zscore.ParseSex(p.Sex)
		if err != nil {
			return req, err
		}
		p.Sex = sex
		req.Patient = &p
	}
	return req, nil
}
