package train

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"myoseg/core/nn/onnxmodel"
)

func fakePairs(n, patients int, in []float32) []Pair {
	var ps []Pair
	for i := 0; i < n; i++ {
		m := make([]float32, len(in))
		for j := range m {
			if y := j / 256; y > 60+i && y < 150 {
				m[j] = 1
			}
		}
		ps = append(ps, Pair{Input: in, Mask: m, Patient: fmt.Sprintf("P%d", i%patients)})
	}
	return ps
}

func TestAdaptRefusesWhatItCannotValidate(t *testing.T) {
	b, _, in := loadModel(t)
	ctx := context.Background()
	_, err := Adapt(ctx, b, fakePairs(7, 3, in), Options{})
	if !errors.Is(err, ErrTooFew) || !strings.Contains(err.Error(), "at least 8") {
		t.Errorf("7 images: %v", err)
	}
	_, err = Adapt(ctx, b, fakePairs(10, 1, in), Options{})
	if !errors.Is(err, ErrOnePatient) {
		t.Errorf("one patient: %v", err)
	}
	ps := fakePairs(8, 4, in)
	ps[3].Patient = ""
	if _, err = Adapt(ctx, b, ps, Options{}); err == nil || !strings.Contains(err.Error(), "no patient ID") {
		t.Errorf("missing patient: %v", err)
	}
	ps = fakePairs(8, 4, in)
	ps[2].Mask = ps[2].Mask[:100]
	if _, err = Adapt(ctx, b, ps, Options{}); err == nil || !strings.Contains(err.Error(), "image 2") {
		t.Errorf("short mask: %v", err)
	}
	if _, err = Adapt(ctx, []byte("not onnx"), fakePairs(8, 4, in), Options{}); err == nil {
		t.Error("garbage model accepted")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err = Adapt(cancelled, b, fakePairs(8, 4, in), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestSplitByPatientKeepsPatientsWhole(t *testing.T) {
	ps := fakePairs(16, 6, []float32{0})
	tr, he, tp, hp, err := splitByPatient(ps, 0.25, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(hp) != 2 || len(tp) != 4 || len(tr)+len(he) != 16 {
		t.Fatalf("patients %v / %v, images %d / %d", tp, hp, len(tr), len(he))
	}
	in := map[string]bool{}
	for _, p := range he {
		in[p.Patient] = true
	}
	for _, p := range tr {
		if in[p.Patient] {
			t.Fatalf("patient %s on both sides", p.Patient)
		}
	}
	_, _, _, hp2, _ := splitByPatient(ps, 0.25, 3)
	if fmt.Sprint(hp2) != fmt.Sprint(hp) {
		t.Fatalf("same seed, different split: %v vs %v", hp, hp2)
	}
}

func TestDiceBCEGradientOfDice(t *testing.T) {
	z := []float32{-2, 0.5, 3, -1}
	y := []float32{0, 1, 1, 0}
	p := make([]float32, 4)
	for i, v := range z {
		p[i] = sigmoid(v)
	}
	dz := make([]float32, 4)
	l := diceBCE(z, p, y, dz)
	for i := range z {
		h := float32(1e-3)
		zp := append([]float32(nil), z...)
		zp[i] += h
		pp := append([]float32(nil), p...)
		pp[i] = sigmoid(zp[i])
		lp := diceBCE(zp, pp, y, make([]float32, 4))
		fd := (lp - l) / float64(h)
		if d := fd - float64(dz[i]); d > 1e-3 || d < -1e-3 {
			t.Errorf("dz[%d] = %g, finite difference %g", i, dz[i], fd)
		}
	}
	if hardDice(p, y, 0.5) != 1 || hardDice([]float32{0, 0}, []float32{0, 0}, 0.5) != 1 || hardDice([]float32{1, 0}, []float32{0, 1}, 0.5) != 0 {
		t.Error("hardDice")
	}
}

func TestTrainedOnSaysTheAdaptationFirst(t *testing.T) {
	got := trainedOn(onnxmodel.Info{Name: "base-v3", TrainedOn: "phantoms only"}, 10, 5, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	want := "base-v3 fine-tuned on 10 corrected images of 5 patients (2026-12-01); before that: phantoms only"
	if got != want {
		t.Errorf("trainedOn = %q, want %q", got, want)
	}
}

// A small set gets more epochs, so that it still gets enough Adam steps; a
// large one at least 12.
func TestAutoEpochs(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, 12}, {6, 43}, {8, 32}, {11, 24}, {21, 13}, {22, 12}, {500, 12}} {
		if got := AutoEpochs(c.n); got != c.want {
			t.Errorf("AutoEpochs(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}
