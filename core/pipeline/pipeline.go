// Package pipeline ties the stages together: bytes of one image in; its
// muscle mask, measurements and z-score out. Native CLI, batch mode,
// evaluation and the browser all call it.
package pipeline

import (
	"context"
	"fmt"
	"image"
	"time"

	"myoseg/core/clinical/measure"
	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
	"myoseg/core/imaging/decode"
	"myoseg/core/imaging/field"
	"myoseg/core/imaging/modelio"
	"myoseg/core/nn/engine"
	"myoseg/core/nn/onnxmodel"
)

// Request is one image to segment.
type Request struct {
	Name    string // file name, used in errors and the record
	Data    []byte
	Frame   int
	User    calib.User
	Muscle  zscore.Muscle   // "" = unknown
	Side    string          // "left", "right" or ""
	Patient *zscore.Patient // nil = no z-score
}

// Timing splits one run's wall time by stage.
type Timing struct {
	Decode, Prepare, Infer, Post, Measure time.Duration
}

// Result is one segmented, measured image.
type Result struct {
	Record record.Record
	Image  *decode.Image
	Field  image.Rectangle
	Mask   *image.Gray // input size, 0/255
	Prob   []float32   // model output, H×W of the model input
	Timing Timing
	// Request is what was asked; Remeasure reads the calibration, muscle and
	// patient from it, so a caller may change them on a copy of the Result
	// (e.g. the clinician picks another muscle) without running it again.
	Request Request
}

// Segmenter runs one model through an engine. It is safe for concurrent
// use when the engine is.
type Segmenter struct {
	model  *onnxmodel.Model
	engine engine.Engine
	post   modelio.Post
}

// New returns a segmenter for model m run by eng, with the default
// clean-up (modelio.DefaultPost).
func New(m *onnxmodel.Model, eng engine.Engine) *Segmenter {
	return &Segmenter{model: m, engine: eng, post: modelio.DefaultPost()}
}

// WithPost returns a copy of s that cleans masks with p (e.g.
// modelio.PaperPost for the seed paper's exact radii).
func (s *Segmenter) WithPost(p modelio.Post) *Segmenter {
	c := *s
	c.post = p
	return &c
}

// Model describes the loaded model.
func (s *Segmenter) Model() onnxmodel.Info { return s.model.Info }

// Run decodes, segments and measures one image.
func (s *Segmenter) Run(ctx context.Context, req Request) (*Result, error) {
	var t Timing
	start := time.Now()
	img, err := decode.Decode(req.Name, req.Data, decode.Options{Frame: req.Frame})
	if err != nil {
		return nil, err // decode names the file and the reason
	}
	t.Decode = time.Since(start)

	start = time.Now()
	fieldRect, fieldMask := FieldOf(img)
	in, err := modelio.Prepare(img.Gray, fieldRect, s.model.Info)
	if err != nil {
		return nil, fmt.Errorf("%s: prepare: %w", req.Name, err)
	}
	t.Prepare = time.Since(start)

	start = time.Now()
	prob, err := s.engine.Infer(ctx, in.Data)
	if err != nil {
		return nil, fmt.Errorf("%s: inference: %w", req.Name, err)
	}
	t.Infer = time.Since(start)

	start = time.Now()
	mask, err := modelio.Mask(prob, in, s.model.Info, img.Gray.Bounds(), s.post)
	if err != nil {
		return nil, fmt.Errorf("%s: post-processing: %w", req.Name, err)
	}
	if fieldMask != nil {
		// A curved field's rectangle has corners of screen (scale lines,
		// labels); they never belong to the muscle.
		for i, v := range fieldMask.Pix {
			if v == 0 {
				mask.Pix[i] = 0
			}
		}
	}
	t.Post = time.Since(start)

	req.Data = nil // the decoded image is kept; the file's bytes are not needed again
	res := &Result{Image: img, Field: in.Field, Mask: mask, Prob: prob, Request: req}
	start = time.Now()
	if res.Record, err = s.record(res, mask, false); err != nil {
		return nil, err
	}
	t.Measure = time.Since(start)
	res.Timing = t
	return res, nil
}

// FieldOf is the ultrasound field: the DICOM tissue region when the file
// has one (the scanner says where the image is), else detected from the
// pixels, with a per-pixel mask of the field (nil when the rectangle is
// the field, as for DICOM regions).
func FieldOf(img *decode.Image) (image.Rectangle, *image.Gray) {
	if img.DICOM != nil {
		var best image.Rectangle
		for _, r := range img.DICOM.Regions {
			rect := image.Rect(r.X0, r.Y0, r.X1+1, r.Y1+1).Intersect(img.Gray.Bounds())
			// Spatial format 1 = 2D (B-mode), data type 1 = tissue.
			if r.SpatialFormat == 1 && r.DataType == 1 && rect.Dx()*rect.Dy() > best.Dx()*best.Dy() {
				best = rect
			}
		}
		if !best.Empty() {
			return best, nil
		}
	}
	found, mask := field.FindMask(img.Gray)
	if !found.Found {
		return found.Rect, nil // the whole image: nothing to mask out
	}
	return found.Rect, mask
}

// Remeasure builds the record for another mask on the same image, e.g. a
// clinician's correction; corrected marks it as such.
func (s *Segmenter) Remeasure(res *Result, mask *image.Gray, corrected bool) (record.Record, error) {
	return s.record(res, mask, corrected)
}

func (s *Segmenter) record(res *Result, mask *image.Gray, corrected bool) (record.Record, error) {
	req, img := res.Request, res.Image
	roi := res.Field
	if bb := measure.BBox(mask); !bb.Empty() {
		roi = bb
	}
	cal, err := calib.Resolve(img, roi, res.Field, req.User)
	if err != nil {
		return record.Record{}, fmt.Errorf("%s: calibration: %w", req.Name, err)
	}
	m, err := measure.Mask(img.Gray, mask, cal)
	if err != nil {
		return record.Record{}, fmt.Errorf("%s: measure: %w", req.Name, err)
	}
	info := s.model.Info
	b := img.Gray.Bounds()
	r := record.Record{
		File: req.Name, Frame: img.Frame, Muscle: string(req.Muscle), Side: req.Side,
		Model: info.Name, ModelSHA256: info.SHA256, Width: b.Dx(), Height: b.Dy(),
		FieldX: res.Field.Min.X, FieldY: res.Field.Min.Y, FieldW: res.Field.Dx(), FieldH: res.Field.Dy(),
		CalibrationSource: string(cal.Source),
		CSAPx:             m.AreaPx, PerimeterPx: m.PerimeterPx, EIMean: m.EIMean, EISD: m.EISD,
		BBoxX: m.BBox.Min.X, BBoxY: m.BBox.Min.Y, BBoxW: m.BBox.Dx(), BBoxH: m.BBox.Dy(),
		Corrected: corrected, Warning: info.Warning,
	}
	if cal.Known() {
		r.CmPerPxX, r.CmPerPxY = ptr(cal.CmPerPxX), ptr(cal.CmPerPxY)
		r.CSACm2, r.PerimeterCm = ptr(m.AreaCm2), ptr(m.PerimeterCm)
	}
	scoreInto(&r, req, m)
	r.Round()
	return r, nil
}

// scoreInto adds the z-score, or says in ZNote why there is none.
func scoreInto(r *record.Record, req Request, m measure.Result) {
	if p := req.Patient; p != nil {
		if p.AgeYears > 0 {
			r.AgeYears = ptr(p.AgeYears)
		}
		if p.HeightCm > 0 {
			r.HeightCm = ptr(p.HeightCm)
		}
		if p.WeightKg > 0 {
			r.WeightKg = ptr(p.WeightKg)
		}
		r.Sex = p.Sex
	}
	switch {
	case req.Muscle == "":
		r.ZNote = "no z-score: muscle not given"
	case req.Patient == nil:
		r.ZNote = "no z-score: patient data not given"
	case m.AreaPx == 0:
		r.ZNote = "no z-score: empty mask"
	default:
		s, err := zscore.Compute(req.Muscle, *req.Patient, m.EIMean)
		if err != nil {
			r.ZNote = "no z-score: " + err.Error()
			return
		}
		r.EIExpected, r.EIPredSD, r.Z = ptr(s.Expected), ptr(s.SD), ptr(s.Z)
		r.Abnormal = &s.Abnormal
		r.ZNote = s.Caveat
	}
}

func ptr[T any](v T) *T { return &v }
