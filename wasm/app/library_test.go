package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hack-pad/hackpadfs"

	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/onnxmodel/onnxtest"
	"myoseg/core/nn/onnxpb"
	"myoseg/core/nn/train"
	"myoseg/wasm/session"
	"myoseg/wasm/session/sessiontest"
)

var day = time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)

// otherNet is a second model, called other-net, whose mask is every pixel
// (sigmoid(5) everywhere): its results differ visibly from thresholdNet's.
func otherNet() []byte {
	m := onnxtest.TinyNet(testH, testW, make([]float32, 18), []float32{0, 0}, []float32{0, 0}, 5)
	m.Metadata["myoseg.name"] = "other-net"
	return m.Bytes()
}

// thirdNet is a third model, called third-net.
func thirdNet() []byte {
	m := onnxtest.TinyNet(testH, testW, make([]float32, 18), []float32{0, 0}, []float32{1, 0}, 0)
	m.Metadata["myoseg.name"] = "third-net"
	return m.Bytes()
}

// libApp is an App with a library on a fresh in-memory file system; fsys
// lets a test make a second App on the same storage (a reload, or another
// worker) and reach the library's files.
func libApp(t *testing.T) (*App, *session.Store, hackpadfs.FS) {
	t.Helper()
	st, fsys := sessiontest.New(t)
	return reopen(t, st, fsys), st, fsys
}

func reopen(t *testing.T, st *session.Store, fsys hackpadfs.FS) *App {
	t.Helper()
	a := New(st)
	if err := a.OpenLibrary(fsys); err != nil {
		t.Fatal(err)
	}
	return a
}

func fetchOf(data []byte) Fetcher {
	return func(context.Context) ([]byte, error) { return data, nil }
}

// The page shows the validator's refusal as it is: CheckModel returns
// onnxmodel.Parse's error unchanged, naming the file, and the node and why
// for a refused graph.
func TestCheckModel(t *testing.T) {
	good := thresholdNet()
	e, err := CheckModel("net.onnx", good)
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "test-net" || e.SHA256 != onnxmodel.SHA256(good) || e.InputH != testH || e.InputW != testW || e.Bytes != len(good) || e.TrainedOn == "" || e.Parent != "" {
		t.Errorf("entry %+v", e)
	}
	mutate := func(f func(*onnxtest.Model)) []byte {
		w1 := make([]float32, 18)
		m := onnxtest.TinyNet(testH, testW, w1, []float32{0, 0}, []float32{4, 0}, -1)
		f(&m)
		return m.Bytes()
	}
	bad := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"not ONNX", "notes.onnx", []byte("just some text, not a model"), "model: notes.onnx: not an ONNX model"},
		{"a PNG", "scan.onnx", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "model: scan.onnx: not an ONNX model"},
		{"empty", "empty.onnx", nil, "model: empty.onnx: empty file"},
		{"unsupported op", "erf.onnx", mutate(func(m *onnxtest.Model) { m.Nodes[1].Op = "Erf" }), `model: erf.onnx: node 1 (Erf ""): op Erf is not run correctly by the gorgonia backend`},
		{"resize", "up.onnx", mutate(func(m *onnxtest.Model) { m.Nodes[1].Op = "Resize" }), `model: up.onnx: node 1 (Resize ""): not implemented by gorgonnx`},
		{"input size other than its metadata", "size.onnx", mutate(func(m *onnxtest.Model) {
			m.InputDims, m.OutputDims = []int64{1, 1, 96, 128}, []int64{1, 1, 96, 128}
		}), `model: size.onnx: tensor "input" has shape [1 1 96 128]; the metadata says [1 1 48 64]`},
		{"three channels", "rgb.onnx", mutate(func(m *onnxtest.Model) { m.InputDims = []int64{1, 3, testH, testW} }), `model: rgb.onnx: tensor "input" has shape [1 3 48 64]`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckModel(tc.file, tc.data)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v, want one starting %q", err, tc.want)
			}
			_, perr := onnxmodel.Parse(tc.file, tc.data)
			if perr == nil || perr.Error() != err.Error() {
				t.Errorf("page sees %q, the validator says %q", err, perr)
			}
		})
	}
	// A model of another, consistent input size is a valid model: the
	// pipeline resizes the field to its grid.
	m := onnxtest.TinyNet(32, 32, make([]float32, 18), []float32{0, 0}, []float32{4, 0}, -1)
	if e, err := CheckModel("small.onnx", m.Bytes()); err != nil || e.InputH != 32 {
		t.Errorf("a 32×32 model: %+v, %v", e, err)
	}
}

// The keys are named in this package so that the trainer stays out of the
// main wasm; an adapted model's metadata shows in its entry.
func TestAdaptedMetadata(t *testing.T) {
	if keyParent != train.KeyParent || keyAdaptedOn != train.KeyAdaptedOn || keyAdaptedN != train.KeyAdaptedN ||
		keyDiceBefore != train.KeyDiceBefore || keyDiceAfter != train.KeyDiceAfter {
		t.Fatal("metadata keys differ from core/nn/train's")
	}
	data, err := onnxpb.Rewrite(thresholdNet(), onnxpb.Edit{Metadata: map[string]string{
		onnxmodel.KeyName: "test-net-adapted-2025-03-01", keyParent: "test-net", keyAdaptedOn: "2025-03-01",
		keyAdaptedN: "11", keyDiceBefore: "0.3460", keyDiceAfter: "0.9730",
	}})
	if err != nil {
		t.Fatal(err)
	}
	a, _, _ := libApp(t)
	e, err := a.AddModel("clinic.onnx", data, StoredModel{}, nil, day)
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "test-net-adapted-2025-03-01" || e.Parent != "test-net" || e.Date != "2025-03-01" || e.ImageCount != 11 ||
		e.HeldOut != "0.3460 → 0.9730" || e.Origin != "file" || e.File != "clinic.onnx" {
		t.Errorf("entry %+v", e)
	}
	for _, want := range []string{"# test-net-adapted-2025-03-01", "from the file clinic.onnx", "| Parent | test-net |", "| Adapted on | 11 images |", "0.3460 → 0.9730"} {
		if !strings.Contains(e.Card, want) {
			t.Errorf("card lacks %q:\n%s", want, e.Card)
		}
	}
}

func TestLibrary(t *testing.T) {
	ctx := context.Background()
	a, st, fsys := libApp(t)
	if list, err := a.StoredModels(); err != nil || len(list) != 0 {
		t.Fatalf("empty library: %+v, %v", list, err)
	}
	one, two := thresholdNet(), otherNet()
	e1, err := a.AddModel("net.onnx", one, StoredModel{Origin: "adapted", Parent: "seed", Images: []string{"a.png", "b.png"}, Card: "# test-net\n\nadapted here\n"}, nil, day)
	if err != nil {
		t.Fatal(err)
	}
	if e1.Origin != "adapted" || e1.Parent != "seed" || e1.ImageCount != 2 || e1.Date != "2025-03-14" || e1.Added != "2025-03-14T09:30:00Z" || !strings.Contains(e1.Card, "adapted here") {
		t.Errorf("entry %+v", e1)
	}
	if _, err := a.AddModel("other.onnx", two, StoredModel{}, nil, day.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	// Refused, with the reason, and nothing written.
	if _, err := a.AddModel("again.onnx", one, StoredModel{}, nil, day); err == nil || !strings.Contains(err.Error(), "already stored in this browser as test-net") {
		t.Errorf("the same model twice: %v", err)
	}
	renamed := onnxtest.TinyNet(testH, testW, make([]float32, 18), []float32{0, 0}, []float32{1, 0}, 0)
	if _, err := a.AddModel("lookalike.onnx", renamed.Bytes(), StoredModel{}, nil, day); err == nil || !strings.Contains(err.Error(), "another model called test-net is already stored") {
		t.Errorf("another model of the same name: %v", err)
	}
	served := []ModelRef{{Name: "seed", SHA256: strings.Repeat("a", 64)}, {Name: "third-net", SHA256: onnxmodel.SHA256(thirdNet())}}
	if _, err := a.AddModel("copy.onnx", thirdNet(), StoredModel{}, served, day); err == nil || err.Error() != "model: copy.onnx: this is third-net, which the server offers: it is listed already" {
		t.Errorf("a served model: %v", err)
	}
	served[1].SHA256 = strings.Repeat("b", 64)
	if _, err := a.AddModel("copy.onnx", thirdNet(), StoredModel{}, served, day); err == nil || !strings.Contains(err.Error(), "the server offers another model called third-net") {
		t.Errorf("a served model's name: %v", err)
	}
	if _, err := a.AddModel("junk.onnx", []byte("junk"), StoredModel{}, nil, day); err == nil || !strings.HasPrefix(err.Error(), "model: junk.onnx: not an ONNX model") {
		t.Errorf("junk: %v", err)
	}

	// Another worker (or a reload) sees the same list and bytes.
	b := reopen(t, st, fsys)
	list, err := b.StoredModels()
	if err != nil || len(list) != 2 || list[0].Name != "test-net" || list[1].Name != "other-net" || list[0].Problem != "" {
		t.Fatalf("list after reopening: %+v, %v", list, err)
	}
	if data, e, err := b.StoredModel(e1.SHA256); err != nil || string(data) != string(one) || e.Name != "test-net" {
		t.Errorf("read back: %d bytes, %+v, %v", len(data), e, err)
	}

	// Load it; deleting the model in use is refused.
	if info, err := b.LoadStored(ctx, e1.SHA256, nil); err != nil || info.Name != "test-net" || info.Source != "library" {
		t.Fatalf("load stored: %+v, %v", info, err)
	}
	if err := b.DeleteModel(e1.SHA256); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("deleting the model in use: %v", err)
	}
	// A copy handed over must be the model asked for.
	if _, err := b.LoadStored(ctx, onnxmodel.SHA256(two), fetchOf(one)); err == nil || !strings.Contains(err.Error(), "stored model other-net: the copy handed over has SHA-256") {
		t.Errorf("wrong copy: %v", err)
	}
	if b.info.Name != "test-net" {
		t.Errorf("after a refused load the model is %s", b.info.Name)
	}

	// Corrupted and missing files: named, and the model in use stays.
	sha2 := onnxmodel.SHA256(two)
	flipped := append([]byte(nil), two...)
	flipped[len(flipped)-1] ^= 1
	if err := hackpadfs.WriteFullFile(fsys, libFile(sha2), flipped, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.LoadStored(ctx, sha2, nil); err == nil || !strings.Contains(err.Error(), "stored model other-net: its file in this browser's storage is corrupted (SHA-256") {
		t.Errorf("corrupted: %v", err)
	}
	if err := hackpadfs.WriteFullFile(fsys, libFile(sha2), flipped[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	if list, _ := b.StoredModels(); !strings.Contains(list[1].Problem, "corrupted (100 bytes") {
		t.Errorf("listed problem %q", list[1].Problem)
	}
	if err := hackpadfs.Remove(fsys, libFile(sha2)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.StoredModel(sha2); err == nil || !strings.Contains(err.Error(), "stored model other-net: its file is missing from this browser's storage") {
		t.Errorf("missing: %v", err)
	}
	if list, _ := b.StoredModels(); list[1].Problem != missingProblem {
		t.Errorf("listed problem %q", list[1].Problem)
	}
	if b.info.Name != "test-net" {
		t.Errorf("after refused loads the model is %s", b.info.Name)
	}
	// A broken entry can be deleted, and the model added again.
	if err := b.DeleteModel(sha2); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AddModel("other.onnx", two, StoredModel{}, nil, day); err != nil {
		t.Errorf("adding it again: %v", err)
	}
	if err := b.DeleteModel(sha2); err != nil {
		t.Fatal(err)
	}
	if _, err := hackpadfs.Stat(fsys, libFile(sha2)); err == nil {
		t.Error("the deleted model's file is still there")
	}
	if list, _ := reopen(t, st, fsys).StoredModels(); len(list) != 1 {
		t.Errorf("after deleting: %+v", list)
	}
	if err := b.DeleteModel(sha2); err == nil {
		t.Error("deleting twice succeeded")
	}
}

// Switching models: results keep the model that made them, in the record
// and when remeasured (with that model's probabilities), in this worker, in
// another one and after a reload; a result whose model is gone says so.
func TestSwitchKeepsEachResultsModel(t *testing.T) {
	ctx := context.Background()
	a, st, fsys := libApp(t)
	one, two := thresholdNet(), otherNet()
	if _, err := a.LoadModel(ctx, "test-net", onnxmodel.SHA256(one), fetchOf(one)); err != nil {
		t.Fatal(err)
	}
	img, _ := ellipsePNG(t)
	opts := session.Options{CmPerPx: 0.01}
	out, err := a.Run(ctx, Job{ID: "e1", Name: "ellipse.png", Options: opts}, img, nil)
	if err != nil || out.Item.Status != "done" {
		t.Fatalf("run: %v %+v", err, out.Item)
	}
	r1 := decodeRecord(t, out.Item)

	e2, err := a.AddModel("other.onnx", two, StoredModel{}, nil, day)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := a.LoadStored(ctx, e2.SHA256, nil); err != nil || info.Name != "other-net" {
		t.Fatalf("switch: %+v, %v", info, err)
	}
	out2, err := a.Run(ctx, Job{ID: "e2", Name: "ellipse2.png", Options: opts}, img, nil)
	if err != nil || out2.Item.Status != "done" {
		t.Fatalf("run with the other model: %v %+v", err, out2.Item)
	}
	r2 := decodeRecord(t, out2.Item)
	if out2.Item.Model != "other-net" || r2.Model != "other-net" || r2.ModelSHA256 != e2.SHA256 || r2.CSAPx <= r1.CSAPx {
		t.Errorf("new result: model %s/%s %.12s, CSA %d px (the first model's: %d)", out2.Item.Model, r2.Model, r2.ModelSHA256, r2.CSAPx, r1.CSAPx)
	}

	check := func(name string, app *App) {
		t.Helper()
		it, err := app.Remeasure(ctx, "e1", session.Options{CmPerPx: 0.01, Muscle: "TA"}, nil, nil, false)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r := decodeRecord(t, it)
		if r.Model != "test-net" || r.ModelSHA256 != onnxmodel.SHA256(one) || r.CSAPx != r1.CSAPx || r.Quality != r1.Quality || it.Model != "test-net" {
			t.Errorf("%s: remeasured by %s %.12s, CSA %d px, quality %q; made by test-net, %d px, %q", name, r.Model, r.ModelSHA256, r.CSAPx, r.Quality, r1.CSAPx, r1.Quality)
		}
	}
	check("same worker", a)
	// Another worker, or a reload, running the other model: the first
	// model is read again (here from the session's cached server model).
	b := reopen(t, st, fsys)
	if _, err := b.LoadStored(ctx, e2.SHA256, nil); err != nil {
		t.Fatal(err)
	}
	check("after a reload", b)

	// Once the first model is in neither the library nor the session's
	// cache, its results cannot be remeasured, and say why.
	tb := thirdNet()
	c := reopen(t, st, fsys)
	if _, err := c.LoadModel(ctx, "third-net", onnxmodel.SHA256(tb), fetchOf(tb)); err != nil { // replaces the cached test-net
		t.Fatal(err)
	}
	_, err = c.Remeasure(ctx, "e1", opts, nil, nil, false)
	if err == nil || !strings.Contains(err.Error(), "ellipse.png: made by the model test-net (SHA-256 "+onnxmodel.SHA256(one)[:12]+"…), which this browser no longer has") {
		t.Errorf("remeasure without its model: %v", err)
	}
	// The stored model's results still remeasure with it.
	if it, err := c.Remeasure(ctx, "e2", opts, nil, nil, false); err != nil || decodeRecord(t, it).Model != "other-net" {
		t.Errorf("remeasure of the stored model's result: %v", err)
	}
}

// Load: a stored model that cannot be loaded falls back to the server's,
// saying why; a model adopted before the library existed moves into it.
func TestLoadStoredFallsBack(t *testing.T) {
	ctx := context.Background()
	one, two := thresholdNet(), otherNet()
	served := &ModelRequest{Name: "test-net", URL: "models/test-net.onnx", SHA256: onnxmodel.SHA256(one)}
	get := func(_ context.Context, url string) ([]byte, error) {
		if url == served.URL {
			return one, nil
		}
		return nil, errors.New("GET " + url + ": HTTP 404")
	}
	a, st, fsys := libApp(t)
	info, fell, err := a.Load(ctx, ModelRequest{Name: "other-net", SHA256: onnxmodel.SHA256(two), Stored: true, Fallback: served}, get, day)
	if err != nil || info.Name != "test-net" || !strings.Contains(fell, "no stored model has SHA-256") {
		t.Errorf("gone from the library: %+v, %q, %v", info, fell, err)
	}
	if _, _, err := a.Load(ctx, ModelRequest{Name: "other-net", SHA256: onnxmodel.SHA256(two), Stored: true}, get, day); err == nil {
		t.Error("no fallback: loaded anyway")
	}

	// The old adopt flow kept the adopted model in the session's /models/.
	if _, err := a.LoadModel(ctx, "other-net", onnxmodel.SHA256(two), fetchOf(two)); err != nil {
		t.Fatal(err)
	}
	b := reopen(t, st, fsys)
	info, fell, err = b.Load(ctx, ModelRequest{Name: "other-net", SHA256: onnxmodel.SHA256(two), Stored: true, Adopted: true, Fallback: served}, get, day)
	if err != nil || fell != "" || info.Name != "other-net" || info.Source != "library" {
		t.Fatalf("adopted earlier: %+v, %q, %v", info, fell, err)
	}
	list, _ := b.StoredModels()
	if len(list) != 1 || list[0].Origin != "migrated" || !strings.Contains(list[0].Card, "its original card was not kept") {
		t.Errorf("migrated: %+v", list)
	}
	// Once moved, the same request (a second worker) finds it in the library.
	if info, _, err := reopen(t, st, fsys).Load(ctx, ModelRequest{Name: "other-net", SHA256: onnxmodel.SHA256(two), Stored: true, Adopted: true}, get, day); err != nil || info.Name != "other-net" {
		t.Errorf("second worker: %+v, %v", info, err)
	}
	// A worker whose own storage lacks the model (memory only) runs the
	// copy the page hands over, which must be the model asked for.
	d, _, _ := libApp(t)
	if info, _, err := d.Load(ctx, ModelRequest{Name: "other-net", SHA256: onnxmodel.SHA256(two), Stored: true, Bytes: two}, get, day); err != nil || info.Name != "other-net" || info.Source != "library" {
		t.Errorf("handed over: %+v, %v", info, err)
	}
	if _, _, err := d.Load(ctx, ModelRequest{Name: "test-net", SHA256: onnxmodel.SHA256(one), Stored: true, Bytes: two}, get, day); err == nil || !strings.Contains(err.Error(), "the copy handed over has SHA-256") {
		t.Errorf("the wrong copy handed over: %v", err)
	}
	// An adopted model replaced since (the server's model was loaded over
	// it) cannot be moved: the fallback, with the reason.
	c, _, _ := libApp(t)
	info, fell, err = c.Load(ctx, ModelRequest{Name: "gone-net", SHA256: onnxmodel.SHA256(two), Stored: true, Adopted: true, Fallback: served}, get, day)
	if err != nil || info.Name != "test-net" || !strings.Contains(fell, "the model adopted earlier, gone-net") {
		t.Errorf("adopted model gone: %+v, %q, %v", info, fell, err)
	}
}
