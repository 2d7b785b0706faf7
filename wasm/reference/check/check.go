// Package check runs one image of the browser session through the whole
// pipeline twice, once with our executor (core/nn/executor, the engine the
// page runs) and once with the design's reference engine (onnx-go +
// gorgonia, core/nn/engine/gorgonnx), and says whether the two masks agree.
// The page's "Check with the reference engine" runs it in its own
// WebAssembly module (wasm/reference, fetched only when asked); the logic
// lives here so that it is tested natively.
//
// Both runs go through core/pipeline with the same request, so decoding,
// the field, the model input, the clean-up and the measurements have one
// home: only the engine differs.
package check

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"math"
	"sync"
	"time"

	"myoseg/core/clinical/zscore"
	"myoseg/core/nn/engine"
	"myoseg/core/nn/engine/gorgonnx"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/pipeline"
	"myoseg/wasm/session"
)

// ErrNoModel says the model is neither stored in this browser nor sent by
// the page: the page then fetches it and asks again.
var ErrNoModel = errors.New("the model is not stored in this browser")

// Store is where the page's core keeps the session (wasm/session.Store):
// the file each image was made from, and the model.
type Store interface {
	Source(id string) ([]byte, error)
	Model(name string) (string, []byte, error)
}

// Request is one check, as the page sends it.
type Request struct {
	ID      string           `json:"id"`   // the item in the session store
	Name    string           `json:"name"` // its file name (errors, the record)
	Options session.Options  `json:"options"`
	Patient *session.Patient `json:"patient"`
	// ModelName and ModelSHA256 name the page's current model ("": the
	// one stored; no SHA-256: not checked); its bytes come from Model when
	// the page sent them, else from the store.
	ModelName   string `json:"modelName"`
	ModelSHA256 string `json:"modelSha256"`
	Model       []byte `json:"-"`
	// PageMask is the mask the page's core made of this image with this
	// model (w×h bytes, non-zero = muscle), compared with the reference's
	// too; nil when the page has none to compare (another model made it).
	PageMask []byte `json:"-"`
}

// Engine is one engine's run of the image.
type Engine struct {
	Engine  string   `json:"engine"` // "fast" or "gorgonnx"
	Label   string   `json:"label"`
	CSAPx   int      `json:"csaPx"`
	CSACm2  *float64 `json:"csaCm2,omitempty"`
	EIMean  float64  `json:"eiMean"`
	EISD    float64  `json:"eiSd"`
	LoadMs  float64  `json:"loadMs"`  // building the engine for this model; 0 when reused
	InferMs float64  `json:"inferMs"` // the engine's Infer alone
	TotalMs float64  `json:"totalMs"` // the whole pipeline: decode, prepare, infer, clean-up, measure
}

// Agreement compares two masks of the same image.
type Agreement struct {
	Differ int     `json:"differ"` // pixels inside one mask and not the other
	Dice   float64 `json:"dice"`   // 1 when both are empty
}

// Report is the outcome of one check.
type Report struct {
	Model     string `json:"model"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	Ours      Engine `json:"ours"`
	Reference Engine `json:"reference"`
	// Masks compares our engine's mask with the reference's, both made here.
	Masks Agreement `json:"masks"`
	// MaxProbDiff is the largest |p_ours − p_reference| over the model's
	// output: the two engines sum in different orders, so a few 1e-7 are
	// expected; a mask differs only where one lands across the threshold.
	MaxProbDiff float64 `json:"maxProbDiff"`
	// Page compares the page's own mask (made by the page's core, possibly
	// its SIMD128 build) with the reference's; nil when not sent, with
	// PageNote saying why when it was sent but could not be compared.
	Page     *Agreement `json:"page,omitempty"`
	PageNote string     `json:"pageNote,omitempty"`
}

// Checker keeps the engines of the last model checked, so a second check
// with the same model does not build them again. It is safe for concurrent
// use (checks take turns).
type Checker struct {
	mu   sync.Mutex
	sha  string // of the model the engines below run
	m    *onnxmodel.Model
	fast engine.Engine
	ref  engine.Engine
}

// Stages reported through progress.
const (
	StageOurs      = "ours"
	StageReference = "reference"
)

// Run checks one image. progress (may be nil) hears each engine's turn.
func (c *Checker) Run(ctx context.Context, st Store, req Request, progress func(stage string)) (*Report, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if progress == nil {
		progress = func(string) {}
	}
	if st == nil {
		return nil, errors.New("reference check: this browser's storage cannot be read, and the image's file is kept there")
	}
	name, data, err := modelBytes(st, req)
	if err != nil {
		return nil, err
	}
	m, err := onnxmodel.Parse(name+".onnx", data)
	if err != nil {
		return nil, err
	}
	src, err := st.Source(req.ID)
	if err != nil {
		return nil, fmt.Errorf("reference check: %s: the image's file is not in this browser's storage (%v)", req.Name, err)
	}
	preq, err := request(req)
	if err != nil {
		return nil, fmt.Errorf("reference check: %s: %w", req.Name, err)
	}
	preq.Data = src

	var loadFast, loadRef time.Duration
	if c.sha != m.Info.SHA256 {
		c.sha, c.m, c.fast, c.ref = "", nil, nil, nil
		start := time.Now()
		fast, err := engine.NewFast(m, 1)
		if err != nil {
			return nil, err
		}
		loadFast = time.Since(start)
		start = time.Now()
		ref, err := gorgonnx.New(m, 1)
		if err != nil {
			return nil, err
		}
		loadRef = time.Since(start)
		c.sha, c.m, c.fast, c.ref = m.Info.SHA256, m, fast, ref
	}

	progress(StageOurs)
	ours, oursEng, err := runOne(ctx, c.m, c.fast, preq)
	if err != nil {
		return nil, err
	}
	oursEng.Engine, oursEng.Label, oursEng.LoadMs = "fast", "core/nn/executor", ms(loadFast)
	progress(StageReference)
	ref, refEng, err := runOne(ctx, c.m, c.ref, preq)
	if err != nil {
		return nil, err
	}
	refEng.Engine, refEng.Label, refEng.LoadMs = "gorgonnx", "onnx-go + gorgonia", ms(loadRef)

	b := ref.Mask.Bounds()
	rep := &Report{
		Model: m.Info.Name, Width: b.Dx(), Height: b.Dy(), Ours: oursEng, Reference: refEng,
		Masks:       Compare(ours.Mask, ref.Mask),
		MaxProbDiff: maxAbsDiff(ours.Prob, ref.Prob),
	}
	if req.PageMask != nil {
		rep.Page, rep.PageNote = comparePage(req.PageMask, ref.Mask)
	}
	return rep, nil
}

// comparePage compares the page's packed mask with ref, or says why not.
func comparePage(page []byte, ref *image.Gray) (*Agreement, string) {
	w, h := ref.Rect.Dx(), ref.Rect.Dy()
	if len(page) != w*h {
		return nil, fmt.Sprintf("the page's mask has %d pixels, the image %d×%d: not compared", len(page), w, h)
	}
	a := Compare(&image.Gray{Pix: page, Stride: w, Rect: image.Rect(0, 0, w, h)}, ref)
	return &a, ""
}

// modelBytes is the page's model: the bytes it sent, else the stored copy
// (with no name, the one stored), checked against the SHA-256 the page
// expects. It returns the model's name too.
func modelBytes(st Store, req Request) (string, []byte, error) {
	name, data := req.ModelName, req.Model
	if data == nil {
		n, d, err := st.Model(name)
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil, fmt.Errorf("reference check: %s: %w", cmp.Or(name, "no model named"), ErrNoModel)
		}
		if err != nil {
			return "", nil, fmt.Errorf("reference check: %w", err)
		}
		name, data = n, d
	}
	if req.ModelSHA256 != "" {
		if got := onnxmodel.SHA256(data); got != req.ModelSHA256 {
			if req.Model == nil { // a stored copy of another build of the model: fetch it
				return "", nil, fmt.Errorf("reference check: %s: the stored copy is another version (SHA-256 %s): %w", name, got, ErrNoModel)
			}
			return "", nil, fmt.Errorf("reference check: %s: the model sent has SHA-256 %s, want %s", name, got, req.ModelSHA256)
		}
	}
	return name, data, nil
}

// request turns the page's options into the pipeline request, as the page's
// core does (wasm/app): only the calibration changes the numbers compared
// here, but the same checks apply.
func request(r Request) (pipeline.Request, error) {
	o := r.Options
	opt := pipeline.Options{Frame: o.Frame, CmPerPx: o.CmPerPx, DepthCm: o.DepthCm, Muscle: o.Muscle, Side: o.Side,
		PatientID: o.PatientID, ExamDate: o.ExamDate, Accepted: o.Accepted}
	if p := r.Patient; p != nil {
		opt.Patient = &zscore.Patient{AgeYears: p.AgeYears, Sex: p.Sex, HeightCm: p.HeightCm, WeightKg: p.WeightKg}
	}
	return opt.Request(r.Name)
}

func runOne(ctx context.Context, m *onnxmodel.Model, eng engine.Engine, req pipeline.Request) (*pipeline.Result, Engine, error) {
	start := time.Now()
	res, err := pipeline.New(m, eng).Run(ctx, req)
	if err != nil {
		return nil, Engine{}, err
	}
	r := res.Record
	return res, Engine{CSAPx: r.CSAPx, CSACm2: r.CSACm2, EIMean: r.EIMean, EISD: r.EISD,
		InferMs: ms(res.Timing.Infer), TotalMs: ms(time.Since(start))}, nil
}

// Compare counts the pixels where a and b (same size; non-zero = muscle)
// disagree, and their Dice overlap.
func Compare(a, b *image.Gray) Agreement {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var inA, inB, both, differ int
	for y := 0; y < h; y++ {
		ra, rb := a.Pix[y*a.Stride:][:w], b.Pix[y*b.Stride:][:w]
		for x, va := range ra {
			pa, pb := va != 0, rb[x] != 0
			switch {
			case pa && pb:
				both++
			case pa != pb:
				differ++
			}
			if pa {
				inA++
			}
			if pb {
				inB++
			}
		}
	}
	d := 1.0
	if inA+inB > 0 {
		d = 2 * float64(both) / float64(inA+inB)
	}
	return Agreement{Differ: differ, Dice: d}
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range min(len(a), len(b)) {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
