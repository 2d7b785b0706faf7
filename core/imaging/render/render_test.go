package render

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func TestMaskAndOverlay(t *testing.T) {
	b := image.Rect(0, 0, 60, 40)
	g := image.NewGray(b)
	for i := range g.Pix {
		g.Pix[i] = 100
	}
	m := image.NewGray(b)
	for y := 10; y < 30; y++ {
		for x := 20; x < 40; x++ {
			m.Pix[y*60+x] = 1
		}
	}
	raw, err := MaskPNG(m)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	gm, ok := dec.(*image.Gray)
	if !ok || gm.Bounds() != b || gm.GrayAt(25, 15).Y != 255 || gm.GrayAt(5, 5).Y != 0 {
		t.Fatalf("mask PNG: %T %v", dec, dec.Bounds())
	}
	ov, err := Overlay(g, m, image.Rect(2, 2, 58, 38))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		x, y int
		want color.RGBA
	}{
		{30, 20, blend(color.RGBA{100, 100, 100, 255}, fillColour, fillAlpha)}, // inside: fill
		{20, 20, contourColour},                  // on the mask's edge
		{10, 20, color.RGBA{100, 100, 100, 255}}, // outside: untouched grey
		{2, 2, fieldColour},                      // field frame
	}
	for _, tc := range tests {
		if got := ov.RGBAAt(tc.x, tc.y); got != tc.want {
			t.Errorf("(%d,%d) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
	if _, err := Overlay(g, image.NewGray(image.Rect(0, 0, 1, 1)), b); err == nil {
		t.Error("mismatched mask accepted")
	}
}
