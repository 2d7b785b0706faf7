//go:build goexperiment.simd && amd64 && go1.27

package executor

import (
	"math"
	"testing"

	"simd/archsimd"
)

// checkSigmoid compares a vector sigmoid of lanes lanes with float64 over
// [-100, 100].
func checkSigmoid(t *testing.T, name string, lanes int, f func(in, out []float32)) {
	t.Helper()
	var worst float64
	in, out := make([]float32, lanes), make([]float32, lanes)
	for x := -100.0; x <= 100; x += 0.0137 {
		for j := range in {
			in[j] = float32(x + float64(j)*0.003)
		}
		f(in, out)
		for j, v := range out {
			want := 1 / (1 + math.Exp(-float64(in[j])))
			worst = math.Max(worst, math.Abs(float64(v)-want))
		}
	}
	if worst > 1e-7 {
		t.Errorf("%s: max abs error %g, want ≤ 1e-7", name, worst)
	}
	t.Logf("%s: max abs error %g", name, worst)
}

func TestSigmoid16(t *testing.T) {
	if !haveAVX512 {
		t.Skip("no AVX-512")
	}
	checkSigmoid(t, "sigmoid16", 16, func(in, out []float32) { sigmoid16(archsimd.LoadFloat32x16(in)).Store(out) })
}

func TestSigmoid8(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	checkSigmoid(t, "sigmoid8", 8, func(in, out []float32) { sigmoid8(archsimd.LoadFloat32x8(in)).Store(out) })
}

// TestAVX2Kernels runs the conv, op and shipped-model tests again with
// AVX-512 turned off, on a machine that has it: the AVX2+FMA kernels
// (direct 4 × 16, Winograd on 8 tiles) are what AVX2-only servers run.
func TestAVX2Kernels(t *testing.T) {
	if !haveAVX512 || !haveAVX2 {
		t.Skip("needs AVX-512 to turn off (without it the other tests already run AVX2)")
	}
	haveAVX512 = false
	defer func() { haveAVX512 = true }()
	t.Run("conv", TestConv)
	t.Run("ops", TestOps)
	t.Run("shipped model", TestShippedModelParity)
}

// BenchmarkShippedModelAVX2 times the shipped model with AVX-512 turned off:
// what an AVX2-only server runs (Winograd, then the direct kernels only).
func BenchmarkShippedModelAVX2(b *testing.B) {
	if !haveAVX2 {
		b.Skip("no AVX2")
	}
	n := loadShipped(b)
	in := readF32(b, shipped+".parity-input.f32")
	was := haveAVX512
	haveAVX512 = false
	defer func() { haveAVX512 = was }()
	for _, mode := range []string{"simd", "simd-direct"} {
		b.Run(mode, func(b *testing.B) {
			setMode(n, mode)
			defer setMode(n, "simd")
			r := n.NewRunner()
			for b.Loop() {
				if _, err := r.Run(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n.MACs())*2*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
