package field

import (
	"image"

	"myoseg/core/imaging/mask"
)

// Pixel states in flood.state.
const (
	stNone  = 0
	stField = 1 // passed the gate and was reached from the interior
	stEdge  = 2 // content pixel next to a field pixel that failed the gate
)

// flood grows the field from the component's interior blocks through the ring
// blocks, pixel by pixel (see doc.go, step 4).
type flood struct {
	px      pixels
	content *[256]bool
	inner   mask.Mask // block maps
	ring    mask.Mask
	state   []uint8
	stack   []int

	// Bounding box (inclusive) of the field and edge pixels reached in the
	// ring; minX > maxX when none.
	minX, minY, maxX, maxY int
}

func newFlood(p pixels, content *[256]bool, inner, ring mask.Mask) *flood {
	return &flood{
		px: p, content: content, inner: inner, ring: ring,
		state: make([]uint8, p.w*p.h),
		minX:  p.w, minY: p.h, maxX: -1, maxY: -1,
	}
}

func (f *flood) isContent(x, y int) bool {
	if x < 0 || y < 0 || x >= f.px.w || y >= f.px.h {
		return false
	}
	return f.content[f.px.g.Pix[y*f.px.g.Stride+x]]
}

// gated reports whether (x, y) is content with at least gateMin content pixels
// in its 3×3 neighbourhood; pixels outside the image count as background.
func (f *flood) gated(x, y int) bool {
	if !f.isContent(x, y) {
		return false
	}
	n := 0
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			if f.isContent(x+dx, y+dy) {
				n++
			}
		}
	}
	return n >= gateMin
}

func (f *flood) inInner(x, y int) bool {
	return f.inner.Pix[(y/blockSize)*f.inner.W+x/blockSize]
}

func (f *flood) inRing(x, y int) bool {
	return f.ring.Pix[(y/blockSize)*f.ring.W+x/blockSize]
}

func (f *flood) grow(x, y int) {
	f.minX, f.maxX = min(f.minX, x), max(f.maxX, x)
	f.minY, f.maxY = min(f.minY, y), max(f.maxY, y)
}

// run seeds the fill with the interior pixels that face a ring block and
// grows it.
func (f *flood) run() {
	bw, bh := f.inner.W, f.inner.H
	w, h := f.px.w, f.px.h
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			if !f.inner.At(bx, by) {
				continue
			}
			x0, y0 := bx*blockSize, by*blockSize
			x1, y1 := min(x0+blockSize, w)-1, min(y0+blockSize, h)-1
			if by > 0 && f.ring.At(bx, by-1) {
				for x := x0; x <= x1; x++ {
					f.push(x, y0)
				}
			}
			if by < bh-1 && f.ring.At(bx, by+1) {
				for x := x0; x <= x1; x++ {
					f.push(x, y1)
				}
			}
			if bx > 0 && f.ring.At(bx-1, by) {
				for y := y0; y <= y1; y++ {
					f.push(x0, y)
				}
			}
			if bx < bw-1 && f.ring.At(bx+1, by) {
				for y := y0; y <= y1; y++ {
					f.push(x1, y)
				}
			}
		}
	}
	for len(f.stack) > 0 {
		i := f.stack[len(f.stack)-1]
		f.stack = f.stack[:len(f.stack)-1]
		x, y := i%w, i/w
		f.visit(x-1, y)
		f.visit(x+1, y)
		f.visit(x, y-1)
		f.visit(x, y+1)
	}
}

func (f *flood) push(x, y int) {
	f.stack = append(f.stack, y*f.px.w+x)
}

// visit is called for a neighbour of a field pixel.
func (f *flood) visit(x, y int) {
	if x < 0 || y < 0 || x >= f.px.w || y >= f.px.h {
		return
	}
	i := y*f.px.w + x
	if f.state[i] != stNone || f.inInner(x, y) {
		return
	}
	if f.inRing(x, y) && f.gated(x, y) {
		f.state[i] = stField
		f.grow(x, y)
		f.push(x, y)
		return
	}
	// A content pixel beside the field that the gate shaved off: the field's
	// outermost row or column. Keep it, but grow no further from it.
	if f.isContent(x, y) {
		f.state[i] = stEdge
		f.grow(x, y)
	}
}

// rect is the bounding box (origin-based) of the interior blocks and the
// pixels reached in the ring.
func (f *flood) rect() image.Rectangle {
	minX, minY, maxX, maxY := f.minX, f.minY, f.maxX, f.maxY
	for by := 0; by < f.inner.H; by++ {
		for bx := 0; bx < f.inner.W; bx++ {
			if !f.inner.At(bx, by) {
				continue
			}
			minX, minY = min(minX, bx*blockSize), min(minY, by*blockSize)
			maxX = max(maxX, min(bx*blockSize+blockSize, f.px.w)-1)
			maxY = max(maxY, min(by*blockSize+blockSize, f.px.h)-1)
		}
	}
	return image.Rect(minX, minY, maxX+1, maxY+1)
}

// mask paints the field (interior blocks, reached pixels, holes filled) into
// a new image with bounds b.
func (f *flood) mask(b image.Rectangle) *image.Gray {
	w, h := f.px.w, f.px.h
	// Every painted pixel lies in r, so the holes are filled there: an unset
	// pixel outside r reaches the image edge anyway.
	r := f.rect()
	m := mask.New(r.Dx(), r.Dy())
	for by := 0; by < f.inner.H; by++ {
		for bx := 0; bx < f.inner.W; bx++ {
			if !f.inner.At(bx, by) {
				continue
			}
			for y := by * blockSize; y < min(by*blockSize+blockSize, h); y++ {
				row := m.Pix[(y-r.Min.Y)*m.W:]
				for x := bx * blockSize; x < min(bx*blockSize+blockSize, w); x++ {
					row[x-r.Min.X] = true
				}
			}
		}
	}
	for i, s := range f.state {
		if s != stNone {
			m.Pix[(i/w-r.Min.Y)*m.W+i%w-r.Min.X] = true
		}
	}
	out := image.NewGray(b)
	mask.FillHoles(m).Paint(out, b.Min.Add(r.Min))
	return out
}
