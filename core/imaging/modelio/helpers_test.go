package modelio

import (
	"slices"

	"myoseg/core/imaging/mask"
)

// The tests call the clean-up's steps one by one on fresh masks.

func erode(m []bool, w, h int, r float64) []bool {
	out := slices.Clone(m)
	(&morph{w: w, h: h}).erode(out, r)
	return out
}

func dilate(m []bool, w, h int, r float64) []bool {
	out := slices.Clone(m)
	(&morph{w: w, h: h}).dilate(out, r)
	return out
}

func open(m []bool, w, h int, r float64) []bool { return dilate(erode(m, w, h, r), w, h, r) }

func fillHoles(m []bool, w, h int) []bool { return mask.FillHoles(mask.Mask{W: w, H: h, Pix: m}).Pix }

func components(m []bool, w, h int) ([]int32, []mask.Component) {
	return mask.Label(mask.Mask{W: w, H: h, Pix: m})
}
