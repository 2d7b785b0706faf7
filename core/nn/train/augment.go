package train

import (
	"math"
	"math/rand/v2"

	"myoseg/core/nn/onnxmodel"
)

// augmenter draws models/train/dataset.py's augmentation for one image:
// horizontal flip (half), shift by up to ±8 % of each side (half), and
// gain and gamma ×e^±0.25 on grey/255. Rotation and scaling are left out
// (a fine-tune of a few epochs; the shifts already move every border). A
// model standardised per image ignores a gain, so it gets geometry only.
type augmenter struct {
	info onnxmodel.Info
	on   bool
}

func (a augmenter) apply(in, mask []float32, p Pair, rng *rand.Rand) {
	h, w := a.info.InputH, a.info.InputW
	if !a.on {
		copy(in, p.Input)
		copy(mask, p.Mask)
		return
	}
	flip := rng.IntN(2) == 1
	dx, dy := 0, 0
	if rng.IntN(2) == 1 {
		dx = int(math.Round((rng.Float64()*2 - 1) * 0.08 * float64(w)))
		dy = int(math.Round((rng.Float64()*2 - 1) * 0.08 * float64(h)))
	}
	bg := float32(0)
	if a.info.PerImage {
		bg = p.Input[0]
		for _, v := range p.Input {
			bg = min(bg, v)
		}
	} else {
		bg = (0 - a.info.Mean) / a.info.Std
	}
	for y := 0; y < h; y++ {
		sy := y - dy
		for x := 0; x < w; x++ {
			sx := x - dx
			if flip {
				sx = w - 1 - sx
			}
			o := y*w + x
			if sy < 0 || sy >= h || sx < 0 || sx >= w {
				in[o], mask[o] = bg, 0
				continue
			}
			in[o], mask[o] = p.Input[sy*w+sx], p.Mask[sy*w+sx]
		}
	}
	if a.info.PerImage {
		return
	}
	gain := math.Exp((rng.Float64()*2 - 1) * 0.25)
	gamma := math.Exp((rng.Float64()*2 - 1) * 0.25)
	m, s := float64(a.info.Mean), float64(a.info.Std)
	for i, v := range in {
		g := min(max(float64(v)*s+m, 0), 1)
		in[i] = float32((math.Pow(g, gamma)*gain - m) / s)
	}
}
