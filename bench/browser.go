package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"myoseg/e2e/headless"
)

// runBrowser serves the bench page, our wasm, onnxruntime-web, the model
// and the inputs from localhost and drives one headless Chromium session.
func runBrowser(ctx context.Context, cfg config, set *imageSet, res *Results, work string) error {
	ortDist := "bench/node_modules/onnxruntime-web/dist"
	if _, err := os.Stat(filepath.Join(ortDist, "ort.wasm.min.mjs")); err != nil {
		return fmt.Errorf("onnxruntime-web is not installed (cd bench && npm install --ignore-scripts): %w", err)
	}
	// Both builds, as the app ships them: SIMD128 (GOEXPERIMENT=simd, what
	// a browser with SIMD runs, timed unless -wasm-simd=false) and scalar.
	wasmSIMD, wasmScalar := filepath.Join(work, "bench-simd.wasm"), filepath.Join(work, "bench.wasm")
	for _, b := range []struct{ path, exp string }{{wasmSIMD, "simd"}, {wasmScalar, ""}} {
		build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", b.path, "./bench/wasm")
		build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOEXPERIMENT="+b.exp)
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build wasm (GOEXPERIMENT=%s): %v: %s", b.exp, err, out)
		}
	}
	wasmPath, wasmKind := wasmSIMD, "SIMD128"
	if !cfg.WasmSIMD {
		wasmPath, wasmKind = wasmScalar, "portable scalar"
	}
	goroot, _ := exec.Command("go", "env", "GOROOT").Output()
	wasmExec := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js")
	metaJSON, _ := json.Marshal(map[string]int{"h": set.h, "w": set.w})

	mux := http.NewServeMux()
	file := func(p, path string) {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, path) })
	}
	file("/wasm/bench.wasm", wasmPath)
	file("/wasm_exec.js", wasmExec)
	file("/model.onnx", set.modelPath)
	file("/inputs.f32", set.f32Path)
	mux.HandleFunc("/meta.json", func(w http.ResponseWriter, r *http.Request) { w.Write(metaJSON) })
	mux.Handle("/ort/", http.StripPrefix("/ort/", http.FileServer(http.Dir(ortDist))))
	mux.Handle("/", http.FileServer(http.Dir("bench/web")))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Cross-origin isolation lets onnxruntime-web use threads and lets the
		// page measure its memory; max-age makes the second visit a cached start.
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
		}
		mux.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/"

	ownChromiumSince = startTicks(os.Getpid())
	// newBrowser starts Chromium on a fresh profile: a browser that has
	// never seen the page (its HTTP cache and compiled-code caches empty).
	newBrowser := func() (context.Context, func(), error) {
		profile, err := os.MkdirTemp(work, "chromium-profile-")
		if err != nil {
			return nil, nil, err
		}
		ownMarkers = append(ownMarkers, profile)
		opts := append(headless.Options(cfg.Chromium, profile),
			// Resolves performance.measureUserAgentSpecificMemory at once instead of at the next GC.
			chromedp.Flag("enable-blink-features", "ForceEagerMeasureMemory"))
		if cfg.JSFlags != "" {
			opts = append(opts, chromedp.Flag("js-flags", cfg.JSFlags))
		}
		actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
		bctx, cancelB := chromedp.NewContext(actx)
		if err := chromedp.Do(bctx); err != nil {
			cancelB()
			cancelA()
			return nil, nil, fmt.Errorf("start chromium: %w", err)
		}
		// A browser's own start (profile, services, the previous one's
		// exit) goes on for a moment after it answers: not the page's time.
		time.Sleep(2 * time.Second)
		return bctx, func() { cancelB(); cancelA() }, nil
	}
	bctx, closeB, err := newBrowser()
	if err != nil {
		return err
	}
	defer closeB()
	if v, err := exec.Command(cfg.Chromium, "--version").Output(); err == nil {
		res.Machine.Chromium = strings.TrimSpace(string(v))
	}
	br := &Browser{Chromium: res.Machine.Chromium, JSFlags: cfg.JSFlags}
	res.Browser = br

	pageIn := func(bctx context.Context, path string, timeout time.Duration, out any) error {
		tctx, cancel := chromedp.NewContext(bctx) // a new tab, same profile (shared HTTP cache)
		defer cancel()
		tctx, cancelT := context.WithTimeout(tctx, timeout)
		defer cancelT()
		// path "?…" is index.html, reached as "/": the file server
		// redirects "/index.html" there.
		err := chromedp.Do(tctx, chromedp.Navigate(base+path),
			chromedp.Poll[chromedp.Void](`window.benchResult || window.benchError`,
				chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		res, err := chromedp.Run(tctx, chromedp.Evaluate[string](`window.benchResult || ""`))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		perr, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`window.benchError || ""`))
		if perr != "" {
			return fmt.Errorf("%s: page: %s", path, perr)
		}
		return json.Unmarshal([]byte(res), out)
	}
	page := func(query string, timeout time.Duration, out any) error { return pageIn(bctx, "?"+query, timeout, out) }

	type firstRes struct {
		FirstMs, SecondMs, LoadMs, MemMB, WasmMB float64
		Marks                                    map[string]float64
	}
	// Start-up is timed cfg.Startups times, each time in a browser of its
	// own (a cold visit needs an empty cache), and reported by its median
	// first result: one start on this VM varies by ±15 %.
	firsts := map[string][2]firstRes{}
	if cfg.phase("first") {
		runs := map[string][2][]firstRes{}
		var blanks []float64
		for rep := 0; rep < cfg.Startups; rep++ {
			fctx, closeF, err := newBrowser()
			if err != nil {
				return err
			}
			for _, eng := range []string{"ours", "ort"} {
				log.Printf("browser: first result %d of %d, %s, cold then cached", rep+1, cfg.Startups, eng)
				var cold, cached firstRes
				if err := pageIn(fctx, "?phase=first&engine="+eng, 2*time.Minute, &cold); err != nil {
					closeF()
					return err
				}
				if err := pageIn(fctx, "?phase=first&engine="+eng, 2*time.Minute, &cached); err != nil {
					closeF()
					return err
				}
				r := runs[eng]
				r[0], r[1] = append(r[0], cold), append(r[1], cached)
				runs[eng] = r
				if eng == "ours" {
					if u, err := wasmCodeCache(fctx); err != nil {
						log.Printf("browser: Chromium's code-cache counts not read: %v", err)
					} else {
						br.WasmCodeCache = append(br.WasmCodeCache, u)
					}
				}
			}
			var blank firstRes
			if err := pageIn(fctx, "blank.html", time.Minute, &blank); err != nil {
				closeF()
				return err
			}
			blanks = append(blanks, blank.FirstMs)
			closeF()
		}
		for _, eng := range []string{"ours", "ort"} {
			name := map[string]string{"ours": "ours (" + wasmKind + ")", "ort": "onnxruntime-web (1 thread)"}[eng]
			var med [2]firstRes
			for i, visits := range runs[eng] {
				sort.Slice(visits, func(a, b int) bool { return visits[a].FirstMs < visits[b].FirstMs })
				med[i] = visits[len(visits)/2]
				var all []float64
				for _, f := range visits {
					all = append(all, f.FirstMs)
				}
				br.Startup = append(br.Startup, StartupRow{Engine: name, Visit: []string{"cold", "cached"}[i],
					FirstMs: med[i].FirstMs, SecondMs: med[i].SecondMs, Marks: med[i].Marks, AllFirstMs: all})
			}
			firsts[eng] = med
		}
		br.BlankPageMs = blanks
	}

	type pairRes struct {
		Threads             int
		Ours, Ort           []float64
		MaxAbsDiff          float64
		OursLoadMs          float64
		OrtLoadMs           float64
		Version             string
		CrossOriginIsolated bool
		HardwareConcurrency int
	}
	threads := []int{1}
	if runtime.NumCPU() > 1 {
		threads = append(threads, runtime.NumCPU())
	}
	gflop := 2 * float64(set.model.Info.MACs) / 1e9
	var oursTimes []float64
	var oursLoad float64
	for round := 0; round < cfg.Rounds && cfg.phase("pair"); round++ {
		for _, th := range threads {
			var p pairRes
			log.Printf("browser round %d: ours vs onnxruntime-web %d thread(s)", round+1, th)
			if err := page(fmt.Sprintf("phase=pair&threads=%d&runs=%d", th, cfg.Runs), 10*time.Minute, &p); err != nil {
				return err
			}
			br.CrossOriginIsolated, br.HardwareConcurrency = p.CrossOriginIsolated, p.HardwareConcurrency
			oursTimes = append(oursTimes, p.Ours...)
			oursLoad = max(oursLoad, p.OursLoadMs)
			var row *BrowserRow
			for i := range br.Rows {
				if br.Rows[i].Threads == th && !strings.HasPrefix(br.Rows[i].Engine, "ours") {
					row = &br.Rows[i]
				}
			}
			if row == nil {
				br.Rows = append(br.Rows, BrowserRow{Engine: "onnxruntime-web " + p.Version + " (wasm)", Threads: th})
				row = &br.Rows[len(br.Rows)-1]
			}
			row.MedianMs = 0
			row.Runs += len(p.Ort)
			row.LoadMs = max(row.LoadMs, p.OrtLoadMs)
			row.MaxAbsDiff = max(row.MaxAbsDiff, p.MaxAbsDiff)
			row.pairOurs = append(row.pairOurs, p.Ours...)
			row.pairTheirs = append(row.pairTheirs, p.Ort...)
		}
	}
	om, op := stats(oursTimes)
	f := firsts["ours"]
	ours := BrowserRow{Engine: "ours (core/nn/executor wasm, " + wasmKind + ")", Threads: 1, Runs: len(oursTimes), MedianMs: om, P90Ms: op,
		LoadMs: oursLoad, FirstColdMs: f[0].FirstMs, FirstCachedMs: f[1].FirstMs, PeakMemMB: max(f[0].MemMB, f[1].MemMB, f[0].WasmMB, f[1].WasmMB), OursOverThis: 1}
	if om > 0 { // -phases without pair leaves no single-image times
		ours.GFLOPs = gflop / om * 1e3
	}
	for i := range br.Rows {
		r := &br.Rows[i]
		r.MedianMs, r.P90Ms = stats(r.pairTheirs)
		r.GFLOPs = gflop / r.MedianMs * 1e3
		pm, _ := stats(r.pairOurs)
		r.OursOverThis = pm / r.MedianMs // from the same pages: ours and theirs alternated
		if r.Threads == 1 {
			g := firsts["ort"]
			r.FirstColdMs, r.FirstCachedMs, r.PeakMemMB = g[0].FirstMs, g[1].FirstMs, max(g[0].MemMB, g[1].MemMB)
		}
	}
	br.Rows = append([]BrowserRow{ours}, br.Rows...)

	type manyRes struct {
		Workers    int
		OursImages int
		OursIps    float64
		OrtImages  int
		OrtIps     float64
		OrtThreads int
	}
	n := max(16, 4*runtime.NumCPU())
	for _, th := range threads {
		if !cfg.phase("many") {
			break
		}
		// Ours (one worker per core) runs on the first page only; each page
		// then times onnxruntime-web with one thread count.
		var mr manyRes
		log.Printf("browser: many images, onnxruntime-web %d thread(s)", th)
		q := fmt.Sprintf("phase=many&workers=%d&images=%d&ortThreads=%d", runtime.NumCPU(), n, th)
		if th != 1 {
			q += "&ours=0"
		}
		if err := page(q, 10*time.Minute, &mr); err != nil {
			return err
		}
		if th == 1 {
			br.Many = append(br.Many, ManyRow{Engine: "ours (wasm, one worker per core)", Workers: mr.Workers, Images: mr.OursImages, ImagesPerS: mr.OursIps})
		}
		br.Many = append(br.Many, ManyRow{Engine: fmt.Sprintf("onnxruntime-web (wasm, %d thread(s))", th), Workers: 1, Images: mr.OrtImages, ImagesPerS: mr.OrtIps})
	}

	for _, f := range []struct{ name, path string }{
		{"ours: bench-simd.wasm (core/nn/onnxmodel + core/nn/executor, SIMD128)", wasmSIMD},
		{"ours: bench.wasm (core/nn/onnxmodel + core/nn/executor, scalar)", wasmScalar},
		{"onnxruntime-web: ort-wasm-simd-threaded.wasm", filepath.Join(ortDist, "ort-wasm-simd-threaded.wasm")},
		{"onnxruntime-web: ort.wasm.min.mjs (JS glue)", filepath.Join(ortDist, "ort.wasm.min.mjs")},
	} {
		s, err := sizes(f.path)
		if err != nil {
			return err
		}
		s.File = f.name
		br.Sizes = append(br.Sizes, s)
	}
	// The app's own wasm (both builds, when built by make; MYOSEG_APP_WASM
	// adds another).
	for _, p := range []string{"web/dist/myoseg-simd.wasm", "web/dist/myoseg.wasm", os.Getenv("MYOSEG_APP_WASM")} {
		if p == "" {
			continue
		}
		if s, err := sizes(p); err == nil {
			s.File = "ours: app wasm " + filepath.Base(p)
			br.Sizes = append(br.Sizes, s)
		}
	}
	return nil
}

func sizes(path string) (SizeRow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return SizeRow{}, err
	}
	var gz, br bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
	bw.Write(b)
	bw.Close()
	return SizeRow{Raw: len(b), Gzip: gz.Len(), Brotli: br.Len()}, nil
}

// wasmCodeCache reads what Chromium's compiled-code cache did with wasm in
// this browser so far (its SiteIsolatedCodeCache.WASM.Behaviour histogram:
// 0 hit, 1 miss, 3 update, 4 create): a cached start can skip compiling
// only if an earlier visit wrote an entry.
func wasmCodeCache(bctx context.Context) (CodeCacheUse, error) {
	var u CodeCacheUse
	r, err := chromedp.CallBrowser(bctx, browser.GetHistogram, browser.GetHistogramParams{Name: "SiteIsolatedCodeCache.WASM.Behaviour"})
	if err != nil {
		return u, err
	}
	if r.Histogram == nil {
		return u, fmt.Errorf("no SiteIsolatedCodeCache.WASM.Behaviour histogram")
	}
	for _, b := range r.Histogram.Buckets {
		switch b.Low {
		case 0:
			u.Hits += int(b.Count)
		case 1:
			u.Misses += int(b.Count)
		case 3, 4:
			u.Writes += int(b.Count)
		}
	}
	return u, nil
}
