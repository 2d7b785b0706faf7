package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/onnxmodel/onnxtest"
	"myoseg/core/study/phantom"
	"myoseg/models"
)

// TestModels: the Models panel in Chromium at 1366×768. The server's model
// is listed and in use; version 1 of the phantom model (another model than
// the default) is added through the panel's file input with its card,
// switched to, and segments a new image while the first result keeps the
// default model (also after a reload and a remeasure); switching back
// works; a file that is not ONNX, a graph with an unsupported op, a model
// whose input size is not its metadata's and a corrupted IndexedDB entry
// are refused with the core's message, changing neither the model in use
// nor the results; the stored model exports byte for byte with its card;
// a broken entry in use at start-up gives way to the server's model, with
// the reason, and can be deleted.
func TestModels(t *testing.T) {
	needE2E(t)
	srv := startServer(t)
	ctx := newBrowser(t, 1366, 768)
	def, _ := models.Default()
	const v1 = "myoseg-unet-phantom-v1"
	v1File, err := filepath.Abs(filepath.Join("..", "models", v1+".onnx"))
	if err != nil {
		t.Fatal(err)
	}
	v1Card := strings.TrimSuffix(v1File, ".onnx") + ".md"
	v1Bytes, err := os.ReadFile(v1File)
	if err != nil {
		t.Fatal(err)
	}
	v1Name := mustName(t, v1File, v1Bytes)
	if v1Name != v1 || v1 == def {
		t.Fatalf("%s is called %s; the default is %s: the test needs two different models", v1File, v1Name, def)
	}
	dir := t.TempDir()
	img := func(i int) string {
		s, err := phantom.Generate(phantom.Config{Seed: 21, N: 3}, i)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("M%d_1.png", i))
		writePNG(t, p, s.Image)
		return p
	}
	imgA, imgB := img(0), img(1)

	modelRow := func(name string) string { return fmt.Sprintf(`#models-table tr[data-model=%q]`, name) }
	inUse := func(name string) string {
		return fmt.Sprintf(`(() => { const r = document.querySelector(%q); return !!r && r.dataset.inUse === 'true' && document.body.dataset.model === %q; })()`, modelRow(name), name)
	}
	openPanel := func() {
		t.Helper()
		run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS("#models-btn")))
		waitFor(t, ctx, 10*time.Second, `document.querySelector('#models-dialog').open`)
	}
	closePanel := func() {
		t.Helper()
		run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS("#models-close")))
		waitFor(t, ctx, 5*time.Second, `!document.querySelector('#models-dialog').open`)
	}
	// modelOf is the model the result of file names (its record, in the
	// detail panel's "Model" line).
	modelOf := func(file string) string {
		t.Helper()
		selectRow(t, ctx, file)
		return eval[string](t, ctx, `(() => { const dt = Array.from(document.querySelectorAll('#detail-numbers dt')).find(d => d.textContent === 'Model'); return dt ? dt.nextElementSibling.textContent : ''; })()`)
	}
	note := func() string { return eval[string](t, ctx, `document.querySelector('#models-note').textContent`) }
	before := map[string]row{}

	step(t, "the server's model is listed and in use", func(t *testing.T) {
		run(t, ctx, 60*time.Second, chromedp.Navigate(srv.URL))
		waitFor(t, ctx, 90*time.Second, `document.body.dataset.model && document.querySelector('#models-btn')`)
		openPanel()
		waitFor(t, ctx, 10*time.Second, inUse(def))
		if kind := eval[string](t, ctx, `document.querySelector('`+modelRow(def)+`').dataset.kind`); kind != "server" {
			t.Errorf("%s is listed as %q, want server", def, kind)
		}
		if n := eval[int](t, ctx, `document.querySelectorAll('#models-table tr[data-kind=stored]').length`); n != 0 {
			t.Errorf("%d stored models in a fresh browser", n)
		}
		screenshot(t, ctx, "models-01-server-1366x768")
		closePanel()
		upload(t, ctx, imgA)
		waitDone(t, ctx, segmentTimeout, filepath.Base(imgA))
		if m := modelOf(filepath.Base(imgA)); m != def {
			t.Errorf("the first result names model %q, want %s", m, def)
		}
	})

	step(t, "add version 1 with its card and switch to it", func(t *testing.T) {
		openPanel()
		run(t, ctx, 30*time.Second, chromedp.SetUploadFiles(chromedp.CSS("#model-file"), []string{v1File, v1Card}))
		waitFor(t, ctx, 60*time.Second, fmt.Sprintf(`!!document.querySelector(%q)`, modelRow(v1)))
		if n := note(); !strings.Contains(n, "Added "+v1+" from "+v1+".onnx with its card "+v1+".md") {
			t.Errorf("note after adding: %q", n)
		}
		if m := eval[string](t, ctx, `document.body.dataset.model`); m != def {
			t.Errorf("adding a model switched to %s", m)
		}
		screenshot(t, ctx, "models-02-added-1366x768")
		run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(modelRow(v1)+" button.use")))
		waitFor(t, ctx, 60*time.Second, inUse(v1))
		if n := note(); !strings.HasPrefix(n, v1+" is now the model") {
			t.Errorf("note after switching: %q", n)
		}
		closePanel()
		upload(t, ctx, imgB)
		waitDone(t, ctx, segmentTimeout, filepath.Base(imgB))
		if m := modelOf(filepath.Base(imgB)); m != v1 {
			t.Errorf("the new result names model %q, want %s", m, v1)
		}
		if m := modelOf(filepath.Base(imgA)); m != def {
			t.Errorf("the first result now names model %q, want %s (it keeps its model)", m, def)
		}
		openPanel()
		for name, want := range map[string]string{def: "1", v1: "1"} {
			if got := eval[string](t, ctx, `document.querySelector('`+modelRow(name)+` td.num').textContent`); got != want {
				t.Errorf("%s made %s result(s), the panel says %s", name, want, got)
			}
		}
		screenshot(t, ctx, "models-03-switched-1366x768")
		closePanel()
		for _, r := range rows(t, ctx) {
			before[r.File] = r
		}
	})

	step(t, "a reload keeps the stored model, and results keep theirs when remeasured", func(t *testing.T) {
		waitFor(t, ctx, 30*time.Second, `!document.querySelector('#results').dataset.saving`)
		run(t, ctx, 60*time.Second, chromedp.Reload())
		waitRestored(t, ctx, before)
		if src := eval[string](t, ctx, `document.body.dataset.model + ' ' + document.body.dataset.modelSource`); src != v1+" library" {
			t.Errorf("after a reload the model is %q, want %s from the library", src, v1)
		}
		// A new calibration remeasures the first result: with the default
		// model, which made its mask, not the one in use.
		a := filepath.Base(imgA)
		selectRow(t, ctx, a)
		run(t, ctx, 10*time.Second, chromedp.SetValue(chromedp.CSS("#d-cmpx"), "0.01"), chromedp.Click(chromedp.CSS("#d-apply")))
		waitFor(t, ctx, 60*time.Second, fmt.Sprintf(`(() => { const r = document.querySelector('#results tr[data-file=%q]'); return r && r.dataset.csaCm2 && !document.querySelector('#results').dataset.saving; })()`, a))
		if r := rowOf(t, ctx, a); r.AreaPx != before[a].AreaPx {
			t.Errorf("remeasured %s: %s px, was %s px", a, r.AreaPx, before[a].AreaPx)
		}
		if m := modelOf(a); m != def {
			t.Errorf("remeasured, the first result names model %q, want %s", m, def)
		}
		for _, r := range rows(t, ctx) {
			before[r.File] = r
		}
	})

	step(t, "switch back to the server's model", func(t *testing.T) {
		openPanel()
		waitFor(t, ctx, 10*time.Second, inUse(v1))
		run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(modelRow(def)+" button.use")))
		waitFor(t, ctx, 60*time.Second, inUse(def))
		if src := eval[string](t, ctx, `document.body.dataset.modelSource`); src == "library" {
			t.Errorf("the server's model came from %q", src)
		}
	})

	// Each refusal shows the validator's own message and changes nothing.
	unchanged := func(t *testing.T) {
		t.Helper()
		waitFor(t, ctx, 10*time.Second, inUse(def))
		if n := eval[int](t, ctx, `document.querySelectorAll('#models-table tr[data-kind=stored]').length`); n != 1 {
			t.Errorf("%d stored models, want 1", n)
		}
		rs := rows(t, ctx)
		if len(rs) != len(before) {
			t.Errorf("%d rows, want %d", len(rs), len(before))
		}
		for _, r := range rs {
			if b := before[r.File]; r.Status != b.Status || r.AreaPx != b.AreaPx || r.CSACm2 != b.CSACm2 {
				t.Errorf("%s changed: %+v, was %+v", r.File, r, b)
			}
		}
	}
	tiny := func(mutate func(*onnxtest.Model)) []byte {
		m := onnxtest.TinyNet(240, 256, make([]float32, 18), []float32{0, 0}, []float32{1, 1}, 0)
		mutate(&m)
		return m.Bytes()
	}
	refusals := []struct {
		name, file string
		data       []byte
	}{
		{"not ONNX", "notes.onnx", []byte("These are my notes, not a model.\n")},
		{"an unsupported op", "erf-net.onnx", tiny(func(m *onnxtest.Model) { m.Nodes[1].Op = "Erf" })},
		{"another input size than its metadata", "size-net.onnx", tiny(func(m *onnxtest.Model) {
			m.InputDims, m.OutputDims = []int64{1, 1, 128, 128}, []int64{1, 1, 128, 128}
		})},
	}
	for i, tc := range refusals {
		step(t, "refused: "+tc.name, func(t *testing.T) {
			_, perr := onnxmodel.Parse(tc.file, tc.data)
			if perr == nil {
				t.Fatalf("%s passes the validator", tc.file)
			}
			want := "Cannot add " + tc.file + ": " + perr.Error() + ". The model in use (" + def + ") and all results are unchanged."
			p := filepath.Join(dir, tc.file)
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if eval[bool](t, ctx, `document.querySelector('#models-dialog').open`) {
				closePanel()
			}
			drop(t, ctx, p) // the panel opens with the verdict
			waitFor(t, ctx, 30*time.Second, fmt.Sprintf(`document.querySelector('#models-dialog').open && document.querySelector('#models-note').textContent.startsWith(%q)`, "Cannot add "+tc.file))
			// protobuf's errors put a space or a no-break space after
			// "proto:", chosen per binary (detrand), so the wasm and this
			// test may differ there and only there.
			nbsp := strings.NewReplacer("\u00a0", " ")
			if n := note(); nbsp.Replace(n) != nbsp.Replace(want) {
				t.Errorf("message\n%s\nwant\n%s", n, want)
			}
			if !eval[bool](t, ctx, `document.querySelector('#models-note').classList.contains('bad')`) {
				t.Error("the refusal is not marked as one")
			}
			unchanged(t)
			if i == 1 {
				screenshot(t, ctx, "models-04-refused-1366x768")
			}
			t.Logf("%s: %s", tc.file, note())
		})
	}

	step(t, "an image dropped still goes to the table", func(t *testing.T) {
		closePanel()
		p := filepath.Join(dir, "M9_1.png")
		copyFile(t, imgA, p)
		drop(t, ctx, p)
		waitDone(t, ctx, segmentTimeout, "M9_1.png")
		if m := modelOf("M9_1.png"); m != def {
			t.Errorf("the dropped image was segmented by %q", m)
		}
		for _, r := range rows(t, ctx) {
			before[r.File] = r
		}
	})

	step(t, "export the stored model and its card", func(t *testing.T) {
		openPanel()
		files := downloadAll(t, ctx, modelRow(v1)+" button.export", 2)
		if !bytes.Equal(files[v1+".onnx"], v1Bytes) {
			t.Errorf("exported %s.onnx: %d bytes, not the file's %d", v1, len(files[v1+".onnx"]), len(v1Bytes))
		}
		card, err := os.ReadFile(v1Card)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(files[v1+".md"], card) {
			t.Errorf("exported card: %d bytes, the card added was %d", len(files[v1+".md"]), len(card))
		}
	})

	step(t, "a corrupted stored entry is refused", func(t *testing.T) {
		sha := eval[string](t, ctx, `document.querySelector('`+modelRow(v1)+`').dataset.sha256`)
		got := eval[string](t, ctx, fmt.Sprintf(`(async () => {
  const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  const db = await req(indexedDB.open('myoseg'));
  const st = db.transaction('contents', 'readwrite').objectStore('contents');
  const key = 'library/%s.onnx';
  const v = await req(st.get(key));
  if (!v) return 'no ' + key;
  const b = new Uint8Array(ArrayBuffer.isView(v) ? v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) : v);
  b[b.length - 1] ^= 1;
  await req(st.put(b, key));
  db.close();
  return 'flipped';
})()`, sha))
		if got != "flipped" {
			t.Fatalf("corrupting the IndexedDB entry: %s", got)
		}
		run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(modelRow(v1)+" button.use")))
		want := "Cannot switch to " + v1 + ": stored model " + v1 + ": its file in this browser's storage is corrupted (SHA-256 "
		waitFor(t, ctx, 30*time.Second, fmt.Sprintf(`document.querySelector('#models-note').textContent.startsWith(%q)`, want))
		if n := note(); !strings.HasSuffix(n, "delete it from this browser and add its .onnx again. The model in use ("+def+") and all results are unchanged.") {
			t.Errorf("message %q", n)
		}
		unchanged(t)
		waitFor(t, ctx, 10*time.Second, fmt.Sprintf(`(() => { const r = document.querySelector(%q); return !!r && (r.dataset.problem || '').startsWith("its file in this browser's storage is corrupted") && !r.querySelector('button.use') && !r.querySelector('button.export'); })()`, modelRow(v1)))
		screenshot(t, ctx, "models-05-corrupted-1366x768")
		t.Logf("%s", note())
	})

	step(t, "a broken model in use at start-up gives way to the server's", func(t *testing.T) {
		sha := eval[string](t, ctx, `document.querySelector('`+modelRow(v1)+`').dataset.sha256`)
		eval[bool](t, ctx, fmt.Sprintf(`(localStorage.setItem('myoseg.modelInUse', JSON.stringify({ name: %q, sha256: %q, stored: true })), true)`, v1, sha))
		waitFor(t, ctx, 30*time.Second, `!document.querySelector('#results').dataset.saving`)
		run(t, ctx, 60*time.Second, chromedp.Reload())
		waitRestored(t, ctx, before)
		if m := eval[string](t, ctx, `document.body.dataset.model`); m != def {
			t.Errorf("started with %q, want the server's %s", m, def)
		}
		msg := eval[string](t, ctx, `(() => { const n = document.querySelector('#model-note'); return n.hidden ? '' : n.textContent; })()`)
		if want := "The stored model " + v1 + " could not be loaded: stored model " + v1 + ": its file in this browser's storage is corrupted (SHA-256 "; !strings.HasPrefix(msg, want) {
			t.Errorf("header note %q, want it to start %q", msg, want)
		}
		if u := eval[string](t, ctx, `localStorage.getItem('myoseg.modelInUse') || ''`); u != "" {
			t.Errorf("the broken model is still the one to use: %s", u)
		}
		screenshot(t, ctx, "models-06-fallback-1366x768")
	})

	step(t, "delete the broken entry", func(t *testing.T) {
		openPanel()
		eval[bool](t, ctx, `(window.confirm = () => true, true)`)
		run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(modelRow(v1)+" button.delete")))
		waitFor(t, ctx, 30*time.Second, fmt.Sprintf(`!document.querySelector(%q) && document.querySelector('#models-note').textContent === %q`, modelRow(v1), "Deleted "+v1+" from this browser."))
		waitFor(t, ctx, 10*time.Second, inUse(def))
		if n := len(rows(t, ctx)); n != len(before) {
			t.Errorf("%d rows after deleting a model, want %d", n, len(before))
		}
		if m := eval[string](t, ctx, `document.querySelector('#models-btn').textContent`); m != "Models (1)…" {
			t.Errorf("header button %q", m)
		}
	})
}

func mustName(t *testing.T, file string, data []byte) string {
	t.Helper()
	m, err := onnxmodel.Parse(file, data)
	if err != nil {
		t.Fatal(err)
	}
	return m.Info.Name
}

// downloadAll clicks sel and returns the n files the page saves, by name.
func downloadAll(t *testing.T, ctx context.Context, sel string, n int) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
	}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(sel)))
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		out := map[string][]byte{}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".crdownload") {
				continue
			}
			if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && len(data) > 0 {
				out[e.Name()] = data
			}
		}
		if len(out) == n {
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	t.Fatalf("clicking %s: %d file(s) saved, want %d", sel, len(entries), n)
	return nil
}
