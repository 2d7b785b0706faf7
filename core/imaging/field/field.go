package field

import (
	"image"

	"myoseg/core/imaging/mask"
)

// blockSize is the side of the square blocks on which speckle is judged. Eight
// pixels hold enough samples for the texture fractions to be stable and keep
// text strokes (1–3 px) well below a block's area.
const blockSize = 8

// Block speckle tests, as fractions of a block's pixels (see doc.go).
const (
	minContentFrac = 0.90
	minEitherFrac  = 0.60
	minBothFrac    = 0.15
)

// Faint tissue (blockGrid.dim): at least minDimFrac of a block's pixels are
// content, their mean distance from the background grey is at most
// maxDimExcess levels (text and UI strokes are far brighter), and at least
// minDimBoth of them differ from both neighbours (scattered, not a line).
const (
	minDimFrac   = 0.15
	maxDimExcess = 40
	minDimBoth   = 0.5
)

// Plausibility: the field must hold at least this many speckle blocks and this
// fraction of the image's blocks.
const (
	minFieldBlocks = 12
	minFieldFrac   = 0.01
)

// ringBlocks is how many blocks beyond the speckle component the pixel-level
// growth may reach: enough for the faint fading streaks at the ends of a
// panoramic band, small enough that a structure touching the field (a scale
// line thicker than the gate stops) cannot drag the edge far.
const ringBlocks = 2

// gateMin is how many of a pixel's 3×3 neighbourhood (itself included) must be
// content for the pixel-level flood fill to enter it.
const gateMin = 7

// Result is what Find reports.
type Result struct {
	// Rect is the field's bounding rectangle in g's coordinates; g.Bounds()
	// when nothing plausible was found.
	Rect image.Rectangle
	// Found is false when Rect is the fallback g.Bounds().
	Found bool
	// Background is the flat surroundings' grey level, -1 when the image has
	// none (full-frame B-mode).
	Background int
	// Tolerance is how far (in grey levels) a pixel may stray from Background
	// and still count as background.
	Tolerance int
}

// Detect returns the bounding rectangle of the B-mode field inside g.Bounds().
// It returns g.Bounds() when no plausible field is found (see doc.go), and an
// empty rectangle only for a nil or empty image.
func Detect(g *image.Gray) image.Rectangle {
	return Find(g).Rect
}

// Find is Detect with the diagnostics.
func Find(g *image.Gray) Result {
	res, _ := analyse(g, false)
	return res
}

// DetectMask returns a per-pixel field mask with g's bounds: 255 inside the
// field (holes filled), 0 outside. When no field is found every pixel is 255,
// matching Detect's fallback. It returns nil for a nil image.
// FindMask returns both Find's result and DetectMask's mask from one
// analysis.
func FindMask(g *image.Gray) (Result, *image.Gray) {
	if g == nil {
		return Result{}, nil
	}
	return analyse(g, true)
}

func DetectMask(g *image.Gray) *image.Gray {
	if g == nil {
		return nil
	}
	_, mask := analyse(g, true)
	return mask
}

// analyse runs the detection; the mask is built only when wantMask is set.
func analyse(g *image.Gray, wantMask bool) (Result, *image.Gray) {
	if g == nil {
		return Result{Background: -1}, nil
	}
	b := g.Bounds()
	res := Result{Rect: b, Background: -1}
	w, h := b.Dx(), b.Dy()
	if w < 2*blockSize || h < 2*blockSize || g.Stride < w || len(g.Pix) < (h-1)*g.Stride+w {
		// Too small to judge, or a malformed image.Gray whose pixels do not
		// cover its bounds.
		return res, fullMask(b, wantMask)
	}
	px := pixels{g: g, w: w, h: h}
	res.Background, res.Tolerance = background(px)
	var content [256]bool
	for v := range content {
		content[v] = res.Background < 0 || abs(v-res.Background) > res.Tolerance
	}

	grid := blockStats(px, &content, res.Background)
	comp, ok := fieldComponent(grid)
	if !ok {
		return res, fullMask(b, wantMask)
	}
	inner := erode(comp, true)
	if inner.Count() == 0 {
		// A field thinner than three blocks has no interior: its speckle
		// blocks seed the growth instead.
		inner = mask.And(comp, grid.speckle)
	}
	// The ring reaches ringBlocks beyond the component. Without a background
	// every pixel is content and the gate cannot find an edge, so the field
	// then keeps to its blocks.
	reach := comp
	if res.Background >= 0 {
		for range ringBlocks {
			reach = dilate(reach)
		}
	}
	ring := mask.AndNot(reach, inner)

	fl := newFlood(px, &content, inner, ring)
	fl.run()
	r := fl.rect()
	res.Rect = r.Add(b.Min)
	res.Found = true
	if !wantMask {
		return res, nil
	}
	return res, fl.mask(b)
}

// fullMask is the mask for the fallback: everything is field.
func fullMask(b image.Rectangle, want bool) *image.Gray {
	if !want {
		return nil
	}
	m := image.NewGray(b)
	for i := range m.Pix {
		m.Pix[i] = 255
	}
	return m
}

// pixels gives origin-based access to an image.Gray with any bounds.
type pixels struct {
	g    *image.Gray
	w, h int
}

// row returns row y (0-based) as a slice of w grey values.
func (p pixels) row(y int) []uint8 {
	off := y * p.g.Stride
	return p.g.Pix[off : off+p.w]
}

// background finds the flat surroundings' grey level from the image border:
// the most common value when it covers at least a fifth of the border, else
// -1. The tolerance widens the band while that still gathers border pixels
// (JPEG noise around the level), stopping at 4.
func background(p pixels) (level, tol int) {
	var hist [256]int
	n := 0
	add := func(v uint8) { hist[v]++; n++ }
	top, bottom := p.row(0), p.row(p.h-1)
	for x := 0; x < p.w; x++ {
		add(top[x])
		add(bottom[x])
	}
	for y := 1; y < p.h-1; y++ {
		r := p.row(y)
		add(r[0])
		add(r[p.w-1])
	}
	mode := 0
	for v := range hist {
		if hist[v] > hist[mode] {
			mode = v
		}
	}
	if 5*hist[mode] < n {
		return -1, 0
	}
	band := func(t int) int {
		s := 0
		for v := max(0, mode-t); v <= min(255, mode+t); v++ {
			s += hist[v]
		}
		return s
	}
	for tol = 0; tol < 4; tol++ {
		// Stop when one more level on each side adds under 1 % of the border.
		if 100*(band(tol+1)-band(tol)) < n {
			break
		}
	}
	return mode, tol
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
