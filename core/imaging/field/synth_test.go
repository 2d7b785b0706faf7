package field

import (
	"image"
	"math"
	"math/rand/v2"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// screen is a synthetic scanner screen capture: a grey image, where the
// B-mode field is, and which pixels are burned-in graphics (text, scale,
// bars, logo) that the field must never contain.
type screen struct {
	g   *image.Gray
	ink []bool // origin-based, w×h: true where graphics were drawn
}

func newScreen(w, h int, bg uint8) *screen {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = bg
	}
	return &screen{g: g, ink: make([]bool, w*h)}
}

func (s *screen) w() int { return s.g.Rect.Dx() }
func (s *screen) h() int { return s.g.Rect.Dy() }

// paint sets a graphics pixel.
func (s *screen) paint(x, y int, v uint8) {
	if x < 0 || y < 0 || x >= s.w() || y >= s.h() {
		return
	}
	s.g.Pix[y*s.g.Stride+x] = v
	s.ink[y*s.w()+x] = true
}

// inkIn counts graphics pixels inside r.
func (s *screen) inkIn(r image.Rectangle) int {
	n := 0
	r = r.Intersect(s.g.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if s.ink[y*s.w()+x] {
				n++
			}
		}
	}
	return n
}

// speckleValue is one B-mode sample: log-compressed Rayleigh speckle around
// mean, with a bright fascia band when fascia is set. It never depends on the
// graphics, so a field painted in two calls is seamless.
type speckleGen struct {
	rng *rand.Rand
}

func newSpeckle(seed uint64) *speckleGen {
	return &speckleGen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// fill paints B-mode speckle into the pixels of r for which inside reports
// true (nil = all of r): correlated Rayleigh speckle with the given mean grey,
// a few bright curved fascia lines, and an anechoic (near-black) ellipse when
// dark is set. Values are clamped to 0..255 and may reach 0, as real fields do.
func (sp *speckleGen) fill(g *image.Gray, r image.Rectangle, mean float64, dark bool, inside func(x, y int) bool) {
	w, h := r.Dx()+2, r.Dy()+2
	raw := make([]float64, w*h)
	for i := range raw {
		u := sp.rng.Float64()
		raw[i] = math.Sqrt(-2 * math.Log(1-u)) // Rayleigh, σ = 1, mean ≈ 1.25
	}
	// Fascia: sinusoidal bright lines across the field.
	type line struct{ y0, amp, period, phase float64 }
	var lines []line
	for k := 0; k < 3; k++ {
		lines = append(lines, line{
			y0:     float64(r.Dy()) * (0.15 + 0.3*float64(k)),
			amp:    float64(r.Dy()) * 0.04,
			period: float64(r.Dx()) * (0.8 + 0.3*float64(k)),
			phase:  float64(k),
		})
	}
	cx, cy := float64(r.Dx())*0.6, float64(r.Dy())*0.55
	rx, ry := float64(r.Dx())*0.12, float64(r.Dy())*0.08
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			px, py := r.Min.X+x, r.Min.Y+y
			if inside != nil && !inside(px, py) {
				continue
			}
			// 3×3 box blur of the Rayleigh field: speckle grains of a few
			// pixels, like a real B-mode.
			s := 0.0
			for dy := 0; dy < 3; dy++ {
				for dx := 0; dx < 3; dx++ {
					s += raw[(y+dy)*w+x+dx]
				}
			}
			v := mean * (s / 9) / 1.25
			for _, l := range lines {
				yl := l.y0 + l.amp*math.Sin(2*math.Pi*float64(x)/l.period+l.phase)
				if d := math.Abs(float64(y) - yl); d < 2.5 {
					v += 110 * (1 - d/2.5)
				}
			}
			if dark {
				ex, ey := (float64(x)-cx)/rx, (float64(y)-cy)/ry
				if ex*ex+ey*ey < 1 {
					v *= 0.06
				}
			}
			g.Pix[(py-g.Rect.Min.Y)*g.Stride+px-g.Rect.Min.X] = uint8(math.Round(max(0, min(255, v))))
		}
	}
}

// text draws s with the 7×13 basic font, magnified by scale (nearest
// neighbour: bold, blocky strokes like scanner labels), its top-left at (x, y).
func (s *screen) text(x, y int, str string, scale int, v uint8) {
	face := basicfont.Face7x13
	wpx := font.MeasureString(face, str).Ceil()
	a := image.NewAlpha(image.Rect(0, 0, wpx, face.Height))
	d := font.Drawer{Dst: a, Src: image.Opaque, Face: face, Dot: fixed.P(0, face.Ascent)}
	d.DrawString(str)
	for ty := 0; ty < face.Height; ty++ {
		for tx := 0; tx < wpx; tx++ {
			if a.AlphaAt(tx, ty).A < 128 {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					s.paint(x+tx*scale+dx, y+ty*scale+dy, v)
				}
			}
		}
	}
}

// textBox is the box text would occupy.
func textBox(x, y int, str string, scale int) image.Rectangle {
	face := basicfont.Face7x13
	return image.Rect(x, y, x+scale*font.MeasureString(face, str).Ceil(), y+scale*face.Height)
}

// bar fills r with a flat grey (a title bar).
func (s *screen) bar(r image.Rectangle, v uint8) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			s.paint(x, y, v)
		}
	}
}

// greyBar draws a vertical grey ramp (the grey map bar beside the image).
func (s *screen) greyBar(r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		v := uint8(255 * (r.Max.Y - 1 - y) / max(1, r.Dy()-1))
		for x := r.Min.X; x < r.Max.X; x++ {
			s.paint(x, y, v)
		}
	}
}

// depthScale draws a vertical 1-px line at column x from y0 to y1 with 6-px
// ticks every step pixels pointing right and a depth number beside each.
func (s *screen) depthScale(x, y0, y1, step int) {
	for y := y0; y < y1; y++ {
		s.paint(x, y, 200)
	}
	for k, y := 0, y0; y < y1; k, y = k+1, y+step {
		for dx := 0; dx < 6; dx++ {
			s.paint(x+dx, y, 200)
		}
		s.text(x+9, y-6, string(rune('0'+k%10)), 1, 200)
	}
}

// logo draws a radially shaded disc with two letters on it (the scanner
// maker's badge): smooth shading, so its blocks are not flat.
func (s *screen) logo(cx, cy, r int) {
	for y := cy - r; y <= cy+r; y++ {
		for x := cx - r; x <= cx+r; x++ {
			d := math.Hypot(float64(x-cx), float64(y-cy))
			if d <= float64(r) {
				s.paint(x, y, uint8(60+120*(1-d/float64(r))))
			}
		}
	}
	s.text(cx-7, cy-6, "GE", 1, 250)
}

// focusMarker draws the small triangle scanners put beside the depth scale.
func (s *screen) focusMarker(x, y int) {
	for dy := -4; dy <= 4; dy++ {
		for dx := 0; dx <= 4-abs(dy); dx++ {
			s.paint(x+dx, y+dy, 230)
		}
	}
}

// captureOpts describes a synthetic linear-probe screen capture.
type captureOpts struct {
	w, h     int
	field    image.Rectangle
	mean     float64 // mean grey of the speckle
	dark     bool    // anechoic ellipse in the field
	labelGap int     // rows between the label's bottom and the field's top (label drawn when > 0)
	scaleGap int     // columns between the field's right edge and the depth scale
	sideText bool    // parameter column at the left
	header   bool    // grey title bar with logo and text at the top
	seed     uint64
}

// capture builds the screen described by o.
func capture(o captureOpts) *screen {
	s := newScreen(o.w, o.h, 0)
	newSpeckle(o.seed).fill(s.g, o.field, o.mean, o.dark, nil)
	f := o.field
	if o.header {
		s.bar(image.Rect(0, 0, o.w, 40), 22)
		s.logo(40, 20, 16)
		s.text(70, 6, "MYOSEG GENERAL HOSPITAL  03/04/25 10:11:12", 1, 150)
		s.text(70, 22, "MSK  L12-5  MI 0.9  TIS 0.4", 1, 150)
	}
	if o.labelGap > 0 {
		str := "RIGHT RECTUS FEMORIS"
		b := textBox(0, 0, str, 2)
		s.text(f.Min.X+10, f.Min.Y-o.labelGap-b.Dy(), str, 2, 230)
	}
	if o.scaleGap > 0 {
		s.depthScale(f.Max.X+o.scaleGap-1, f.Min.Y, f.Max.Y, 40)
		s.focusMarker(f.Max.X+o.scaleGap+20, f.Min.Y+f.Dy()/3)
	}
	if o.sideText {
		lines := []string{"Frq 12.0", "Gn 56", "DR 69", "D 4.0cm", "FR 24", "Map B/0", "AO% 100", "S/A 7/0"}
		for i, l := range lines {
			s.text(8, f.Min.Y+4+18*i, l, 1, 190)
		}
	}
	s.greyBar(image.Rect(o.w-24, f.Min.Y, o.w-10, f.Min.Y+min(200, f.Dy())))
	return s
}
