// Command outline renders the hand-drawn validation masks of
// models/validation/real-outlines from the polygon points in its
// outlines.json, and draws inspection images for checking the outlines by eye.
//
// Each outline is a closed centripetal Catmull-Rom spline through the points
// (x, y in image pixels; pixel (i, j) covers [i, i+1) × [j, j+1), so its
// centre is (i+0.5, j+0.5)); a pixel is muscle (255) when its centre lies
// inside the spline by the even-odd rule, else background (0). Masks are
// 8-bit grey PNGs beside the images (…/Images/X.tif → …/Masks/X.png). It
// prints, per image, the number of points, the mask area in pixels and the
// spline's own (shoelace) area, which should agree to within about 0.5 %.
//
// Rerun (from the repository root):
//
//	go run ./models/validation/outline                       # rewrite all masks, print areas
//	go run ./models/validation/outline -inspect /tmp/ol      # also full views with a 50 px grid
//	go run ./models/validation/outline -inspect /tmp/ol -only SUB01_img1 -crop "0,200,400,500;900,200,1200,450" -zoom 3
//
// -nomask skips writing masks; -bare leaves the outline and points off the
// views; -gain 1.8 brightens the views (the VL scans are dark).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
	_ "golang.org/x/image/tiff"
)

// Outlines is the file outlines.json.
type Outlines struct {
	Note   string    `json:"note"`
	Images []Outline `json:"images"`
}

// Outline is one image's polygon: Image is relative to the dataset folder.
type Outline struct {
	Image  string       `json:"image"`
	Points [][2]float64 `json:"points"`
}

type pt struct{ x, y float64 }

func main() {
	dir := flag.String("dir", "models/validation/real-outlines", "dataset folder holding outlines.json")
	inspect := flag.String("inspect", "", "write inspection PNGs to this folder (keep it outside the repo)")
	only := flag.String("only", "", "comma-separated substrings: handle only images whose name contains one")
	crop := flag.String("crop", "", "semicolon-separated x0,y0,x1,y1 regions to zoom into (with -inspect)")
	zoom := flag.Int("zoom", 3, "zoom factor of the crops")
	grid := flag.Int("grid", 50, "grid spacing in image pixels")
	nomask := flag.Bool("nomask", false, "do not write masks")
	bare := flag.Bool("bare", false, "leave the outline off the inspection images")
	gain := flag.Float64("gain", 1, "brighten the inspection images by this factor")
	flag.Parse()

	var ol Outlines
	data, err := os.ReadFile(filepath.Join(*dir, "outlines.json"))
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(data, &ol); err != nil {
		log.Fatal(err)
	}
	for _, o := range ol.Images {
		if !selected(o.Image, *only) {
			continue
		}
		f, err := os.Open(filepath.Join(*dir, o.Image))
		if err != nil {
			log.Fatal(err)
		}
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			log.Fatalf("%s: %v", o.Image, err)
		}
		b := img.Bounds()
		var poly []pt
		if len(o.Points) >= 3 {
			poly = spline(o.Points, 12)
		}
		mask := fill(poly, b.Dx(), b.Dy())
		area := 0
		for _, v := range mask.Pix {
			if v != 0 {
				area++
			}
		}
		shoe := 0.0
		for i := range poly {
			a, b := poly[i], poly[(i+1)%len(poly)]
			shoe += a.x*b.y - b.x*a.y
		}
		fmt.Printf("%-36s %3d points %8d px (spline %.0f)\n", o.Image, len(o.Points), area, math.Abs(shoe)/2)
		if !*nomask && len(poly) > 0 {
			mp := strings.Replace(o.Image, "/Images/", "/Masks/", 1)
			mp = strings.TrimSuffix(mp, path.Ext(mp)) + ".png"
			if err := writePNG(filepath.Join(*dir, mp), mask); err != nil {
				log.Fatal(err)
			}
		}
		if *inspect == "" {
			continue
		}
		if err := os.MkdirAll(*inspect, 0o755); err != nil {
			log.Fatal(err)
		}
		stem := strings.TrimSuffix(path.Base(o.Image), path.Ext(o.Image))
		if *bare {
			poly, o.Points = nil, nil
		}
		full := view(img, b, 1, poly, o.Points, *grid, 1, *gain)
		if err := writePNG(filepath.Join(*inspect, stem+"_full.png"), full); err != nil {
			log.Fatal(err)
		}
		for _, c := range strings.Split(*crop, ";") {
			if c == "" {
				continue
			}
			r, err := parseRect(c)
			if err != nil {
				log.Fatal(err)
			}
			z := view(img, r.Add(b.Min).Intersect(b), *zoom, poly, o.Points, *grid, 2, *gain)
			name := fmt.Sprintf("%s_crop_%d_%d_%d_%d.png", stem, r.Min.X, r.Min.Y, r.Max.X, r.Max.Y)
			if err := writePNG(filepath.Join(*inspect, name), z); err != nil {
				log.Fatal(err)
			}
		}
	}
}

func selected(name, only string) bool {
	if only == "" {
		return true
	}
	for _, s := range strings.Split(only, ",") {
		if s != "" && strings.Contains(name, s) {
			return true
		}
	}
	return false
}

func parseRect(s string) (image.Rectangle, error) {
	f := strings.Split(s, ",")
	if len(f) != 4 {
		return image.Rectangle{}, fmt.Errorf("crop %q: want x0,y0,x1,y1", s)
	}
	var v [4]int
	for i := range f {
		n, err := strconv.Atoi(strings.TrimSpace(f[i]))
		if err != nil {
			return image.Rectangle{}, fmt.Errorf("crop %q: %v", s, err)
		}
		v[i] = n
	}
	return image.Rect(v[0], v[1], v[2], v[3]), nil
}

// spline samples the closed centripetal Catmull-Rom spline through ps, n
// samples per segment.
func spline(ps [][2]float64, n int) []pt {
	m := len(ps)
	p := func(i int) pt { q := ps[((i%m)+m)%m]; return pt{q[0], q[1]} }
	knot := func(t float64, a, b pt) float64 {
		d := math.Hypot(b.x-a.x, b.y-a.y)
		return t + math.Max(math.Sqrt(d), 1e-6)
	}
	lerp := func(a, b pt, ta, tb, t float64) pt {
		u, v := (tb-t)/(tb-ta), (t-ta)/(tb-ta)
		return pt{u*a.x + v*b.x, u*a.y + v*b.y}
	}
	var out []pt
	for i := 0; i < m; i++ {
		p0, p1, p2, p3 := p(i-1), p(i), p(i+1), p(i+2)
		t0 := 0.0
		t1 := knot(t0, p0, p1)
		t2 := knot(t1, p1, p2)
		t3 := knot(t2, p2, p3)
		for k := 0; k < n; k++ {
			t := t1 + (t2-t1)*float64(k)/float64(n)
			a1, a2, a3 := lerp(p0, p1, t0, t1, t), lerp(p1, p2, t1, t2, t), lerp(p2, p3, t2, t3, t)
			b1, b2 := lerp(a1, a2, t0, t2, t), lerp(a2, a3, t1, t3, t)
			out = append(out, lerp(b1, b2, t1, t2, t))
		}
	}
	return out
}

// fill rasterises the closed polygon poly with the even-odd rule, testing
// pixel centres.
func fill(poly []pt, w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	xs := make([]float64, 0, 64)
	for y := 0; y < h; y++ {
		cy := float64(y) + 0.5
		xs = xs[:0]
		for i := range poly {
			a, b := poly[i], poly[(i+1)%len(poly)]
			if (a.y <= cy) != (b.y <= cy) {
				xs = append(xs, a.x+(cy-a.y)*(b.x-a.x)/(b.y-a.y))
			}
		}
		sortFloats(xs)
		for i := 0; i+1 < len(xs); i += 2 {
			x0 := int(math.Ceil(xs[i] - 0.5))
			x1 := int(math.Ceil(xs[i+1] - 0.5)) // first centre at or right of the exit
			for x := max(x0, 0); x < min(x1, w); x++ {
				g.Pix[y*g.Stride+x] = 255
			}
		}
	}
	return g
}

func sortFloats(a []float64) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// view draws region r of img zoomed z times, with the outline, the numbered
// points and a grid labelled in image pixels (text scaled ts times), grey
// values multiplied by gain.
func view(img image.Image, r image.Rectangle, z int, poly []pt, pts [][2]float64, grid, ts int, gain float64) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, r.Dx()*z, r.Dy()*z))
	for y := 0; y < out.Bounds().Dy(); y++ {
		for x := 0; x < out.Bounds().Dx(); x++ {
			c := color.RGBAModel.Convert(img.At(r.Min.X+x/z, r.Min.Y+y/z)).(color.RGBA)
			g := func(v uint8) uint8 { return uint8(math.Min(255, float64(v)*gain)) }
			out.SetRGBA(x, y, color.RGBA{g(c.R), g(c.G), g(c.B), 255})
		}
	}
	ox, oy := float64(r.Min.X), float64(r.Min.Y)
	blend := func(x, y int, c color.RGBA, a float64) {
		if !(image.Point{x, y}.In(out.Bounds())) {
			return
		}
		o := out.RGBAAt(x, y)
		mix := func(p, q uint8) uint8 { return uint8(float64(p)*(1-a) + float64(q)*a) }
		out.SetRGBA(x, y, color.RGBA{mix(o.R, c.R), mix(o.G, c.G), mix(o.B, c.B), 255})
	}
	gridC := color.RGBA{0, 160, 255, 255}
	for g := (r.Min.X + grid - 1) / grid * grid; g < r.Max.X; g += grid {
		for y := 0; y < out.Bounds().Dy(); y++ {
			blend((g-r.Min.X)*z, y, gridC, 0.3)
		}
	}
	for g := (r.Min.Y + grid - 1) / grid * grid; g < r.Max.Y; g += grid {
		for x := 0; x < out.Bounds().Dx(); x++ {
			blend(x, (g-r.Min.Y)*z, gridC, 0.3)
		}
	}
	lineC := color.RGBA{255, 40, 200, 255}
	for i := range poly {
		a, b := poly[i], poly[(i+1)%len(poly)]
		n := int(math.Ceil(math.Hypot(b.x-a.x, b.y-a.y)*float64(z)*2)) + 1
		for k := 0; k <= n; k++ {
			t := float64(k) / float64(n)
			x := ((a.x + t*(b.x-a.x)) - ox) * float64(z)
			y := ((a.y + t*(b.y-a.y)) - oy) * float64(z)
			blend(int(math.Floor(x)), int(math.Floor(y)), lineC, 1)
		}
	}
	for i, p := range pts {
		x, y := int((p[0]-ox)*float64(z)), int((p[1]-oy)*float64(z))
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				blend(x+dx, y+dy, color.RGBA{255, 255, 0, 255}, 1)
			}
		}
		text(out, x+3, y-3, strconv.Itoa(i), color.RGBA{255, 255, 0, 255}, ts)
	}
	for g := (r.Min.X + grid - 1) / grid * grid; g < r.Max.X; g += grid {
		text(out, (g-r.Min.X)*z+2, 13*ts*(1+g/grid%2), strconv.Itoa(g), color.RGBA{0, 255, 255, 255}, ts)
	}
	for g := (r.Min.Y + grid - 1) / grid * grid; g < r.Max.Y; g += grid {
		text(out, 2, (g-r.Min.Y)*z+12*ts, strconv.Itoa(g), color.RGBA{0, 255, 255, 255}, ts)
	}
	return out
}

// text draws s with its baseline at (x, y), each font pixel s×s.
func text(dst *image.RGBA, x, y int, s string, c color.RGBA, scale int) {
	face := basicfont.Face7x13
	w := font.MeasureString(face, s).Ceil()
	m := image.NewAlpha(image.Rect(0, 0, w, 13))
	d := font.Drawer{Dst: m, Src: image.Opaque, Face: face, Dot: fixed.P(0, 10)}
	d.DrawString(s)
	for my := 0; my < 13; my++ {
		for mx := 0; mx < w; mx++ {
			if m.AlphaAt(mx, my).A < 128 {
				continue
			}
			for sy := 0; sy < scale; sy++ {
				for sx := 0; sx < scale; sx++ {
					px, py := x+mx*scale+sx, y-10*scale+my*scale+sy
					if (image.Point{px, py}).In(dst.Bounds()) {
						dst.SetRGBA(px, py, c)
					}
				}
			}
		}
	}
}

func writePNG(name string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
