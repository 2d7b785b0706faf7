package modelio

import (
	"image"
	"math"
	"testing"
)

// TestPreparePerImage: with myoseg.norm = image the whole input grid,
// letterbox included, has mean 0 and SD 1, and a gain change of the scan
// does not change the input.
func TestPreparePerImage(t *testing.T) {
	pi := info
	pi.PerImage = true
	wide := image.NewGray(image.Rect(0, 0, 1024, 400))
	for i := range wide.Pix {
		wide.Pix[i] = uint8(40 + i%7*10)
	}
	in, err := Prepare(wide, wide.Bounds(), pi)
	if err != nil {
		t.Fatal(err)
	}
	if in.Place != image.Rect(0, 0, 256, 100) {
		t.Fatalf("place %v", in.Place)
	}
	var s, s2 float64
	for _, v := range in.Data {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(len(in.Data))
	if mean, sd := s/n, math.Sqrt(s2/n-s*s/n/n); math.Abs(mean) > 1e-4 || math.Abs(sd-1) > 1e-4 {
		t.Errorf("mean %g, SD %g; want 0 and 1", mean, sd)
	}
	// Padding is the darkest value: black standardised.
	if pad := in.Data[200*256+10]; pad >= in.Data[50*256+10] {
		t.Errorf("padding %g not below the scan's %g", pad, in.Data[50*256+10])
	}
	// Doubling every grey value (a gain of 6 dB on a linear map) leaves the input unchanged.
	bright := image.NewGray(wide.Rect)
	for i, v := range wide.Pix {
		bright.Pix[i] = 2 * v
	}
	in2, err := Prepare(bright, bright.Bounds(), pi)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in.Data {
		if d := math.Abs(float64(in.Data[i] - in2.Data[i])); d > 1e-4 {
			t.Fatalf("input %d: %g vs %g after doubling the grey", i, in.Data[i], in2.Data[i])
		}
	}
	// A flat black image is only centred (no division by zero).
	flat := image.NewGray(image.Rect(0, 0, 512, 480))
	in3, err := Prepare(flat, flat.Bounds(), pi)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range in3.Data {
		if v != 0 {
			t.Fatalf("flat image gives %g, want 0", v)
		}
	}
}
