package field

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/tiff"
)

// realDir holds the real captures (see shared/data/real/README.md for their
// sources and licences).
const realDir = "../../../../shared/data/real"

// loadGray decodes a TIFF and converts it to 8-bit grey with BT.601 luma,
// rounded, as docs/architecture.md fixes for colour images.
func loadGray(t testing.TB, path string) *image.Gray {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("real image not available: %v", err)
	}
	img, err := tiff.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return toGray(img)
}

func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, gg, bb, _ := img.At(x, y).RGBA()
			l := (299*(r>>8) + 587*(gg>>8) + 114*(bb>>8) + 500) / 1000
			g.SetGray(x, y, color.Gray{Y: uint8(l)})
		}
	}
	return g
}

// realCase is one real capture with what was measured on it by hand (pixel
// coordinates, Max exclusive): extent is the imaged band's bounding box (its
// outermost tissue pixels: read off with the tissue rule of tissueCover, run
// once in a throw-away script, then checked on zoomed crops; the depth ticks
// and scale lines beside the band are not part of it) and text the regions
// holding burned-in text, logos, bars and UI (bounding boxes of their
// non-black pixels), which the field rectangle must not touch.
type realCase struct {
	file   string
	text   []image.Rectangle
	extent image.Rectangle
}

// GE LOGIQ panoramic captures (1456×819).
var geText = []image.Rectangle{
	image.Rect(0, 0, 1456, 67),      // grey title bar: logo, hospital, date, MI/TIs, probe
	image.Rect(31, 100, 418, 118),   // yellow "RIGHT/LEFT VASTUS LATERALIS CSA" label
	image.Rect(1352, 73, 1456, 362), // parameter column (FR, CHI, Frq, Gn, …)
}

// Siemens panoramic captures (1152×864).
var siemensText = []image.Rectangle{
	image.Rect(0, 0, 1152, 64),       // grey title bar: institution, date
	image.Rect(2, 98, 148, 345),      // parameter column (12L3, MSK, Sendeleistung, …)
	image.Rect(1128, 123, 1148, 361), // grey map bar
	image.Rect(178, 95, 220, 111),    // body-marker icon (at 178 or 202 by image)
}

var realCases = []realCase{
	// The band's ends fade out in bright streaks; extent includes them.
	{"vastus-lateralis-panoramic/SUB01_img1.tif", geText, image.Rect(73, 145, 1280, 742)},
	{"vastus-lateralis-panoramic/SUB01_img2.tif", geText, image.Rect(121, 145, 1233, 750)},
	{"vastus-lateralis-panoramic/SUB02_img1.tif", geText, image.Rect(75, 183, 1283, 694)},
	{"vastus-lateralis-panoramic/SUB02_img2.tif", geText, image.Rect(71, 177, 1283, 703)},
	{"vastus-lateralis-panoramic/SUB02_img3.tif", geText, image.Rect(73, 176, 1282, 698)},
	{"vastus-lateralis-panoramic/SUB02_img4.tif", geText, image.Rect(72, 195, 1281, 674)},
	// The band's top comes within 3 rows of the label (rows 100–117 vs 121).
	{"vastus-lateralis-panoramic/SUB03_img1.tif", geText, image.Rect(142, 122, 1218, 750)},
	{"vastus-lateralis-panoramic/SUB03_img2.tif", geText, image.Rect(114, 134, 1246, 749)},
	{"vastus-lateralis-panoramic/SUB03_img3.tif", geText, image.Rect(73, 159, 1279, 722)},
	{"vastus-lateralis-panoramic/SUB03_img4.tif", geText, image.Rect(72, 157, 1281, 724)},
	// Depth scales run 5–7 px beside the band's straight and slanted edges.
	{"rectus-femoris-panoramic/rectus_img_55.tif", siemensText, image.Rect(184, 117, 971, 729)},
	{"rectus-femoris-panoramic/rectus_img_56.tif", siemensText, image.Rect(189, 117, 963, 730)},
	{"rectus-femoris-panoramic/rectus_img_57.tif", siemensText, image.Rect(163, 118, 988, 764)},
}

// Tolerances on the real captures: the rectangle must lie within extent grown
// by realSlack and hold extent shrunk by realInset (the faint streaks at a
// panoramic band's ends may be cut); the mask must hold realMaskCover of the
// tissue pixels.
const (
	realSlack     = 4
	realInset     = 12
	realMaskCover = 0.995
)

func TestRealCaptures(t *testing.T) {
	debugDir := os.Getenv("FIELD_DEBUG_DIR")
	for _, c := range realCases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			g := loadGray(t, filepath.Join(realDir, c.file))
			res := Find(g)
			mask := DetectMask(g)
			if debugDir != "" {
				regions := append([]image.Rectangle{c.extent}, c.text...)
				writeOverlay(t, filepath.Join(debugDir, filepath.Base(c.file)+".png"), g, res.Rect, mask, regions)
			}
			inRect, inMask := tissueCover(g, c, res.Rect, mask)
			t.Logf("rect %v (extent %v) background %d±%d; tissue in rect %.4f, in mask %.4f",
				res.Rect, c.extent, res.Background, res.Tolerance, inRect, inMask)
			if !res.Found {
				t.Fatalf("no field found")
			}
			for _, tr := range c.text {
				if res.Rect.Overlaps(tr) {
					t.Errorf("rect %v overlaps text region %v", res.Rect, tr)
				}
			}
			if outer := c.extent.Inset(-realSlack); !res.Rect.In(outer) {
				t.Errorf("rect %v exceeds the band's extent %v by more than %d px", res.Rect, c.extent, realSlack)
			}
			if inner := c.extent.Inset(realInset); !inner.In(res.Rect) {
				t.Errorf("rect %v does not hold %v (extent shrunk by %d px)", res.Rect, inner, realInset)
			}
			if inMask < realMaskCover {
				t.Errorf("mask holds %.4f of the tissue pixels, want ≥ %.2f", inMask, realMaskCover)
			}
		})
	}
}

// tissueCover measures, independently of the detector, which pixels are
// tissue — non-black pixels inside the hand-measured extent, off the text
// regions, with at least 20 non-black pixels in their 5×5 neighbourhood (thin
// ticks and scale lines have far fewer) — and returns the fractions of them
// inside the rectangle and inside the mask.
func tissueCover(g *image.Gray, c realCase, r image.Rectangle, mask *image.Gray) (inRect, inMask float64) {
	nonBlack := func(x, y int) bool {
		return (image.Point{x, y}).In(g.Rect) && g.GrayAt(x, y).Y > 0
	}
	var n, nr, nm int
	for y := c.extent.Min.Y; y < c.extent.Max.Y; y++ {
	pixel:
		for x := c.extent.Min.X; x < c.extent.Max.X; x++ {
			if !nonBlack(x, y) {
				continue
			}
			for _, tr := range c.text {
				if (image.Point{x, y}).In(tr) {
					continue pixel
				}
			}
			k := 0
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					if nonBlack(x+dx, y+dy) {
						k++
					}
				}
			}
			if k < 20 {
				continue
			}
			n++
			if (image.Point{x, y}).In(r) {
				nr++
			}
			if mask.GrayAt(x, y).Y != 0 {
				nm++
			}
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(nr) / float64(n), float64(nm) / float64(n)
}

// writeOverlay saves the capture with the mask tinted blue, the detected
// rectangle outlined green and the given regions red, for looking at.
func writeOverlay(t testing.TB, path string, g *image.Gray, r image.Rectangle, mask *image.Gray, regions []image.Rectangle) {
	t.Helper()
	b := g.Bounds()
	out := image.NewRGBA(b)
	draw.Draw(out, b, g, b.Min, draw.Src)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if mask.GrayAt(x, y).Y != 0 {
				p := out.RGBAAt(x, y)
				p.B = uint8(min(255, int(p.B)+60))
				out.SetRGBA(x, y, p)
			}
		}
	}
	outline := func(r image.Rectangle, col color.RGBA) {
		for x := r.Min.X; x < r.Max.X; x++ {
			out.SetRGBA(x, r.Min.Y, col)
			out.SetRGBA(x, r.Max.Y-1, col)
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			out.SetRGBA(r.Min.X, y, col)
			out.SetRGBA(r.Max.X-1, y, col)
		}
	}
	for _, tr := range regions {
		if !tr.Empty() {
			outline(tr.Intersect(b), color.RGBA{255, 0, 0, 255})
		}
	}
	outline(r, color.RGBA{0, 255, 0, 255})
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("debug overlay: %v", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		t.Fatalf("debug overlay: %v", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatalf("debug overlay: %v", err)
	}
}

// BenchmarkDetectReal runs Detect on a real 1456×819 GE capture.
func BenchmarkDetectReal(b *testing.B) {
	g := loadGray(b, filepath.Join(realDir, "vastus-lateralis-panoramic/SUB01_img1.tif"))
	b.SetBytes(int64(len(g.Pix)))
	b.ResetTimer()
	for b.Loop() {
		Detect(g)
	}
}
