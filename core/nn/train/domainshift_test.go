package train

// The domain-shift experiment (docs/adapt.md): phantoms imaged by a second
// "scanner" the base model never saw, base Dice, then Adapt on 16 of them.
// It takes minutes, so it runs only when asked:
//
//	MYOSEG_DOMAIN_SHIFT=1 go test -run DomainShift -v -timeout 30m ./core/nn/train/
//	GOOS=js GOARCH=wasm MYOSEG_DOMAIN_SHIFT=1 go test -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" -run DomainShift -v -timeout 60m ./core/nn/train/

import (
	"context"
	"image"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"myoseg/core/nn/onnxmodel"
	"myoseg/core/study/phantom"
)

// scannerB is the second "scanner" the v1 base model never saw
// (phantom.Styles["b"]).
var scannerB = phantom.Styles["b"]

func pairOf(t testing.TB, s phantom.Sample, img *image.Gray, info onnxmodel.Info) Pair {
	p, err := PairOf(img, img.Bounds(), s.Mask, s.Subject.ID, info)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func baseModel(t *testing.T) ([]byte, *onnxmodel.Model) {
	b, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	model, err := onnxmodel.Parse("base", b)
	if err != nil {
		t.Fatal(err)
	}
	return b, model
}

func TestDomainShift(t *testing.T) {
	if os.Getenv("MYOSEG_DOMAIN_SHIFT") == "" {
		t.Skip("minutes long: set MYOSEG_DOMAIN_SHIFT=1")
	}
	b, model := baseModel(t)
	nAdapt, nTest := 16, 16
	if v, err := strconv.Atoi(os.Getenv("MYOSEG_ADAPT_N")); err == nil {
		nAdapt = v
	}
	var adapt, test []Pair
	cfg := phantom.Config{Seed: 4242, N: 1000, PathologicalFraction: 0.5}
	style := os.Getenv("MYOSEG_SHIFT")
	if style == "v2" {
		cfg.Version = phantom.V2
	}
	for i := 0; len(adapt)+len(test) < nAdapt+nTest; i++ {
		s, err := phantom.Generate(cfg, i)
		if err != nil {
			t.Fatal(err)
		}
		img := s.Image
		if style != "v2" {
			img = scannerB.Apply(img, uint64(i))
		}
		p := pairOf(t, s, img, model.Info)
		// Whole subjects go to one side: test subjects are never adapted on.
		if len(adapt) < nAdapt && (len(adapt) == 0 || adapt[len(adapt)-1].Patient == p.Patient || len(test) == nTest) {
			adapt = append(adapt, p)
		} else if len(test) < nTest && (len(test) == 0 || test[len(test)-1].Patient == p.Patient || len(adapt) >= nAdapt) {
			test = append(test, p)
		} else if len(adapt) < nAdapt {
			adapt = append(adapt, p)
		} else {
			test = append(test, p)
		}
	}
	thr := model.Info.Threshold
	baseTest, err := executorDice(b, test, thr)
	if err != nil {
		t.Fatal(err)
	}
	baseAdapt, _ := executorDice(b, adapt, thr)
	t.Logf("base model on scanner-B phantoms: Dice %.4f on %d test images, %.4f on the %d adaptation images", baseTest, len(test), baseAdapt, len(adapt))
	k := 0 // all convolutions, as Adapt by default
	if v, err := strconv.Atoi(os.Getenv("MYOSEG_TRAIN_LAST")); err == nil {
		k = v
	}
	ep := 12
	if v, err := strconv.Atoi(os.Getenv("MYOSEG_EPOCHS")); err == nil {
		ep = v
	}
	lr := 0.0 // Adapt's default
	if v, err := strconv.ParseFloat(os.Getenv("MYOSEG_LR"), 64); err == nil {
		lr = v
	}
	start := time.Now()
	res, err := Adapt(context.Background(), b, adapt, Options{TrainLast: k, Epochs: ep, Seed: 1, LR: lr,
		Progress: func(p Progress) {
			t.Logf("epoch %d/%d  %5.0f s  left %4.0f s  loss %.4f  held-out Dice %.4f (best %.4f)",
				p.Epoch, p.Epochs, p.Elapsed.Seconds(), p.Left.Seconds(), p.Loss, p.HeldOutDice, p.Best)
		}})
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("after %v: %v", wall, err)
	}
	after, err := executorDice(res.Model, test, thr)
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("Go memory obtained from the system (wasm: the worker's linear memory): %.0f MB", float64(ms.Sys)/1e6)
	t.Logf("adapted (%s) on %d images of %d patients in %.0f s: held-out (%d images, patients %v) Dice %.4f → %.4f; independent test (%d images) %.4f → %.4f",
		res.Settings, res.TrainImages, len(res.TrainPatients), wall.Seconds(), res.HeldOut, res.HeldOutPatients, res.Before, res.After, len(test), baseTest, after)
	if after < baseTest {
		t.Errorf("test Dice fell: %.4f → %.4f", baseTest, after)
	}
}

// TestScannerStyles prints the base model's Dice under candidate styles
// (to choose scannerB); MYOSEG_DOMAIN_SHIFT=styles runs it.
func TestScannerStyles(t *testing.T) {
	if os.Getenv("MYOSEG_DOMAIN_SHIFT") != "styles" {
		t.Skip("set MYOSEG_DOMAIN_SHIFT=styles")
	}
	b, model := baseModel(t)
	var samples []phantom.Sample
	for i := 0; i < 12; i++ {
		s, err := phantom.Generate(phantom.Config{Seed: 4242, N: 1000, PathologicalFraction: 0.5}, i)
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, s)
	}
	for _, sc := range []phantom.Style{scannerB, {Gain: 0.6, Gamma: 1.4, Atten: 1.5, Blur: 2, Noise: 6},
		{Gain: 1, Gamma: 1, Atten: 1.5}, {Gain: 1, Gamma: 1, Blur: 3},
		{Gain: 0.5, Gamma: 1.8, Atten: 0.8, Blur: 1, Noise: 4}} {
		var ps []Pair
		for i, s := range samples {
			ps = append(ps, pairOf(t, s, sc.Apply(s.Image, uint64(i)), model.Info))
		}
		d, err := executorDice(b, ps, model.Info.Threshold)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v: base Dice %.4f", sc, d)
	}
}
