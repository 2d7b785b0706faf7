// Package measure computes what the clinician reads off a muscle mask:
// cross-sectional area, echo intensity, perimeter and bounding box.
package measure

import (
	"fmt"
	"image"
	"math"

	"myoseg/core/calib"
)

// Result holds the measurements of one mask on one image.
type Result struct {
	AreaPx      int
	AreaCm2     float64 // 0 when uncalibrated
	PerimeterPx float64 // length of the 0.5 iso-contour (marching squares), in pixel units
	PerimeterCm float64 // 0 when uncalibrated
	EIMean      float64 // mean 8-bit grey value inside the mask; zeros count (anechoic tissue is tissue)
	EISD        float64 // population standard deviation of those grey values
	BBox        image.Rectangle
}

// Mask measures mask (non-zero = muscle) on the grey image g. Both must
// have the same bounds. An empty mask is valid and measures zero.
func Mask(g, mask *image.Gray, cal calib.Calibration) (Result, error) {
	if g.Bounds() != mask.Bounds() {
		return Result{}, fmt.Errorf("measure: mask %v does not match image %v", mask.Bounds(), g.Bounds())
	}
	b := g.Bounds()
	var r Result
	var sum, sumSq uint64
	minX, minY, maxX, maxY := b.Max.X, b.Max.Y, b.Min.X-1, b.Min.Y-1
	for y := b.Min.Y; y < b.Max.Y; y++ {
		mrow := mask.Pix[mask.PixOffset(b.Min.X, y):][:b.Dx()]
		grow := g.Pix[g.PixOffset(b.Min.X, y):][:b.Dx()]
		for i, m := range mrow {
			if m == 0 {
				continue
			}
			v := uint64(grow[i])
			sum += v
			sumSq += v * v
			r.AreaPx++
			x := b.Min.X + i
			minX, maxX = min(minX, x), max(maxX, x)
			minY, maxY = min(minY, y), max(maxY, y)
		}
	}
	if r.AreaPx == 0 {
		return r, nil
	}
	n := float64(r.AreaPx)
	r.EIMean = float64(sum) / n
	// Integer sums keep the variance exact; the subtraction is then safe.
	r.EISD = math.Sqrt(math.Max(0, float64(sumSq)/n-r.EIMean*r.EIMean))
	r.BBox = image.Rect(minX, minY, maxX+1, maxY+1)
	r.PerimeterPx = contourLength(mask, r.BBox, 1, 1)
	if cal.Known() {
		r.AreaCm2 = n * cal.CmPerPxX * cal.CmPerPxY
		r.PerimeterCm = contourLength(mask, r.BBox, cal.CmPerPxX, cal.CmPerPxY)
	}
	return r, nil
}

// contourLength is the length of the mask's boundary traced by marching
// squares at the 0.5 level between pixel centres, with pixels sx wide and
// sy tall. It approximates a smooth outline far better than counting pixel
// edges, which overestimates a disc's perimeter by 4/π.
func contourLength(mask *image.Gray, bbox image.Rectangle, sx, sy float64) float64 {
	on := func(x, y int) int {
		if !(image.Point{x, y}.In(bbox)) || mask.Pix[mask.PixOffset(x, y)] == 0 {
			return 0
		}
		return 1
	}
	diag := math.Hypot(sx/2, sy/2)
	var total float64
	// Cells span one pixel beyond the box on every side so the contour closes.
	for y := bbox.Min.Y - 1; y < bbox.Max.Y; y++ {
		for x := bbox.Min.X - 1; x < bbox.Max.X; x++ {
			code := on(x, y) | on(x+1, y)<<1 | on(x+1, y+1)<<2 | on(x, y+1)<<3
			switch code {
			case 0, 15:
			case 1, 2, 4, 8, 14, 13, 11, 7: // one corner differs: a cut across it
				total += diag
			case 3, 12: // top or bottom pair set: a horizontal line
				total += sx
			case 6, 9: // left or right pair set: a vertical line
				total += sy
			case 5, 10: // saddle: two corner cuts
				total += 2 * diag
			}
		}
	}
	return total
}
