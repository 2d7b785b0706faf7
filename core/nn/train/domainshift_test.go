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
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"myoseg/core/nn/onnxmodel"
	"myoseg/core/study/phantom"
)

// scanner is a second "scanner" style applied to a phantom's grey image:
// a grey map (gain, gamma), depth attenuation the base training never had
// (grey × e^(−atten·depth/height), a time-gain setting), coarser speckle
// (box blur of radius blur) and additive noise (σ grey levels).
type scanner struct {
	gain, gamma, atten, noise float64
	blur                      int
}

// scannerB: a darker, more contrasted grey map, coarse speckle, noise.
var scannerB = scanner{gain: 0.6, gamma: 1.4, atten: 0, blur: 2, noise: 6}

func (sc scanner) apply(g *image.Gray, seed uint64) *image.Gray {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	src := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			src[y*w+x] = float64(g.Pix[y*g.Stride+x]) / 255
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0xb))
	out := image.NewGray(image.Rect(0, 0, w, h))
	r := sc.blur
	for y := 0; y < h; y++ {
		att := math.Exp(-sc.atten * float64(y) / float64(h))
		for x := 0; x < w; x++ {
			var s float64
			n := 0
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					if yy, xx := y+dy, x+dx; yy >= 0 && yy < h && xx >= 0 && xx < w {
						s += src[yy*w+xx]
						n++
					}
				}
			}
			v := 255*sc.gain*att*math.Pow(s/float64(n), sc.gamma) + sc.noise*rng.NormFloat64()
			out.Pix[y*out.Stride+x] = uint8(min(max(math.Round(v), 0), 255))
		}
	}
	return out
}

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
			img = scannerB.apply(img, uint64(i))
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
	start := time.Now()
	res, err := Adapt(context.Background(), b, adapt, Options{TrainLast: k, Epochs: ep, Seed: 1,
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
	for _, sc := range []scanner{scannerB, {gain: 0.6, gamma: 1.4, atten: 1.5, blur: 2, noise: 6},
		{gain: 1, gamma: 1, atten: 1.5, blur: 0, noise: 0}, {gain: 1, gamma: 1, atten: 0, blur: 3, noise: 0},
		{gain: 0.5, gamma: 1.8, atten: 0.8, blur: 1, noise: 4}} {
		var ps []Pair
		for i, s := range samples {
			ps = append(ps, pairOf(t, s, sc.apply(s.Image, uint64(i)), model.Info))
		}
		d, err := executorDice(b, ps, model.Info.Threshold)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v: base Dice %.4f", sc, d)
	}
}
