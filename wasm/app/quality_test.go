package app

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"

	"myoseg/wasm/session"
)

// blobPNG is a 480×512 image of grey 40 with an ellipse of grey v, radii
// rx×ry, at (256, 220).
func blobPNG(t *testing.T, rx, ry float64, v uint8) []byte {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, 512, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 512; x++ {
			g.Pix[y*g.Stride+x] = 40
			if dx, dy := float64(x-256)/rx, float64(y-220)/ry; dx*dx+dy*dy <= 1 {
				g.Pix[y*g.Stride+x] = v
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A flagged mask has no z-score until the person accepts it; the check
// still sees the model's own doubt after a reload (the worker runs the
// model again rather than remeasuring on zeros).
func TestQualityInTheApp(t *testing.T) {
	ctx := context.Background()
	a, st := loaded(t)
	if a.info.ResearchOnly {
		t.Error("the test model (trained on nothing) is marked research only")
	}
	patient := &session.Patient{ID: "P1", AgeYears: 50, Sex: "F", HeightCm: 168, WeightKg: 65}
	opts := session.Options{CmPerPx: 0.01, Muscle: "biceps_brachii"}

	// A bright speck of 0.2 cm²: no biceps is that small.
	out, err := a.Run(ctx, Job{ID: "s", Name: "speck.png", Options: opts, Patient: patient}, blobPNG(t, 30, 25, 200), nil)
	if err != nil || out.Item.Status != "done" {
		t.Fatalf("run: %v %+v", err, out.Item)
	}
	r := decodeRecord(t, out.Item)
	if r.Quality != "flagged" || !strings.Contains(r.QualityReasons, "smaller than any biceps") || r.Z != nil ||
		!strings.HasPrefix(r.ZNote, "not computed: mask flagged (area") {
		t.Fatalf("speck: quality %q (%s), z %v, note %q", r.Quality, r.QualityReasons, r.Z, r.ZNote)
	}
	accepted := opts
	accepted.Accepted = true
	it, err := a.Remeasure(ctx, "s", accepted, patient, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeRecord(t, it); r.Quality != "accepted" || r.Z == nil || r.QualityReasons == "" {
		t.Errorf("accepted: quality %q z %v reasons %q", r.Quality, r.Z, r.QualityReasons)
	}

	// A large blob near the model's threshold (grey 150: probability ≈ 0.58
	// everywhere inside): the model is guessing.
	if _, err := a.Run(ctx, Job{ID: "u", Name: "unsure.png", Options: opts, Patient: patient}, blobPNG(t, 150, 80, 150), nil); err != nil {
		t.Fatal(err)
	}
	b := New(st) // a reload: nothing cached
	if _, err := b.LoadModel(ctx, "", "", nil); err != nil {
		t.Fatal(err)
	}
	left := opts
	left.Side = "left"
	it, err = b.Remeasure(ctx, "u", left, patient, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeRecord(t, it); r.Quality != "flagged" || !strings.Contains(r.QualityReasons, "the model is unsure") || r.Side != "left" {
		t.Errorf("after a reload: quality %q (%s) side %q", r.Quality, r.QualityReasons, r.Side)
	}
}
