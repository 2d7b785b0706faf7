package decode

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"image/color"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

// seeds are every input the tests build (the still, error, DICOM and
// layout tables, which include the files in testdata) plus a few more.
func seeds(tb testing.TB) [][]byte {
	const w, h = 6, 4
	out := [][]byte{
		encPNG(tb, imgGrey8(w, h)), encPNG(tb, imgGrey16(w, h)), encPNG(tb, imgRGBA(w, h)), encPNG(tb, imgNRGBA(w, h)),
		encPNG(tb, imgRGBA64(w, h)), encPNG(tb, imgNRGBA64(w, h)), encPNG(tb, imgPaletted(w, h)),
		encTIFF(tb, imgGrey8(w, h), tiff.Uncompressed), encTIFF(tb, imgGrey8(w, h), tiff.Deflate),
		encTIFF(tb, imgGrey16(w, h), tiff.Uncompressed), encTIFF(tb, imgRGBA(w, h), tiff.Uncompressed),
		encTIFF(tb, imgPaletted(w, h), tiff.Uncompressed), encTIFF(tb, imgRGBA64(w, h), tiff.Deflate),
		encBMP(tb, imgGrey8(w, h)), encBMP(tb, imgRGBA(w, h)), encBMP(tb, imgNRGBA(w, h)),
		encJPEG(tb, flatGray(16, 8, 100)), encJPEG(tb, imgRGBA(w, h)),
		pngHeaderOnly(30000, 30000), tiffHeaderOnly(30000, 30000), jpegHeaderOnly(30000, 30000), bmpHeaderOnly(30000, 30000),
		dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "MONOCHROME2", bits: 8, pixels: mono8Pixels(w, h, 1), regions: testRegions, spacing: "0.2\\0.3", manufacturer: "Esaote"}.bytes(tb),
		dcm{ts: tsImplicitLE, rows: h, cols: w, photometric: "MONOCHROME2", bits: 8, frames: 2, pixels: mono8Pixels(w, h, 2), regions: testRegions}.bytes(tb),
		dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "MONOCHROME2", bits: 16, pixels: mono16Pixels(w, h)}.bytes(tb),
		dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "RGB", spp: 3, bits: 8, pixels: rgbPixels(w, h, 0)}.bytes(tb),
		dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "YBR_FULL", spp: 3, planar: 1, bits: 8, pixels: rgbPixels(w, h, 1)}.bytes(tb),
		dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "YBR_FULL_422", spp: 3, bits: 8, pixels: make([]byte, 2*w*h)}.bytes(tb),
		dcm{ts: tsJPEGBaseline, rows: 8, cols: 16, photometric: "MONOCHROME2", bits: 8, frames: 2, jpegFrames: jpegFrames(tb, 16, 8, 50, 200)}.bytes(tb),
		dcm{ts: tsJPEGBaseline, rows: 8, cols: 16, photometric: "YBR_FULL_422", spp: 3, bits: 8, jpegFrames: [][]byte{encJPEG(tb, flatRGBA(16, 8, color.RGBA{255, 0, 0, 255}))}}.bytes(tb),
		dcm{ts: "1.2.840.10008.1.2.4.90", rows: h, cols: w, photometric: "MONOCHROME2", bits: 8, noPixels: true}.bytes(tb),
		rawFile(tsJPEGBaseline, monoHeader(16, 8), encapsulated([]uint32{0}, splitJPEG(encJPEG(tb, flatGray(16, 8, 7)))...)),
		append(rawEl(0x00080005, "CS", str("ISO_IR 100")), rawEl(0x00080060, "CS", str("US"))...),
	}
	for _, c := range stillCases(tb) {
		out = append(out, c.data)
	}
	for _, c := range errorCases(tb) {
		out = append(out, c.data)
	}
	for _, c := range dicomCases(tb) {
		out = append(out, c.data)
	}
	for _, c := range dicomErrorCases(tb) {
		out = append(out, c.data)
	}
	for _, c := range layoutCases(tb) {
		out = append(out, c.data)
	}
	return out
}

// FuzzDecode: Decode never panics, returns exactly one of image and error,
// errors are *Error with the file name, and images respect the limit.
func FuzzDecode(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, data []byte, frame int) {
		const limit = 1 << 22 // 4 Mpx: keeps each run fast and small
		img, err := Decode("fuzz.bin", data, Options{Frame: frame % 4, MaxPixels: limit})
		if err != nil {
			if img != nil {
				t.Fatal("image and error both returned")
			}
			var e *Error
			if !errors.As(err, &e) || e.Name != "fuzz.bin" || !strings.HasPrefix(err.Error(), "decode: fuzz.bin: ") {
				t.Fatalf("error %q (%T) does not name the file", err, err)
			}
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("our own code panicked: %v", err)
			}
			return
		}
		b := img.Gray.Bounds()
		if b.Min.X != 0 || b.Min.Y != 0 || b.Empty() || int64(b.Dx())*int64(b.Dy()) > limit {
			t.Fatalf("bad bounds %v", b)
		}
		if len(img.Gray.Pix) != b.Dx()*b.Dy() || img.Frame < 0 || img.Frame >= img.Frames {
			t.Fatalf("inconsistent image: %d pix for %v, frame %d of %d", len(img.Gray.Pix), b, img.Frame, img.Frames)
		}
		if (img.Format == "dicom") != (img.DICOM != nil) {
			t.Fatalf("format %s with DICOM info %v", img.Format, img.DICOM)
		}
	})
}

// FuzzSizePaths: a PNG or TIFF header claiming any size, layout and
// compression, over a few bytes of data, is either refused or decoded
// within the pixel limit and the memory budget, and Decode never
// allocates much beyond that budget before refusing (the checks run on the
// header, before any pixel buffer).
func FuzzSizePaths(f *testing.F) {
	f.Add(false, uint32(30000), uint32(30000), uint16(8), uint16(1), uint16(1), []byte{1, 2, 3})
	f.Add(false, uint32(3000), uint32(2000), uint16(16), uint16(4), uint16(6), []byte{})
	f.Add(true, uint32(16000), uint32(16000), uint16(8), uint16(1), uint16(32773), []byte{0x81, 0})
	f.Add(true, uint32(2000), uint32(2000), uint16(16), uint16(3), uint16(5), []byte{0x80, 0x01})
	f.Add(true, uint32(20), uint32(20), uint16(8), uint16(3), uint16(1), make([]byte, 1200))
	f.Fuzz(func(t *testing.T, isTIFF bool, w, h uint32, bits, spp, comp uint16, body []byte) {
		var data []byte
		if isTIFF {
			data = tiffHeader(w, h, bits, spp, comp, body)
		} else {
			data = pngHeaderWith(w, h, byte(bits), byte(spp), body)
		}
		const maxPixels, maxBytes = 1 << 22, 1 << 24
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		img, err := Decode("size.bin", data, Options{MaxPixels: maxPixels, MaxBytes: maxBytes})
		runtime.ReadMemStats(&after)
		if err == nil {
			b := img.Gray.Bounds()
			if int64(b.Dx())*int64(b.Dy()) > maxPixels || b.Dx() != int(w) || b.Dy() != int(h) {
				t.Fatalf("decoded %v for a %d×%d header", b, w, h)
			}
		} else if strings.Contains(err.Error(), "internal error") {
			t.Fatalf("our own code panicked: %v", err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 2*maxBytes+uint64(8*len(data)) {
			t.Fatalf("allocated %d bytes for a %d×%d header in %d bytes (budget %d): %v", n, w, h, len(data), maxBytes, err)
		}
	})
}

// pngHeaderWith is a PNG whose IHDR says w×h, depth and colour type, over
// body deflated as the image data.
func pngHeaderWith(w, h uint32, depth, ctype byte, body []byte) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, ctype
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(body)
	zw.Close()
	out := append([]byte(pngSig), pngChunk("IHDR", ihdr)...)
	if ctype == 3 {
		out = append(out, pngChunk("PLTE", []byte{1, 2, 3, 4, 5, 6})...)
	}
	out = append(out, pngChunk("IDAT", z.Bytes())...)
	return append(out, pngChunk("IEND", nil)...)
}

// tiffHeader is a little-endian TIFF whose IFD says w×h, bits per sample,
// samples per pixel and compression, with body as its one strip.
func tiffHeader(w, h uint32, bits, spp, comp uint16, body []byte) []byte {
	photometric := uint32(1)
	if spp >= 3 {
		photometric = 2
	}
	entries := [][3]uint32{
		{256, 4, w}, {257, 4, h}, {258, 3, uint32(bits)}, {259, 3, uint32(comp)}, {262, 3, photometric},
		{273, 4, 8 + 2 + 9*12 + 4}, {277, 3, uint32(spp)}, {278, 4, h}, {279, 4, uint32(len(body))},
	}
	var b bytes.Buffer
	b.WriteString("II*\x00")
	binary.Write(&b, binary.LittleEndian, uint32(8))
	binary.Write(&b, binary.LittleEndian, uint16(len(entries)))
	for _, e := range entries {
		binary.Write(&b, binary.LittleEndian, uint16(e[0]))
		binary.Write(&b, binary.LittleEndian, uint16(e[1]))
		binary.Write(&b, binary.LittleEndian, uint32(1))
		if e[1] == 3 {
			binary.Write(&b, binary.LittleEndian, uint16(e[2]))
			binary.Write(&b, binary.LittleEndian, uint16(0))
		} else {
			binary.Write(&b, binary.LittleEndian, e[2])
		}
	}
	binary.Write(&b, binary.LittleEndian, uint32(0))
	b.Write(body)
	return b.Bytes()
}
