// Package mask is the one home of binary masks: the Mask type the imaging
// steps compute on, its conversion to and from the 0/255 *image.Gray that
// packages exchange (non-zero = set), filling holes and labelling
// 8-connected regions.
//
// The two connectivities pair up as usual: regions are 8-connected, so the
// background between them, and a hole, is 4-connected. A diagonal gap in an
// outline therefore does not let the outside into a hole.
package mask

import "image"

// Mask is a binary image of W×H pixels, row-major, true = set; its origin is
// (0, 0). A Mask built around an existing slice shares it.
type Mask struct {
	W, H int
	Pix  []bool
}

// New returns an empty w×h mask.
func New(w, h int) Mask {
	return Mask{W: w, H: h, Pix: make([]bool, w*h)}
}

// At reports whether (x, y) is set; pixels outside the mask are not.
func (m Mask) At(x, y int) bool {
	return x >= 0 && y >= 0 && x < m.W && y < m.H && m.Pix[y*m.W+x]
}

// Count is the number of set pixels.
func (m Mask) Count() int {
	n := 0
	for _, v := range m.Pix {
		if v {
			n++
		}
	}
	return n
}

// Bounds is the bounding box of the set pixels, empty when there are none.
func (m Mask) Bounds() image.Rectangle {
	var r image.Rectangle
	for y := 0; y < m.H; y++ {
		row := m.Pix[y*m.W : (y+1)*m.W]
		x0 := -1
		for x, v := range row {
			if v {
				x0 = x
				break
			}
		}
		if x0 < 0 {
			continue
		}
		x1 := x0
		for x := m.W - 1; x > x0; x-- {
			if row[x] {
				x1 = x
				break
			}
		}
		r = r.Union(image.Rect(x0, y, x1+1, y+1))
	}
	return r
}

// Crop returns a copy of the pixels of m inside r (clipped to m), with r's
// top-left corner as its (0, 0).
func (m Mask) Crop(r image.Rectangle) Mask {
	r = r.Intersect(image.Rect(0, 0, m.W, m.H))
	out := New(r.Dx(), r.Dy())
	for y := 0; y < out.H; y++ {
		copy(out.Pix[y*out.W:(y+1)*out.W], m.Pix[(r.Min.Y+y)*m.W+r.Min.X:])
	}
	return out
}

// And is the set of pixels set in both a and b (same size).
func And(a, b Mask) Mask {
	out := New(a.W, a.H)
	for i := range out.Pix {
		out.Pix[i] = a.Pix[i] && b.Pix[i]
	}
	return out
}

// AndNot is the set of pixels set in a and not in b (same size).
func AndNot(a, b Mask) Mask {
	out := New(a.W, a.H)
	for i := range out.Pix {
		out.Pix[i] = a.Pix[i] && !b.Pix[i]
	}
	return out
}

// FromGray reads the pixels of g inside r as a mask whose (0, 0) is r.Min:
// set where g is non-zero. Pixels of r beyond g's bounds are unset, so a
// rectangle grown past g gives a blank frame around it.
func FromGray(g *image.Gray, r image.Rectangle) Mask {
	m := New(r.Dx(), r.Dy())
	in := r.Intersect(g.Bounds())
	for y := in.Min.Y; y < in.Max.Y; y++ {
		src := g.Pix[g.PixOffset(in.Min.X, y):][:in.Dx()]
		dst := m.Pix[(y-r.Min.Y)*m.W+in.Min.X-r.Min.X:][:in.Dx()]
		for i, v := range src {
			dst[i] = v != 0
		}
	}
	return m
}

// Paint sets to 255 the pixels of dst under m's set pixels, with m's (0, 0)
// at at; the rest of dst is left as it is, and what falls beyond dst's
// bounds is skipped.
func (m Mask) Paint(dst *image.Gray, at image.Point) {
	r := image.Rect(at.X, at.Y, at.X+m.W, at.Y+m.H).Intersect(dst.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		src := m.Pix[(y-at.Y)*m.W+r.Min.X-at.X:][:r.Dx()]
		row := dst.Pix[dst.PixOffset(r.Min.X, y):][:r.Dx()]
		for i, v := range src {
			if v {
				row[i] = 255
			}
		}
	}
}

// Gray returns m as a new 0/255 image with m's (0, 0) at at.
func (m Mask) Gray(at image.Point) *image.Gray {
	g := image.NewGray(image.Rect(at.X, at.Y, at.X+m.W, at.Y+m.H))
	m.Paint(g, at)
	return g
}
