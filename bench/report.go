package main

import (
	"fmt"
	"strings"
)

// Results is everything one run measured (bench/results.json).
type Results struct {
	Date    string      `json:"date"`
	Machine Machine     `json:"machine"`
	Model   ModelInfo   `json:"model"`
	Images  string      `json:"images"`
	Native  []NativeRow `json:"native"`
	Browser *Browser    `json:"browser,omitempty"`
	Targets []Target    `json:"targets"`
	Notes   []string    `json:"notes,omitempty"`
}

type ModelInfo struct {
	Name  string  `json:"name"`
	File  string  `json:"file"`
	Input string  `json:"input"`
	MACs  int64   `json:"macs"`
	GFLOP float64 `json:"gflop_per_image"`
	Bytes int     `json:"bytes"`
}

type NativeRow struct {
	Engine       string  `json:"engine"`
	Version      string  `json:"version,omitempty"`
	Threads      int     `json:"threads"`
	Runs         int     `json:"runs"`
	MedianMs     float64 `json:"median_ms"`
	P90Ms        float64 `json:"p90_ms"`
	ImagesPerS   float64 `json:"images_per_s"`
	GFLOPs       float64 `json:"achieved_gflops"`
	LoadMs       float64 `json:"load_ms"`
	MaxAbsDiff   float64 `json:"max_abs_diff_vs_ours"`
	OursOverThis float64 `json:"ratio_ours_over_this"` // our time per image / this engine's
}

type Browser struct {
	Chromium            string       `json:"chromium"`
	JSFlags             string       `json:"js_flags,omitempty"` // -js-flags: an experiment, not a browser as users run it
	CrossOriginIsolated bool         `json:"cross_origin_isolated"`
	HardwareConcurrency int          `json:"hardware_concurrency"`
	Rows                []BrowserRow `json:"single_image"`
	Many                []ManyRow    `json:"many_images"`
	Startup             []StartupRow `json:"startup"`
	// WasmCodeCache: per start-up repetition, what Chromium's code cache
	// did with our wasm over its cold and cached visits.
	WasmCodeCache []CodeCacheUse `json:"wasm_code_cache"`
	// BlankPageMs: per repetition, when a page with nothing to load runs
	// its first script (bench/web/blank.html): the floor under start-up.
	BlankPageMs []float64 `json:"blank_page_ms"`
	Sizes       []SizeRow `json:"download_sizes"`
}

// CodeCacheUse counts Chromium's compiled-code cache lookups for wasm
// that hit or missed, and the entries it wrote.
type CodeCacheUse struct {
	Hits   int `json:"hits"`
	Misses int `json:"misses"`
	Writes int `json:"writes"`
}

// StartupRow is one first-result page: when each start-up step ended, in
// ms since navigation start, and the second image's time (the first image
// also pays for first calls and first writes to new memory).
type StartupRow struct {
	Engine   string             `json:"engine"`
	Visit    string             `json:"visit"` // cold (fresh profile) or cached
	FirstMs  float64            `json:"first_result_ms"`
	SecondMs float64            `json:"second_image_ms"`
	Marks    map[string]float64 `json:"steps_ms"`
	// AllFirstMs: every repetition's first result; the row is the median one.
	AllFirstMs []float64 `json:"all_first_result_ms"`
}

// startupSteps orders the page's marks (bench/web/bench.js).
var startupSteps = []string{"page", "meta", "inputs", "script", "instantiate", "modelFetch", "goRun", "modelCompile", "firstInference"}

type BrowserRow struct {
	Engine        string    `json:"engine"`
	Threads       int       `json:"threads"`
	Runs          int       `json:"runs"`
	MedianMs      float64   `json:"median_ms"`
	P90Ms         float64   `json:"p90_ms"`
	LoadMs        float64   `json:"load_ms"`
	FirstColdMs   float64   `json:"first_result_cold_ms"`
	FirstCachedMs float64   `json:"first_result_cached_ms"`
	PeakMemMB     float64   `json:"peak_memory_mb"`
	GFLOPs        float64   `json:"achieved_gflops"`
	MaxAbsDiff    float64   `json:"max_abs_diff_vs_ours"`
	OursOverThis  float64   `json:"ratio_ours_over_this"`
	pairOurs      []float64 // our times from the pages this engine ran in
	pairTheirs    []float64
}

type ManyRow struct {
	Engine     string  `json:"engine"`
	Workers    int     `json:"workers"`
	Images     int     `json:"images"`
	ImagesPerS float64 `json:"images_per_s"`
}

type SizeRow struct {
	File   string `json:"file"`
	Raw    int    `json:"raw"`
	Gzip   int    `json:"gzip"`
	Brotli int    `json:"brotli"`
}

type Target struct {
	What     string `json:"what"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

func targets(r *Results) []Target {
	var t []Target
	find := func(engine string, threads int) *NativeRow {
		for i := range r.Native {
			if strings.HasPrefix(r.Native[i].Engine, engine) && r.Native[i].Threads == threads {
				return &r.Native[i]
			}
		}
		return nil
	}
	for _, th := range []int{1, r.Machine.Cores} {
		if o := find("onnxruntime-node", th); o != nil {
			goal := 3.0 // issue 14: ≤ 1.5× at 1 thread
			if th == 1 {
				goal = 1.5
			}
			t = append(t, Target{What: fmt.Sprintf("native, %d thread(s): ours (best build) / onnxruntime-node time per image", th),
				Target: fmt.Sprintf("≤ %.1f×", goal), Measured: fmt.Sprintf("%.2f×", o.OursOverThis), Met: o.OursOverThis <= goal})
		}
		if th == 1 && r.Machine.Cores == 1 {
			break
		}
	}
	// A browser run with -js-flags is an experiment: it meets no target.
	if b := r.Browser; b != nil && b.JSFlags == "" {
		var ours, ort1 *BrowserRow
		for i := range b.Rows {
			switch {
			case strings.HasPrefix(b.Rows[i].Engine, "ours"):
				ours = &b.Rows[i]
			case b.Rows[i].Threads == 1:
				ort1 = &b.Rows[i]
			}
		}
		if ours != nil && ort1 != nil {
			t = append(t, Target{What: "browser, one image: ours / onnxruntime-web 1-thread wasm", Target: "≤ 1.0×",
				Measured: fmt.Sprintf("%.2f×", ort1.OursOverThis), Met: ort1.OursOverThis <= 1})
		}
		if ours != nil {
			t = append(t, Target{What: "browser, one image: our median latency", Target: "≤ 500 ms",
				Measured: fmt.Sprintf("%.0f ms", ours.MedianMs), Met: ours.MedianMs > 0 && ours.MedianMs <= 500})
			t = append(t, Target{What: "browser: model + app cold start to first result", Target: "≤ 1000 ms",
				Measured: fmt.Sprintf("%.0f ms", ours.FirstColdMs), Met: ours.FirstColdMs > 0 && ours.FirstColdMs <= 1000})
			t = append(t, Target{What: "browser: cached start to first result", Target: "≤ 600 ms",
				Measured: fmt.Sprintf("%.0f ms", ours.FirstCachedMs), Met: ours.FirstCachedMs > 0 && ours.FirstCachedMs <= 600})
			t = append(t, Target{What: "browser: peak memory per worker (JS heap + wasm memory)", Target: "≤ 300 MB",
				Measured: fmt.Sprintf("%.0f MB", ours.PeakMemMB), Met: ours.PeakMemMB > 0 && ours.PeakMemMB <= 300})
		}
		// Many images: against onnxruntime-web's best configuration (1 thread
		// or all threads, whichever gave more images/s in this run).
		var oursMany, ortMany *ManyRow
		for i := range b.Many {
			if strings.HasPrefix(b.Many[i].Engine, "ours") {
				oursMany = &b.Many[i]
			} else if ortMany == nil || b.Many[i].ImagesPerS > ortMany.ImagesPerS {
				ortMany = &b.Many[i]
			}
		}
		if oursMany != nil && ortMany != nil {
			f := oursMany.ImagesPerS / ortMany.ImagesPerS
			t = append(t, Target{What: "browser, many images: ours (one worker per core) / onnxruntime-web's best configuration (" + ortMany.Engine + "), images/s",
				Target: "≥ 1.0", Measured: fmt.Sprintf("%.2f", f), Met: f >= 1})
		}
		for _, s := range b.Sizes {
			if strings.HasPrefix(s.File, "ours") {
				t = append(t, Target{What: "wasm download, brotli: " + s.File, Target: "≤ 2 MB",
					Measured: fmt.Sprintf("%.2f MB", float64(s.Brotli)/1e6), Met: s.Brotli <= 2e6})
			}
		}
	}
	return t
}

func markdown(r *Results) string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("# myoseg benchmark\n\n%s · %s, %d cores (%s MHz; %s) · %s %s\n\n", r.Date, r.Machine.CPU, r.Machine.Cores, r.Machine.MHz, r.Machine.Flags, r.Machine.Go, r.Machine.GOOS)
	p("Model %s (%s), input %s, %.3f GMAC = %.2f GFLOP per image. Images: %s.\n\n", r.Model.Name, r.Model.File, r.Model.Input, float64(r.Model.MACs)/1e9, r.Model.GFLOP, r.Images)
	pk := r.Machine.Peaks
	p("Single-core peaks (measured, register-only multiply-add loops): scalar %.1f GFLOP/s", pk.ScalarGFLOPs)
	if pk.SIMDGFLOPs > 0 {
		p(", SIMD (%s) %.1f GFLOP/s", pk.SIMDKind, pk.SIMDGFLOPs)
	}
	p(".\n\n")
	if len(r.Notes) > 0 {
		for _, n := range r.Notes {
			p("> **Note:** %s\n", n)
		}
		p("\n")
	}
	if len(r.Native) > 0 {
		p("## Native (same process for ours; node and python for theirs; engines alternate per round)\n\n")
		p("| engine | threads | runs | median ms | p90 ms | images/s | GFLOP/s | ours/this (time) | load ms | max |Δ| vs ours |\n|---|---|---|---|---|---|---|---|---|---|\n")
		for _, n := range r.Native {
			v := n.Engine
			if n.Version != "" {
				v += " " + n.Version
			}
			p("| %s | %d | %d | %.1f | %.1f | %.2f | %.2f | %.2f | %.0f | %.1e |\n", v, n.Threads, n.Runs, n.MedianMs, n.P90Ms, n.ImagesPerS, n.GFLOPs, n.OursOverThis, n.LoadMs, n.MaxAbsDiff)
		}
		p("\nAt 1 thread, images/s = 1000/median. At all cores, ours runs one image per worker (images/s from wall time, median/p90 are per-image latencies under load); onnxruntime and PyTorch use their intra-op threads on one image at a time.\n\n")
	}
	if br := r.Browser; br != nil {
		p("## Browser (%s, headless; crossOriginIsolated=%v, hardwareConcurrency=%d)\n\n", br.Chromium, br.CrossOriginIsolated, br.HardwareConcurrency)
		if br.JSFlags != "" {
			p("**An experiment: Chromium ran with `--js-flags=%s`, not as users run it.**\n\n", br.JSFlags)
		}
		p("| engine | threads | runs | median ms | p90 ms | GFLOP/s | ours/this | load ms | first result cold ms | cached ms | peak MB | max |Δ| vs ours |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, x := range br.Rows {
			p("| %s | %d | %d | %.1f | %.1f | %.2f | %.2f | %.0f | %.0f | %.0f | %.0f | %.1e |\n", x.Engine, x.Threads, x.Runs, x.MedianMs, x.P90Ms, x.GFLOPs, x.OursOverThis, x.LoadMs, x.FirstColdMs, x.FirstCachedMs, x.PeakMemMB, x.MaxAbsDiff)
		}
		if len(br.Many) > 0 {
			p("\n| many images | workers | images | images/s |\n|---|---|---|---|\n")
			for _, m := range br.Many {
				p("| %s | %d | %d | %.2f |\n", m.Engine, m.Workers, m.Images, m.ImagesPerS)
			}
		}
		if len(br.Startup) > 0 {
			p("\nStart-up, ms since navigation start at the end of each step (`page`: the page's script starts; `meta`: a first small fetch; `inputs`: the page has fetched the test images; `script`: the engine's JS; `instantiate`: wasm compiled and instantiated; `goRun`: Go's runtime started; `modelCompile`: model parsed and compiled; `firstInference`: the first result), the second image's time, and the first result of every repetition (each in a fresh browser; the row is the median one):\n\n")
			p("| engine | visit |")
			for _, st := range startupSteps {
				p(" %s |", st)
			}
			p(" second image ms | repetitions ms |\n|---|---|")
			for range startupSteps {
				p("---|")
			}
			p("---|---|\n")
			for _, u := range br.Startup {
				p("| %s | %s |", u.Engine, u.Visit)
				for _, st := range startupSteps {
					if v, ok := u.Marks[st]; ok {
						p(" %.0f |", v)
					} else {
						p(" |")
					}
				}
				var all []string
				for _, v := range u.AllFirstMs {
					all = append(all, fmt.Sprintf("%.0f", v))
				}
				p(" %.0f | %s |\n", u.SecondMs, strings.Join(all, ", "))
			}
			if len(br.BlankPageMs) > 0 {
				var all []string
				for _, v := range br.BlankPageMs {
					all = append(all, fmt.Sprintf("%.0f", v))
				}
				p("\nA blank page (bench/web/blank.html, same server and headers, a fresh tab in the same browsers) runs its first script at: %s ms.\n", strings.Join(all, ", "))
			}
			if len(br.WasmCodeCache) > 0 {
				var rs []string
				for _, u := range br.WasmCodeCache {
					rs = append(rs, fmt.Sprintf("%d hits, %d misses, %d written", u.Hits, u.Misses, u.Writes))
				}
				p("\nChromium's compiled-code cache for our wasm over each repetition's two visits: %s.\n", strings.Join(rs, "; "))
			}
		}
		if len(br.Sizes) > 0 {
			p("\n| download | raw | gzip -9 | brotli -11 |\n|---|---|---|---|\n")
			for _, s := range br.Sizes {
				p("| %s | %.2f MB | %.2f MB | %.2f MB |\n", s.File, float64(s.Raw)/1e6, float64(s.Gzip)/1e6, float64(s.Brotli)/1e6)
			}
		}
		p("\n")
	}
	if len(r.Targets) > 0 {
		p("## Targets\n\n| target | goal | measured | met |\n|---|---|---|---|\n")
		for _, t := range r.Targets {
			m := "no"
			if t.Met {
				m = "yes"
			}
			p("| %s | %s | %s | %s |\n", t.What, t.Target, t.Measured, m)
		}
	}
	return b.String()
}
