package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
	"myoseg/core/nn/engine"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/onnxmodel/onnxtest"
	"myoseg/core/pipeline"
	"myoseg/core/study/dataset"
	"myoseg/core/study/phantom"
)

// memStore is an output folder in memory.
type memStore struct {
	mu     sync.Mutex
	files  map[string][]byte
	writes int
	failOn string // WriteFile of this name fails
}

func newStore() *memStore { return &memStore{files: map[string][]byte{}} }

func (s *memStore) ReadFile(name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.files[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	return bytes.Clone(b), nil
}

func (s *memStore) WriteFile(name string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failOn != "" && strings.HasSuffix(name, s.failOn) {
		return fmt.Errorf("write %s: disk full", name)
	}
	s.files[name] = bytes.Clone(data)
	s.writes++
	return nil
}

func (s *memStore) Exists(name string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.files[name]
	return ok, nil
}

func (s *memStore) snapshot() map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.files)
}

// memFS collects what phantom.WriteDataset writes (from several goroutines).
type memFS struct {
	mu *sync.Mutex
	m  fstest.MapFS
}

func (f memFS) MkdirAll(string) error { return nil }
func (f memFS) WriteFile(name string, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[name] = &fstest.MapFile{Data: bytes.Clone(data)}
	return nil
}

var phantomCache = struct {
	sync.Mutex
	m map[int]fstest.MapFS
}{m: map[int]fstest.MapFS{}}

// phantoms is a seed-layout dataset of n phantoms in memory.
func phantoms(t testing.TB, n int) fstest.MapFS {
	t.Helper()
	phantomCache.Lock()
	defer phantomCache.Unlock()
	if m, ok := phantomCache.m[n]; ok {
		return m
	}
	fsys := memFS{&sync.Mutex{}, fstest.MapFS{}}
	if err := phantom.WriteDataset(context.Background(), fsys, ".", phantom.Config{Seed: 5, N: n, PathologicalFraction: 0.5}, nil); err != nil {
		t.Fatal(err)
	}
	phantomCache.m[n] = fsys.m
	return fsys.m
}

// tinySegmenter runs a small net that marks dark regions (a 3×3 mean
// below a level): fast, and its masks vary from image to image.
func tinySegmenter(t testing.TB, workers int) *pipeline.Segmenter {
	return tinyNet(t, workers, -1.5)
}

// tinyModels caches the test nets' bytes: onnxtest does not encode a model
// byte for byte the same twice (attribute maps), and a run keys its
// records on the model's hash.
var tinyModels sync.Map // float32 → []byte

// tinyNet is tinySegmenter's net with output bias b2: another bias is
// another model (another hash).
func tinyNet(t testing.TB, workers int, b2 float32) *pipeline.Segmenter {
	t.Helper()
	w1 := make([]float32, 18)
	for i := range 9 {
		w1[i], w1[9+i] = 1.0/9, -1.0/9 // channel 0: the 3×3 mean; channel 1: its negative
	}
	data, _ := tinyModels.LoadOrStore(b2, onnxtest.TinyNet(120, 128, w1, []float32{0, 0}, []float32{0, 3}, b2).Bytes())
	m, err := onnxmodel.Parse("tiny.onnx", data.([]byte))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.NewFast(m, workers)
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.New(m, eng)
}

func readFrom(fsys fs.FS) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) { return fs.ReadFile(fsys, p) }
}

// corrupt adds files that are not images to a copy of fsys.
func corrupt(fsys fstest.MapFS, names ...string) fstest.MapFS {
	out := maps.Clone(fsys)
	for i, n := range names {
		switch i % 3 {
		case 0:
			out[n] = &fstest.MapFile{Data: []byte("not an image at all")}
		case 1:
			out[n] = &fstest.MapFile{Data: []byte{}}
		default: // a PNG cut short
			for _, f := range fsys {
				if bytes.HasPrefix(f.Data, []byte("\x89PNG")) {
					out[n] = &fstest.MapFile{Data: f.Data[:len(f.Data)/3]}
					break
				}
			}
		}
	}
	return out
}

func plan(t testing.TB, fsys fs.FS, shard Shard) *Plan {
	t.Helper()
	l, err := Collect(fsys, dataset.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(l.Inputs, shard)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t testing.TB, ctx context.Context, fsys fs.FS, out Store, seg Segmenter, shard Shard, workers int, progress func(Progress)) (*Summary, error) {
	t.Helper()
	cfg := Config{Segmenter: seg, Read: readFrom(fsys), Out: out, Workers: workers, Overlays: true, Progress: progress}
	return Run(ctx, cfg, plan(t, fsys, shard))
}

func mustRun(t testing.TB, fsys fs.FS, out Store, seg Segmenter, shard Shard, workers int) *Summary {
	t.Helper()
	sum, err := run(t, context.Background(), fsys, out, seg, shard, workers, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func diff(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: %s missing", what, k)
		} else if !bytes.Equal(g, want[k]) {
			t.Errorf("%s: %s differs (%d vs %d bytes)", what, k, len(g), len(want[k]))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s", what, k)
		}
	}
}

func TestRunWritesEverythingDeterministically(t *testing.T) {
	fsys := phantoms(t, 9)
	one := newStore()
	sum := mustRun(t, fsys, one, tinySegmenter(t, 1), Shard{}, 1)
	if sum.Segmented != 9 || sum.Skipped != 0 || len(sum.Failures) != 0 || sum.Interrupted {
		t.Fatalf("summary %+v", sum)
	}
	files := one.snapshot()
	// 9 masks, 9 overlays, 9 records and 4 summary files.
	if len(files) != 9*3+4 {
		t.Errorf("%d files: %v", len(files), slices.Sorted(maps.Keys(files)))
	}
	recs, err := record.ReadJSONL(bytes.NewReader(files["results.jsonl"]))
	if err != nil {
		t.Fatal(err)
	}
	keys := plan(t, fsys, Shard{}).Keys()
	if len(recs) != 9 {
		t.Fatalf("%d records", len(recs))
	}
	areas := map[int]bool{}
	for i, r := range recs {
		if r.File != keys[i] {
			t.Errorf("row %d is %s, want %s (input order)", i, r.File, keys[i])
		}
		// The seed layout gives the muscle and, from characteristics.csv, the patient.
		want, _ := zscore.ParseMuscle(strings.SplitN(r.File, "/", 2)[0])
		if r.Muscle != string(want) || r.AgeYears == nil || r.Sex == "" {
			t.Errorf("%s: muscle %q age %v sex %q", r.File, r.Muscle, r.AgeYears, r.Sex)
		}
		// The subject is the patient ID (the CSV's patient_id and verdict).
		if subject := strings.SplitN(filepath.Base(r.File), "_", 2)[0]; r.PatientID != subject {
			t.Errorf("%s: patient_id %q, want the subject %q", r.File, r.PatientID, subject)
		}
		mask := files["masks/"+strings.TrimSuffix(r.File, ".png")+".mask.png"]
		if !bytes.HasPrefix(mask, []byte("\x89PNG")) {
			t.Errorf("%s: no mask PNG", r.File)
		}
		areas[r.CSAPx] = true
	}
	if len(areas) < 5 {
		t.Errorf("only %d distinct areas over 9 images: the test net does not discriminate", len(areas))
	}
	csvRows := strings.Count(string(files["results.csv"]), "\n")
	if csvRows != 10 || string(files["errors.csv"]) != "file,reason\n" {
		t.Errorf("results.csv has %d lines; errors.csv %q", csvRows, files["errors.csv"])
	}

	// Three workers: byte-identical outputs.
	three := newStore()
	mustRun(t, fsys, three, tinySegmenter(t, 3), Shard{}, 3)
	diff(t, "3 workers vs 1", three.snapshot(), files)
}

func TestRunResumesAfterCancel(t *testing.T) {
	fsys := phantoms(t, 9)
	whole := newStore()
	mustRun(t, fsys, whole, tinySegmenter(t, 2), Shard{}, 2)

	for _, stopAfter := range []int{1, 5} {
		t.Run(fmt.Sprint(stopAfter), func(t *testing.T) {
			out := newStore()
			seg := tinySegmenter(t, 2)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sum, err := run(t, ctx, fsys, out, seg, Shard{}, 2, func(p Progress) {
				if p.Done == stopAfter {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) || !sum.Interrupted {
				t.Fatalf("err %v, summary %+v", err, sum)
			}
			partial := out.snapshot()
			if _, ok := partial["results.csv"]; ok {
				t.Error("an interrupted run wrote results.csv")
			}
			records := 0
			for k := range partial {
				if strings.HasPrefix(k, "records/") {
					records++
				}
			}
			if records < stopAfter || records >= 9 {
				t.Errorf("%d records after stopping at %d", records, stopAfter)
			}
			sum = mustRun(t, fsys, out, seg, Shard{}, 2)
			if sum.Skipped != records || sum.Segmented != 9-records {
				t.Errorf("rerun skipped %d, segmented %d; %d were done", sum.Skipped, sum.Segmented, records)
			}
			diff(t, "resumed vs uninterrupted", out.snapshot(), whole.snapshot())
		})
	}
}

func TestRunRedoesWhatChanged(t *testing.T) {
	fsys := maps.Clone(phantoms(t, 6))
	out := newStore()
	seg := tinySegmenter(t, 2)
	mustRun(t, fsys, out, seg, Shard{}, 2)
	p := plan(t, fsys, Shard{})

	// Nothing changed: everything skipped, nothing rewritten but the summary.
	before := out.writes
	if sum := mustRun(t, fsys, out, seg, Shard{}, 2); sum.Skipped != 6 || sum.Segmented != 0 {
		t.Errorf("unchanged rerun: %+v", sum)
	}
	if w := out.writes - before; w != 4 {
		t.Errorf("unchanged rerun wrote %d files, want the 4 summary files", w)
	}

	// A changed image, a deleted mask and a deleted overlay: those three redone.
	in0 := p.All[0]
	other := fsys[p.All[1].Path].Data
	fsys[in0.Path] = &fstest.MapFile{Data: other}
	delete(out.files, p.Outputs(2).Mask)
	delete(out.files, p.Outputs(3).Overlay)
	if sum := mustRun(t, fsys, out, seg, Shard{}, 2); sum.Segmented != 3 || sum.Skipped != 3 {
		t.Errorf("after changes: %+v", sum)
	}

	// Another request (side given): everything redone.
	cfg := Config{Segmenter: seg, Read: readFrom(fsys), Out: out, Workers: 2, Overlays: true}
	cfg.Template.Side = "left"
	sum, err := Run(context.Background(), cfg, p)
	if err != nil || sum.Segmented != 6 {
		t.Errorf("new side: %v %+v", err, sum)
	}
	recs, _ := record.ReadJSONL(bytes.NewReader(out.files["results.jsonl"]))
	if len(recs) != 6 || recs[0].Side != "left" {
		t.Errorf("records not rebuilt with the new side: %+v", recs)
	}

	// Another model: everything redone.
	if sum := mustRun(t, fsys, out, tinyNet(t, 2, -1.0), Shard{}, 2); sum.Segmented != 6 {
		t.Errorf("new model: %+v", sum)
	}
}

func TestRunLogsBadImagesAndGoesOn(t *testing.T) {
	bad := []string{"BB/Healthy/Images/S99991_1.png", "GM/Pathological/Images/S99992_1.png", "TA/Healthy/Images/S99993_1.png"}
	fsys := corrupt(phantoms(t, 6), bad...)
	out := newStore()
	sum := mustRun(t, fsys, out, tinySegmenter(t, 2), Shard{}, 2)
	if sum.Segmented != 6 || len(sum.Failures) != 3 || sum.Failed != 3 {
		t.Fatalf("summary %+v", sum)
	}
	fails, err := DecodeErrors("errors.csv", out.files["errors.csv"])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fails {
		got = append(got, f.File)
		if f.Reason == "" || !strings.Contains(f.Reason, path.Base(f.File)) {
			t.Errorf("%s: reason %q does not name the file", f.File, f.Reason)
		}
	}
	if !slices.Equal(got, bad) {
		t.Errorf("errors.csv lists %v, want %v", got, bad)
	}
	if recs, _ := record.ReadJSONL(bytes.NewReader(out.files["results.jsonl"])); len(recs) != 6 {
		t.Errorf("%d records, want 6", len(recs))
	}
	// Failures are retried on a rerun (they may have been transient) and listed again.
	sum = mustRun(t, fsys, out, tinySegmenter(t, 2), Shard{}, 2)
	if sum.Skipped != 6 || len(sum.Failures) != 3 {
		t.Errorf("rerun: %+v", sum)
	}
}

func TestRunStopsWhenTheOutputCannotBeWritten(t *testing.T) {
	fsys := phantoms(t, 6)
	out := newStore()
	out.failOn = ".overlay.png"
	sum, err := run(t, context.Background(), fsys, out, tinySegmenter(t, 2), Shard{}, 2, nil)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err %v", err)
	}
	if len(sum.Failures) != 0 {
		t.Errorf("a store failure counted as image failures: %v", sum.Failures)
	}
	if _, ok := out.files["results.csv"]; ok {
		t.Error("results.csv written by a failed run")
	}
}

func TestShardsMergeToTheWholeRun(t *testing.T) {
	fsys := corrupt(phantoms(t, 9), "BB/Healthy/Images/S99991_1.png")
	seg := tinySegmenter(t, 2)
	whole := newStore()
	mustRun(t, fsys, whole, seg, Shard{}, 2)

	shared := newStore() // all shards write into one folder, as on a shared file system
	var parts []Part
	total := 0
	for i := range 3 {
		s := Shard{i, 3}
		sum := mustRun(t, fsys, shared, seg, s, 2)
		total += sum.Total
		names := SummaryNames(s)
		parts = append(parts, Part{Source: names[3], Manifest: shared.files[names[3]], JSONL: shared.files[names[1]], Errors: shared.files[names[2]]})
	}
	if total != 10 {
		t.Errorf("shards hold %d inputs, want 10", total)
	}
	m, err := Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	files, err := m.Files()
	if err != nil {
		t.Fatal(err)
	}
	w := whole.snapshot()
	for _, name := range SummaryNames(Shard{}) {
		if !bytes.Equal(files[name], w[name]) {
			t.Errorf("merged %s differs from the whole run's:\n%s\n---\n%s", name, files[name], w[name])
		}
	}
	// Per-image outputs too.
	for k, v := range w {
		if strings.Contains(k, "/") && !bytes.Equal(shared.files[k], v) {
			t.Errorf("%s differs between shards and the whole run", k)
		}
	}

	// What merge must refuse.
	dropRow := slices.Clone(parts)
	lines := bytes.SplitAfter(parts[0].JSONL, []byte("\n"))
	dropRow[0].JSONL = bytes.Join(lines[1:], nil)
	otherRun := slices.Clone(parts)
	otherRun[1].Manifest = bytes.Replace(parts[1].Manifest, []byte(`S00001_1.png"`), []byte(`S00001_9.png"`), 1)
	if bytes.Equal(otherRun[1].Manifest, parts[1].Manifest) {
		t.Fatal("test set-up: the manifest does not list S00001_1.png")
	}
	dup := append(slices.Clone(parts), parts[2])
	for name, c := range map[string]struct {
		parts []Part
		want  string
	}{
		"missing shard":   {parts[:2], "shard(s) 2/3 missing"},
		"shard twice":     {dup, "given twice"},
		"missing row":     {dropRow, "manifest says"},
		"edited manifest": {otherRun, "does not match its hash"},
		"none":            {nil, "no shard manifests"},
	} {
		if _, err := Merge(c.parts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", name, err, c.want)
		}
	}
}

// A shard that lists an input another shard also lists, or one from the
// wrong shard, or loses one, is refused even when its counts add up.
func TestMergeChecksEveryInput(t *testing.T) {
	keys := []string{"a.png", "b.png", "c.png", "d.png", "e.png", "f.png"}
	mk := func(s Shard, files []string) Part {
		var recs []byte
		for _, f := range files {
			recs = append(recs, fmt.Sprintf("{\"file\":%q,\"frame\":0,\"model\":\"m\",\"model_sha256\":\"x\",\"width\":1,\"height\":1,\"field_x\":0,\"field_y\":0,\"field_w\":1,\"field_h\":1,\"calibration_source\":\"none\",\"csa_px\":0,\"perimeter_px\":0,\"ei_mean\":0,\"ei_sd\":0,\"bbox_x\":0,\"bbox_y\":0,\"bbox_w\":0,\"bbox_h\":0,\"corrected\":false}\n", f)...)
		}
		man := fmt.Sprintf(`{"version":1,"shard":%q,"model":"m","model_sha256":"x","inputs_sha256":%q,"inputs":["a.png","b.png","c.png","d.png","e.png","f.png"],"done":%d,"failed":0,"results":"r","jsonl":"j","errors":"e"}`,
			s.String(), InputsHash(keys), len(files))
		return Part{Source: s.String(), Manifest: []byte(man), JSONL: recs, Errors: []byte("file,reason\n")}
	}
	own := [2][]string{}
	for _, k := range keys {
		own[Of(k, 2)] = append(own[Of(k, 2)], k)
	}
	if len(own[0]) == 0 || len(own[1]) == 0 {
		t.Fatalf("the hash puts all 6 keys in one shard: %v", own)
	}
	good := []Part{mk(Shard{0, 2}, own[0]), mk(Shard{1, 2}, own[1])}
	if m, err := Merge(good); err != nil || len(m.Records) != 6 || m.Records[0].File != "a.png" || m.Records[5].File != "f.png" {
		t.Fatalf("good shards: %v", err)
	}
	for name, c := range map[string]struct {
		s0, s1 []string
		want   string
	}{
		"lost input":   {own[0][1:], own[1], "in no shard's results"},
		"wrong shard":  {append(slices.Clone(own[0]), own[1][0]), own[1][1:], "belongs to shard"},
		"twice":        {append(slices.Clone(own[0]), own[0][0]), own[1], "more than once"},
		"unknown file": {append(slices.Clone(own[0]), "zz.png"), own[1], "not an input of this run"},
	} {
		_, err := Merge([]Part{mk(Shard{0, 2}, c.s0), mk(Shard{1, 2}, c.s1)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", name, err, c.want)
		}
	}
}

// BenchmarkRunTinyModel measures what a batch costs around the model: the
// net is tiny, so decode, field detection, pre- and post-processing, PNG
// encoding and the store dominate. One op is one image. The real model's
// figures come from scripts/bench-batch.sh.
func BenchmarkRunTinyModel(b *testing.B) {
	fsys := phantoms(b, 12)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			seg := tinyNet(b, workers, -1.5)
			p := plan(b, fsys, Shard{})
			var timing Timing
			n := 0
			b.ResetTimer()
			for n < b.N {
				sum, err := Run(context.Background(), Config{Segmenter: seg, Read: readFrom(fsys), Out: newStore(), Workers: workers}, p)
				if err != nil {
					b.Fatal(err)
				}
				timing.add(sum.Timing)
				n += sum.Segmented
			}
			b.StopTimer()
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
			per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(n) }
			b.ReportMetric(per(timing.Decode+timing.Prepare), "ms-decode+prep/img")
			b.ReportMetric(per(timing.Infer), "ms-infer/img")
			b.ReportMetric(per(timing.Post+timing.Measure), "ms-post/img")
			b.ReportMetric(per(timing.Render+timing.Write), "ms-render+write/img")
		})
	}
}
