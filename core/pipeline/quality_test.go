package pipeline

import (
	"context"
	"image"
	"strings"
	"testing"

	"myoseg/core/clinical/quality"
	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
	"myoseg/core/imaging/decode"
)

// disc is a 512×480 mask with a disc of radius r at (cx, cy).
func disc(cx, cy, r int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 512, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 512; x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
				g.Pix[y*512+x] = 255
			}
		}
	}
	return g
}

var adult = &zscore.Patient{AgeYears: 40, Sex: "M", HeightCm: 180, WeightKg: 70}

// A mask the quality check flags gets no z-score (the note says why) until
// a person accepts it; the record carries the check either way.
func TestFlaggedMaskWithholdsZ(t *testing.T) {
	data, _ := synthetic(t)
	// The model finds a speck of 0.13 cm²: no biceps is that small.
	s := segmenter(t, disc(260, 220, 20))
	req := Request{Name: "speck.png", Data: data, User: calib.User{CmPerPx: 0.01}, Muscle: zscore.BicepsBrachii, Patient: adult}
	res, err := s.Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Record
	if res.Quality.OK || r.Quality != "flagged" || !strings.Contains(r.QualityReasons, "smaller than any biceps brachii") {
		t.Fatalf("quality %v %q %q", res.Quality.OK, r.Quality, r.QualityReasons)
	}
	if r.Z != nil || r.Abnormal != nil || r.EIExpected != nil || r.ZNote != "not computed: mask flagged ("+r.QualityReasons+")" {
		t.Errorf("flagged: z %v note %q", r.Z, r.ZNote)
	}
	if r.CSAPx == 0 || r.EIMean == 0 {
		t.Errorf("flagged masks are still measured: CSA %d EI %v", r.CSAPx, r.EIMean)
	}

	// Accepted as it is: the z-score comes back, the reasons stay.
	req.Accepted = true
	res.Request = req
	ra, err := s.Remeasure(res, res.Mask, false)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Quality != "accepted" || ra.QualityReasons != r.QualityReasons || ra.Z == nil || ra.ZNote != zscore.Caveat {
		t.Errorf("accepted: quality %q reasons %q z %v note %q", ra.Quality, ra.QualityReasons, ra.Z, ra.ZNote)
	}
}

// A corrected mask is checked again, on the mask alone.
func TestCorrectedMaskRechecked(t *testing.T) {
	data, truth := synthetic(t)
	s := segmenter(t, truth)
	res, err := s.Run(context.Background(), Request{Name: "a.png", Data: data, User: calib.User{CmPerPx: 0.01}, Muscle: zscore.BicepsBrachii, Patient: adult})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Quality.OK || res.Record.Quality != "ok" || res.Record.QualityReasons != "" || res.Record.Z == nil {
		t.Fatalf("the oracle's mask: %+v", res.Record)
	}
	// Erased down to a speck: flagged.
	rc, err := s.Remeasure(res, disc(260, 220, 15), true)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Quality != "flagged" || rc.Z != nil || !strings.HasPrefix(rc.ZNote, "not computed: mask flagged (area") {
		t.Errorf("speck: %q %q z %v", rc.Quality, rc.ZNote, rc.Z)
	}
	// Erased entirely: flagged as empty.
	re, err := s.Remeasure(res, image.NewGray(res.Mask.Bounds()), true)
	if err != nil {
		t.Fatal(err)
	}
	if re.Quality != "flagged" || re.QualityReasons != "no muscle found: the mask is empty" {
		t.Errorf("empty: %q %q", re.Quality, re.QualityReasons)
	}
	// A corrected muscle-sized disc passes, whatever the model thought.
	rd, err := s.Remeasure(res, disc(260, 220, 120), true)
	if err != nil {
		t.Fatal(err)
	}
	if rd.Quality != "ok" || rd.Z == nil {
		t.Errorf("corrected disc: %q %q", rd.Quality, rd.QualityReasons)
	}
}

// A model trained on phantoms marks every z-score research only.
func TestResearchOnlyNote(t *testing.T) {
	data, truth := synthetic(t)
	s := segmenter(t, truth)
	s.model.Info.TrainedOn = "phantoms only (myoseg phantom generator)"
	if !ResearchOnly(s.Model()) {
		t.Fatal("a phantom-trained model is not research only")
	}
	res, err := s.Run(context.Background(), Request{Name: "a.png", Data: data, Muscle: zscore.BicepsBrachii, Patient: adult})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Record; r.Z == nil || r.ZNote != "research use only; "+zscore.Caveat {
		t.Errorf("z %v note %q", r.Z, r.ZNote)
	}
	s.model.Info.TrainedOn = "real scans of 400 patients"
	if ResearchOnly(s.Model()) {
		t.Error("a model trained on real scans is research only")
	}
}

// A DICOM from another manufacturer than the reference scanner's gets no
// number: the z-score is marked not applicable.
func TestOtherScannerNotApplicable(t *testing.T) {
	data, truth := synthetic(t)
	s := segmenter(t, truth)
	res, err := s.Run(context.Background(), Request{Name: "a.png", Data: data, Muscle: zscore.BicepsBrachii, Patient: adult})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		manufacturer string
		z            bool
		note         string
	}{
		{"ESAOTE S.p.A.", true, zscore.Caveat},
		{"", true, zscore.Caveat}, // not stated: left to the caveat, as for a PNG
		{"GE Healthcare", false, "not applicable: the normal values are for Esaote scanners; this image is from GE Healthcare"},
	} {
		img := *res.Image
		img.DICOM = &decode.DICOMInfo{Manufacturer: tc.manufacturer}
		rr := *res
		rr.Image = &img
		r, err := s.Remeasure(&rr, res.Mask, false)
		if err != nil {
			t.Fatal(err)
		}
		if (r.Z != nil) != tc.z || (r.Abnormal != nil) != tc.z || (r.EIExpected != nil) != tc.z || r.ZNote != tc.note {
			t.Errorf("%q: z %v note %q, want z: %v, note %q", tc.manufacturer, r.Z, r.ZNote, tc.z, tc.note)
		}
	}
}

// The check the pipeline runs is the quality package's on the pipeline's
// own mask and probabilities.
func TestResultCarriesCheckInputs(t *testing.T) {
	data, truth := synthetic(t)
	s := segmenter(t, truth)
	res, err := s.Run(context.Background(), Request{Name: "a.png", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	info := s.Model()
	c, err := quality.Run(quality.Input{Mask: res.Mask, Field: res.Field, FieldMask: res.FieldMask, Prob: res.Prob,
		ProbW: info.InputW, ProbH: info.InputH, Place: res.Place, Threshold: info.Threshold, Cal: calib.None()})
	if err != nil {
		t.Fatal(err)
	}
	if c.OK != res.Quality.OK || c.Measures.AreaPx != res.Record.CSAPx || len(c.Measures.Regions) != 1 {
		t.Errorf("check %+v, result %+v", c.Measures, res.Quality.Measures)
	}
	if res.Place != image.Rect(0, 0, 256, 240) {
		t.Errorf("place %v", res.Place)
	}
}
