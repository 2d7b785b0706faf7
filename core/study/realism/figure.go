package realism

import (
	"fmt"
	"image"
	"image/color"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Row is one labelled row of the figure.
type Row struct {
	Label  string
	Images []*image.Gray
}

// Figure tiles the rows' images, each fitted (aspect kept, box-averaged)
// into a tileW×tileH cell on a mid-grey background, a label line above
// every row: real images beside phantoms, as the eye compares them.
func Figure(rows []Row, tileW, tileH int) (*image.Gray, error) {
	if len(rows) == 0 || tileW < 16 || tileH < 16 {
		return nil, fmt.Errorf("realism: figure needs rows and tiles of at least 16 px")
	}
	const gap, labelH = 4, 16
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r.Images))
	}
	if cols == 0 {
		return nil, fmt.Errorf("realism: figure has no images")
	}
	W := cols*(tileW+gap) + gap
	H := len(rows)*(tileH+gap+labelH) + gap
	out := image.NewGray(image.Rect(0, 0, W, H))
	for i := range out.Pix {
		out.Pix[i] = 96
	}
	d := font.Drawer{Dst: out, Src: image.NewUniform(color.Gray{255}), Face: basicfont.Face7x13}
	for ri, r := range rows {
		y0 := gap + ri*(tileH+gap+labelH)
		d.Dot = fixed.P(gap, y0+12)
		d.DrawString(r.Label)
		for ci, g := range r.Images {
			if g == nil || g.Bounds().Empty() {
				continue
			}
			paste(out, fit(g, tileW, tileH), gap+ci*(tileW+gap), y0+labelH)
		}
	}
	return out, nil
}

// fit box-averages g into the largest size within w×h that keeps its aspect.
func fit(g *image.Gray, w, h int) *image.Gray {
	b := g.Bounds()
	s := min(float64(w)/float64(b.Dx()), float64(h)/float64(b.Dy()))
	ow, oh := max(1, int(float64(b.Dx())*s)), max(1, int(float64(b.Dy())*s))
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	for y := 0; y < oh; y++ {
		sy0, sy1 := b.Min.Y+y*b.Dy()/oh, b.Min.Y+max((y+1)*b.Dy()/oh, y*b.Dy()/oh+1)
		for x := 0; x < ow; x++ {
			sx0, sx1 := b.Min.X+x*b.Dx()/ow, b.Min.X+max((x+1)*b.Dx()/ow, x*b.Dx()/ow+1)
			sum, n := 0, 0
			for yy := sy0; yy < sy1; yy++ {
				for xx := sx0; xx < sx1; xx++ {
					sum += int(g.Pix[g.PixOffset(xx, yy)])
					n++
				}
			}
			out.Pix[y*ow+x] = uint8(sum / n)
		}
	}
	return out
}

func paste(dst, src *image.Gray, x0, y0 int) {
	for y := 0; y < src.Rect.Dy(); y++ {
		copy(dst.Pix[dst.PixOffset(x0, y0+y):][:src.Rect.Dx()], src.Pix[y*src.Stride:][:src.Rect.Dx()])
	}
}
