package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"myoseg/core/imaging/field"
	"myoseg/core/imaging/modelio"
	"myoseg/core/nn/engine"
	"myoseg/core/nn/engine/gorgonnx"
	"myoseg/core/nn/executor"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/study/phantom"
)

// imageSet is the shared workload: one model, prepared inputs, on disk too
// (for the node, python and browser sides).
type imageSet struct {
	model     *onnxmodel.Model
	modelPath string
	h, w      int
	inputs    [][]float32
	f32Path   string // inputs back to back, float32 LE
}

func prepare(cfg config, work string) (*imageSet, error) {
	data, err := os.ReadFile(cfg.Model)
	if err != nil {
		return nil, err
	}
	m, err := onnxmodel.Parse(filepath.Base(cfg.Model), data)
	if err != nil {
		return nil, err
	}
	// Every engine reads this snapshot, so a model replaced mid-run cannot
	// give the engines different weights.
	snap := filepath.Join(work, "model.onnx")
	if err := os.WriteFile(snap, data, 0o644); err != nil {
		return nil, err
	}
	s := &imageSet{model: m, modelPath: snap, h: m.Info.InputH, w: m.Info.InputW, f32Path: filepath.Join(work, "inputs.f32")}
	var raw []byte
	for i := 0; i < cfg.Images; i++ {
		smp, err := phantom.Generate(phantom.Config{Seed: 7, PathologicalFraction: 0.5}, i)
		if err != nil {
			return nil, err
		}
		in, err := modelio.Prepare(smp.Image, field.Detect(smp.Image), m.Info)
		if err != nil {
			return nil, fmt.Errorf("phantom %d: %w", i, err)
		}
		s.inputs = append(s.inputs, in.Data)
		for _, v := range in.Data {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
	}
	return s, os.WriteFile(s.f32Path, raw, 0o644)
}

// series is one engine at one thread count.
type series struct {
	load  time.Duration
	times []float64 // ms per image, sequential
	ips   float64   // images/s with all threads busy (0: from times)
	out0  []float32
	ver   string
}

func stats(t []float64) (median, p90 float64) {
	if len(t) == 0 {
		return 0, 0
	}
	s := append([]float64(nil), t...)
	sort.Float64s(s)
	q := func(p float64) float64 { return s[int(math.Min(float64(len(s)-1), math.Round(p*float64(len(s)-1))))] }
	return q(0.5), q(0.9)
}

// runOurs times our engine: sequential latencies with 1 worker, or
// throughput with `threads` workers each running whole images.
func runOurs(ctx context.Context, set *imageSet, threads, runs int, mk func(workers int) (engine.Engine, error)) (series, error) {
	var s series
	t0 := time.Now()
	e, err := mk(threads)
	if err != nil {
		return s, err
	}
	s.load = time.Since(t0)
	out, err := e.Infer(ctx, set.inputs[0])
	if err != nil {
		return s, err
	}
	s.out0 = out
	for i := 0; i < 2*threads; i++ { // warm-up, and build every worker's buffers
		var wg sync.WaitGroup
		for j := 0; j < threads; j++ {
			wg.Add(1)
			go func() { defer wg.Done(); e.Infer(ctx, set.inputs[j%len(set.inputs)]) }()
		}
		wg.Wait()
	}
	if threads == 1 {
		for i := 0; i < runs; i++ {
			st := time.Now()
			if _, err := e.Infer(ctx, set.inputs[i%len(set.inputs)]); err != nil {
				return s, err
			}
			s.times = append(s.times, float64(time.Since(st).Microseconds())/1e3)
		}
		return s, nil
	}
	var mu sync.Mutex
	var next int
	var firstErr error
	st := time.Now()
	var wg sync.WaitGroup
	for j := 0; j < threads; j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= runs {
					return
				}
				is := time.Now()
				_, err := e.Infer(ctx, set.inputs[i%len(set.inputs)])
				mu.Lock()
				s.times = append(s.times, float64(time.Since(is).Microseconds())/1e3)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	s.ips = float64(runs) / time.Since(st).Seconds()
	return s, firstErr
}

type extResult struct {
	Engine  string    `json:"engine"`
	Version string    `json:"version"`
	LoadMs  float64   `json:"load_ms"`
	TimesMs []float64 `json:"times_ms"`
	Output0 []float32 `json:"output0"`
}

// runExternal runs the node or python side and reads its JSON.
func runExternal(ctx context.Context, set *imageSet, threads, runs int, name string, argv ...string) (series, error) {
	out := filepath.Join(filepath.Dir(set.f32Path), fmt.Sprintf("%s-%d.json", name, threads))
	argv = append(argv, set.modelPath, set.f32Path, fmt.Sprint(set.h), fmt.Sprint(set.w), fmt.Sprint(threads), fmt.Sprint(runs), out)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return series{}, fmt.Errorf("%s: %v: %s", name, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return series{}, err
	}
	var r extResult
	if err := json.Unmarshal(b, &r); err != nil {
		return series{}, fmt.Errorf("%s: %w", name, err)
	}
	return series{load: time.Duration(r.LoadMs * 1e6), times: r.TimesMs, out0: r.Output0, ver: r.Version}, nil
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func runNative(ctx context.Context, cfg config, set *imageSet, res *Results) error {
	fast := func(opt executor.Options) func(int) (engine.Engine, error) {
		return func(w int) (engine.Engine, error) { return engine.NewFastWith(set.model, w, opt) }
	}
	gorg := func(w int) (engine.Engine, error) { return gorgonnx.New(set.model, w) }
	simd := executor.SIMD()
	type contender struct {
		name, version string
		threads       int
		runs          int
		do            func(threads, runs int) (series, error)
	}
	threadCounts := []int{1}
	if n := runtime.NumCPU(); n > 1 {
		threadCounts = append(threadCounts, n)
	}
	havePy := exec.Command(cfg.Python, "-c", "import torch, onnx").Run() == nil
	if !havePy {
		res.Notes = append(res.Notes, cfg.Python+" cannot import torch and onnx: PyTorch skipped")
	}
	var list []contender
	for _, th := range threadCounts {
		if simd != "" {
			list = append(list, contender{"ours (fast, " + simd + ")", "", th, cfg.Runs, func(t, r int) (series, error) {
				return runOurs(ctx, set, t, r, fast(executor.Options{}))
			}})
		}
		list = append(list, contender{"ours (fast, portable scalar)", "", th, cfg.Runs, func(t, r int) (series, error) {
			return runOurs(ctx, set, t, r, fast(executor.Options{Portable: true}))
		}})
		if cfg.Gorgonnx {
			list = append(list, contender{"ours (gorgonnx)", "onnx-go v0.5.0", th, max(3, cfg.Runs/10), func(t, r int) (series, error) {
				return runOurs(ctx, set, t, r, gorg)
			}})
		}
		list = append(list, contender{"onnxruntime-node", "", th, cfg.Runs, func(t, r int) (series, error) {
			return runExternal(ctx, set, t, r, "ort", "node", "bench/native/ort.mjs")
		}})
		if havePy {
			list = append(list, contender{"pytorch", "", th, cfg.Runs, func(t, r int) (series, error) {
				return runExternal(ctx, set, t, r, "torch", cfg.Python, "bench/native/torch_bench.py")
			}})
		}
	}
	acc := make([]series, len(list))
	for round := 0; round < cfg.Rounds; round++ {
		for i, c := range list {
			log.Printf("native round %d: %s, %d thread(s)", round+1, c.name, c.threads)
			s, err := c.do(c.threads, c.runs)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			a := &acc[i]
			a.times = append(a.times, s.times...)
			a.load = max(a.load, s.load)
			if s.ips > 0 {
				a.ips += s.ips / float64(cfg.Rounds)
			}
			if a.out0 == nil {
				a.out0, a.ver = s.out0, s.ver
			}
		}
	}
	ref := acc[0].out0 // ours, first contender
	gflop := 2 * float64(set.model.Info.MACs) / 1e9
	for i, c := range list {
		a := acc[i]
		med, p90 := stats(a.times)
		ips := a.ips
		if ips == 0 {
			ips = 1e3 / med
		}
		v := c.version
		if a.ver != "" {
			v = a.ver
		}
		res.Native = append(res.Native, NativeRow{Engine: c.name, Version: v, Threads: c.threads, Runs: len(a.times),
			MedianMs: med, P90Ms: p90, ImagesPerS: ips, GFLOPs: gflop * ips, LoadMs: float64(a.load.Microseconds()) / 1e3,
			MaxAbsDiff: maxDiff(ref, a.out0)})
	}
	// Ratios ours/theirs at each thread count: time per image (higher = ours slower).
	for i := range res.Native {
		r := &res.Native[i]
		for _, o := range res.Native {
			if o.Threads == r.Threads && o.Engine == list[0].name {
				r.OursOverThis = r.ImagesPerS / o.ImagesPerS
			}
		}
	}
	return nil
}
