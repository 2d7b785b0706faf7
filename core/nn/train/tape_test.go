package train

import (
	"encoding/binary"
	"math"
	"os"
	"testing"

	"myoseg/core/nn/executor"
	"myoseg/core/nn/onnxpb"
)

const modelPath = "../../../models/myoseg-unet-phantom-v1.onnx"

func loadModel(t testing.TB) ([]byte, *onnxpb.Model, []float32) {
	t.Helper()
	b, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnxpb.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../../models/myoseg-unet-phantom-v1.parity-input.f32")
	if err != nil {
		t.Fatal(err)
	}
	in := make([]float32, len(raw)/4)
	for i := range in {
		in[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return b, m, in
}

func newTestTape(t testing.TB, k int) (*tape, []float32, []byte) {
	b, m, in := loadModel(t)
	g, err := parse(m)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := newTape(b, m, g, k)
	if err != nil {
		t.Fatal(err)
	}
	return tp, in, b
}

// The tape's forward is the executor's, whatever part of it is frozen.
func TestForwardMatchesExecutor(t *testing.T) {
	b, _, in := loadModel(t)
	net, err := executor.Compile("ref", b, executor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := net.NewRunner().Run(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{-1, 1, 3, 4, 7} {
		tp, _, _ := newTestTape(t, k)
		_, got, err := tp.forward(in)
		if err != nil {
			t.Fatal(err)
		}
		var worst float64
		for i := range want {
			worst = max(worst, math.Abs(float64(got[i]-want[i])))
		}
		if worst > 1e-4 {
			t.Fatalf("last %d trained: max |tape − executor| = %g", k, worst)
		}
		wantParams := 2 * k
		if k < 0 {
			wantParams = 2 * len(tp.g.convs)
		}
		if len(tp.order) != wantParams {
			t.Fatalf("last %d trained: %d parameter tensors, want %d", k, len(tp.order), wantParams)
		}
	}
}

// Backward agrees with central finite differences of the loss, for a
// weight in the first, a middle and the last convolution.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	tp, in, _ := newTestTape(t, -1)
	n := len(in)
	mask := make([]float32, n)
	for i := range mask {
		if y, x := i/256, i%256; y > 60 && y < 160 && x > 50 && x < 200 {
			mask[i] = 1
		}
	}
	dz := make([]float32, n)
	loss := func() float64 {
		z, p, err := tp.forward(in)
		if err != nil {
			t.Fatal(err)
		}
		return diceBCE(z, p, mask, dz)
	}
	loss()
	tp.backward(dz)
	grads := map[string][]float32{}
	for _, p := range tp.order {
		grads[p.name] = append([]float32(nil), p.g...)
	}
	checked := 0
	for _, c := range []struct {
		name string
		i    int
	}{{"enc.0.0.conv.weight", 4}, {"enc.2.1.conv.bias", 3}, {"up.1.conv.weight", 100}, {"dec.3.0.conv.weight", 50}, {"head.weight", 2}, {"head.bias", 0}} {
		p := tp.params[c.name]
		if p == nil {
			t.Fatalf("%s is not trained", c.name)
		}
		g := float64(grads[c.name][c.i])
		w0 := p.w[c.i]
		h := float32(1e-2) * max(1, float32(math.Abs(float64(w0))))
		p.w[c.i] = w0 + h
		lp := loss()
		p.w[c.i] = w0 - h
		lm := loss()
		p.w[c.i] = w0
		fd := (lp - lm) / float64(2*h)
		if math.Abs(fd-g) > 0.05*math.Abs(fd)+1e-5 {
			t.Errorf("%s[%d]: backward %.6g, finite difference %.6g", c.name, c.i, g, fd)
		}
		if g == 0 {
			t.Errorf("%s[%d]: zero gradient", c.name, c.i)
		}
		checked++
	}
	if checked != 6 {
		t.Fatal("not all checked")
	}
}

func benchStep(b *testing.B, k int) {
	tp, in, _ := newTestTape(b, k)
	mask := make([]float32, len(in))
	for i := range mask {
		if i%3 == 0 {
			mask[i] = 1
		}
	}
	dz := make([]float32, len(in))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z, p, err := tp.forward(in)
		if err != nil {
			b.Fatal(err)
		}
		diceBCE(z, p, mask, dz)
		tp.backward(dz)
		tp.adam(1e-3, i+1, 1)
	}
}

func BenchmarkStepFull(b *testing.B)  { benchStep(b, -1) }
func BenchmarkStepLast1(b *testing.B) { benchStep(b, 1) }
func BenchmarkStepLast3(b *testing.B) { benchStep(b, 3) }
func BenchmarkStepLast4(b *testing.B) { benchStep(b, 4) }
func BenchmarkStepLast7(b *testing.B) { benchStep(b, 7) }
