package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"math"
	"reflect"
	"strings"
	"testing"
)

var testRegions = []USRegion{
	{X0: 1, Y0: 1, X1: 4, Y1: 3, SpatialFormat: 1, DataType: 1, UnitsX: 3, UnitsY: 3, DeltaX: 0.01, DeltaY: 0.01},
	{X0: 0, Y0: 0, X1: 5, Y1: 0, SpatialFormat: 5, DataType: 0, UnitsX: 4, UnitsY: 7, DeltaX: 0.0025, DeltaY: 0.5},
}

// rgbPixels is patRGB8, interleaved (planar 0) or by plane (planar 1).
func rgbPixels(w, h, planar int) []byte {
	out := make([]byte, 3*w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := patRGB8(x, y)
			i := y*w + x
			if planar == 0 {
				out[3*i], out[3*i+1], out[3*i+2] = r, g, b
			} else {
				out[i], out[w*h+i], out[2*w*h+i] = r, g, b
			}
		}
	}
	return out
}

// patYBR gives strong chroma, so that many pixels clip on conversion to
// RGB: only there does the grey depend on Cb and Cr (elsewhere luma ≈ Y),
// so only there can a swapped or misplaced chroma sample be seen.
func patYBR(x, y int) (uint8, uint8, uint8) {
	return patGrey8(x, y), uint8((x*53 + y*11) % 256), uint8((y*97 + x*7 + 31) % 256)
}

// wantYBR is the JFIF (full-range BT.601) inverse in floating point,
// clamped, then luma.
func wantYBR(Y, cb, cr uint8) uint8 {
	c := func(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }
	y, b, r := float64(Y), float64(cb)-128, float64(cr)-128
	return wantLuma(c(y+1.402*r), c(y-0.344136*b-0.714136*r), c(y+1.772*b))
}

func ybrPixels(w, h int) []byte {
	out := make([]byte, 0, 3*w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			Y, cb, cr := patYBR(x, y)
			out = append(out, Y, cb, cr)
		}
	}
	return out
}

// ybr422 gives Y0 Y1 Cb Cr per pixel pair; the pair shares the chroma of
// its even pixel.
func ybr422(w, h int) (pix []byte, want func(x, y int) uint8) {
	for y := 0; y < h; y++ {
		for x := 0; x < w; x += 2 {
			y0, cb, cr := patYBR(x, y)
			y1, _, _ := patYBR(x+1, y)
			pix = append(pix, y0, y1, cb, cr)
		}
	}
	return pix, func(x, y int) uint8 {
		Y, _, _ := patYBR(x, y)
		_, cb, cr := patYBR(x&^1, y)
		return wantYBR(Y, cb, cr)
	}
}

func mono16Pixels(w, h int) []byte {
	var out []byte
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := patGrey16(x, y)
			out = append(out, byte(v), byte(v>>8))
		}
	}
	return out
}

// jpegFrames encodes flat frames of the given grey values.
func jpegFrames(t testing.TB, w, h int, greys ...uint8) [][]byte {
	var out [][]byte
	for _, g := range greys {
		out = append(out, encJPEG(t, flatGray(w, h, g)))
	}
	return out
}

type dicomCase struct {
	name         string
	data         []byte
	frame        int
	frames       int
	w, h         int
	want         func(x, y int) uint8
	tol          int
	regions      []USRegion
	spacing      [2]float64
	ts           string
	photo        string
	bits         int
	manuf, model string
	warnings     int
}

func dicomCases(t testing.TB) []dicomCase {
	const w, h = 6, 4
	ybr422pix, ybr422Want := ybr422(w, h)
	ybrWant := func(x, y int) uint8 { return wantYBR(patYBR(x, y)) }
	mono := func(ts string) dcm {
		return dcm{ts: ts, rows: h, cols: w, photometric: "MONOCHROME2", bits: 8, pixels: mono8Pixels(w, h, 1),
			regions: testRegions, manufacturer: "Esaote", model: "MyLab Twice"}
	}
	frame2 := func(x, y int) uint8 { return patGrey8(x, y) + 100 }
	flat := func(v uint8) func(int, int) uint8 { return func(int, int) uint8 { return v } }
	red := encJPEG(t, flatRGBA(16, 8, color.RGBA{255, 0, 0, 255}))
	return []dicomCase{
		{"mono8 explicit VR, regions", mono(tsExplicitLE).bytes(t), 0, 1, w, h, patGrey8, 0, testRegions, [2]float64{}, tsExplicitLE, "MONOCHROME2", 8, "Esaote", "MyLab Twice", 0},
		{"mono8 implicit VR, regions", mono(tsImplicitLE).bytes(t), 0, 1, w, h, patGrey8, 0, testRegions, [2]float64{}, tsImplicitLE, "MONOCHROME2", 8, "Esaote", "MyLab Twice", 0},
		{"mono16 by high byte", dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "MONOCHROME2", bits: 16, pixels: mono16Pixels(w, h)}.bytes(t),
			0, 1, w, h, func(x, y int) uint8 { return uint8(patGrey16(x, y) >> 8) }, 0, nil, [2]float64{}, tsExplicitLE, "MONOCHROME2", 16, "", "", 0},
		{"rgb interleaved", dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "RGB", spp: 3, bits: 8, pixels: rgbPixels(w, h, 0)}.bytes(t),
			0, 1, w, h, wantRGB8, 0, nil, [2]float64{}, tsExplicitLE, "RGB", 8, "", "", 0},
		{"rgb planar", dcm{ts: tsImplicitLE, rows: h, cols: w, photometric: "RGB", spp: 3, planar: 1, bits: 8, pixels: rgbPixels(w, h, 1)}.bytes(t),
			0, 1, w, h, wantRGB8, 0, nil, [2]float64{}, tsImplicitLE, "RGB", 8, "", "", 0},
		{"ybr full", dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "YBR_FULL", spp: 3, bits: 8, pixels: ybrPixels(w, h)}.bytes(t),
			0, 1, w, h, ybrWant, 1, nil, [2]float64{}, tsExplicitLE, "YBR_FULL", 8, "", "", 0},
		{"ybr full 422", dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "YBR_FULL_422", spp: 3, bits: 8, pixels: ybr422pix}.bytes(t),
			0, 1, w, h, ybr422Want, 1, nil, [2]float64{}, tsExplicitLE, "YBR_FULL_422", 8, "", "", 0},
		{"multi-frame, frame 2", dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "MONOCHROME2", bits: 8, frames: 3, pixels: mono8Pixels(w, h, 3)}.bytes(t),
			2, 3, w, h, frame2, 0, nil, [2]float64{}, tsExplicitLE, "MONOCHROME2", 8, "", "", 0},
		{"multi-frame, default frame 0", dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "MONOCHROME2", bits: 8, frames: 3, pixels: mono8Pixels(w, h, 3)}.bytes(t),
			0, 3, w, h, patGrey8, 0, nil, [2]float64{}, tsExplicitLE, "MONOCHROME2", 8, "", "", 0},
		{"pixel spacing only", dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "MONOCHROME2", bits: 8, pixels: mono8Pixels(w, h, 1), spacing: "0.2\\0.3"}.bytes(t),
			0, 1, w, h, patGrey8, 0, nil, [2]float64{0.2, 0.3}, tsExplicitLE, "MONOCHROME2", 8, "", "", 0},
		{"malformed pixel spacing ignored", dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "MONOCHROME2", bits: 8, pixels: mono8Pixels(w, h, 1), spacing: "0.2\\-1"}.bytes(t),
			0, 1, w, h, patGrey8, 0, nil, [2]float64{}, tsExplicitLE, "MONOCHROME2", 8, "", "", 1},
		{"jpeg baseline grey", dcm{ts: tsJPEGBaseline, rows: 8, cols: 16, photometric: "MONOCHROME2", bits: 8, jpegFrames: jpegFrames(t, 16, 8, 100)}.bytes(t),
			0, 1, 16, 8, flat(100), 0, nil, [2]float64{}, tsJPEGBaseline, "MONOCHROME2", 8, "", "", 0},
		{"jpeg baseline colour", dcm{ts: tsJPEGBaseline, rows: 8, cols: 16, photometric: "YBR_FULL_422", spp: 3, bits: 8, jpegFrames: [][]byte{red}}.bytes(t),
			0, 1, 16, 8, flat(76), 2, nil, [2]float64{}, tsJPEGBaseline, "YBR_FULL_422", 8, "", "", 0},
		{"jpeg baseline 3 frames, frame 1", dcm{ts: tsJPEGBaseline, rows: 8, cols: 16, photometric: "MONOCHROME2", bits: 8, frames: 3, jpegFrames: jpegFrames(t, 16, 8, 50, 120, 200)}.bytes(t),
			1, 3, 16, 8, flat(120), 0, nil, [2]float64{}, tsJPEGBaseline, "MONOCHROME2", 8, "", "", 0},
		{"jpeg extended (process 2) transfer syntax", dcm{ts: tsJPEGExtended, rows: 8, cols: 16, photometric: "MONOCHROME2", bits: 8, jpegFrames: jpegFrames(t, 16, 8, 33)}.bytes(t),
			0, 1, 16, 8, flat(33), 0, nil, [2]float64{}, tsJPEGExtended, "MONOCHROME2", 8, "", "", 0},
	}
}

func TestDecodeDICOM(t *testing.T) {
	for _, c := range dicomCases(t) {
		t.Run(c.name, func(t *testing.T) {
			img, err := Decode("us.dcm", c.data, Options{Frame: c.frame})
			if err != nil {
				t.Fatal(err)
			}
			if img.Format != "dicom" || img.Frames != c.frames || img.Frame != c.frame {
				t.Errorf("format %q frames %d frame %d, want dicom %d %d", img.Format, img.Frames, img.Frame, c.frames, c.frame)
			}
			if b := img.Gray.Bounds(); b != image.Rect(0, 0, c.w, c.h) {
				t.Fatalf("bounds %v, want %dx%d", b, c.w, c.h)
			}
			checkGrey(t, img.Gray, c.w, c.h, c.want, c.tol)
			d := img.DICOM
			if d == nil {
				t.Fatal("no DICOM info")
			}
			if !reflect.DeepEqual(d.Regions, c.regions) {
				t.Errorf("regions %+v, want %+v", d.Regions, c.regions)
			}
			if d.PixelSpacing != c.spacing || d.TransferSyntax != c.ts || d.Photometric != c.photo || d.BitsAllocated != c.bits ||
				d.Manufacturer != c.manuf || d.Model != c.model || len(d.Warnings) != c.warnings {
				t.Errorf("info %+v, want spacing %v ts %s photometric %s bits %d %q %q, %d warnings", *d, c.spacing, c.ts, c.photo, c.bits, c.manuf, c.model, c.warnings)
			}
		})
	}
}

// The region values named in the task: bounds, units 3 (cm), DeltaX 0.01.
func TestDICOMRegionValues(t *testing.T) {
	img, err := Decode("r.dcm", dcm{ts: tsExplicitLE, rows: 4, cols: 6, photometric: "MONOCHROME2", bits: 8,
		pixels: mono8Pixels(6, 4, 1), regions: testRegions[:1]}.bytes(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(img.DICOM.Regions); n != 1 {
		t.Fatalf("%d regions, want 1", n)
	}
	r := img.DICOM.Regions[0]
	if r.X0 != 1 || r.Y0 != 1 || r.X1 != 4 || r.Y1 != 3 || r.UnitsX != 3 || r.UnitsY != 3 || r.DeltaX != 0.01 || r.DeltaY != 0.01 || r.SpatialFormat != 1 || r.DataType != 1 {
		t.Errorf("region %+v", r)
	}
}

type dicomErrorCase struct {
	name    string
	data    []byte
	frame   int
	kind    error
	message string
}

func dicomErrorCases(t testing.TB) []dicomErrorCase {
	const w, h = 6, 4
	base := dcm{ts: tsExplicitLE, rows: h, cols: w, photometric: "MONOCHROME2", bits: 8, pixels: mono8Pixels(w, h, 1)}
	with := func(f func(*dcm)) []byte { d := base; f(&d); return d.bytes(t) }
	good := base.bytes(t)
	hugeVL := rawFile(tsExplicitLE, monoHeader(w, h), rawEl(tagManufacturer, "LO", []byte("ab"))[:4],
		[]byte("UT\x00\x00\xF0\xFF\xFF\xFF"), []byte("short"))
	deep := []byte{}
	for i := 0; i < 40; i++ {
		deep = append(deep, rawImpl(0x00081140, nil, undefinedLength)...) // SQ, undefined length
		deep = append(deep, rawImpl(tagItem, nil, undefinedLength)...)
	}
	return []dicomErrorCase{
		{"no pixel data", with(func(d *dcm) { d.noPixels = true }), 0, ErrNotImage, "no Pixel Data (7FE0,0010)"},
		{"jpeg 2000", with(func(d *dcm) { d.ts = "1.2.840.10008.1.2.4.90" }), 0, ErrUnsupported,
			"DICOM transfer syntax 1.2.840.10008.1.2.4.90 (JPEG 2000 Image Compression (Lossless Only)) is not supported"},
		{"big endian", with(func(d *dcm) { d.ts = "1.2.840.10008.1.2.2" }), 0, ErrUnsupported, "1.2.840.10008.1.2.2 (Explicit VR Big Endian)"},
		{"jpeg-ls", rawFile("1.2.840.10008.1.2.4.80", monoHeader(w, h)), 0, ErrUnsupported, "(JPEG-LS Lossless Image Compression)"},
		{"unknown transfer syntax", rawFile("1.2.3.4", monoHeader(w, h)), 0, ErrUnsupported, "1.2.3.4 (unknown UID)"},
		{"monochrome1", with(func(d *dcm) { d.photometric = "MONOCHROME1" }), 0, ErrUnsupported, `photometric interpretation "MONOCHROME1" is not supported`},
		{"palette colour", with(func(d *dcm) { d.photometric = "PALETTE COLOR" }), 0, ErrUnsupported, `"PALETTE COLOR"`},
		{"32 bits", with(func(d *dcm) { d.bits = 32; d.pixels = make([]byte, 4*w*h) }), 0, ErrUnsupported, "32 bits allocated with MONOCHROME2"},
		{"rgb 16 bits", with(func(d *dcm) { d.photometric, d.spp, d.bits, d.pixels = "RGB", 3, 16, make([]byte, 6*w*h) }), 0, ErrUnsupported, "16 bits allocated with RGB"},
		{"rgb with 1 sample", with(func(d *dcm) { d.photometric = "RGB" }), 0, ErrCorrupt, "RGB with 1 samples per pixel (expected 3)"},
		{"no photometric", with(func(d *dcm) { d.photometric = "" }), 0, ErrCorrupt, "no Photometric Interpretation"},
		{"frame out of range", with(func(d *dcm) { d.frames = 3; d.pixels = mono8Pixels(w, h, 3) }), 3, ErrFrame, "frame 3 requested but the file holds 3 frames (0–2)"},
		{"negative frame", good, -1, ErrFrame, "frame -1 requested but the file holds 1 frame (0–0)"},
		{"frames claimed, data missing", with(func(d *dcm) { d.frames = 3; d.pixels = mono8Pixels(w, h, 2) }), 0, ErrCorrupt,
			"Pixel Data holds 48 bytes, less than the 72 needed for 3 frames of 6×4 MONOCHROME2 at 8 bits"},
		{"zero frames", with(func(d *dcm) { d.frames = 0 }), 0, nil, ""}, // no element: one frame, decodes
		{"zero rows", with(func(d *dcm) { d.rows = 0; d.pixels = nil }), 0, ErrCorrupt, "DICOM header claims 6×0 pixels (an empty image)"},
		{"limit", good, 0, ErrTooLarge, "DICOM header claims 6×4 pixels (24 px; limit 10 px)"},
		{"truncated file", good[:len(good)-10], 0, ErrCorrupt, "claims 24 bytes but only 14 are left"},
		{"truncated meta", good[:140], 0, ErrCorrupt, "file meta element (0002,0000) at byte 132 claims 4 bytes but only 0 are left"},
		{"element claims 4 GB", hugeVL, 0, ErrCorrupt, "claims 4294967280 bytes"},
		{"sequences nested 80 deep", rawFile(tsImplicitLE, deep), 0, ErrCorrupt, "nested more than 32 deep"},
		{"no rows", rawFile(tsExplicitLE, rawEl(tagPhotometric, "CS", str("MONOCHROME2")), rawEl(tagColumns, "US", u16(2)),
			rawEl(tagBitsAllocated, "US", u16(8)), rawEl(tagPixelData, "OB", []byte{1, 2})), 0, ErrCorrupt, "no Rows (0028,0010)"},
		{"signed", rawFile(tsExplicitLE, monoHeader(2, 1)[:len(monoHeader(2, 1))-2], u16(1), rawEl(tagPixelData, "OB", []byte{1, 2})), 0, ErrUnsupported, "signed pixel data"},
		{"encapsulated in a native syntax", rawFile(tsExplicitLE, monoHeader(2, 1), encapsulated(nil, []byte{1, 2})), 0, ErrCorrupt, "encapsulated (undefined length) but the transfer syntax is native"},
		{"native in a jpeg syntax", rawFile(tsJPEGBaseline, monoHeader(2, 1), rawEl(tagPixelData, "OB", []byte{1, 2})), 0, ErrCorrupt, "Pixel Data has a defined length"},
		{"jpeg frame of the wrong size", with(func(d *dcm) { d.ts, d.pixels, d.jpegFrames = tsJPEGBaseline, nil, jpegFrames(t, 16, 8, 9) }), 0, ErrCorrupt, "JPEG frame 0 is 16×8 but Rows/Columns say 6×4"},
		{"jpeg frame truncated", with(func(d *dcm) {
			j := encJPEG(t, imgRGBA(w, h))
			d.ts, d.pixels, d.jpegFrames = tsJPEGBaseline, nil, [][]byte{j[:len(j)-8]}
		}), 0, ErrCorrupt, "reading the JPEG pixels of frame 0"},
		{"jpeg frame with 2 components", with(func(d *dcm) {
			d.ts, d.pixels, d.jpegFrames = tsJPEGBaseline, nil, [][]byte{{0xFF, 0xD8, 0xFF, 0xC0, 0, 14, 8, 0, 4, 0, 6, 2, 1, 0x11, 0, 2, 0x11, 0}}
		}), 0, ErrUnsupported, "reading the JPEG header of frame 0: unsupported JPEG feature"},
		{"ybr 422 odd columns", rawFile(tsExplicitLE, rawEl(tagSamplesPerPixel, "US", u16(3)), rawEl(tagPhotometric, "CS", str("YBR_FULL_422")),
			rawEl(tagRows, "US", u16(1)), rawEl(tagColumns, "US", u16(3)), rawEl(tagBitsAllocated, "US", u16(8)), rawEl(tagPixelData, "OB", make([]byte, 6))), 0, ErrCorrupt, "even number of columns"},
		{"bad number of frames", rawFile(tsExplicitLE, rawEl(tagNumberOfFrames, "IS", str("two"))), 0, ErrCorrupt, `Number of Frames (0028,0008) is "two"`},
		{"invalid VR", rawFile(tsExplicitLE, []byte{0x08, 0x00, 0x70, 0x00, 'z', 'z', 2, 0, 'a', 'b'}), 0, ErrCorrupt, "no valid value representation"},
	}
}

func TestDICOMErrors(t *testing.T) {
	for _, c := range dicomErrorCases(t) {
		t.Run(c.name, func(t *testing.T) {
			opt := Options{Frame: c.frame}
			if c.name == "limit" {
				opt.MaxPixels = 10
			}
			img, err := Decode("us.dcm", c.data, opt)
			if c.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("decoded %v, want an error", img.Gray.Bounds())
			}
			if !errors.Is(err, c.kind) {
				t.Errorf("error %q is not %v", err, c.kind)
			}
			if !strings.HasPrefix(err.Error(), "decode: us.dcm: ") || !strings.Contains(err.Error(), c.message) {
				t.Errorf("error %q\nwant it to contain %q", err, c.message)
			}
		})
	}
}

// encapsulated builds undefined-length Pixel Data: a Basic Offset Table item
// (bot may be nil) then one item per fragment, then the delimiter.
func encapsulated(bot []uint32, frags ...[]byte) []byte {
	var b []byte
	b = append(b, 0xE0, 0x7F, 0x10, 0x00, 'O', 'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF)
	var table []byte
	for _, o := range bot {
		table = append(table, u32(int(o))...)
	}
	b = append(b, item(table)...)
	for _, f := range frags {
		b = append(b, item(f)...)
	}
	return append(b, rawImpl(tagSeqDelim, nil, 0)...)
}

// splitJPEG cuts a JPEG stream into two even-length fragments.
func splitJPEG(j []byte) [][]byte {
	if len(j)%2 == 1 {
		j = append(j, 0)
	}
	mid := len(j) / 2 &^ 1
	return [][]byte{j[:mid], j[mid:]}
}

// TestDICOMLayouts covers encodings the library writer does not produce:
// fragments per frame, offset tables, defined-length and UN sequences,
// nested pixel data, files without preamble, trailing data.
type layoutCase struct {
	name    string
	data    []byte
	frame   int
	w, h    int
	want    func(x, y int) uint8
	regions []USRegion
}

func layoutCases(t testing.TB) []layoutCase {
	const w, h = 16, 8
	frames := jpegFrames(t, w, h, 40, 140, 240)
	jpegHeader := func(n int) []byte {
		return bytes.Join([][]byte{
			rawEl(tagSamplesPerPixel, "US", u16(1)),
			rawEl(tagPhotometric, "CS", str("MONOCHROME2")),
			rawEl(tagNumberOfFrames, "IS", str(string(rune('0'+n)))),
			rawEl(tagRows, "US", u16(h)), rawEl(tagColumns, "US", u16(w)),
			rawEl(tagBitsAllocated, "US", u16(8)),
		}, nil)
	}
	var split [][]byte
	for _, f := range frames {
		split = append(split, splitJPEG(f)...)
	}
	// Offset table: each frame is two fragment items.
	var bot []uint32
	off := uint32(0)
	for i := 0; i < len(split); i += 2 {
		bot = append(bot, off)
		off += uint32(8 + len(split[i]) + 8 + len(split[i+1]))
	}
	region := bytes.Join([][]byte{
		rawImpl(tagRegionSpatialFormat, u16(1), 2), rawImpl(tagRegionDataType, u16(1), 2),
		rawImpl(tagRegionMinX0, u32(2), 4), rawImpl(tagRegionMinY0, u32(3), 4),
		rawImpl(tagRegionMaxX1, u32(9), 4), rawImpl(tagRegionMaxY1, u32(7), 4),
		rawImpl(tagUnitsX, u16(3), 2), rawImpl(tagUnitsY, u16(3), 2),
		rawImpl(tagDeltaX, f64(0.01), 8), rawImpl(tagDeltaY, f64(0.02), 8),
	}, nil)
	wantRegion := []USRegion{{X0: 2, Y0: 3, X1: 9, Y1: 7, SpatialFormat: 1, DataType: 1, UnitsX: 3, UnitsY: 3, DeltaX: 0.01, DeltaY: 0.02}}
	regionsImplicitDefined := rawImpl(tagRegions, item(region), uint32(8+len(region)))
	regionsUN := append(append([]byte{0x18, 0x00, 0x11, 0x60, 'U', 'N', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF},
		rawImpl(tagItem, append(region, rawImpl(tagItemDelim, nil, 0)...), undefinedLength)...), rawImpl(tagSeqDelim, nil, 0)...)
	// An icon image sequence (0088,0200) with its own Rows, Columns and
	// Pixel Data, before the main image: must not be taken for it.
	icon := bytes.Join([][]byte{rawEl(tagRows, "US", u16(1)), rawEl(tagColumns, "US", u16(2)), rawEl(tagPixelData, "OB", []byte{9, 9})}, nil)
	iconSeq := append(append([]byte{0x88, 0x00, 0x00, 0x02, 'S', 'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF},
		rawImpl(tagItem, append(icon, rawImpl(tagItemDelim, nil, 0)...), undefinedLength)...), rawImpl(tagSeqDelim, nil, 0)...)
	monoImplicit := bytes.Join([][]byte{
		rawImpl(tagSamplesPerPixel, u16(1), 2), rawImpl(tagPhotometric, str("MONOCHROME2"), 12),
		rawImpl(tagRows, u16(2), 2), rawImpl(tagColumns, u16(3), 2), rawImpl(tagBitsAllocated, u16(8), 2),
	}, nil)
	pix6 := []byte{10, 20, 30, 40, 50, 60}
	bareExplicit := bytes.Join([][]byte{rawEl(0x00080060, "CS", str("US")), rawEl(tagManufacturer, "LO", str("GE")), monoHeader(3, 2), rawEl(tagPixelData, "OB", pix6)}, nil)
	bareImplicit := bytes.Join([][]byte{rawImpl(0x00080060, str("US"), 2), rawImpl(tagManufacturer, str("GE"), 2), monoImplicit, rawImpl(tagPixelData, pix6, 6)}, nil)
	six := func(x, y int) uint8 { return pix6[y*3+x] }
	return []layoutCase{
		{"2 fragments per frame, offset table", rawFile(tsJPEGBaseline, jpegHeader(3), encapsulated(bot, split...)), 2, w, h, func(int, int) uint8 { return 240 }, nil},
		{"2 fragments per frame, no offset table", rawFile(tsJPEGBaseline, jpegHeader(3), encapsulated(nil, split...)), 1, w, h, func(int, int) uint8 { return 140 }, nil},
		{"1 frame in 2 fragments", rawFile(tsJPEGBaseline, jpegHeader(1), encapsulated(nil, split[2:4]...)), 0, w, h, func(int, int) uint8 { return 140 }, nil},
		{"regions: implicit VR, defined length", rawFile(tsImplicitLE, regionsImplicitDefined, monoImplicit, rawImpl(tagPixelData, pix6, 6)), 0, 3, 2, six, wantRegion},
		{"regions: UN, undefined length", rawFile(tsExplicitLE, regionsUN, monoHeader(3, 2), rawEl(tagPixelData, "OB", pix6)), 0, 3, 2, six, wantRegion},
		{"icon sequence before the image", rawFile(tsExplicitLE, iconSeq, monoHeader(3, 2), rawEl(tagPixelData, "OB", pix6)), 0, 3, 2, six, nil},
		{"trailing data after pixels", rawFile(tsExplicitLE, monoHeader(3, 2), rawEl(tagPixelData, "OB", pix6), []byte{0xFC, 0xFF, 0xFC, 0xFF, 'O', 'B', 0, 0, 9}), 0, 3, 2, six, nil},
		{"odd pixel data with padding byte", rawFile(tsExplicitLE, monoHeader(3, 2), rawEl(tagPixelData, "OB", append(pix6, 0, 0))), 0, 3, 2, six, nil},
		{"no preamble, explicit VR", bareExplicit, 0, 3, 2, six, nil},
		{"no preamble, implicit VR", bareImplicit, 0, 3, 2, six, nil},
		{"DICM without preamble", rawFile(tsExplicitLE, monoHeader(3, 2), rawEl(tagPixelData, "OB", pix6))[128:], 0, 3, 2, six, nil},
		{"meta without preamble", rawFile(tsExplicitLE, monoHeader(3, 2), rawEl(tagPixelData, "OB", pix6))[132:], 0, 3, 2, six, nil},
	}
}

func TestDICOMLayouts(t *testing.T) {
	for _, c := range layoutCases(t) {
		t.Run(c.name, func(t *testing.T) {
			img, err := Decode("l.dcm", c.data, Options{Frame: c.frame})
			if err != nil {
				t.Fatal(err)
			}
			if img.Format != "dicom" || img.Gray.Bounds() != image.Rect(0, 0, c.w, c.h) {
				t.Fatalf("format %s bounds %v", img.Format, img.Gray.Bounds())
			}
			for y := 0; y < c.h; y++ {
				for x := 0; x < c.w; x++ {
					if g := img.Gray.GrayAt(x, y).Y; g != c.want(x, y) {
						t.Fatalf("grey at (%d,%d) = %d, want %d", x, y, g, c.want(x, y))
					}
				}
			}
			if !reflect.DeepEqual(img.DICOM.Regions, c.regions) {
				t.Errorf("regions %+v, want %+v", img.DICOM.Regions, c.regions)
			}
		})
	}
}

// TestSniffDICOM: a file without preamble is DICOM only when clearly so.
func TestSniffDICOM(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want bool
	}{
		{"preamble", rawFile(tsExplicitLE), true},
		{"two group 0008 elements, explicit", append(rawEl(0x00080005, "CS", str("ISO_IR 100")), rawEl(0x00080060, "CS", str("US"))...), true},
		{"two group 0008 elements, implicit", append(rawImpl(0x00080005, str("ISO_IR 100"), 10), rawImpl(0x00080060, str("US"), 2)...), true},
		{"one element only", rawEl(0x00080005, "CS", str("ISO_IR 100")), false},
		{"descending tags", append(rawEl(0x00080060, "CS", str("US")), rawEl(0x00080005, "CS", str("ISO_IR 100"))...), false},
		{"group 0010 first", append(rawEl(0x00100010, "PN", str("X")), rawEl(0x00100020, "LO", str("1"))...), false},
		{"implicit, huge first length", append(rawImpl(0x00080005, nil, 5000), make([]byte, 5000)...), false},
		{"random bytes", []byte{0x08, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, 1, 2, 3}, false},
	}
	for _, c := range cases {
		if _, got := sniffDICOM(c.data); got != c.want {
			t.Errorf("%s: sniffDICOM = %v, want %v", c.name, got, c.want)
		}
	}
}

// packBits encodes planes as PackBits: a repeat run for the first bytes
// when they repeat, literal runs otherwise (both code paths of the decoder).
func packBits(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		run := 1
		for i+run < len(b) && run < 128 && b[i+run] == b[i] {
			run++
		}
		if run >= 3 {
			out = append(out, byte(int8(1-run)), b[i])
			i += run
			continue
		}
		n := min(128, len(b)-i)
		out = append(out, byte(n-1))
		out = append(out, b[i:i+n]...)
		i += n
	}
	if len(out)%2 == 1 {
		out = append(out, 0x80) // pad to even length with a no-op, as encoders do
	}
	return out
}

// rleFrame builds one RLE Lossless frame from byte planes.
func rleFrame(planes ...[]byte) []byte {
	head := make([]byte, 64)
	binary.LittleEndian.PutUint32(head, uint32(len(planes)))
	var body []byte
	for i, p := range planes {
		binary.LittleEndian.PutUint32(head[4+4*i:], uint32(64+len(body)))
		body = append(body, packBits(p)...)
	}
	return append(head, body...)
}

func TestDICOMRLE(t *testing.T) {
	const w, h = 6, 4
	mono := make([]byte, w*h)
	r, g, b := make([]byte, w*h), make([]byte, w*h), make([]byte, w*h)
	hi, lo := make([]byte, w*h), make([]byte, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			mono[i] = patGrey8(x, y)
			if y == 0 {
				mono[i] = 9 // a repeat run
			}
			r[i], g[i], b[i] = patRGB8(x, y)
			v := patGrey16(x, y)
			hi[i], lo[i] = uint8(v>>8), uint8(v)
		}
	}
	tests := []struct {
		name   string
		d      dcm
		frame  int
		want   func(x, y int) uint8
		errMsg string
	}{
		{"mono8", dcm{photometric: "MONOCHROME2", bits: 8, jpegFrames: [][]byte{rleFrame(mono)}}, 0,
			func(x, y int) uint8 { return mono[y*w+x] }, ""},
		{"rgb", dcm{photometric: "RGB", spp: 3, bits: 8, jpegFrames: [][]byte{rleFrame(r, g, b)}}, 0, wantRGB8, ""},
		{"mono16 keeps the high byte", dcm{photometric: "MONOCHROME2", bits: 16, jpegFrames: [][]byte{rleFrame(hi, lo)}}, 0,
			func(x, y int) uint8 { return uint8(patGrey16(x, y) >> 8) }, ""},
		{"two frames, frame 1", dcm{photometric: "MONOCHROME2", bits: 8, frames: 2, jpegFrames: [][]byte{rleFrame(mono), rleFrame(hi)}}, 1,
			func(x, y int) uint8 { return hi[y*w+x] }, ""},
		{"wrong segment count", dcm{photometric: "RGB", spp: 3, bits: 8, jpegFrames: [][]byte{rleFrame(r, g)}}, 0, nil, "has 2 segments"},
		{"short segment", dcm{photometric: "MONOCHROME2", bits: 8, jpegFrames: [][]byte{rleFrame(mono[:10])}}, 0, nil, "decodes to 10 bytes"},
		{"header only", dcm{photometric: "MONOCHROME2", bits: 8, jpegFrames: [][]byte{make([]byte, 20)}}, 0, nil, "shorter than its 64-byte header"},
	}
	for _, tc := range tests {
		tc.d.ts, tc.d.rows, tc.d.cols = tsRLE, h, w
		img, err := Decode("rle.dcm", tc.d.bytes(t), Options{Frame: tc.frame})
		if tc.errMsg != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errMsg) || !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.errMsg)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		t.Run(tc.name, func(t *testing.T) { checkGrey(t, img.Gray, w, h, tc.want, 0) })
	}
}
