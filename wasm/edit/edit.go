// Package edit is the worker's side of correcting a mask by hand: the page
// sends clicks, handles and masks, this package answers with paths, handles
// and masks (package contour does the geometry). It keeps one livewire cost,
// for the image being edited, as building it takes longer than a mouse move.
//
// Masks travel as w×h bytes, 0 = background, anything else = muscle; masks
// going back to the page are 0/255.
package edit

import (
	"errors"
	"fmt"
	"image"
	"sync"

	"myoseg/core/imaging/contour"
	"myoseg/core/imaging/field"
	"myoseg/core/imaging/mask"
)

// Editor holds the livewire cost of the image being edited.
type Editor struct {
	mu   sync.Mutex
	id   string
	w, h int
	cost *contour.Cost
}

// Prepare builds the livewire cost of item id's grey image (w×h bytes),
// restricted to its ultrasound field. Preparing the same id again keeps the
// cost already built.
func (e *Editor) Prepare(id string, gray []byte, w, h int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.id == id && e.cost != nil && e.w == w && e.h == h {
		return nil
	}
	if w <= 0 || h <= 0 || len(gray) != w*h {
		return fmt.Errorf("edit: grey image of %d bytes is not %d×%d", len(gray), w, h)
	}
	g := &image.Gray{Pix: gray, Stride: w, Rect: image.Rect(0, 0, w, h)}
	_, fm := field.FindMask(g)
	cost, err := contour.NewCost(g, mask.FromGray(fm, g.Rect))
	if err != nil {
		return fmt.Errorf("edit: livewire cost of %s: %w", id, err)
	}
	e.id, e.w, e.h, e.cost = id, w, h, cost
	return nil
}

// errNotPrepared is returned when a livewire request names another image
// than the one prepared.
var errNotPrepared = errors.New("edit: the livewire is not prepared for this image")

func (e *Editor) costOf(id string) (*contour.Cost, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.id != id || e.cost == nil {
		return nil, errNotPrepared
	}
	return e.cost, nil
}

// Wire is the livewire path from a to b (pixels) on item id's image, as
// pixel centres.
func (e *Editor) Wire(id string, a, b contour.Point) ([]contour.Point, error) {
	c, err := e.costOf(id)
	if err != nil {
		return nil, err
	}
	path, err := c.Path(pixel(a), pixel(b))
	if err != nil {
		return nil, err
	}
	out := make([]contour.Point, len(path))
	for i, p := range path {
		out[i] = contour.Point{X: float64(p.X) + 0.5, Y: float64(p.Y) + 0.5}
	}
	return out, nil
}

func pixel(p contour.Point) image.Point {
	return image.Pt(int(p.X), int(p.Y))
}

// Outline closes the outline through clicks on item id's w×h image into a
// mask. With snap, each stretch follows the livewire unless straight[i]
// says so; without it, the outline is the smooth spline through the clicks.
func (e *Editor) Outline(id string, clicks []contour.Point, straight []bool, snap bool, w, h int) ([]byte, error) {
	var m mask.Mask
	var err error
	if snap {
		c, cerr := e.costOf(id)
		if cerr != nil {
			return nil, cerr
		}
		poly, perr := c.Snapped(clicks, straight)
		if perr != nil {
			return nil, perr
		}
		m, err = contour.Fill(poly, w, h)
	} else {
		m, err = contour.Outline(clicks, w, h)
	}
	if err != nil {
		return nil, err
	}
	return bytes(m), nil
}

// Handles returns the contour handles of the largest region of a w×h mask.
func Handles(m []byte, w, h int) ([]contour.Point, error) {
	mm, err := unpack(m, w, h)
	if err != nil {
		return nil, err
	}
	return contour.FromMask(mm)
}

// FromHandles is the w×h mask inside the smooth contour through hs.
func FromHandles(hs []contour.Point, w, h int) ([]byte, error) {
	m, err := contour.Outline(hs, w, h)
	if err != nil {
		return nil, err
	}
	return bytes(m), nil
}

// Tidy is the paper's clean-up applied to a hand-edited mask, so that it
// stays one region: after a brush stroke (fill) holes are filled and the
// region holding keep (the stroke's last point, in pixels) is kept; after
// an eraser stroke only the largest region is kept, and holes stay, as the
// eraser may have made them on purpose. A keep outside the mask also means
// the largest region.
func Tidy(m []byte, w, h int, fill bool, keep image.Point) ([]byte, error) {
	mm, err := unpack(m, w, h)
	if err != nil {
		return nil, err
	}
	if fill {
		mm = mask.FillHoles(mm)
	}
	labels, comps := mask.Label(mm)
	best := int32(0)
	if keep.X >= 0 && keep.Y >= 0 && keep.X < w && keep.Y < h {
		best = labels[keep.Y*w+keep.X]
	}
	if best == 0 {
		for i, c := range comps {
			if best == 0 || c.Area > comps[best-1].Area {
				best = int32(i + 1)
			}
		}
	}
	out := make([]byte, w*h)
	for i, l := range labels {
		if l != 0 && l == best {
			out[i] = 255
		}
	}
	return out, nil
}

func unpack(b []byte, w, h int) (mask.Mask, error) {
	if w <= 0 || h <= 0 || len(b) != w*h {
		return mask.Mask{}, fmt.Errorf("edit: mask of %d bytes is not %d×%d", len(b), w, h)
	}
	m := mask.New(w, h)
	for i, v := range b {
		m.Pix[i] = v != 0
	}
	return m, nil
}

func bytes(m mask.Mask) []byte {
	out := make([]byte, len(m.Pix))
	for i, v := range m.Pix {
		if v {
			out[i] = 255
		}
	}
	return out
}
