package main

import (
	"os"
	"runtime"
	"strings"
	"time"
)

// Peaks are the machine's measured single-core float32 limits: a loop of
// independent multiply-adds with no memory traffic, the best any engine
// could do on one core.
type Peaks struct {
	ScalarGFLOPs float64 `json:"scalar_gflops"` // Go scalar a*b+c (mul and add; Go does not fuse on amd64)
	SIMDGFLOPs   float64 `json:"simd_gflops"`   // widest vector FMA available to this build (0: not built with GOEXPERIMENT=simd)
	SIMDKind     string  `json:"simd_kind"`
}

func bestOf(n int, f func() float64) float64 {
	var b float64
	for i := 0; i < n; i++ {
		b = max(b, f())
	}
	return b
}

// scalarPeak runs 8 independent multiply-add chains.
func scalarPeak() float64 {
	const iters = 20_000_000
	a := [8]float32{1, 1, 1, 1, 1, 1, 1, 1}
	m, c := float32(0.9999999), float32(1e-7)
	st := time.Now()
	a0, a1, a2, a3, a4, a5, a6, a7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
	for i := 0; i < iters; i++ {
		a0 = a0*m + c
		a1 = a1*m + c
		a2 = a2*m + c
		a3 = a3*m + c
		a4 = a4*m + c
		a5 = a5*m + c
		a6 = a6*m + c
		a7 = a7*m + c
	}
	sink = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
	return 8 * 2 * iters / time.Since(st).Seconds() / 1e9
}

var sink float32

func measurePeaks() Peaks {
	p := Peaks{ScalarGFLOPs: bestOf(3, scalarPeak)}
	p.SIMDGFLOPs, p.SIMDKind = simdPeak()
	return p
}

// Machine describes where the numbers were taken.
type Machine struct {
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	MHz      string `json:"mhz"`
	Flags    string `json:"simd_flags"`
	Go       string `json:"go"`
	GOOS     string `json:"goos_goarch"`
	Peaks    Peaks  `json:"peaks_single_core"`
	Chromium string `json:"chromium,omitempty"`
	Node     string `json:"node,omitempty"`
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), GOOS: runtime.GOOS + "/" + runtime.GOARCH}
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case k == "model name" && m.CPU == "":
			m.CPU = v
		case k == "cpu MHz" && m.MHz == "":
			m.MHz = v
		case k == "flags" && m.Flags == "":
			var keep []string
			for _, f := range strings.Fields(v) {
				switch f {
				case "sse4_2", "avx", "avx2", "fma", "avx512f", "avx512vl", "avx512_vnni", "avx512_bf16":
					keep = append(keep, f)
				}
			}
			m.Flags = strings.Join(keep, " ")
		}
	}
	return m
}
