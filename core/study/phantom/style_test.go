package phantom

import (
	"image"
	"testing"
)

// TestStyleApply: a style changes the grey levels as its parameters say
// (a gain alone scales, depth attenuation darkens the bottom), is
// deterministic for a seed, and reads a sub-image from its own bounds.
func TestStyleApply(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 8, 10))
	for i := range g.Pix {
		g.Pix[i] = 200
	}
	if got := (Style{Gain: 0.5, Gamma: 1}).Apply(g, 1).Pix[0]; got != 100 {
		t.Errorf("gain 0.5 of 200: %d, want 100", got)
	}
	att := Style{Gain: 1, Gamma: 1, Atten: 1}.Apply(g, 1)
	if top, bottom := att.Pix[0], att.Pix[9*att.Stride]; !(top == 200 && bottom < 90) {
		t.Errorf("attenuation 1: top %d (want 200), bottom %d (want 200·e^-0.9 ≈ 81)", top, bottom)
	}
	c := Styles["c"]
	a, b := c.Apply(g, 7), c.Apply(g, 7)
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			t.Fatal("the same seed gave two images")
		}
	}
	big := image.NewGray(image.Rect(0, 0, 20, 20))
	big.Pix[big.PixOffset(5, 5)] = 255
	sub := big.SubImage(image.Rect(5, 5, 10, 10)).(*image.Gray)
	if got := (Style{Gain: 1, Gamma: 1}).Apply(sub, 1); got.Bounds() != image.Rect(0, 0, 5, 5) || got.Pix[0] != 255 {
		t.Errorf("sub-image: bounds %v, first pixel %d; want 5×5 from (0, 0) and 255", got.Bounds(), got.Pix[0])
	}
	if _, err := lookupStyle("z"); err == nil {
		t.Error("an unknown style was accepted")
	}
}
