//go:build goexperiment.simd && amd64 && go1.27

package executor

import (
	"math"
	"testing"

	"simd/archsimd"
)

func TestSigmoid16(t *testing.T) {
	if !haveAVX512 {
		t.Skip("no AVX-512")
	}
	var worst float64
	for x := -100.0; x <= 100; x += 0.0137 {
		var in, out [16]float32
		for j := range in {
			in[j] = float32(x + float64(j)*0.003)
		}
		sigmoid16(archsimd.LoadFloat32x16(in[:])).Store(out[:])
		for j, v := range out {
			want := 1 / (1 + math.Exp(-float64(in[j])))
			worst = math.Max(worst, math.Abs(float64(v)-want))
		}
	}
	if worst > 1e-7 {
		t.Errorf("sigmoid16: max abs error %g, want ≤ 1e-7", worst)
	}
	t.Logf("sigmoid16: max abs error %g", worst)
}
