package decode

import (
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

func TestLuma(t *testing.T) {
	cases := []struct {
		r, g, b, want uint8
	}{
		{255, 0, 0, 76},  // 76.245
		{0, 255, 0, 150}, // 149.685
		{0, 0, 255, 29},  // 29.07
		{255, 255, 255, 255},
		{0, 0, 0, 0},
		{0, 0, 250, 29},  // 28.5 exactly: half rounds up
		{10, 20, 30, 18}, // 2.99 + 11.74 + 3.42 = 18.15
		{128, 128, 128, 128},
	}
	for _, c := range cases {
		if got := luma(c.r, c.g, c.b); got != c.want {
			t.Errorf("luma(%d,%d,%d) = %d, want %d", c.r, c.g, c.b, got, c.want)
		}
	}
	// Against the float definition over a grid of the colour cube.
	bad := 0
	for r := 0; r < 256; r += 3 {
		for g := 0; g < 256; g += 3 {
			for b := 0; b < 256; b += 5 {
				if luma(uint8(r), uint8(g), uint8(b)) != wantLuma(uint8(r), uint8(g), uint8(b)) {
					bad++
				}
			}
		}
	}
	if bad != 0 {
		t.Errorf("luma differs from rounded 0.299R+0.587G+0.114B on %d colours", bad)
	}
}

type stillCase struct {
	name   string
	data   []byte
	format string
	w, h   int
	want   func(x, y int) uint8
	tol    int // only lossy JPEG has one
}

func stillCases(t testing.TB) []stillCase {
	files := fixtureFiles(t)
	grey16 := func(x, y int) uint8 { return uint8(patGrey16(x, y) >> 8) }
	twoColour := image.NewPaletted(image.Rect(0, 0, 9, 2), color.Palette{color.Gray{30}, color.RGBA{200, 100, 50, 255}})
	for x := 0; x < 9; x++ {
		twoColour.SetColorIndex(x, 1, uint8(x%2))
	}
	wantTwo := func(x, y int) uint8 {
		if y == 1 && x%2 == 1 {
			return wantLuma(200, 100, 50)
		}
		return 30
	}
	flat := func(v uint8) func(int, int) uint8 { return func(int, int) uint8 { return v } }
	return []stillCase{
		{"png grey 8-bit", encPNG(t, imgGrey8(7, 5)), "png", 7, 5, patGrey8, 0},
		{"png grey 16-bit", encPNG(t, imgGrey16(7, 5)), "png", 7, 5, grey16, 0},
		{"png rgb 8-bit", encPNG(t, imgRGBA(7, 5)), "png", 7, 5, wantRGB8, 0},
		{"png rgba 8-bit, alpha ignored", encPNG(t, imgNRGBA(7, 5)), "png", 7, 5, wantRGB8, 0},
		{"png rgb 16-bit", encPNG(t, imgRGBA64(7, 5)), "png", 7, 5, wantRGB8, 0},
		{"png rgba 16-bit, alpha ignored", encPNG(t, imgNRGBA64(7, 5)), "png", 7, 5, wantRGB8, 0},
		{"png palette 8-bit", encPNG(t, imgPaletted(7, 5)), "png", 7, 5, wantIndex, 0},
		{"png palette 1-bit", encPNG(t, twoColour), "png", 9, 2, wantTwo, 0},
		{"tiff grey 8-bit uncompressed", encTIFF(t, imgGrey8(7, 5), tiff.Uncompressed), "tiff", 7, 5, patGrey8, 0},
		{"tiff grey 8-bit deflate", encTIFF(t, imgGrey8(7, 5), tiff.Deflate), "tiff", 7, 5, patGrey8, 0},
		{"tiff grey 16-bit", encTIFF(t, imgGrey16(7, 5), tiff.Uncompressed), "tiff", 7, 5, grey16, 0},
		{"tiff rgb 8-bit", encTIFF(t, imgRGBA(7, 5), tiff.Uncompressed), "tiff", 7, 5, wantRGB8, 0},
		{"tiff rgb 16-bit", encTIFF(t, imgRGBA64(7, 5), tiff.Deflate), "tiff", 7, 5, wantRGB8, 0},
		{"tiff palette", encTIFF(t, imgPaletted(7, 5), tiff.Uncompressed), "tiff", 7, 5, wantIndex, 0},
		{"tiff grey 8-bit packbits (Pillow)", files["tiff_gray8_packbits.tif"], "tiff", 5, 3, patGrey8, 0},
		{"tiff grey 8-bit lzw (Pillow)", files["tiff_gray8_lzw.tif"], "tiff", 5, 3, patGrey8, 0},
		{"tiff grey 16-bit lzw (Pillow)", files["tiff_gray16_lzw.tif"], "tiff", 5, 3, grey16, 0},
		{"tiff rgb 8-bit lzw (Pillow)", files["tiff_rgb8_lzw.tif"], "tiff", 5, 3, wantRGB8, 0},
		{"tiff rgb 8-bit packbits (Pillow)", files["tiff_rgb8_packbits.tif"], "tiff", 5, 3, wantRGB8, 0},
		{"tiff palette packbits (Pillow)", files["tiff_palette_packbits.tif"], "tiff", 5, 3, wantIndex, 0},
		{"bmp palette 8-bit (Pillow)", files["bmp_pal8.bmp"], "bmp", 5, 3, wantIndex, 0},
		{"bmp rgb 24-bit (Pillow)", files["bmp_rgb24.bmp"], "bmp", 5, 3, wantRGB8, 0},
		{"bmp grey as palette", encBMP(t, imgGrey8(7, 5)), "bmp", 7, 5, patGrey8, 0},
		{"bmp rgb 24-bit", encBMP(t, imgRGBA(7, 5)), "bmp", 7, 5, wantRGB8, 0},
		{"bmp rgba 32-bit, alpha ignored", encBMP(t, imgNRGBA(7, 5)), "bmp", 7, 5, wantRGB8, 0},
		{"jpeg grey flat", encJPEG(t, flatGray(16, 8, 100)), "jpeg", 16, 8, flat(100), 0},
		{"jpeg colour flat red", encJPEG(t, flatRGBA(16, 8, color.RGBA{255, 0, 0, 255})), "jpeg", 16, 8, flat(76), 2},
		{"jpeg colour flat grey", encJPEG(t, flatRGBA(13, 7, color.RGBA{90, 90, 90, 255})), "jpeg", 13, 7, flat(90), 1},
	}
}

func TestDecodeStill(t *testing.T) {
	for _, c := range stillCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if len(c.data) == 0 {
				t.Fatal("fixture missing (run testdata/gen_fixtures.py)")
			}
			img, err := Decode(c.name, c.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if img.Format != c.format || img.Frames != 1 || img.Frame != 0 || img.DICOM != nil {
				t.Errorf("format %q frames %d frame %d dicom %v, want %q 1 0 nil", img.Format, img.Frames, img.Frame, img.DICOM, c.format)
			}
			if b := img.Gray.Bounds(); b != image.Rect(0, 0, c.w, c.h) {
				t.Fatalf("bounds %v, want %dx%d at origin", b, c.w, c.h)
			}
			checkGrey(t, img.Gray, c.w, c.h, c.want, c.tol)
		})
	}
}

type errorCase struct {
	name    string
	data    []byte
	opt     Options
	kind    error
	message string // must appear in the error text
}

func errorCases(t testing.TB) []errorCase {
	goodPNG := encPNG(t, imgGrey8(40, 30))
	goodTIFF := encTIFF(t, imgRGBA(40, 30), tiff.Uncompressed)
	goodJPEG := encJPEG(t, imgRGBA(40, 30))
	goodBMP := encBMP(t, imgRGBA(40, 30))
	badCRC := append([]byte(nil), goodPNG...)
	badCRC[len(badCRC)-20] ^= 0xFF // inside IDAT
	zeroPNG := pngHeaderOnly(0, 10)
	return []errorCase{
		{"empty", nil, Options{}, ErrNotImage, "empty file (0 bytes)"},
		{"text", []byte("hello, this is not an image at all"), Options{}, ErrNotImage, "not a recognised image: PNG, JPEG, BMP, TIFF or DICOM expected"},
		{"one byte", []byte{0x89}, Options{}, ErrNotImage, "not a recognised image"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), Options{}, ErrNotImage, "this looks like GIF"},
		{"bigtiff", []byte("II+\x00\x08\x00\x00\x00"), Options{}, ErrNotImage, "BigTIFF"},
		{"png truncated", goodPNG[:len(goodPNG)/2], Options{}, ErrCorrupt, "reading the PNG pixels"},
		{"png header only", goodPNG[:20], Options{}, ErrCorrupt, "reading the PNG header"},
		{"png bad crc", badCRC, Options{}, ErrCorrupt, "PNG"},
		{"png zero width", zeroPNG, Options{}, ErrCorrupt, "PNG"},
		{"tiff truncated", goodTIFF[:len(goodTIFF)/2], Options{}, ErrCorrupt, "TIFF"},
		{"tiff header only", goodTIFF[:8], Options{}, ErrCorrupt, "reading the TIFF header: TIFF cut: its first IFD is at byte 4808 but the file holds 8 bytes"},
		{"tiff cut in its header", goodTIFF[:5], Options{}, ErrCorrupt, "reading the TIFF header: TIFF cut at byte 5, inside its 8-byte header"},
		{"tiff cut in its IFD", goodTIFF[:len(goodTIFF)-40], Options{}, ErrCorrupt, "reading the TIFF header: TIFF cut inside its first IFD: "},
		{"tiff header-only cut in its IFD", tiffHeaderOnly(4, 4)[:40], Options{}, ErrCorrupt, "TIFF cut inside its first IFD: 9 entries at byte 8 end at byte 118, the file holds 40 bytes"},
		{"jpeg truncated", goodJPEG[:len(goodJPEG)/2], Options{}, ErrCorrupt, "reading the JPEG pixels"},
		{"bmp truncated", goodBMP[:len(goodBMP)-100], Options{}, ErrCorrupt, "truncated or corrupt"},
		{"png frame 1", goodPNG, Options{Frame: 1}, ErrFrame, "frame 1 requested but a PNG file holds 1 frame"},
		{"limit", goodPNG, Options{MaxPixels: 1000}, ErrTooLarge, "PNG header claims 40×30 pixels (1200 px; limit 1000 px)"},
		{"png 30000²", pngHeaderOnly(30000, 30000), Options{}, ErrTooLarge, "PNG header claims 30000×30000 pixels (900 Mpx; limit 268 Mpx)"},
		{"tiff 30000²", tiffHeaderOnly(30000, 30000), Options{}, ErrTooLarge, "TIFF header claims 30000×30000 pixels"},
		{"jpeg 30000²", jpegHeaderOnly(30000, 30000), Options{}, ErrTooLarge, "JPEG header claims 30000×30000 pixels"},
		{"bmp 30000²", bmpHeaderOnly(30000, 30000), Options{}, ErrTooLarge, "BMP header claims 30000×30000 pixels"},
		{"png 10000² in 60 bytes", pngHeaderOnly(10000, 10000), Options{}, ErrCorrupt, "needs at least 96899 bytes"},
		{"bmp 8000² without pixels", bmpHeaderOnly(8000, 8000), Options{}, ErrCorrupt, "truncated or corrupt"},
		{"tiff 8000² in 150 bytes", tiffHeaderOnly(8000, 8000), Options{}, ErrCorrupt, "TIFF header claims 8000×8000 pixels, which needs at least 64000000 bytes"},
		{"jpeg 8000² in 27 bytes", jpegHeaderOnly(8000, 8000), Options{}, ErrCorrupt, "JPEG header claims 8000×8000 pixels, which needs at least 125000 bytes"},
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range errorCases(t) {
		t.Run(c.name, func(t *testing.T) {
			img, err := Decode("in.file", c.data, c.opt)
			if err == nil {
				t.Fatalf("decoded a %v image, want an error", img.Gray.Bounds())
			}
			if img != nil {
				t.Error("non-nil image with an error")
			}
			if !errors.Is(err, c.kind) {
				t.Errorf("error %q is not %v", err, c.kind)
			}
			if !strings.HasPrefix(err.Error(), "decode: in.file: ") || !strings.Contains(err.Error(), c.message) {
				t.Errorf("error %q, want prefix %q and %q", err, "decode: in.file: ", c.message)
			}
			var e *Error
			if !errors.As(err, &e) || e.Name != "in.file" {
				t.Errorf("error %#v is not a *Error naming the file", err)
			}
		})
	}
}

// TestUnderlyingErrorWrapped: the decoder's own error stays reachable, and
// its "unsupported" kind becomes ErrUnsupported.
func TestUnderlyingErrorWrapped(t *testing.T) {
	// Compression 7 (JPEG-in-TIFF) is valid TIFF, unsupported by x/image/tiff.
	_, err := Decode("x.tif", tiffWithCompression(t, 7), Options{})
	var ue tiff.UnsupportedError
	if !errors.Is(err, ErrUnsupported) || !errors.As(err, &ue) {
		t.Fatalf("compression 7: error %v, want ErrUnsupported wrapping tiff.UnsupportedError", err)
	}
	// A truncated PNG: ErrCorrupt wrapping png.FormatError.
	good := encPNG(t, imgGrey8(40, 30))
	_, err = Decode("x.png", good[:len(good)-30], Options{})
	var fe png.FormatError
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &fe) {
		t.Fatalf("truncated PNG: error %v, want ErrCorrupt wrapping png.FormatError", err)
	}
}

// TestMinBytes pins the smallest-file bounds used to refuse truncated
// files before decoding.
func TestMinBytes(t *testing.T) {
	withC := func(c uint16) []byte {
		b := tiffHeaderOnly(16000, 16000)
		off := 8 + 2 + 3*12 + 8
		b[off], b[off+1] = byte(c), byte(c>>8)
		return b
	}
	cases := []struct {
		name string
		got  int64
		want int64
	}{
		{"tiff uncompressed 16000² 8-bit", tiffMinBytes(tiffHeaderOnly(16000, 16000), 16000, 16000), 256_000_000},
		{"tiff packbits", tiffMinBytes(withC(32773), 16000, 16000), 2_000_000},
		{"tiff lzw", tiffMinBytes(withC(5), 16000, 16000), 62_500},
		{"tiff deflate", tiffMinBytes(withC(8), 16000, 16000), 232_727},
		{"tiff ccitt: no bound", tiffMinBytes(withC(3), 16000, 16000), 0},
		{"tiff too short to tell", tiffMinBytes([]byte("II*\x00"), 10, 10), 0},
		{"png 10000² grey", pngMinBytes(pngHeaderOnly(10000, 10000), 10000, 10000), 96_899},
		{"jpeg 8000²", jpegMinBytes(nil, 8000, 8000), 125_000},
		{"jpeg 9×9: 4 blocks", jpegMinBytes(nil, 9, 9), 0},
		{"bmp 10×10 24-bit", bmpMinBytes(bmpHeaderOnly(10, 10), 10, 10), 54 + 10*32},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
	// The real and fixture TIFFs are far above their bounds (they decode in
	// TestDecodeStill and TestRealTIFFs); a PackBits header claiming 16000²
	// in a few bytes is refused.
	_, err := Decode("p.tif", withC(32773), Options{})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "needs at least 2000000 bytes") {
		t.Errorf("PackBits 16000² in %d bytes: %v", len(withC(32773)), err)
	}
}

// tiffWithCompression is a 4×4 grey TIFF whose Compression tag says c.
func tiffWithCompression(t *testing.T, c uint16) []byte {
	b := tiffHeaderOnly(4, 4)
	// Entry 4 (index 3) is Compression; its value sits at 8+2+3*12+8.
	off := 8 + 2 + 3*12 + 8
	b[off], b[off+1] = byte(c), byte(c>>8)
	return b
}

// TestRefuseBeforeAllocating: a header claiming a huge image must be refused
// with only a small allocation, in every format.
func TestRefuseBeforeAllocating(t *testing.T) {
	huge := dcm{ts: tsExplicitLE, rows: 30000, cols: 30000, photometric: "MONOCHROME2", bits: 8, pixels: []byte{1, 2}}.bytes(t)
	cases := []struct {
		name string
		data []byte
		kind error
	}{
		{"png", pngHeaderOnly(30000, 30000), ErrTooLarge},
		{"tiff", tiffHeaderOnly(30000, 30000), ErrTooLarge},
		{"jpeg", jpegHeaderOnly(30000, 30000), ErrTooLarge},
		{"bmp", bmpHeaderOnly(30000, 30000), ErrTooLarge},
		{"dicom", huge, ErrTooLarge},
		{"png under the limit but truncated", pngHeaderOnly(16000, 16000), ErrCorrupt},
		{"bmp under the limit but truncated", bmpHeaderOnly(16000, 16000), ErrCorrupt},
		{"tiff under the limit but truncated", tiffHeaderOnly(16000, 16000), ErrCorrupt},
		{"jpeg under the limit but truncated", jpegHeaderOnly(16000, 16000), ErrCorrupt},
		{"dicom under the limit but truncated", dcm{ts: tsExplicitLE, rows: 16000, cols: 16000, photometric: "RGB", spp: 3, bits: 8, pixels: []byte{1, 2}}.bytes(t), ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Decode(c.name, c.data, Options{})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, c.kind) {
				t.Fatalf("error %v, want %v", err, c.kind)
			}
			n := after.TotalAlloc - before.TotalAlloc
			if n > 10<<20 {
				t.Errorf("allocated %d bytes before refusing (limit 10 MB)", n)
			}
			t.Logf("refused after allocating %d bytes: %v", n, err)
			if c.kind == ErrTooLarge && !strings.Contains(err.Error(), "30000×30000") {
				t.Errorf("error %q does not give the claimed size", err)
			}
		})
	}
}

// TestGuardTurnsPanicIntoError: a decoder panic becomes an error naming the file.
func TestGuardTurnsPanicIntoError(t *testing.T) {
	err := guard("TIFF decoder", func() error { panic("index out of range [7] with length 3") })
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "TIFF decoder panicked on this input (index out of range") {
		t.Fatalf("guard: %v", err)
	}
	f := &still{format: "tiff", label: "TIFF",
		config: func([]byte) (image.Config, error) { return image.Config{Width: 2, Height: 2}, nil },
		cost:   func([]byte, image.Config) float64 { return 1 },
		decode: stdGrey("TIFF", func(io.Reader) (image.Image, error) { var m *image.Gray; _ = m.Pix[3]; return m, nil })}
	_, err = decodeStill(f, []byte("II*\x00"), limits{pixels: DefaultMaxPixels})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("decodeStill with a panicking decoder: %v", err)
	}
}

// TestFixturesSmall keeps testdata within its 200 KB budget.
func TestFixturesSmall(t *testing.T) {
	var total int64
	for _, dir := range []string{"testdata", "testdata/fuzz/FuzzDecode"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if info, err := e.Info(); err == nil && !e.IsDir() {
				total += info.Size()
			}
		}
	}
	if total > 200<<10 {
		t.Errorf("testdata holds %d bytes, budget 200 KB", total)
	}
}
