package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"myoseg/core/study/phantom"
)

// Benchmarks of the app as a person meets it (make bench-e2e):
//
//	BenchmarkFirstResultCold    fresh profile: page load → first result (wasm and model from the server)
//	BenchmarkFirstResultCached  second visit: page load → first result (service worker cache, model from IndexedDB)
//	BenchmarkImage480x512       one more 480×512 image on a warm page: drop → result
//	BenchmarkBatch16            16 images of 480×512 at once, all workers
//
// Times come from the page (performance.now(), whose origin is the start of
// the navigation); the benchmarks report them as ms metrics, with the
// workers' peak wasm memory and, in the cold benchmark, the wasm's sizes.

// pageStats is window.myosegStats.
type pageStats struct {
	FirstResultMs   *float64 `json:"firstResultMs"`
	PeakWorkerBytes float64  `json:"peakWorkerBytes"`
	// Startup: ms since navigation when each start-up step ended (web/js/main.js).
	Startup map[string]float64 `json:"startup"`
	Results []struct {
		File     string             `json:"file"`
		WallMs   float64            `json:"wallMs"`
		TimingMs map[string]float64 `json:"timingMs"`
	} `json:"results"`
}

func stats(tb testing.TB, ctx context.Context) pageStats {
	tb.Helper()
	var s pageStats
	if err := json.Unmarshal([]byte(eval[string](tb, ctx, `JSON.stringify(window.myosegStats)`)), &s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// benchImages writes n phantom PNGs of 480×512.
func benchImages(b *testing.B, n int) []string {
	b.Helper()
	dir := b.TempDir()
	var out []string
	for i := 0; i < n; i++ {
		s, err := phantom.Generate(phantom.Config{Seed: 5, N: n}, i)
		if err != nil {
			b.Fatal(err)
		}
		if s.Image.Rect.Dx() != 512 || s.Image.Rect.Dy() != 480 {
			b.Fatalf("phantom is %v, want 512×480", s.Image.Rect)
		}
		p := filepath.Join(dir, fmt.Sprintf("bench%03d.png", i))
		writePNG(b, p, s.Image)
		out = append(out, p)
	}
	return out
}

// loadAndDrop navigates, gives the page one image as soon as the file input
// exists, and waits for its result. It returns the page's first-result time.
func loadAndDrop(b *testing.B, ctx context.Context, url, img string, reload bool) pageStats {
	b.Helper()
	if reload {
		run(b, ctx, 60*time.Second, chromedp.Reload())
	} else {
		run(b, ctx, 60*time.Second, chromedp.Navigate(url))
	}
	upload(b, ctx, img)
	waitDone(b, ctx, segmentTimeout, filepath.Base(img))
	st := stats(b, ctx)
	if st.FirstResultMs == nil {
		b.Fatalf("no result: %s", eval[string](b, ctx, pageStateJS))
	}
	return st
}

// startupSteps sums the start-up marks over runs and reports their means,
// so a slow first result shows which step it waited on.
type startupSteps struct {
	sum map[string]float64
	n   int
}

func (s *startupSteps) add(st pageStats) {
	if s.sum == nil {
		s.sum = map[string]float64{}
	}
	for k, v := range st.Startup {
		s.sum[k] += v
	}
	s.sum["to-first-resultMs"] += *st.FirstResultMs
	s.n++
}

func (s *startupSteps) report(b *testing.B) {
	for k, v := range s.sum {
		b.ReportMetric(v/float64(s.n), "ms-"+strings.TrimSuffix(k, "Ms"))
	}
}

func fileSize(b *testing.B, p string) float64 {
	b.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	return float64(fi.Size())
}

func BenchmarkFirstResultCold(b *testing.B) {
	needE2E(b)
	srv := startServer(b)
	img := benchImages(b, 1)[0]
	var steps startupSteps
	var peak float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ctx := newBrowser(b, 1366, 768) // fresh profile: nothing cached, nothing stored
		b.StartTimer()
		steps.add(loadAndDrop(b, ctx, srv.URL, img, false))
		if src := eval[string](b, ctx, `document.body.dataset.modelSource`); src != "network" {
			b.Fatalf("cold start took the model from %s", src)
		}
		peak = max(peak, stats(b, ctx).PeakWorkerBytes)
	}
	steps.report(b)
	b.ReportMetric(peak/(1<<20), "worker-peak-MB")
	const mb = 1 << 20
	b.ReportMetric(fileSize(b, "../web/dist/myoseg.wasm")/mb, "wasm-MB")
	b.ReportMetric(fileSize(b, "../web/dist/myoseg.wasm.gz")/mb, "wasm-gzip-MB")
	b.ReportMetric(fileSize(b, "../web/dist/myoseg.wasm.br")/mb, "wasm-brotli-MB")
}

func BenchmarkFirstResultCached(b *testing.B) {
	needE2E(b)
	srv := startServer(b)
	img := benchImages(b, 1)[0]
	ctx := newBrowser(b, 1366, 768)
	loadAndDrop(b, ctx, srv.URL, img, false) // the first visit fills the caches
	waitFor(b, ctx, 60*time.Second, `document.body.dataset.offlineReady === 'true' && !document.querySelector('#results').dataset.saving`)
	var steps startupSteps
	var peak float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// Each visit finds the previous session: clear it, so the image is
		// the first result again, then reload.
		clearSession(b, ctx)
		b.StartTimer()
		steps.add(loadAndDrop(b, ctx, srv.URL, img, true))
		if src := eval[string](b, ctx, `document.body.dataset.modelSource`); src != "storage" {
			b.Fatalf("second visit took the model from %s", src)
		}
		peak = max(peak, stats(b, ctx).PeakWorkerBytes)
	}
	steps.report(b)
	b.ReportMetric(peak/(1<<20), "worker-peak-MB")
}

// clearSession empties the stored session through the page's own button.
func clearSession(b *testing.B, ctx context.Context) {
	b.Helper()
	waitFor(b, ctx, 60*time.Second, `document.body.dataset.busy === 'false' && !document.querySelector('#results').dataset.saving`)
	eval[bool](b, ctx, `(window.confirm = () => true, true)`)
	run(b, ctx, 10*time.Second, chromedp.Click(chromedp.CSS("#clear-session")))
	waitFor(b, ctx, 30*time.Second, `document.querySelectorAll('#results tbody tr').length === 0`)
}

func BenchmarkImage480x512(b *testing.B) {
	needE2E(b)
	srv := startServer(b)
	imgs := benchImages(b, 1)
	ctx := newBrowser(b, 1366, 768)
	loadAndDrop(b, ctx, srv.URL, imgs[0], false) // warm: wasm compiled, model loaded
	var wall, infer float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		clearSession(b, ctx)
		n := len(stats(b, ctx).Results)
		b.StartTimer()
		upload(b, ctx, imgs[0])
		waitDone(b, ctx, segmentTimeout, filepath.Base(imgs[0]))
		b.StopTimer()
		st := stats(b, ctx)
		if len(st.Results) != n+1 {
			b.Fatalf("%d results, want %d", len(st.Results), n+1)
		}
		r := st.Results[n]
		wall += r.WallMs
		infer += r.TimingMs["infer"]
		b.StartTimer()
	}
	b.ReportMetric(wall/float64(b.N), "ms/image")
	b.ReportMetric(infer/float64(b.N), "infer-ms/image")
	b.ReportMetric(stats(b, ctx).PeakWorkerBytes/(1<<20), "worker-peak-MB")
}

func BenchmarkBatch16(b *testing.B) {
	needE2E(b)
	srv := startServer(b)
	imgs := benchImages(b, 16)
	ctx := newBrowser(b, 1366, 768)
	loadAndDrop(b, ctx, srv.URL, imgs[0], false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		clearSession(b, ctx)
		b.StartTimer()
		upload(b, ctx, imgs...)
		for _, p := range imgs {
			waitDone(b, ctx, segmentTimeout, filepath.Base(p))
		}
	}
	b.StopTimer()
	workers := eval[string](b, ctx, `document.body.dataset.workers`)
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*len(imgs)), "ms/image")
	b.ReportMetric(stats(b, ctx).PeakWorkerBytes/(1<<20), "worker-peak-MB")
	b.Logf("workers: %s", workers)
}
