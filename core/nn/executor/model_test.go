package executor

import (
	"encoding/binary"
	"math"
	"os"
	"strings"
	"testing"
)

const shipped = "../../../models/myoseg-unet-phantom-v4"

func readF32(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("fixture (shipped with the repository): %v", err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func loadShipped(t testing.TB) *Net { return loadShippedTile(t, 4) }

func loadShippedTile(t testing.TB, tile int) *Net {
	t.Helper()
	data, err := os.ReadFile(shipped + ".onnx")
	if err != nil {
		t.Fatalf("model (shipped with the repository): %v", err)
	}
	n, err := compile("shipped.onnx", data, nil, Options{}, tile)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func maxAbsDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

// The shipped model must reproduce PyTorch's fixture with the SIMD path
// (where built) and the portable path alike, run after run, and the vector
// kernels must agree with the scalar ones.
func TestShippedModelParity(t *testing.T) {
	n := loadShipped(t)
	in := readF32(t, shipped+".parity-input.f32")
	want := readF32(t, shipped+".parity-output.f32")
	const thr = 0.5
	outs := map[string][]float32{}
	for _, mode := range modes {
		if mode == "portable-f2" {
			n = loadShippedTile(t, 2)
		}
		setMode(n, mode)
		r := n.NewRunner()
		for run := 0; run < 2; run++ {
			got, err := r.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d outputs, want %d", len(got), len(want))
			}
			d := maxAbsDiff(got, want)
			flips := 0
			for i := range got {
				if (got[i] > thr) != (want[i] > thr) {
					flips++
				}
			}
			if d > 1e-4 || flips != 0 {
				t.Errorf("%s run %d: max abs diff %g, %d threshold flips", mode, run, d, flips)
			}
			t.Logf("%s run %d: max abs diff %g", mode, run, d)
			outs[mode] = append(outs[mode][:0], got...)
		}
	}
	for _, mode := range []string{"simd", "simd-direct"} {
		if d := maxAbsDiff(outs[mode], outs["portable"]); d > 1e-4 {
			t.Errorf("%s (%s) vs portable: max abs diff %g", mode, SIMD(), d)
		}
	}
	setMode(n, "simd")
}

// modes: the SIMD kernels (where built; else the portable path), the SIMD
// direct kernels only (no Winograd), the portable path (Winograd where it
// applies), with F(2×2) tiles, and the portable direct kernel.
var modes = []string{"simd", "simd-direct", "portable", "portable-f2", "portable-direct"}

func setMode(n *Net, mode string) {
	for _, s := range n.steps {
		switch c := s.(type) {
		case *convStep:
			c.scalar = !strings.HasPrefix(mode, "simd")
			c.noWino = strings.HasSuffix(mode, "-direct")
		case *poolStep:
			c.vec = strings.HasPrefix(mode, "simd")
		}
	}
}

func BenchmarkShippedModel(b *testing.B) {
	n := loadShipped(b)
	in := readF32(b, shipped+".parity-input.f32")
	for _, mode := range modes {
		if strings.HasPrefix(mode, "simd") && SIMD() == "" {
			continue
		}
		if mode == "portable-f2" {
			n = loadShippedTile(b, 2)
		}
		b.Run(mode, func(b *testing.B) {
			setMode(n, mode)
			defer setMode(n, "simd")
			r := n.NewRunner()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Run(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n.MACs())*2*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
