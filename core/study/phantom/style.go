package phantom

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Style is a second "scanner" applied to a finished phantom image, for
// domain-shift experiments (docs/adapt.md): a grey map (gain, gamma), a
// depth attenuation the training phantoms never had (grey ×
// e^(−Atten·depth/height), a time-gain setting), coarser speckle (a box blur
// of radius Blur) and additive noise (σ grey levels). The mask is unchanged.
type Style struct {
	Gain, Gamma, Atten, Noise float64
	Blur                      int
}

// Styles are the named styles `phantom --style` takes.
var Styles = map[string]Style{
	// b: darker and more contrasted, coarse speckle, noise; what the
	// version 1 model fails on (docs/adapt.md).
	"b": {Gain: 0.6, Gamma: 1.4, Blur: 2, Noise: 6},
	// c: darker with depth, more contrasted, coarse speckle and no noise
	// floor: the per-image-normalised version 2 model scores Dice 0.76 on
	// it and the field is still found (darker styles with a noise floor
	// clipped to black also lose the field's deep part: core/imaging/field
	// needs speckle, and black is not speckle).
	"c": {Gain: 0.8, Gamma: 1.5, Atten: 0.6, Blur: 3},
}

// StyleNames lists Styles' names, sorted, for usage lines.
func StyleNames() string {
	var n []string
	for k := range Styles {
		n = append(n, k)
	}
	slices.Sort(n)
	return strings.Join(n, ", ")
}

func lookupStyle(name string) (Style, error) {
	s, ok := Styles[name]
	if !ok {
		return Style{}, fmt.Errorf("phantom: style %q is not one of %s", name, StyleNames())
	}
	return s, nil
}

// Apply returns g imaged in the style, with its origin at (0, 0); the
// noise depends only on seed.
func (st Style) Apply(g *image.Gray, seed uint64) *image.Gray {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	src := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			src[y*w+x] = float64(g.Pix[g.PixOffset(b.Min.X+x, b.Min.Y+y)]) / 255
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0xb))
	out := image.NewGray(image.Rect(0, 0, w, h))
	r := st.Blur
	for y := 0; y < h; y++ {
		att := math.Exp(-st.Atten * float64(y) / float64(h))
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
			v := 255*st.Gain*att*math.Pow(s/float64(n), st.Gamma) + st.Noise*rng.NormFloat64()
			out.Pix[y*out.Stride+x] = uint8(min(max(math.Round(v), 0), 255))
		}
	}
	return out
}
