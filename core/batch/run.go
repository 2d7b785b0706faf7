package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/pipeline"
)

// Segmenter is what a batch runs: pipeline.Segmenter satisfies it.
type Segmenter interface {
	Run(ctx context.Context, req pipeline.Request) (*pipeline.Result, error)
	Model() onnxmodel.Info
}

// Store is the output folder. Names are slash-separated paths inside it.
type Store interface {
	// ReadFile returns the file's bytes, or an error wrapping
	// fs.ErrNotExist when there is none.
	ReadFile(name string) ([]byte, error)
	// WriteFile writes the whole file or nothing (temporary name, then
	// rename), creating folders as needed: a killed run never leaves a
	// half-written file under a final name.
	WriteFile(name string, data []byte) error
	// Exists reports whether a file is there.
	Exists(name string) (bool, error)
}

// Config is one run.
type Config struct {
	Segmenter Segmenter
	// Read returns an input's bytes, given its Path.
	Read func(path string) ([]byte, error)
	Out  Store
	// Template holds what every request shares (frame, calibration, muscle,
	// side, patient); an input's own muscle, patient and calibration win.
	Template pipeline.Request
	Workers  int  // images in flight at once; the segmenter should hold as many graphs
	Overlays bool // also write overlays/<stem>.overlay.png
	// Progress, when set, is called after each image, from one goroutine
	// at a time.
	Progress func(Progress)
}

// Progress is the state of a run after one more image.
type Progress struct {
	Done, Total int // images finished (segmented, skipped or failed) of this shard's
	Segmented   int // segmented in this run (what the rate is measured on)
	Skipped     int // done by an earlier run and unchanged
	Failed      int
	Elapsed     time.Duration
	Last        string // the key just finished
}

// Timing sums the time spent per stage over the images segmented in a run
// (wall time per worker: with several workers the sum exceeds the run).
type Timing struct {
	Read, Decode, Prepare, Infer, Post, Measure, Render, Write time.Duration
}

func (t *Timing) add(u Timing) {
	t.Read += u.Read
	t.Decode += u.Decode
	t.Prepare += u.Prepare
	t.Infer += u.Infer
	t.Post += u.Post
	t.Measure += u.Measure
	t.Render += u.Render
	t.Write += u.Write
}

// Summary is the outcome of a run.
type Summary struct {
	Total     int // this shard's inputs
	Segmented int
	Skipped   int
	Failed    int
	Failures  []Failure // in input order; set when the run completes
	Timing    Timing
	Elapsed   time.Duration
	// Interrupted is set when the context was cancelled before every input
	// was done: no summary files were written; rerunning finishes the rest.
	Interrupted bool
	Files       []string // summary files written
	// Readings is the patient-level reading of every subject of a whole
	// (unsharded) run with z-scores of two muscles or more, by subject ID.
	Readings []zscore.PatientReading
}

// entry is a finished image's record file (records/<stem>.json): written
// last, after its mask (and overlay), so its presence means "done". The
// hashes say what it was computed from; a rerun redoes the image when any
// differs.
type entry struct {
	Version       int           `json:"version"`
	Input         string        `json:"input"`
	InputSHA256   string        `json:"input_sha256"`
	ModelSHA256   string        `json:"model_sha256"`
	RequestSHA256 string        `json:"request_sha256"`
	Outputs       []string      `json:"outputs"`
	Record        record.Record `json:"record"`
}

const entryVersion = 1

// requestHash covers every request field that changes the result, except
// the image's bytes (hashed apart): a rerun with another calibration or
// other patient data redoes the image.
func requestHash(req pipeline.Request) string {
	b, _ := json.Marshal(struct {
		Name    string
		Frame   int
		User    any
		Muscle  string
		Side    string
		Patient any
		// omitted when empty, so a run from before these fields resumes
		PatientID string `json:",omitempty"`
		ExamDate  string `json:",omitempty"`
	}{req.Name, req.Frame, req.User, string(req.Muscle), req.Side, req.Patient, req.PatientID, req.ExamDate})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// outcome is one image's end, sent from a worker to the collector.
type outcome struct {
	i       int // index into Plan.All
	rec     *record.Record
	fail    *Failure
	skipped bool
	timing  Timing
	stopped bool  // not done: the run was cancelled
	fatal   error // the output folder cannot be written: stop the run
}

// Run segments the plan's inputs of this shard with cfg.Workers workers,
// skips those an earlier run finished from the same bytes, model and
// request, and writes the summary files (results CSV and JSONL, errors CSV,
// manifest) from every input's record. One bad image becomes a Failure; the
// error is for the run itself (the output folder cannot be written) or
// ctx's when cancelled (Summary.Interrupted).
func Run(ctx context.Context, cfg Config, plan *Plan) (*Summary, error) {
	if cfg.Segmenter == nil || cfg.Read == nil || cfg.Out == nil {
		return nil, errors.New("batch: Config needs a Segmenter, a Read function and an Out store")
	}
	start := time.Now()
	workers := max(1, cfg.Workers)
	info := cfg.Segmenter.Model()
	sum := &Summary{Total: len(plan.Mine)}

	jobs := make(chan int)
	results := make(chan outcome)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results <- process(runCtx, cfg, plan, info, i)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, i := range plan.Mine {
			select {
			case jobs <- i:
			case <-runCtx.Done():
				return
			}
		}
	}()
	// Once cancelled, no new image starts; the ones in hand finish (their
	// outputs are whole) before Run returns, so a rerun never races them.
	go func() {
		wg.Wait()
		close(results)
	}()

	recs := make([]*record.Record, len(plan.All))
	fails := make([]*Failure, len(plan.All))
	var fatal error
	p := Progress{Total: len(plan.Mine)}
	for o := range results {
		switch {
		case o.stopped:
			continue
		case o.fatal != nil:
			if fatal == nil {
				fatal = o.fatal
			}
			cancel()
			continue
		case o.fail != nil:
			fails[o.i] = o.fail
			p.Failed++
		case o.skipped:
			recs[o.i] = o.rec
			p.Skipped++
		default:
			recs[o.i] = o.rec
			p.Segmented++
			sum.Timing.add(o.timing)
		}
		p.Done++
		p.Elapsed, p.Last = time.Since(start), plan.All[o.i].Key
		if cfg.Progress != nil {
			cfg.Progress(p)
		}
	}
	sum.Segmented, sum.Skipped, sum.Failed, sum.Elapsed = p.Segmented, p.Skipped, p.Failed, time.Since(start)
	if fatal != nil {
		return sum, fatal
	}
	if p.Done < len(plan.Mine) {
		sum.Interrupted = true
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		return sum, context.Canceled
	}

	// The summary is rebuilt from the record files, not from this run's
	// memory, so results.csv/.jsonl always say what records/ holds.
	var rows []record.Record
	for _, i := range plan.Mine {
		if recs[i] == nil {
			sum.Failures = append(sum.Failures, *fails[i])
			continue
		}
		rec, err := readEntry(cfg.Out, plan.Outputs(i).Record, plan.All[i].Key)
		if err != nil {
			return sum, fmt.Errorf("batch: %w", err)
		}
		recs[i] = rec
		rows = append(rows, *rec)
	}
	if plan.Shard.Whole() { // a shard may hold only some of a subject's muscles
		sum.Readings = readings(plan, recs)
	}
	keys := plan.Keys()
	man := Manifest{Model: info.Name, ModelSHA256: info.SHA256, InputsSHA256: InputsHash(keys), Inputs: keys}
	files, err := summaryFiles(plan.Shard, man, rows, sum.Failures)
	if err != nil {
		return sum, err
	}
	// The manifest last: its presence says the other three are complete.
	for _, name := range SummaryNames(plan.Shard) {
		if err := cfg.Out.WriteFile(name, files[name]); err != nil {
			return sum, fmt.Errorf("batch: %w", err)
		}
		sum.Files = append(sum.Files, name)
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// process does one input: read, hash, skip when done, else segment and
// write its outputs. It never panics: a panic in a stage is this image's
// failure.
func process(ctx context.Context, cfg Config, plan *Plan, info onnxmodel.Info, i int) (o outcome) {
	in := plan.All[i]
	o.i = i
	if ctx.Err() != nil {
		o.stopped = true
		return o
	}
	defer func() {
		if r := recover(); r != nil {
			o = outcome{i: i, fail: &Failure{File: in.Key, Reason: fmt.Sprintf("internal error (please report): %v", r)}}
		}
	}()
	fail := func(err error) outcome {
		if ctx.Err() != nil {
			return outcome{i: i, stopped: true}
		}
		return outcome{i: i, fail: &Failure{File: in.Key, Reason: err.Error()}}
	}

	t0 := time.Now()
	data, err := cfg.Read(in.Path)
	if err != nil {
		return fail(fmt.Errorf("read: %w", err))
	}
	o.timing.Read = time.Since(t0)
	h := sha256.Sum256(data)
	inHash := hex.EncodeToString(h[:])

	req := cfg.Template
	req.Name, req.Data = in.Key, data
	if in.Muscle != "" {
		req.Muscle = in.Muscle
	}
	if in.Patient != nil {
		req.Patient = in.Patient
	}
	if in.Subject != "" && req.PatientID == "" {
		req.PatientID = in.Subject // the CSV's patient_id and patient_verdict are per subject
	}
	if in.User != nil {
		req.User = *in.User
	}
	reqHash := requestHash(req)
	names := plan.Outputs(i)
	want := []string{names.Mask} // what the record file vouches for
	if cfg.Overlays {
		want = append(want, names.Overlay)
	} else {
		names.Overlay = ""
	}

	if rec, ok := done(cfg.Out, names.Record, in.Key, inHash, info.SHA256, reqHash, want); ok {
		o.rec, o.skipped = rec, true
		return o
	}

	res, err := cfg.Segmenter.Run(ctx, req)
	if err != nil {
		return fail(err)
	}
	o.timing.Decode, o.timing.Prepare, o.timing.Infer = res.Timing.Decode, res.Timing.Prepare, res.Timing.Infer
	o.timing.Post, o.timing.Measure = res.Timing.Post, res.Timing.Measure

	t0 = time.Now()
	files, err := res.Files(names, entry{
		Version: entryVersion, Input: in.Key, InputSHA256: inHash, ModelSHA256: info.SHA256,
		RequestSHA256: reqHash, Outputs: want, Record: res.Record,
	})
	if err != nil {
		return fail(err)
	}
	o.timing.Render = time.Since(t0)

	t0 = time.Now()
	// The record file last (Files' order): it marks the image done.
	for _, f := range files {
		if err := cfg.Out.WriteFile(f.Name, f.Data); err != nil {
			// Not the image's fault: the whole run cannot write.
			return outcome{i: i, fatal: fmt.Errorf("batch: %s: %w", in.Key, err)}
		}
	}
	o.timing.Write = time.Since(t0)
	rec := res.Record
	o.rec = &rec
	return o
}

// done returns the record of an input an earlier run finished from the
// same bytes, model and request, with all of want still in place.
func done(out Store, name, key, inHash, modelHash, reqHash string, want []string) (*record.Record, bool) {
	data, err := out.ReadFile(name)
	if err != nil {
		return nil, false // absent (or unreadable: redo it)
	}
	var e entry
	if json.Unmarshal(data, &e) != nil || e.Version != entryVersion || e.Input != key ||
		e.InputSHA256 != inHash || e.ModelSHA256 != modelHash || e.RequestSHA256 != reqHash {
		return nil, false
	}
	have := map[string]bool{}
	for _, o := range e.Outputs {
		have[o] = true
	}
	for _, w := range want {
		if !have[w] {
			return nil, false
		}
		if ok, err := out.Exists(w); err != nil || !ok {
			return nil, false
		}
	}
	return &e.Record, true
}

// readEntry reads the record of input key from its record file.
func readEntry(out Store, name, key string) (*record.Record, error) {
	data, err := out.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("rebuilding the results from %s: %w", name, err)
	}
	var e entry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("rebuilding the results from %s: %w", name, err)
	}
	if e.Version != entryVersion || e.Input != key {
		return nil, fmt.Errorf("rebuilding the results from %s: it is the record of %q (version %d), not of %q", name, e.Input, e.Version, key)
	}
	return &e.Record, nil
}

// readings is the patient-level reading of each subject (Input.Subject)
// with z-scores of two muscles or more, in the order subjects first appear.
func readings(plan *Plan, recs []*record.Record) []zscore.PatientReading {
	var order []string
	bySubject := map[string][]record.Record{}
	for i, in := range plan.All {
		if in.Subject == "" || recs[i] == nil {
			continue
		}
		if _, seen := bySubject[in.Subject]; !seen {
			order = append(order, in.Subject)
		}
		bySubject[in.Subject] = append(bySubject[in.Subject], *recs[i])
	}
	ps := make([]zscore.PatientScores, len(order))
	for i, s := range order {
		ps[i] = record.Scores(s, bySubject[s])
	}
	return zscore.ReadPatients(ps)
}
