package quality

import (
	"fmt"
	"image"
	"slices"

	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
	"myoseg/core/imaging/mask"
)

// Input is what the check looks at: the final mask on the image's pixels,
// where the ultrasound field is, and the model's own probabilities.
type Input struct {
	Mask      *image.Gray     // final mask, image size, non-zero = muscle
	Field     image.Rectangle // the ultrasound field in image pixels
	FieldMask *image.Gray     // the field pixel by pixel (curved fields); nil = the whole rectangle
	// Prob is the model's output, ProbW×ProbH at model resolution; Place is
	// where the field sits inside it (modelio.Input.Place).
	Prob         []float32
	ProbW, ProbH int
	Place        image.Rectangle
	Threshold    float32 // the model's probability threshold
	Cal          calib.Calibration
	Muscle       zscore.Muscle // "" = unknown: no area range
	// Corrected says a person drew or corrected the mask: the model's
	// regions and confidence no longer speak for it, so only the rules
	// about the mask itself (empty, area, edge) apply.
	Corrected bool
}

// Measures are the numbers the check reads; Check keeps them so a report
// can show why an image passed or not.
type Measures struct {
	AreaPx  int
	AreaCm2 float64 // 0 when uncalibrated
	// FieldWidthCm is the field's width (0 when uncalibrated): wider than a
	// linear probe means an extended field of view that shows the whole muscle.
	FieldWidthCm float64
	// OutlinePx is the mask's outline length in pixels (mask pixels with a
	// 4-neighbour outside the mask); EdgeTop, EdgeBottom and EdgeSides are
	// the shares of it that lie on the field's top edge, bottom edge, and
	// left or right edges.
	OutlinePx                      int
	EdgeTop, EdgeBottom, EdgeSides float64
	// WidthShare is the mask's width (its bounding box) over the field's.
	WidthShare float64
	// FootprintPx is the number of model pixels that see the field.
	FootprintPx int
	// Regions are the thresholded model output's 8-connected regions
	// (model pixels, inside the field's footprint), largest first, before
	// the post-processing keeps one.
	Regions []int
	// Uncertain is the number of footprint pixels with a probability in
	// [UncertainLow, UncertainHigh] over the number above the threshold: the
	// band of doubt relative to what was found, so a small muscle in a wide
	// panoramic field is judged like a large one in a narrow field (a share
	// of the whole field would call any small mask confident).
	Uncertain float64
	// Margin is the mean of |p − 0.5|·2 over model pixels within two pixels
	// of the mask's outline: 1 for a model sure of the border on both
	// sides, 0 for one that is guessing.
	Margin float64
}

// Bounds of the probability band counted as "the model is not sure".
const (
	UncertainLow  = 0.3
	UncertainHigh = 0.7
)

// Measure computes the numbers; it fails only on inconsistent input
// (sizes that do not match), never on a bad mask.
func Measure(in Input) (Measures, error) {
	var m Measures
	if in.Mask == nil {
		return m, fmt.Errorf("quality: no mask")
	}
	if len(in.Prob) != in.ProbW*in.ProbH || in.ProbW <= 0 || in.ProbH <= 0 {
		return m, fmt.Errorf("quality: probability map has %d values, want %d×%d", len(in.Prob), in.ProbW, in.ProbH)
	}
	place := in.Place.Intersect(image.Rect(0, 0, in.ProbW, in.ProbH))
	field := in.Field.Intersect(in.Mask.Bounds())
	if place.Empty() || field.Empty() {
		return m, fmt.Errorf("quality: empty field (%v in the image, %v in the model's input)", in.Field, in.Place)
	}
	if in.FieldMask != nil && in.FieldMask.Bounds() != in.Mask.Bounds() {
		return m, fmt.Errorf("quality: field mask %v does not match mask %v", in.FieldMask.Bounds(), in.Mask.Bounds())
	}
	edges(&m, in.Mask, field, in.FieldMask)
	if in.Cal.Known() {
		m.AreaCm2 = float64(m.AreaPx) * in.Cal.CmPerPxX * in.Cal.CmPerPxY
		m.FieldWidthCm = float64(field.Dx()) * in.Cal.CmPerPxX
	}
	probability(&m, in, place, field)
	return m, nil
}

// edges counts the mask, its outline and the outline's contact with the
// field's border. A pixel touches the top (bottom) when the pixel above
// (below) it is outside the field, the sides likewise; for a curved field
// that follows the curve.
func edges(m *Measures, g *image.Gray, field image.Rectangle, fieldMask *image.Gray) {
	b := g.Bounds()
	on := func(x, y int) bool {
		return image.Pt(x, y).In(b) && g.Pix[g.PixOffset(x, y)] != 0
	}
	in := func(x, y int) bool {
		if !image.Pt(x, y).In(field) {
			return false
		}
		return fieldMask == nil || fieldMask.Pix[fieldMask.PixOffset(x, y)] != 0
	}
	var top, bottom, side int
	x0, x1 := b.Max.X, b.Min.X
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !on(x, y) {
				continue
			}
			m.AreaPx++
			x0, x1 = min(x0, x), max(x1, x)
			if on(x-1, y) && on(x+1, y) && on(x, y-1) && on(x, y+1) {
				continue
			}
			m.OutlinePx++
			if !in(x, y-1) {
				top++
			}
			if !in(x, y+1) {
				bottom++
			}
			if !in(x-1, y) || !in(x+1, y) {
				side++
			}
		}
	}
	if m.AreaPx > 0 {
		m.WidthShare = float64(x1-x0+1) / float64(field.Dx())
	}
	if m.OutlinePx > 0 {
		m.EdgeTop = float64(top) / float64(m.OutlinePx)
		m.EdgeBottom = float64(bottom) / float64(m.OutlinePx)
		m.EdgeSides = float64(side) / float64(m.OutlinePx)
	}
}

// probability reads the model's output under the field's footprint: its
// regions above the threshold, the uncertain share and the margin along
// the final mask's outline (the mask sampled at model resolution).
func probability(m *Measures, in Input, place, field image.Rectangle) {
	pw, ph := place.Dx(), place.Dy()
	above := make([]bool, pw*ph)
	onMask := make([]bool, pw*ph)
	inField := make([]bool, pw*ph)
	var uncertain, nAbove int
	for y := 0; y < ph; y++ {
		iy := field.Min.Y + min(field.Dy()-1, int((float64(y)+0.5)*float64(field.Dy())/float64(ph)))
		for x := 0; x < pw; x++ {
			p := in.Prob[(place.Min.Y+y)*in.ProbW+place.Min.X+x]
			ix := field.Min.X + min(field.Dx()-1, int((float64(x)+0.5)*float64(field.Dx())/float64(pw)))
			if in.FieldMask != nil && in.FieldMask.Pix[in.FieldMask.PixOffset(ix, iy)] == 0 {
				continue // screen, not tissue: the model's output there means nothing
			}
			m.FootprintPx++
			i := y*pw + x
			inField[i] = true
			above[i] = p > in.Threshold
			onMask[i] = in.Mask.Pix[in.Mask.PixOffset(ix, iy)] != 0
			if above[i] {
				nAbove++
			}
			if p >= UncertainLow && p <= UncertainHigh {
				uncertain++
			}
		}
	}
	if nAbove > 0 {
		m.Uncertain = float64(uncertain) / float64(nAbove)
	}
	_, comps := mask.Label(mask.Mask{W: pw, H: ph, Pix: above})
	m.Regions = make([]int, len(comps))
	for i, c := range comps {
		m.Regions[i] = c.Area
	}
	slices.Sort(m.Regions)
	slices.Reverse(m.Regions)

	// Band: model pixels within two pixels (Chebyshev) of an outline pixel
	// of the mask, on either side.
	const band = 2
	var sum float64
	var n int
	for y := 0; y < ph; y++ {
		for x := 0; x < pw; x++ {
			if !inField[y*pw+x] || !nearOutline(onMask, inField, pw, ph, x, y, band) {
				continue
			}
			p := float64(in.Prob[(place.Min.Y+y)*in.ProbW+place.Min.X+x])
			d := p - 0.5
			if d < 0 {
				d = -d
			}
			sum += 2 * d
			n++
		}
	}
	if n > 0 {
		m.Margin = sum / float64(n)
	}
}

// nearOutline reports whether a field pixel within r of (x, y) is on the
// mask and another is off it, i.e. the outline passes within r. Where the
// mask is cut by the field's border there is no outline the model drew.
func nearOutline(mask, inField []bool, w, h, x, y, r int) bool {
	var sawOn, sawOff bool
	for yy := max(0, y-r); yy <= min(h-1, y+r); yy++ {
		for xx := max(0, x-r); xx <= min(w-1, x+r); xx++ {
			if !inField[yy*w+xx] {
				continue
			}
			if mask[yy*w+xx] {
				sawOn = true
			} else {
				sawOff = true
			}
			if sawOn && sawOff {
				return true
			}
		}
	}
	return false
}
