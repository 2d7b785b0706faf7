package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestReference: the reference engine (onnx-go + gorgonia, its own wasm) is
// not downloaded by a visit that does not ask for it, neither by the page
// nor by the service worker's precache; "Check with the reference engine"
// downloads it, runs the selected phantom with both engines and reports
// identical masks, also identical to the mask the page's core made; the
// results table does not change; a second check does not download it again.
func TestReference(t *testing.T) {
	needE2E(t)
	srv := startServer(t)
	// Every request the browser makes (the page, its workers, the service
	// worker) goes through this logging proxy, so "not requested" is seen
	// where it counts: at the server.
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var paths []string
	proxy := httputil.NewSingleHostReverseProxy(target)
	logged := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(logged.Close)
	requested := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, p := range paths {
			if strings.HasSuffix(p, "/dist/myoseg-reference.wasm") {
				n++
			}
		}
		return n
	}

	ctx := newBrowser(t, 1366, 900)
	ph := phantoms(t, t.TempDir(), 1)
	file := ph[0].name
	run(t, ctx, 60*time.Second, chromedp.Navigate(logged.URL))
	waitFor(t, ctx, 90*time.Second, `document.body.dataset.model && document.querySelector('#reference') !== null`)
	upload(t, ctx, ph[0].path)
	waitDone(t, ctx, segmentTimeout, file)
	// The service worker has precached everything it will (it is active
	// only after its install step's downloads), and the session is saved.
	waitFor(t, ctx, 60*time.Second, `document.body.dataset.offlineReady === 'true' && !document.querySelector('#results').dataset.saving`)
	selectRow(t, ctx, file)
	waitFor(t, ctx, 10*time.Second, `!document.querySelector('#reference').hidden && !document.querySelector('#reference-check').disabled`)

	if n := requested(); n != 0 {
		t.Errorf("the reference wasm was requested %d time(s) before anyone asked for the check", n)
	}
	if eval[bool](t, ctx, `performance.getEntriesByType('resource').some((e) => e.name.includes('myoseg-reference'))`) {
		t.Errorf("the page fetched the reference wasm before the check")
	}
	inCache := `(async () => { for (const k of await caches.keys()) { const c = await caches.open(k);
		if ((await c.keys()).some((r) => r.url.includes('myoseg-reference'))) return true; } return false; })()`
	if eval[bool](t, ctx, inCache) {
		t.Errorf("the service worker precached the reference wasm")
	}
	before := rows(t, ctx)

	start := time.Now()
	run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS("#reference-check")))
	waitFor(t, ctx, segmentTimeout, `['done', 'error'].includes(document.querySelector('#reference').dataset.state)`)
	took := time.Since(start)
	note := eval[string](t, ctx, `document.querySelector('#reference-note').textContent`)
	if st := eval[string](t, ctx, `document.querySelector('#reference').dataset.state`); st != "done" {
		screenshot(t, ctx, "reference-failure")
		t.Fatalf("check ended %s: %s", st, note)
	}
	ds := eval[map[string]string](t, ctx, `({...document.querySelector('#reference').dataset})`)
	result := eval[string](t, ctx, `Array.from(document.querySelectorAll('#reference-table tr')).map((tr) => Array.from(tr.children).map((c) => c.textContent.padStart(11)).join(' ')).join('\n') + '\n' +
		Array.from(document.querySelectorAll('#reference-result dt')).map((dt) => dt.textContent + ': ' + dt.nextElementSibling.textContent).join('\n')`)
	pageInfer := eval[float64](t, ctx, `window.myosegStats.results[0].timingMs.infer`)
	t.Logf("check took %s (download, compile, both engines):\n%s\n%s\nthe page's own core: inference %.0f ms", took.Round(time.Millisecond), note, result, pageInfer)

	// Both engines run the same pipeline on the same file; they differ only
	// in the order of float sums (max |Δp| is logged), which moves no pixel
	// across the threshold on this phantom: identical masks, not just a
	// high Dice.
	if ds["differ"] != "0" {
		t.Errorf("our engine's and the reference's masks differ in %s pixels (Dice %s): %s", ds["differ"], ds["dice"], note)
	}
	if d, err := strconv.ParseFloat(ds["dice"], 64); err != nil || d != 1 {
		t.Errorf("Dice %q, want 1", ds["dice"])
	}
	// The page's own mask (its SIMD128 core in this Chromium) against the
	// reference's.
	if ds["pageDiffer"] != "0" {
		t.Errorf("the page's mask and the reference's differ in %q pixels: %s", ds["pageDiffer"], result)
	}
	if !strings.HasPrefix(note, "Identical masks") {
		t.Errorf("note %q: want it to say the masks are identical", note)
	}
	if n := requested(); n != 1 {
		t.Errorf("the reference wasm was requested %d times by one check, want 1", n)
	}
	after := rows(t, ctx)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("the results table changed:\nbefore %+v\nafter  %+v", before, after)
	}
	// Once fetched, the service worker keeps it (in the background), so the
	// check works offline. (waitFor would not await the promise.)
	kept := false
	for deadline := time.Now().Add(30 * time.Second); !kept && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		kept = eval[bool](t, ctx, inCache)
	}
	if !kept {
		t.Errorf("the service worker did not keep the reference wasm after the check")
	}
	run(t, ctx, 10*time.Second, chromedp.Evaluate[chromedp.Void](`document.querySelector('#reference').scrollIntoView({block: 'end'})`))
	screenshot(t, ctx, "reference-1366x900")

	// A second check reuses the compiled module: no second download.
	run(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS("#reference-check")))
	waitFor(t, ctx, segmentTimeout, `['done', 'error'].includes(document.querySelector('#reference').dataset.state)`)
	if st := eval[string](t, ctx, `document.querySelector('#reference').dataset.state`); st != "done" {
		t.Errorf("second check ended %s: %s", st, eval[string](t, ctx, `document.querySelector('#reference-note').textContent`))
	}
	if n := requested(); n != 1 {
		t.Errorf("the reference wasm was requested %d times after two checks, want 1", n)
	}
}
