package train

import (
	"fmt"
	"image"

	"myoseg/core/imaging/modelio"
	"myoseg/core/nn/onnxmodel"
)

// PairOf prepares one corrected image for Adapt exactly as inference sees
// it: the field's model input (core/imaging/modelio.Prepare), and the mask
// (non-zero = muscle, same size as the image) on the same grid, area
// averaged and kept where at least half a model pixel is muscle.
func PairOf(img *image.Gray, field image.Rectangle, mask *image.Gray, patient string, info onnxmodel.Info) (Pair, error) {
	if mask.Bounds() != img.Bounds() {
		return Pair{}, fmt.Errorf("mask is %v, image %v", mask.Bounds().Size(), img.Bounds().Size())
	}
	in, err := modelio.Prepare(img, field, info)
	if err != nil {
		return Pair{}, err
	}
	bin := image.NewGray(mask.Bounds())
	for i, v := range mask.Pix {
		if v != 0 {
			bin.Pix[i] = 255
		}
	}
	mi := info
	mi.PerImage, mi.Mean, mi.Std = false, 0, 1
	mk, err := modelio.Prepare(bin, field, mi)
	if err != nil {
		return Pair{}, err
	}
	m := make([]float32, len(mk.Data))
	muscle := 0
	for i, v := range mk.Data {
		if v >= 0.5 {
			m[i] = 1
			muscle++
		}
	}
	if muscle == 0 {
		return Pair{}, fmt.Errorf("the mask has no muscle inside the ultrasound field")
	}
	return Pair{Input: in.Data, Mask: m, Patient: patient}, nil
}
