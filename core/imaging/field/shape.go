package field

import (
	"fmt"
	"image"
)

// Linear-frame thresholds. A single linear-array frame is a rectangle its
// field fills; the panoramic captures in shared/data/real (GE and Siemens)
// fill 53–79 % of their bounding box and a sector or curved-array image
// leaves its corners empty, so their rectangle's height is not the imaged
// depth. minLinearFill sits between those and a rectangle with a few ragged
// edge rows; maxLinearAspect is wider than any single linear probe's field at
// a muscle depth (a 5 cm footprint at 2 cm depth).
const (
	minLinearFill   = 0.90
	maxLinearAspect = 2.5
)

// Shape says whether a detected field is one linear frame, and why not.
type Shape struct {
	Linear bool
	Fill   float64 // fraction of Rect covered by the field mask
	Aspect float64 // Rect width / height
	Reason string  // empty when Linear
}

// ShapeOf classifies the field found by FindMask (res and its mask). Only a
// linear frame's rectangle height is the imaged depth: for a panoramic band
// or a sector it is not, and a depth typed off the screen would give a wrong
// cm per pixel. A field that was not found (the whole image) counts as one
// frame: there is nothing to say otherwise.
func ShapeOf(res Result, mask *image.Gray) Shape {
	r := res.Rect
	if r.Empty() {
		return Shape{Reason: "no image field"}
	}
	s := Shape{Fill: 1, Aspect: float64(r.Dx()) / float64(r.Dy())}
	if res.Found && mask != nil {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := mask.Pix[mask.PixOffset(r.Min.X, y):mask.PixOffset(r.Max.X, y)]
			for _, v := range row {
				if v != 0 {
					n++
				}
			}
		}
		s.Fill = float64(n) / float64(r.Dx()*r.Dy())
	}
	switch {
	case s.Fill < minLinearFill:
		s.Reason = fmt.Sprintf("the image field fills %.0f %% of its bounding box (curved, sector or panoramic), so its height is not the imaged depth", 100*s.Fill)
	case s.Aspect > maxLinearAspect:
		s.Reason = fmt.Sprintf("the image field is %.1f times wider than deep (panoramic), so its height is not the imaged depth", s.Aspect)
	default:
		s.Linear = true
	}
	return s
}
