// Package render draws what a person looks at: the mask as a PNG and the
// image with the muscle's contour and a translucent fill.
package render

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"myoseg/core/imaging/mask"
)

// Colours of the overlay: a fill that leaves speckle visible, a contour
// that stands out on grey, and a dim frame for the detected field.
var (
	fillColour    = color.RGBA{255, 200, 0, 255}
	contourColour = color.RGBA{255, 60, 40, 255}
	fieldColour   = color.RGBA{70, 140, 255, 255}
)

const fillAlpha = 0.30

// MaskPNG encodes a mask as 8-bit grey PNG, 0 outside and 255 inside.
func MaskPNG(m *image.Gray) ([]byte, error) {
	b := m.Bounds()
	out := mask.FromGray(m, b).Gray(b.Min)
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("render: mask PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// Overlay draws the mask on the grey image: translucent fill, a contour
// about 2 px thick per 500 px of image, and the field's frame.
func Overlay(g, mk *image.Gray, field image.Rectangle) (*image.RGBA, error) {
	b := g.Bounds()
	if mk.Bounds() != b {
		return nil, fmt.Errorf("render: mask %v does not match image %v", mk.Bounds(), b)
	}
	out := image.NewRGBA(b)
	thick := max(1, (max(b.Dx(), b.Dy())+250)/500)
	// A blank frame thick wide: beyond the image is not muscle.
	m := mask.FromGray(mk, b.Inset(-thick))
	in := func(x, y int) bool {
		return m.Pix[(y-b.Min.Y+thick)*m.W+x-b.Min.X+thick]
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := g.Pix[g.PixOffset(x, y)]
			c := color.RGBA{v, v, v, 255}
			if in(x, y) {
				c = blend(c, fillColour, fillAlpha)
				// Contour: a mask pixel within thick of a non-mask pixel.
			edge:
				for dy := -thick; dy <= thick; dy++ {
					for dx := -thick; dx <= thick; dx++ {
						if dx*dx+dy*dy <= thick*thick && !in(x+dx, y+dy) {
							c = contourColour
							break edge
						}
					}
				}
			}
			out.SetRGBA(x, y, c)
		}
	}
	field = field.Intersect(b)
	if !field.Empty() && field != b {
		for x := field.Min.X; x < field.Max.X; x++ {
			if (x/6)%2 == 0 { // dashed, so it is not mistaken for tissue
				out.SetRGBA(x, field.Min.Y, fieldColour)
				out.SetRGBA(x, field.Max.Y-1, fieldColour)
			}
		}
		for y := field.Min.Y; y < field.Max.Y; y++ {
			if (y/6)%2 == 0 {
				out.SetRGBA(field.Min.X, y, fieldColour)
				out.SetRGBA(field.Max.X-1, y, fieldColour)
			}
		}
	}
	return out, nil
}

func blend(a, b color.RGBA, t float64) color.RGBA {
	mix := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t + 0.5) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}

// OverlayPNG encodes Overlay as PNG.
func OverlayPNG(g, mask *image.Gray, field image.Rectangle) ([]byte, error) {
	img, err := Overlay(g, mask, field)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("render: overlay PNG: %w", err)
	}
	return buf.Bytes(), nil
}
