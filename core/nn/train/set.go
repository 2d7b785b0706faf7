package train

import (
	"fmt"
	"io/fs"

	"myoseg/core/imaging/decode"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/pipeline"
	"myoseg/core/study/dataset"
)

// ReadSet reads every image with a mask from a folder or ZIP in the seed
// layout (the page's "corrected images" ZIP), prepared for the model: the
// field found as inference finds it, the patient from the file name.
func ReadSet(fsys fs.FS, info onnxmodel.Info) ([]Pair, error) {
	ds, err := dataset.Read(fsys, dataset.Options{})
	if err != nil {
		return nil, err
	}
	var pairs []Pair
	for _, it := range ds.Items {
		if it.MaskPath == "" {
			continue
		}
		img, err := readImage(fsys, it.ImagePath)
		if err != nil {
			return nil, err
		}
		mask, err := readImage(fsys, it.MaskPath)
		if err != nil {
			return nil, err
		}
		field, _ := pipeline.FieldOf(img)
		p, err := PairOf(img.Gray, field, mask.Gray, it.SubjectID, info)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", it.ImagePath, err)
		}
		pairs = append(pairs, p)
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("no image with a mask (seed layout: .../Images/NAME.png and .../Masks/NAME.png)")
	}
	return pairs, nil
}

func readImage(fsys fs.FS, p string) (*decode.Image, error) {
	b, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	img, err := decode.Decode(p, b, decode.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return img, nil
}
