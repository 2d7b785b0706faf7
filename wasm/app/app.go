// Package app is what one browser worker does, without the browser: load the
// model (from storage, else from the network), segment and measure images,
// remeasure corrected masks, restore the stored session, and build the
// exports (CSV, mask and overlay PNGs, the training-data ZIP). The wasm shim
// (package main in wasm/) only moves messages and bytes between JavaScript
// and this package, so all of it is tested natively.
package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"slices"
	"sync"
	"time"

	"github.com/hack-pad/hackpadfs"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/decode"
	"myoseg/core/imaging/render"
	"myoseg/core/nn/engine"
	"myoseg/core/nn/engine/open"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/pipeline"
	"myoseg/wasm/session"
)

// MaxPixels is the largest image the browser app takes: far below the
// native decoder's limit, because a worker's wasm memory holds the decoded
// colour image, the grey plane and the masks at once.
const MaxPixels = 1 << 25 // 33.5 Mpx, e.g. 5792×5792

// MaxFileBytes is the largest file the app reads.
const MaxFileBytes = 256 << 20

// App is one worker's state. Its methods may be called from several
// goroutines (the shim handles each message on its own); they take turns.
type App struct {
	mu    sync.Mutex
	store *session.Store
	lib   hackpadfs.FS // the model library (library.go); nil until OpenLibrary
	seg   *pipeline.Segmenter
	info  ModelInfo
	// earlier holds the segmenters of models used before the current one,
	// by SHA-256 (at most maxEarlier, the oldest dropped first), so that
	// remeasuring a result keeps the model that made it.
	earlier      map[string]*pipeline.Segmenter
	earlierOrder []string
	cache        *resultCache
}

// maxEarlier bounds the earlier models a worker keeps compiled; others are
// read again from storage when a result of theirs is remeasured.
const maxEarlier = 2

// New returns an App storing its session in store.
func New(store *session.Store) *App {
	return &App{store: store, cache: newResultCache(8), earlier: map[string]*pipeline.Segmenter{}}
}

// ModelInfo is what the page shows about the loaded model.
type ModelInfo struct {
	Name      string `json:"name"`
	TrainedOn string `json:"trainedOn"`
	Warning   string `json:"warning"`
	Card      string `json:"card"`
	InputH    int    `json:"inputH"`
	InputW    int    `json:"inputW"`
	SHA256    string `json:"sha256"`
	Params    int64  `json:"params"`
	MACs      int64  `json:"macs"`
	Bytes     int    `json:"bytes"`
	// Source: "storage" (the cached copy of the server's model), "network"
	// (downloaded from the server) or "library" (a model stored in this
	// browser: library.go).
	Source string `json:"source"`
	LoadMs int64  `json:"loadMs"`
	// LoadSteps splits LoadMs (ms): "read" from storage, "fetch" from the
	// server, "save" to storage, "compile" (validate and compile for the
	// engine), for the start-up benchmarks.
	LoadSteps map[string]int64 `json:"loadSteps,omitempty"`
	// ResearchOnly: the model was trained on phantoms, so the page writes
	// "research use only" next to every z-score and verdict.
	ResearchOnly bool `json:"researchOnly"`
}

// Fetcher downloads the model file.
type Fetcher func(ctx context.Context) ([]byte, error)

// LoadModel loads the model called name: from storage when a copy with the
// expected SHA-256 is there, else through fetch, storing what it got. With
// name "" (the page could not reach the model index, e.g. offline without
// a service worker) it takes whichever model is stored.
func (a *App) LoadModel(ctx context.Context, name, sha string, fetch Fetcher) (ModelInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	start := time.Now()
	steps := map[string]int64{}
	lap := func(step string, t0 time.Time) { steps[step] = time.Since(t0).Milliseconds() }
	source := "storage"
	t0 := time.Now()
	stored, data, err := a.store.Model(name)
	lap("read", t0)
	var m *onnxmodel.Model
	if err == nil {
		t0 = time.Now()
		m, err = parseExpected(stored+".onnx", data, sha)
		if errors.As(err, new(*onnxmodel.MismatchError)) {
			err = fmt.Errorf("stored copy of %s is outdated", name) // same name, new weights: fetch again
		} else if err != nil {
			return ModelInfo{}, err // the model in use keeps its own figures
		}
		lap("compile", t0)
	}
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && name == "" {
			return ModelInfo{}, err
		}
		if name == "" || fetch == nil {
			return ModelInfo{}, fmt.Errorf("model: none stored and none to download: %w", err)
		}
		t0 = time.Now()
		if data, err = fetch(ctx); err != nil {
			return ModelInfo{}, fmt.Errorf("model %s: download: %w", name, err)
		}
		lap("fetch", t0)
		t0 = time.Now()
		m, err = parseExpected(name+".onnx", data, sha)
		if mm := (*onnxmodel.MismatchError)(nil); errors.As(err, &mm) {
			return ModelInfo{}, fmt.Errorf("model %s: download is corrupt (SHA-256 %s, want %s)", name, mm.Got, mm.Want)
		} else if err != nil {
			return ModelInfo{}, err
		}
		lap("compile", t0)
		t0 = time.Now()
		if err := a.store.SaveModel(name, data); err != nil {
			return ModelInfo{}, err
		}
		lap("save", t0)
		source = "network"
	}
	t0 = time.Now()
	if _, err := a.use(m, source, start); err != nil {
		return ModelInfo{}, err // the model in use keeps its own figures
	}
	steps["compile"] += time.Since(t0).Milliseconds()
	a.info.LoadSteps = steps
	return a.info, nil
}

// parseExpected parses a model file that must have the SHA-256 sha, when
// one is given (a model index names it), hashing the file once.
func parseExpected(file string, data []byte, sha string) (*onnxmodel.Model, error) {
	if sha == "" {
		return onnxmodel.Parse(file, data)
	}
	return onnxmodel.ParseSHA256(file, data, sha)
}

// use makes the model m the one that segments new images; on any
// error the current one stays. The current one is kept among the earlier
// models: the results it made are remeasured with it.
func (a *App) use(m *onnxmodel.Model, source string, start time.Time) (ModelInfo, error) {
	s, err := segmenter(m)
	if err != nil {
		return ModelInfo{}, err
	}
	i := s.Model()
	if a.seg != nil && a.info.SHA256 != i.SHA256 {
		a.keepEarlier(a.info.SHA256, a.seg)
	}
	delete(a.earlier, i.SHA256)
	a.earlierOrder = slices.DeleteFunc(a.earlierOrder, func(x string) bool { return x == i.SHA256 })
	a.seg = s
	a.info = ModelInfo{Name: i.Name, TrainedOn: i.TrainedOn, Warning: i.Warning, Card: i.Card,
		InputH: i.InputH, InputW: i.InputW, SHA256: i.SHA256, Params: i.Params, MACs: i.MACs,
		Bytes: m.Info.Bytes, Source: source, LoadMs: time.Since(start).Milliseconds(), ResearchOnly: pipeline.ResearchOnly(i)}
	return a.info, nil
}

func segmenter(m *onnxmodel.Model) (*pipeline.Segmenter, error) {
	eng, err := open.Engine(open.Fast, m, 1) // one runner: a worker has one thread
	if err != nil {
		return nil, err
	}
	return pipeline.New(m, progressEngine{eng}), nil
}

func (a *App) keepEarlier(sha string, s *pipeline.Segmenter) {
	a.earlier[sha] = s
	a.earlierOrder = append(slices.DeleteFunc(a.earlierOrder, func(x string) bool { return x == sha }), sha)
	for len(a.earlierOrder) > maxEarlier {
		delete(a.earlier, a.earlierOrder[0])
		a.earlierOrder = a.earlierOrder[1:]
	}
}

// segmenterOf returns the segmenter of the model that made it (its
// record's model_sha256): the current one, an earlier one, or one read
// again from the library or the session's model cache. A result whose
// model this browser no longer has cannot be remeasured, and says so.
func (a *App) segmenterOf(it session.Item) (*pipeline.Segmenter, error) {
	var r struct {
		SHA256 string `json:"model_sha256"`
	}
	if len(it.Record) > 0 {
		if err := json.Unmarshal(it.Record, &r); err != nil {
			return nil, fmt.Errorf("%s: record: %w", it.Name, err)
		}
	}
	if r.SHA256 == "" || r.SHA256 == a.info.SHA256 {
		return a.seg, nil
	}
	if s, ok := a.earlier[r.SHA256]; ok {
		return s, nil
	}
	data, err := a.libBytes(r.SHA256)
	if err != nil {
		var serr error
		if _, data, serr = a.store.Model(it.Model); serr == nil && onnxmodel.SHA256(data) != r.SHA256 {
			serr = errors.New("the stored copy is another version")
		}
		if serr != nil {
			return nil, fmt.Errorf("%s: made by the model %s (SHA-256 %.12s…), which this browser no longer has: switch to it again (or add its .onnx) to change this result", it.Name, it.Model, r.SHA256)
		}
	}
	m, err := onnxmodel.Parse(it.Model+".onnx", data)
	if err != nil {
		return nil, err
	}
	s, err := segmenter(m)
	if err != nil {
		return nil, err
	}
	a.keepEarlier(r.SHA256, s)
	return s, nil
}

// Stage names, as the page shows them.
const (
	StageDecoding   = "decoding"
	StageSegmenting = "segmenting"
	StageMeasuring  = "measuring"
)

type progressKey struct{}

// progressEngine reports the pipeline's stages: everything before inference
// is decoding (and preparing), everything after it is measuring.
type progressEngine struct{ engine.Engine }

func (p progressEngine) Infer(ctx context.Context, in []float32) ([]float32, error) {
	report, _ := ctx.Value(progressKey{}).(func(string))
	if report != nil {
		report(StageSegmenting)
	}
	out, err := p.Engine.Infer(ctx, in)
	if report != nil && err == nil {
		report(StageMeasuring)
	}
	return out, err
}

// Job is one image to segment.
type Job struct {
	ID      string           `json:"id"`
	Name    string           `json:"name"`
	Path    string           `json:"path"`
	Order   int64            `json:"order"`
	Options session.Options  `json:"options"`
	Patient *session.Patient `json:"patient"` // nil = no patient data
}

// Output is one image's result as the page needs it.
type Output struct {
	Item      session.Item
	Gray      *image.Gray // nil when Item.Status is "error"
	Mask      *image.Gray // the current mask
	ModelMask *image.Gray
	Timing    pipeline.Timing
}

// Run segments and measures one file and stores the result. A file that
// cannot be read gives an Output with status "error" (stored too, so the
// row survives a reload); the error return is for failures of the app
// itself (no model loaded, storage broken).
func (a *App) Run(ctx context.Context, job Job, data []byte, progress func(stage string)) (*Output, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seg == nil {
		return nil, errors.New("no model loaded")
	}
	it := session.Item{ID: job.ID, Name: job.Name, Path: job.Path, Order: job.Order, Options: job.Options, Model: a.info.Name}
	req, err := request(job.Name, job.Options, job.Patient)
	if err == nil {
		err = checkSize(job.Name, data, job.Options.Frame)
	}
	var res *pipeline.Result
	if err == nil {
		if progress != nil {
			progress(StageDecoding)
			ctx = context.WithValue(ctx, progressKey{}, progress)
		}
		req.Data = data
		res, err = a.seg.Run(ctx, req)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		it.Status, it.Error = "error", err.Error()
		if serr := a.store.Save(it, nil, nil, nil); serr != nil {
			return nil, serr
		}
		return &Output{Item: it}, nil
	}
	if examFromDICOM(&it.Options, res.Image.DICOM) {
		res.Record.ExamDate = it.Options.ExamDate
		res.Request.ExamDate = it.Options.ExamDate
		job.Options = it.Options
	}
	if err := a.fill(&it, res, res.Record); err != nil {
		return nil, err
	}
	if err := a.store.SaveSource(it.ID, data); err != nil {
		return nil, err
	}
	if err := a.store.Save(it, res.Image.Gray, res.Mask, res.Mask); err != nil {
		return nil, err
	}
	a.cache.put(it.ID, &entry{
		sv:  &session.Saved{Item: it, Gray: res.Image.Gray, ModelMask: res.Mask, Mask: res.Mask},
		res: res, opts: job.Options, patient: job.Patient,
	})
	return &Output{Item: it, Gray: res.Image.Gray, Mask: res.Mask, ModelMask: res.Mask, Timing: res.Timing}, nil
}

// fill completes a finished item from a pipeline result and its record.
func (a *App) fill(it *session.Item, res *pipeline.Result, rec record.Record) error {
	js, err := jsonRecord(rec)
	if err != nil {
		return err
	}
	img := res.Image
	it.Status, it.Error = "done", ""
	it.Image = session.Image{Format: img.Format, Frames: img.Frames, Frame: img.Frame, DICOM: img.DICOM}
	it.Field = [4]int{res.Field.Min.X, res.Field.Min.Y, res.Field.Max.X, res.Field.Max.Y}
	it.Corrected = rec.Corrected
	it.Record = js
	return nil
}

// request turns the page's options into a pipeline request (without
// data), checked as the command line's are.
func request(name string, o session.Options, p *session.Patient) (pipeline.Request, error) {
	opt := pipeline.Options{Frame: o.Frame, CmPerPx: o.CmPerPx, DepthCm: o.DepthCm, Muscle: o.Muscle, Side: o.Side,
		PatientID: o.PatientID, ExamDate: o.ExamDate, Accepted: o.Accepted}
	if p != nil {
		opt.Patient = &zscore.Patient{AgeYears: p.AgeYears, Sex: p.Sex, HeightCm: p.HeightCm, WeightKg: p.WeightKg}
	}
	return opt.Request(name)
}

// checkSize refuses a file the browser cannot hold before it is decoded:
// by its byte size, then by the pixel size its header claims.
func checkSize(name string, data []byte, frame int) (err error) {
	if len(data) > MaxFileBytes {
		return fmt.Errorf("decode: %s: file is %d MB, more than the %d MB this browser app reads", name, len(data)>>20, MaxFileBytes>>20)
	}
	defer func() {
		if recover() != nil {
			err = nil // a header the config reader chokes on: the decoder will name the problem
		}
	}()
	if cfg, _, cerr := image.DecodeConfig(bytes.NewReader(data)); cerr == nil {
		if px := int64(cfg.Width) * int64(cfg.Height); px > MaxPixels {
			return fmt.Errorf("decode: %s: %d×%d pixels is more than this browser app takes (%.1f Mpx); use the native program", name, cfg.Width, cfg.Height, float64(MaxPixels)/1e6)
		}
		return nil
	}
	// DICOM (no config reader): decode with the browser's limit, which
	// refuses before allocating the pixels.
	if _, derr := decode.Decode(name, data, decode.Options{Frame: frame, MaxPixels: MaxPixels}); errors.Is(derr, decode.ErrTooLarge) {
		return derr
	}
	return nil
}

// Restore reads one stored item with its pixels.
func (a *App) Restore(id string) (*Output, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	sv, err := a.store.Load(id)
	if err != nil {
		return nil, err
	}
	if sv.Status == "done" {
		a.cache.put(id, &entry{sv: sv})
	}
	return &Output{Item: sv.Item, Gray: sv.Gray, Mask: sv.Mask, ModelMask: sv.ModelMask}, nil
}

// List returns the stored items (without pixels) and patients.
func (a *App) List() ([]session.Item, []session.Patient, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	items, err := a.store.List()
	if err != nil {
		return nil, nil, err
	}
	ps, err := a.store.Patients()
	return items, ps, err
}

// Remeasure measures mask (packed w×h bytes, non-zero = muscle) on item id
// with the given options, and stores the result when save is set (the page
// remeasures live while a brush stroke goes on and saves when it ends). A
// nil mask keeps the current one (an options change: muscle, side, patient,
// calibration). The item counts as corrected when its mask differs from the
// model's.
func (a *App) Remeasure(ctx context.Context, id string, opts session.Options, p *session.Patient, mask []byte, save bool) (session.Item, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seg == nil {
		return session.Item{}, errors.New("no model loaded")
	}
	e, err := a.entry(id)
	if err != nil {
		return session.Item{}, err
	}
	sv := e.sv
	cur := sv.Mask
	if mask != nil {
		if cur, err = unpack(mask, sv.Gray.Rect.Dx(), sv.Gray.Rect.Dy()); err != nil {
			return session.Item{}, fmt.Errorf("%s: remeasure: %w", sv.Name, err)
		}
	}
	seg, err := a.segmenterOf(sv.Item)
	if err != nil {
		return session.Item{}, err
	}
	res, err := a.result(ctx, seg, e, opts, p)
	if err != nil {
		return session.Item{}, err
	}
	rec, err := seg.Remeasure(res, cur, !sameMask(cur, sv.ModelMask))
	if err != nil {
		return session.Item{}, err
	}
	it := sv.Item
	it.Options = opts
	if err := a.fill(&it, res, rec); err != nil {
		return session.Item{}, err
	}
	if save {
		if err := a.store.Save(it, nil, nil, cur); err != nil {
			return session.Item{}, err
		}
		sv.Item, sv.Mask = it, cur
	}
	return it, nil
}

// entry returns the cached state of a finished item, loading it from
// storage when this worker has not got it (after a reload, or evicted).
func (a *App) entry(id string) (*entry, error) {
	if e, ok := a.cache.get(id); ok {
		return e, nil
	}
	sv, err := a.store.Load(id)
	if err != nil {
		return nil, err
	}
	if sv.Status != "done" {
		return nil, fmt.Errorf("%s: has no result (%s)", sv.Name, sv.Error)
	}
	e := &entry{sv: sv}
	a.cache.put(id, e)
	return e, nil
}

// result returns the pipeline result of an item for these options, to
// remeasure a mask with. A cached result is reused with the new options
// (Remeasure reads them from Result.Request); after a reload, or when the
// cache evicted it, the stored source runs through the pipeline again, the
// model included (seg, the one that made it): Remeasure takes the mask
// from the caller, but the quality check of a mask the model made reads the
// model's probabilities (an engine that returned zeros would make every
// mask look certain).
func (a *App) result(ctx context.Context, seg *pipeline.Segmenter, e *entry, opts session.Options, p *session.Patient) (*pipeline.Result, error) {
	if e.res != nil && e.opts == opts && samePatient(e.patient, p) {
		return e.res, nil
	}
	req, err := request(e.sv.Name, opts, p)
	if err != nil {
		return nil, err
	}
	if e.res != nil && e.opts.Frame == opts.Frame { // another frame is another image
		res := *e.res
		res.Request = req
		e.res, e.opts, e.patient = &res, opts, p
		return e.res, nil
	}
	if req.Data, err = a.store.Source(e.sv.ID); err != nil {
		return nil, err
	}
	res, err := seg.Run(ctx, req)
	if err != nil {
		return nil, err
	}
	e.res, e.opts, e.patient = res, opts, p
	return res, nil
}

func samePatient(a, b *session.Patient) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func sameMask(a, b *image.Gray) bool {
	if a.Rect != b.Rect {
		return false
	}
	for i, v := range a.Pix {
		if (v != 0) != (b.Pix[i] != 0) {
			return false
		}
	}
	return true
}

// unpack makes a 0/255 mask from w×h bytes (non-zero = muscle).
func unpack(b []byte, w, h int) (*image.Gray, error) {
	if len(b) != w*h {
		return nil, fmt.Errorf("mask has %d bytes, want %d×%d", len(b), w, h)
	}
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range b {
		if v != 0 {
			m.Pix[i] = 255
		}
	}
	return m, nil
}

// Packed returns g's pixels as w×h bytes without row padding.
func Packed(g *image.Gray) []byte {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if g.Stride == w {
		return g.Pix[:w*h]
	}
	out := make([]byte, 0, w*h)
	for y := 0; y < h; y++ {
		out = append(out, g.Pix[y*g.Stride:][:w]...)
	}
	return out
}

// Render returns the mask PNG ("mask") or the overlay PNG ("overlay") of
// item id with the given mask (nil = the stored current mask).
func (a *App) Render(id, kind string, mask []byte) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, err := a.entry(id)
	if err != nil {
		return nil, err
	}
	sv := e.sv
	cur := sv.Mask
	if mask != nil {
		if cur, err = unpack(mask, sv.Gray.Rect.Dx(), sv.Gray.Rect.Dy()); err != nil {
			return nil, fmt.Errorf("%s: render: %w", sv.Name, err)
		}
	}
	switch kind {
	case "mask":
		return render.MaskPNG(cur)
	case "overlay":
		f := sv.Field
		return render.OverlayPNG(sv.Gray, cur, image.Rect(f[0], f[1], f[2], f[3]))
	}
	return nil, fmt.Errorf("render: unknown kind %q", kind)
}

// CSV writes records (as the page holds them) in the results CSV format:
// the command line's (record.WriteCSV).
func CSV(recs []record.Record) ([]byte, error) {
	var buf bytes.Buffer
	err := record.WriteCSV(&buf, recs)
	return buf.Bytes(), err
}

// Zip writes the training-data ZIP of the stored session (session.WriteZip:
// a *session.NeedGroups error asks the page for unknown groups).
func (a *App) Zip(opt session.ZipOptions) ([]byte, session.ZipSummary, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var buf bytes.Buffer
	sum, err := a.store.WriteZip(&buf, opt)
	return buf.Bytes(), sum, err
}

// PatientScores and Reading are the patient-level reading's input and
// output as the page sends and receives them (zscore's JSON).
type (
	PatientScores = zscore.PatientScores
	MuscleZ       = zscore.MuscleZ
	Reading       = zscore.PatientReading
)

// Readings is zscore.ReadPatients: the command line's reading.
func Readings(ps []PatientScores) []Reading { return zscore.ReadPatients(ps) }

// SavePatients stores the page's patients.
func (a *App) SavePatients(ps []session.Patient) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.store.SavePatients(ps)
}

// Remove deletes one stored item.
func (a *App) Remove(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cache.drop(id)
	return a.store.Remove(id)
}

// Clear deletes the stored session (not the model).
func (a *App) Clear() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cache = newResultCache(a.cache.max)
	return a.store.Clear()
}
