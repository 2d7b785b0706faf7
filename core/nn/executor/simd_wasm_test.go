//go:build goexperiment.simd && wasm && go1.27

package executor

import (
	"math"
	"testing"
)

func TestSigmoid4(t *testing.T) {
	var worst float64
	for x := -100.0; x <= 100; x += 0.0137 {
		var in [4]float32
		for j := range in {
			in[j] = float32(x + float64(j)*0.003)
		}
		var out [4]float32
		sigmoid4(load4(in[:])).Store(out[:])
		for j, v := range out {
			want := 1 / (1 + math.Exp(-float64(in[j])))
			worst = math.Max(worst, math.Abs(float64(v)-want))
		}
	}
	if worst > 1e-7 {
		t.Errorf("sigmoid4: max abs error %g, want ≤ 1e-7", worst)
	}
	t.Logf("sigmoid4: max abs error %g", worst)
}
