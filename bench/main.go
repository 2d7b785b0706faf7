// Command bench measures myoseg's engines against what people would use
// instead, on the same model and the same images, in the same run:
//
//	native:  our fast engine (and gorgonnx) vs onnxruntime-node and PyTorch (CPU),
//	         at 1 thread and at all cores: images/s, achieved GFLOP/s, ratios;
//	browser: our wasm vs onnxruntime-web (wasm backend, 1 thread and all
//	         threads) in one headless Chromium, in alternation.
//
// Run from the repository root (see docs/performance.md):
//
//	(cd bench && npm install --ignore-scripts)
//	GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd go run ./bench   # writes bench/results.md and bench/results.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.Model, "model", "models/myoseg-unet-phantom-v4.onnx", "ONNX model (must pass core/nn/onnxmodel validation)")
	flag.IntVar(&cfg.Images, "images", 8, "phantom images (480×512) to prepare and cycle through")
	flag.IntVar(&cfg.Runs, "runs", 30, "timed runs per engine and thread count, per round")
	flag.IntVar(&cfg.Rounds, "rounds", 2, "rounds: engines alternate within each round")
	flag.StringVar(&cfg.Out, "out", "bench/results", "output stem (.md and .json)")
	flag.BoolVar(&cfg.SkipNative, "no-native", false, "skip the native comparison")
	flag.BoolVar(&cfg.SkipBrowser, "no-browser", false, "skip the browser comparison")
	flag.BoolVar(&cfg.Gorgonnx, "gorgonnx", true, "also time the gorgonnx engine (slow: fewer runs)")
	flag.BoolVar(&cfg.WasmSIMD, "wasm-simd", true, "time our SIMD128 wasm in the browser (false: the scalar build)")
	flag.StringVar(&cfg.Chromium, "chromium", "/usr/bin/chromium", "Chromium binary")
	flag.StringVar(&cfg.JSFlags, "js-flags", "", "V8 flags for Chromium, for experiments (e.g. --wasm-caching-hard-threshold=20000 makes it write its wasm code cache at once); the report names them")
	flag.IntVar(&cfg.Startups, "startups", 3, "start-up repetitions, each in a fresh browser (the report takes the median)")
	flag.StringVar(&cfg.Phases, "phases", "first,pair,many", "browser phases to run: first (start-up), pair (one image, alternating), many (throughput)")
	flag.StringVar(&cfg.Python, "python", "/usr/bin/python3", "Python with torch (skipped when it cannot import torch)")
	flag.Parse()
	log.SetFlags(0)
	if err := runAll(cfg); err != nil {
		log.Fatal("bench: ", err)
	}
}

type config struct {
	Model                   string
	Images, Runs, Rounds    int
	Startups                int
	Out                     string
	SkipNative, SkipBrowser bool
	Gorgonnx, WasmSIMD      bool
	Chromium, Python        string
	JSFlags                 string
	Phases                  string
}

// phase reports whether the browser phase name was asked for (-phases).
func (c config) phase(name string) bool {
	return slices.Contains(strings.Split(c.Phases, ","), name)
}

func runAll(cfg config) error {
	ctx := context.Background()
	work, err := os.MkdirTemp("", "myoseg-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	set, err := prepare(cfg, work)
	if err != nil {
		return err
	}
	res := &Results{
		Date:    time.Now().UTC().Format(time.RFC3339),
		Machine: machine(),
		Model: ModelInfo{Name: set.model.Info.Name, File: cfg.Model, Input: fmt.Sprintf("1×1×%d×%d", set.h, set.w),
			MACs: set.model.Info.MACs, GFLOP: 2 * float64(set.model.Info.MACs) / 1e9, Bytes: set.model.Info.Bytes},
		Images: fmt.Sprintf("%d phantom images 480×512 (core/study/phantom seed 7), field-cropped and resized by core/imaging/modelio.Prepare", len(set.inputs)),
	}
	if busy := otherLoad(); busy != "" {
		res.Notes = append(res.Notes, "other CPU load before the run: "+busy+" (timings are not valid)")
	}
	// Other processes' CPU use is checked per phase: a phase that shared
	// the cores with someone else is reported as not valid.
	phase := func(name string, f func() error) error {
		a, t0 := othersCPU(), time.Now()
		err := f()
		if busy := busyDuring(a, othersCPU(), time.Since(t0).Seconds()); busy != "" {
			res.Notes = append(res.Notes, name+": "+busy+"; its timings are not valid")
		}
		return err
	}
	phase("peaks", func() error { res.Machine.Peaks = measurePeaks(); return nil })
	if !cfg.SkipNative {
		if err := phase("native", func() error { return runNative(ctx, cfg, set, res) }); err != nil {
			return fmt.Errorf("native: %w", err)
		}
	}
	if !cfg.SkipBrowser {
		if err := phase("browser", func() error { return runBrowser(ctx, cfg, set, res, work) }); err != nil {
			res.Notes = append(res.Notes, "browser: "+err.Error())
			log.Print("browser: ", err)
		}
	}
	res.Targets = targets(res)
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.Out+".json", js, 0o644); err != nil {
		return err
	}
	md := markdown(res)
	if err := os.WriteFile(cfg.Out+".md", []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Print(md)
	return nil
}

// otherLoad names CPU-heavy processes that are not this benchmark, so a
// run on a busy machine says so instead of passing as valid.
func otherLoad() string {
	var l1 float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscan(string(b), &l1)
	}
	if l1 > 0.5*float64(runtime.NumCPU())+0.5 {
		return fmt.Sprintf("1-minute load average %.2f on %d cores at start", l1, runtime.NumCPU())
	}
	return ""
}
