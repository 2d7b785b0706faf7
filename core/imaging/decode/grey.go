package decode

import (
	"image"
	"image/color"
)

// luma is ITU-R BT.601 luma, 0.299 R + 0.587 G + 0.114 B, rounded half up.
// The coefficients are exact in thousandths, so integer arithmetic gives the
// exactly rounded value (no fixed-point approximation error).
func luma(r, g, b uint8) uint8 {
	return uint8((299*uint32(r) + 587*uint32(g) + 114*uint32(b) + 500) / 1000)
}

// yccGrey is luma(color.YCbCrToRGB(y, cb, cr)) written out: the same
// integer JFIF conversion and clamping as the standard library (checked over
// all 2^24 inputs in the tests), with branch-free clamping.
func yccGrey(y, cb, cr uint8) uint8 {
	yy := int32(y) * 0x10101
	cb1, cr1 := int32(cb)-128, int32(cr)-128
	r := clamp16(yy + 91881*cr1)
	g := clamp16(yy - 22554*cb1 - 46802*cr1)
	b := clamp16(yy + 116130*cb1)
	return uint8((299*r + 587*g + 114*b + 500) / 1000)
}

// clamp16 is v>>16 clamped to 0..255, without branches: chroma in colour
// pictures is too irregular for branch prediction.
func clamp16(v int32) uint32 {
	v >>= 16             // arithmetic shift: negative stays negative
	v &^= v >> 31        // negative → 0
	v |= (255 - v) >> 31 // above 255 → all ones
	return uint32(v) & 255
}

// colorGrey maps one colour to its grey value by the package rules: grey as
// is, 16-bit by the high byte, colour by luma of the stored channels (alpha
// ignored, so non-premultiplied colours are not darkened by their alpha).
func colorGrey(c color.Color) uint8 {
	switch c := c.(type) {
	case color.Gray:
		return c.Y
	case color.Gray16:
		return uint8(c.Y >> 8)
	case color.RGBA:
		return luma(c.R, c.G, c.B)
	case color.NRGBA:
		return luma(c.R, c.G, c.B)
	case color.NRGBA64:
		return luma(uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8))
	case color.YCbCr:
		return luma(color.YCbCrToRGB(c.Y, c.Cb, c.Cr))
	case nil:
		return 0
	}
	r, g, b, _ := c.RGBA()
	return luma(uint8(r>>8), uint8(g>>8), uint8(b>>8))
}

// toGray converts any decoded image to the 8-bit grey plane, with bounds
// moved to (0,0). The common decoder outputs are converted straight from
// their Pix slices; other types go through At (slow, exact same rules).
func toGray(m image.Image) *image.Gray {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	g := image.NewGray(image.Rect(0, 0, w, h))
	if w == 0 || h == 0 {
		return g
	}
	switch s := m.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			i := s.PixOffset(b.Min.X, b.Min.Y+y)
			copy(g.Pix[y*g.Stride:y*g.Stride+w], s.Pix[i:i+w])
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			i := s.PixOffset(b.Min.X, b.Min.Y+y)
			src, dst := s.Pix[i:i+2*w], g.Pix[y*g.Stride:y*g.Stride+w]
			for x := range dst {
				dst[x] = src[2*x] // big-endian: the high byte comes first
			}
		}
	case *image.RGBA:
		lumaRows(g, s.Pix, s.PixOffset(b.Min.X, b.Min.Y), s.Stride, 4, 1)
	case *image.NRGBA:
		lumaRows(g, s.Pix, s.PixOffset(b.Min.X, b.Min.Y), s.Stride, 4, 1)
	case *image.RGBA64:
		lumaRows(g, s.Pix, s.PixOffset(b.Min.X, b.Min.Y), s.Stride, 8, 2)
	case *image.NRGBA64:
		lumaRows(g, s.Pix, s.PixOffset(b.Min.X, b.Min.Y), s.Stride, 8, 2)
	case *image.Paletted:
		var lut [256]uint8 // indices past the palette stay black, as in most viewers
		for i, c := range s.Palette {
			if i < len(lut) {
				lut[i] = colorGrey(c)
			}
		}
		for y := 0; y < h; y++ {
			i := s.PixOffset(b.Min.X, b.Min.Y+y)
			src, dst := s.Pix[i:i+w], g.Pix[y*g.Stride:y*g.Stride+w]
			for x := range dst {
				dst[x] = lut[src[x]]
			}
		}
	case *image.YCbCr:
		if !ycbcrGray(g, s) {
			genericGray(g, m)
		}
	default:
		genericGray(g, m)
	}
	return g
}

// lumaRows converts interleaved R,G,B(,A) rows: px bytes per pixel, sample
// step between R, G and B (2 for 16-bit samples, whose high byte comes first).
func lumaRows(g *image.Gray, pix []uint8, off, stride, px, step int) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	for y := 0; y < h; y++ {
		i := off + y*stride
		src, dst := pix[i:i+px*w], g.Pix[y*g.Stride:y*g.Stride+w]
		if px == 4 { // the common case, written out so the compiler drops bounds checks
			for x := range dst {
				p := src[4*x : 4*x+3 : 4*x+3]
				dst[x] = luma(p[0], p[1], p[2])
			}
			continue
		}
		for x := range dst {
			p := src[px*x : px*x+px]
			dst[x] = luma(p[0], p[step], p[2*step])
		}
	}
}

// ycbcrGray converts through RGB (the colours a viewer shows), then luma, so
// a colour JPEG gets the same grey as the same picture stored as RGB.
// It reports false for a subsampling ratio it does not know, or bounds left
// of or above the origin (where shifts and image.YCbCr's division differ).
func ycbcrGray(g *image.Gray, s *image.YCbCr) bool {
	var xs, ys uint // chroma subsampling as shifts, as in image.YCbCr.COffset
	switch s.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		xs, ys = 0, 0
	case image.YCbCrSubsampleRatio422:
		xs, ys = 1, 0
	case image.YCbCrSubsampleRatio420:
		xs, ys = 1, 1
	case image.YCbCrSubsampleRatio440:
		xs, ys = 0, 1
	case image.YCbCrSubsampleRatio411:
		xs, ys = 2, 0
	case image.YCbCrSubsampleRatio410:
		xs, ys = 2, 1
	default:
		return false
	}
	b := s.Rect
	if b.Min.X < 0 || b.Min.Y < 0 {
		return false
	}
	w, h := b.Dx(), b.Dy()
	for y := 0; y < h; y++ {
		sy := b.Min.Y + y
		yrow := s.Y[s.YOffset(b.Min.X, sy):]
		yrow = yrow[:w]
		c0 := (sy>>ys-b.Min.Y>>ys)*s.CStride - b.Min.X>>xs
		dst := g.Pix[y*g.Stride : y*g.Stride+w]
		for x := range dst {
			ci := c0 + (b.Min.X+x)>>xs
			cb, cr := s.Cb[ci], s.Cr[ci]
			if cb == 128 && cr == 128 { // neutral: RGB is (Y,Y,Y) exactly, so grey is Y; most of a B-mode image
				dst[x] = yrow[x]
				continue
			}
			dst[x] = yccGrey(yrow[x], cb, cr)
		}
	}
	return true
}

func genericGray(g *image.Gray, m image.Image) {
	b := m.Bounds()
	for y := 0; y < b.Dy(); y++ {
		dst := g.Pix[y*g.Stride : y*g.Stride+b.Dx()]
		for x := range dst {
			dst[x] = colorGrey(m.At(b.Min.X+x, b.Min.Y+y))
		}
	}
}
