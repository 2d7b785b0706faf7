// Package pipeline ties the stages together: bytes of one image in; its
// muscle mask, measurements and z-score out. Native CLI, batch mode,
// evaluation and the browser all call it.
package pipeline

import (
	"context"
	"fmt"
	"image"
	"math"
	"strings"
	"time"

	"myoseg/core/clinical/measure"
	"myoseg/core/clinical/quality"
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
	Name string // file name, used in the record (and in errors when Path is empty)
	// Path is the file as the user named it (e.g. scans/a/img.png), used in
	// errors so the message points at the file; "" = Name.
	Path    string
	Data    []byte
	Frame   int
	User    calib.User
	Muscle  zscore.Muscle   // "" = unknown
	Side    string          // "left", "right" or ""
	Patient *zscore.Patient // nil = no z-score
	// PatientID and ExamDate are copied to the record.
	PatientID, ExamDate string
	// Accepted says a person looked at the mask the quality check flagged
	// and accepted it as it is: its z-score is computed and the record says
	// quality "accepted". It applies to the mask being measured; a caller
	// clears it when the mask changes.
	Accepted bool
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
	// DepthRefusal says why a depth typed by the user cannot calibrate this
	// image (a panoramic or curved field: field.ShapeOf); "" = it can.
	DepthRefusal string
	// Place is where the field sits in the model's input (Prob's
	// coordinates); FieldMask is the field pixel by pixel (nil = the whole
	// rectangle). The quality check reads them with Prob.
	Place     image.Rectangle
	FieldMask *image.Gray
	// Quality is the check of the model's mask (Record.Quality says the
	// same in words).
	Quality quality.Check
}

// Segmenter runs one model through an engine. It is safe for concurrent
// use when the engine is.
type Segmenter struct {
	model     *onnxmodel.Model
	engine    engine.Engine
	post      modelio.Post
	maxPixels int64 // 0 = DefaultMaxPixels
	postMax   int64 // 0 = postMaxPixels
}

// Memory. Run holds, per pixel of the image, at most about BytesPerPixel
// bytes of live heap at its peak, rendering the outputs included: the grey
// plane (1), the field mask (1), the muscle mask (1), and then either the
// overlay's RGBA buffer (4) or the perimeter's two float64 planes over the
// mask's bounding box (16 at worst, when the muscle's box is the whole
// image). Everything else (the model's input and output, the clean-up's
// planes) is bounded by the model's size or postMaxPixels. A run on an
// image above MaxPixels is refused before anything is decoded.
const (
	BytesPerPixel = 20
	// DefaultMaxPixels keeps one image's peak under 1 GB at BytesPerPixel
	// (the CLI also sets the collector's memory limit to it, so garbage
	// does not double the heap): 50 Mpx, e.g. 7000×7000.
	DefaultMaxPixels = 1_000_000_000 / BytesPerPixel
)

// postMaxPixels bounds the grid the mask is cleaned on. The model sees the
// field at its input size (240×256); above this many field pixels the
// clean-up (fill holes, erode, dilate, open, keep the muscle) runs on a
// grid scaled down to it, still over 60 times the model's pixels so no
// detail the model gives is lost, and the clean mask is scaled back up by
// nearest neighbour. At full size the clean-up held about 20 bytes per
// pixel (masks, distance transforms, labels).
const postMaxPixels = 4 << 20

// WithMaxPixels returns a copy of s that refuses images above n pixels
// before decoding them (0 = DefaultMaxPixels), and any whose decoder alone
// would need more than n × BytesPerPixel bytes (16-bit colour TIFF, ...).
func (s *Segmenter) WithMaxPixels(n int64) *Segmenter {
	c := *s
	c.maxPixels = n
	return &c
}

// MaxPixels is the largest image s accepts.
func (s *Segmenter) MaxPixels() int64 {
	if s.maxPixels > 0 {
		return s.maxPixels
	}
	return DefaultMaxPixels
}

func (r Request) errName() string {
	if r.Path != "" {
		return r.Path
	}
	return r.Name
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
	limit := s.MaxPixels()
	img, err := decode.Decode(req.errName(), req.Data, decode.Options{Frame: req.Frame, MaxPixels: limit, MaxBytes: limit * BytesPerPixel})
	if err != nil {
		return nil, err // decode names the file and the reason
	}
	t.Decode = time.Since(start)

	start = time.Now()
	fieldRect, fieldMask := FieldOf(img)
	in, err := modelio.Prepare(img.Gray, fieldRect, s.model.Info)
	if err != nil {
		return nil, fmt.Errorf("%s: prepare: %w", req.errName(), err)
	}
	t.Prepare = time.Since(start)

	start = time.Now()
	prob, err := s.engine.Infer(ctx, in.Data)
	if err != nil {
		return nil, fmt.Errorf("%s: inference: %w", req.errName(), err)
	}
	t.Infer = time.Since(start)

	start = time.Now()
	mask, err := s.mask(prob, in, img.Gray.Bounds())
	if err != nil {
		return nil, fmt.Errorf("%s: post-processing: %w", req.errName(), err)
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
	res := &Result{Image: img, Field: in.Field, Mask: mask, Prob: prob, Request: req, Place: in.Place, FieldMask: fieldMask}
	if sh := field.ShapeOf(field.Result{Rect: fieldRect, Found: fieldMask != nil}, fieldMask); !sh.Linear {
		res.DepthRefusal = sh.Reason
	}
	start = time.Now()
	if res.Record, res.Quality, err = s.record(res, mask, false); err != nil {
		return nil, err
	}
	t.Measure = time.Since(start)
	res.Timing = t
	return res, nil
}

// mask is the muscle mask on the image's pixels (bounds size): cleaned at
// full size up to postMaxPixels of field, else on a scaled-down grid.
func (s *Segmenter) mask(prob []float32, in modelio.Input, size image.Rectangle) (*image.Gray, error) {
	limit := s.postMax
	if limit <= 0 {
		limit = postMaxPixels
	}
	fw, fh := in.Field.Dx(), in.Field.Dy()
	if int64(fw)*int64(fh) <= limit {
		return modelio.Mask(prob, in, s.model.Info, size, s.post)
	}
	k := math.Sqrt(float64(limit) / (float64(fw) * float64(fh)))
	sw, sh := max(1, int(float64(fw)*k)), max(1, int(float64(fh)*k))
	small := in
	small.Field = image.Rect(0, 0, sw, sh)
	m, err := modelio.Mask(prob, small, s.model.Info, small.Field, s.post)
	if err != nil {
		return nil, err
	}
	// Nearest neighbour by pixel centres: field pixel x ← small pixel
	// ⌊(x+½)·sw/fw⌋.
	xs := make([]int32, fw)
	for x := range xs {
		xs[x] = int32((2*x + 1) * sw / (2 * fw))
	}
	out := image.NewGray(size)
	for y := 0; y < fh; y++ {
		src := m.Pix[((2*y+1)*sh/(2*fh))*m.Stride:][:sw]
		dst := out.Pix[out.PixOffset(in.Field.Min.X, in.Field.Min.Y+y):][:fw]
		for x := range dst {
			dst[x] = src[xs[x]]
		}
	}
	return out, nil
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
// clinician's correction; corrected marks it as such. The mask is checked
// again (a corrected one by the rules about the mask alone: see
// quality.Input.Corrected).
func (s *Segmenter) Remeasure(res *Result, mask *image.Gray, corrected bool) (record.Record, error) {
	r, _, err := s.record(res, mask, corrected)
	return r, err
}

// ResearchOnly reports whether a model's results are for research only:
// while it was trained on phantoms (its metadata's trained_on says so),
// every z-score and verdict says "research use only" next to it.
func ResearchOnly(info onnxmodel.Info) bool {
	return strings.Contains(strings.ToLower(info.TrainedOn), "phantom")
}

func (s *Segmenter) record(res *Result, mask *image.Gray, corrected bool) (record.Record, quality.Check, error) {
	req, img := res.Request, res.Image
	roi := res.Field
	if bb := measure.BBox(mask); !bb.Empty() {
		roi = bb
	}
	cal, err := calib.Resolve(img, roi, res.Field, req.User)
	if err == nil && cal.Source == calib.SourceUserDepth {
		err = calib.DepthAllowed(res.DepthRefusal)
	}
	if err != nil {
		return record.Record{}, quality.Check{}, fmt.Errorf("%s: calibration: %w", req.errName(), err)
	}
	m, err := measure.Mask(img.Gray, mask, cal)
	if err != nil {
		return record.Record{}, quality.Check{}, fmt.Errorf("%s: measure: %w", req.errName(), err)
	}
	info := s.model.Info
	chk, err := quality.Run(quality.Input{
		Mask: mask, Field: res.Field, FieldMask: res.FieldMask,
		Prob: res.Prob, ProbW: info.InputW, ProbH: info.InputH, Place: res.Place, Threshold: info.Threshold,
		Cal: cal, Muscle: req.Muscle, Corrected: corrected,
	})
	if err != nil {
		return record.Record{}, quality.Check{}, fmt.Errorf("%s: quality check: %w", req.errName(), err)
	}
	b := img.Gray.Bounds()
	r := record.Record{
		File: req.Name, Frame: img.Frame, Muscle: string(req.Muscle), Side: req.Side,
		Model: info.Name, ModelSHA256: info.SHA256, Width: b.Dx(), Height: b.Dy(),
		FieldX: res.Field.Min.X, FieldY: res.Field.Min.Y, FieldW: res.Field.Dx(), FieldH: res.Field.Dy(),
		CalibrationSource: string(cal.Source),
		CSAPx:             m.AreaPx, PerimeterPx: m.PerimeterPx, EIMean: m.EIMean, EISD: m.EISD,
		BBoxX: m.BBox.Min.X, BBoxY: m.BBox.Min.Y, BBoxW: m.BBox.Dx(), BBoxH: m.BBox.Dy(),
		Corrected: corrected, Warning: info.Warning, PatientID: req.PatientID, ExamDate: req.ExamDate,
		Quality: string(chk.Status(req.Accepted)), QualityReasons: chk.Summary(),
	}
	if cal.Known() {
		r.CmPerPxX, r.CmPerPxY = ptr(cal.CmPerPxX), ptr(cal.CmPerPxY)
		r.CSACm2, r.PerimeterCm = ptr(m.AreaCm2), ptr(m.PerimeterCm)
	}
	scoreInto(&r, req, m, img, r.Quality == string(quality.StatusFlagged), ResearchOnly(info))
	r.Round()
	return r, chk, nil
}

// scoreInto adds the z-score, or says in ZNote why there is none: no
// muscle or patient; a scanner other than the reference's (not
// applicable: the normal values are on another scale); a flagged mask
// (withheld until a person corrects or accepts it). A z-score from a
// research-only model says so first.
func scoreInto(r *record.Record, req Request, m measure.Result, img *decode.Image, flagged, research bool) {
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
	case img.DICOM != nil && !zscore.ScannerApplies(img.DICOM.Manufacturer):
		r.ZNote = fmt.Sprintf("not applicable: the normal values are for %s scanners; this image is from %s", zscore.ReferenceManufacturer, img.DICOM.Manufacturer)
	case flagged:
		r.ZNote = "not computed: mask flagged (" + r.QualityReasons + ")"
	case m.AreaPx == 0: // an accepted empty mask has no echo intensity
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
		if research {
			r.ZNote = zscore.ResearchOnly + "; " + s.Caveat
		}
	}
}

func ptr[T any](v T) *T { return &v }
