package realism

import (
	"fmt"
	"image"

	"myoseg/core/study/phantom"
)

// StandardSets is the comparison the model card reports: the real images,
// then n phantoms of each version (seed, half pathological), then n
// healthy rectus femoris and vastus lateralis phantoms (seed+1), the
// muscles the real set holds, of versions 2 and 3 (whose thigh scenes differ).
func StandardSets(real []*image.Gray, n int, seed uint64) ([]Set, error) {
	if len(real) == 0 || n < 1 {
		return nil, fmt.Errorf("realism: need real images and at least one phantom per set")
	}
	sets := []Set{{Name: "real", Images: real}}
	for _, v := range []int{phantom.V1, phantom.V2, phantom.V3} {
		set := Set{Name: fmt.Sprintf("phantom v%d", v)}
		for i := 0; i < n; i++ {
			s, err := phantom.Generate(phantom.Config{Seed: seed, PathologicalFraction: 0.5, Version: v}, i)
			if err != nil {
				return nil, err
			}
			set.Images = append(set.Images, s.Image)
		}
		sets = append(sets, set)
	}
	for _, v := range []int{phantom.V2, phantom.V3} {
		thigh := Set{Name: fmt.Sprintf("phantom v%d, healthy RF and VL", v)}
		for i := 0; len(thigh.Images) < n; i++ {
			s, err := phantom.Generate(phantom.Config{Seed: seed + 1, Version: v}, i)
			if err != nil {
				return nil, err
			}
			if s.Muscle == "RF" || s.Muscle == "VL" {
				thigh.Images = append(thigh.Images, s.Image)
			}
		}
		sets = append(sets, thigh)
	}
	return sets, nil
}

// StandardRows picks the figure's rows from StandardSets' sets: up to cols
// images of each, spread over the set.
func StandardRows(sets []Set, cols int) []Row {
	var rows []Row
	for _, s := range sets {
		r := Row{Label: fmt.Sprintf("%s (%d images)", s.Name, len(s.Images))}
		k := min(cols, len(s.Images))
		for i := 0; i < k; i++ {
			r.Images = append(r.Images, s.Images[i*len(s.Images)/k])
		}
		rows = append(rows, r)
	}
	return rows
}
