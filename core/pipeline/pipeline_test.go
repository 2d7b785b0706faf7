package pipeline

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/onnxmodel/onnxtest"
)

// oracle is a perfect model: it returns, for each model pixel, the fraction
// of the true mask under it (what an ideal network trained on exact masks
// converges to). It tests every stage but the network itself.
type oracle struct {
	truth *image.Gray
	h, w  int
}

func (o oracle) Infer(_ context.Context, in []float32) ([]float32, error) {
	b := o.truth.Bounds()
	out := make([]float32, o.h*o.w)
	sy, sx := b.Dy()/o.h, b.Dx()/o.w
	for y := 0; y < o.h; y++ {
		for x := 0; x < o.w; x++ {
			var n int
			for yy := 0; yy < sy; yy++ {
				for xx := 0; xx < sx; xx++ {
					if o.truth.Pix[(y*sy+yy)*b.Dx()+x*sx+xx] != 0 {
						n++
					}
				}
			}
			out[y*o.w+x] = float32(n) / float32(sx*sy)
		}
	}
	return out, nil
}

// synthetic draws a 480×512 speckled image with a tilted elliptical muscle
// and returns the PNG and the true mask.
func synthetic(t *testing.T) ([]byte, *image.Gray) {
	rng := rand.New(rand.NewPCG(7, 11))
	g := image.NewGray(image.Rect(0, 0, 512, 480))
	truth := image.NewGray(g.Bounds())
	cos, sin := math.Cos(0.2), math.Sin(0.2)
	for y := 0; y < 480; y++ {
		for x := 0; x < 512; x++ {
			dx, dy := float64(x)-260, float64(y)-220
			u, v := dx*cos+dy*sin, -dx*sin+dy*cos
			inside := (u*u)/(170*170)+(v*v)/(80*80) <= 1
			mean := 35.0
			if inside {
				mean = 70
				truth.Pix[y*512+x] = 255
			}
			// Rayleigh speckle with the given mean.
			r := mean / math.Sqrt(math.Pi/2) * math.Sqrt(-2*math.Log(1-rng.Float64()))
			g.Pix[y*512+x] = uint8(min(255, math.Round(r)))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), truth
}

func segmenter(t *testing.T, truth *image.Gray) *Segmenter {
	m, err := onnxmodel.Parse("tiny.onnx", onnxtest.TinyNet(240, 256, make([]float32, 18), []float32{0, 0}, []float32{1, 1}, 0).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return New(m, oracle{truth: truth, h: 240, w: 256})
}

func TestKnownMask(t *testing.T) {
	data, truth := synthetic(t)
	s := segmenter(t, truth)
	p := &zscore.Patient{AgeYears: 40, Sex: "M", HeightCm: 180, WeightKg: 70}
	res, err := s.Run(context.Background(), Request{Name: "synthetic.png", Data: data,
		User: calib.User{CmPerPx: 0.01}, Muscle: zscore.BicepsBrachii, Patient: p})
	if err != nil {
		t.Fatal(err)
	}
	// Truth measured directly on the drawn image.
	dec, _ := png.Decode(bytes.NewReader(data))
	g := dec.(*image.Gray)
	var area, sum float64
	for i, v := range truth.Pix {
		if v != 0 {
			area++
			sum += float64(g.Pix[i])
		}
	}
	r := res.Record
	if rel := math.Abs(float64(r.CSAPx)-area) / area; rel > 0.01 {
		t.Errorf("CSA %d px, truth %.0f (%.2f %%)", r.CSAPx, area, 100*rel)
	}
	if d := math.Abs(r.EIMean - sum/area); d > 0.5 {
		t.Errorf("EI %.3f, truth %.3f", r.EIMean, sum/area)
	}
	if r.CSACm2 == nil || math.Abs(*r.CSACm2-float64(r.CSAPx)*1e-4) > 1e-4 || r.CalibrationSource != "user-cm-per-px" {
		t.Errorf("calibration: %v %s", r.CSACm2, r.CalibrationSource)
	}
	want, err := zscore.Compute(zscore.BicepsBrachii, *p, r.EIMean)
	if err != nil {
		t.Fatal(err)
	}
	if r.Z == nil || math.Abs(*r.Z-want.Z) > 2e-3 || r.ZNote != zscore.Caveat {
		t.Errorf("z %v note %q, want %.3f", r.Z, r.ZNote, want.Z)
	}
	if r.Width != 512 || r.Height != 480 || r.File != "synthetic.png" || r.Model != "test-net" {
		t.Errorf("record header %+v", r)
	}

	// A correction: erase the left half of the mask; the record follows.
	half := image.NewGray(res.Mask.Bounds())
	copy(half.Pix, res.Mask.Pix)
	for y := 0; y < 480; y++ {
		for x := 0; x < 260; x++ {
			half.Pix[y*512+x] = 0
		}
	}
	rc, err := s.Remeasure(res, half, true)
	if err != nil {
		t.Fatal(err)
	}
	if !rc.Corrected || rc.CSAPx >= r.CSAPx*6/10 || rc.CSAPx <= r.CSAPx*4/10 {
		t.Errorf("corrected CSA %d of %d, corrected=%v", rc.CSAPx, r.CSAPx, rc.Corrected)
	}
}

func TestNoPatientOrMuscle(t *testing.T) {
	data, truth := synthetic(t)
	s := segmenter(t, truth)
	tests := []struct {
		req  Request
		note string
	}{
		{Request{Name: "a.png", Data: data}, "muscle not given"},
		{Request{Name: "a.png", Data: data, Muscle: zscore.TibialisAnterior}, "patient data not given"},
		{Request{Name: "a.png", Data: data, Muscle: zscore.TibialisAnterior, Patient: &zscore.Patient{AgeYears: 50}}, "needs sex"},
	}
	for _, tc := range tests {
		res, err := s.Run(context.Background(), tc.req)
		if err != nil {
			t.Fatal(err)
		}
		r := res.Record
		if r.Z != nil || !strings.Contains(r.ZNote, tc.note) || r.CSACm2 != nil || r.CalibrationSource != "none" {
			t.Errorf("%+v: z %v note %q cm² %v", tc.req.Muscle, r.Z, r.ZNote, r.CSACm2)
		}
	}
}

func TestBadInputNamesFile(t *testing.T) {
	s := segmenter(t, image.NewGray(image.Rect(0, 0, 512, 480)))
	for _, data := range [][]byte{nil, []byte("GIF89a not supported"), []byte("\x89PNG\r\n\x1a\n truncated")} {
		_, err := s.Run(context.Background(), Request{Name: "broken.png", Data: data})
		if err == nil || !strings.Contains(err.Error(), "broken.png") {
			t.Errorf("%q: error %v does not name the file", data, err)
		}
	}
}
