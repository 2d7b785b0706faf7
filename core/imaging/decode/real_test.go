package decode

import (
	"bytes"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

// realDir holds the shared real ultrasound TIFFs: /work/main/core/imaging/decode →
// /work/shared is ../../../../shared.
const realDir = "../../../../shared/data/real"

// realRef is, per file, the mean grey computed by Pillow + numpy as
// mean(round(0.299 R + 0.587 G + 0.114 B)) (identical to Pillow's
// convert("L") on these files), and the largest grey value.
var realRef = map[string]struct {
	mean float64
	max  uint8
}{
	"rectus_img_55.tif": {20.6692, 241},
	"rectus_img_56.tif": {20.7797, 241},
	"rectus_img_57.tif": {24.1617, 241},
	"SUB01_img1.tif":    {17.5265, 226},
	"SUB01_img2.tif":    {16.6486, 232},
	"SUB02_img1.tif":    {13.8633, 226},
	"SUB02_img2.tif":    {13.6889, 226},
	"SUB02_img3.tif":    {14.4791, 226},
	"SUB02_img4.tif":    {13.6851, 226},
	"SUB03_img1.tif":    {14.6408, 226},
	"SUB03_img2.tif":    {15.9042, 226},
	"SUB03_img3.tif":    {19.1299, 226},
	"SUB03_img4.tif":    {18.0367, 226},
}

func realTIFFs(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(realDir, "*", "*.tif"))
	if err == nil && len(files) == 0 {
		_, err = os.Stat(realDir)
	}
	if err != nil || len(files) == 0 {
		tb.Skipf("shared real images not reachable at %s (%v)", realDir, err)
	}
	return files
}

func TestRealTIFFs(t *testing.T) {
	files := realTIFFs(t)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Skipf("cannot read %s: %v", path, err)
			}
			img, err := Decode(filepath.Base(path), data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := image.Rect(0, 0, 1456, 819) // vastus-lateralis-panoramic, GE
			if strings.Contains(path, "rectus-femoris") {
				want = image.Rect(0, 0, 1152, 864) // Siemens
			}
			if img.Format != "tiff" || img.Gray.Bounds() != want {
				t.Fatalf("format %s size %v, want tiff %v", img.Format, img.Gray.Bounds(), want)
			}
			var sum float64
			var top uint8
			for _, v := range img.Gray.Pix {
				sum += float64(v)
				top = max(top, v)
			}
			mean := sum / float64(len(img.Gray.Pix))
			if mean < 5 || mean > 100 {
				t.Errorf("mean grey %.2f is not plausible for a B-mode image on black", mean)
			}
			ref, ok := realRef[filepath.Base(path)]
			if !ok {
				t.Logf("no reference for %s (mean %.4f)", path, mean)
				return
			}
			if math.Abs(mean-ref.mean) > 5e-4 || top != ref.max {
				t.Errorf("mean %.4f max %d, Pillow reference %.4f %d", mean, top, ref.mean, ref.max)
			}
			// Pixel for pixel against the float definition on the RGB.
			m, err := tiff.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			bad := 0
			b := m.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r, g, bb, _ := m.At(x, y).RGBA()
					if img.Gray.GrayAt(x-b.Min.X, y-b.Min.Y).Y != wantLuma(uint8(r>>8), uint8(g>>8), uint8(bb>>8)) {
						bad++
					}
				}
			}
			if bad != 0 {
				t.Errorf("%d pixels differ from rounded BT.601 luma of the RGB", bad)
			}
		})
	}
}

// BenchmarkDecodeRealTIFF decodes one 1456×819 PackBits RGB TIFF to grey.
func BenchmarkDecodeRealTIFF(b *testing.B) {
	path := filepath.Join(realDir, "vastus-lateralis-panoramic", "SUB01_img1.tif")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("shared real image not reachable at %s: %v", path, err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode("SUB01_img1.tif", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTIFFDecoderOnly is the x/image/tiff share of the benchmark above.
func BenchmarkTIFFDecoderOnly(b *testing.B) {
	path := filepath.Join(realDir, "vastus-lateralis-panoramic", "SUB01_img1.tif")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("shared real image not reachable at %s: %v", path, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tiff.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
