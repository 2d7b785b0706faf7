package decode

// Builders for the test inputs: small images in every format, built in the
// test from pixel formulas, so expected grey values are computed here
// independently of the code under test (float BT.601, not luma()).

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/frame"
	"github.com/suyashkumar/dicom/pkg/tag"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// The pixel patterns of testdata/gen_fixtures.py (5×3 there) and of the
// images built here (any size).
func patGrey8(x, y int) uint8   { return uint8((x*37 + y*91 + 5) % 256) }
func patGrey16(x, y int) uint16 { return uint16((x*5000 + y*13000 + 77) % 65536) }
func patRGB8(x, y int) (uint8, uint8, uint8) {
	return uint8((x*40 + y*7) % 256), uint8((x*13 + y*60 + 20) % 256), uint8((x*3 + y*100 + 200) % 256)
}
func patIndex(x, y int) uint8 { return uint8((x + 2*y) % 4) }

var testPalette = color.Palette{
	color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}, color.RGBA{0, 0, 255, 255}, color.RGBA{10, 20, 30, 255},
}

// wantLuma is BT.601 luma in floating point, rounded half up; the 1e-9
// keeps exact .5 ties from falling below by float error.
func wantLuma(r, g, b uint8) uint8 {
	return uint8(math.Floor(0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b) + 0.5 + 1e-9))
}

func wantRGB8(x, y int) uint8 { return wantLuma(patRGB8(x, y)) }
func wantIndex(x, y int) uint8 {
	c := testPalette[patIndex(x, y)].(color.RGBA)
	return wantLuma(c.R, c.G, c.B)
}

func imgGrey8(w, h int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetGray(x, y, color.Gray{patGrey8(x, y)})
		}
	}
	return m
}

func imgGrey16(w, h int) *image.Gray16 {
	m := image.NewGray16(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetGray16(x, y, color.Gray16{patGrey16(x, y)})
		}
	}
	return m
}

func imgRGBA(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := patRGB8(x, y)
			m.SetRGBA(x, y, color.RGBA{r, g, b, 255})
		}
	}
	return m
}

// imgNRGBA has varying alpha; the grey is the luma of the stored colour.
func imgNRGBA(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := patRGB8(x, y)
			m.SetNRGBA(x, y, color.NRGBA{r, g, b, uint8(40 + 50*x)})
		}
	}
	return m
}

func imgRGBA64(w, h int) *image.RGBA64 {
	m := image.NewRGBA64(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := patRGB8(x, y)
			// low bytes vary so that only the high byte decides the grey
			m.SetRGBA64(x, y, color.RGBA64{uint16(r)<<8 | uint16(x*31), uint16(g)<<8 | 0xFF, uint16(b) << 8, 0xFFFF})
		}
	}
	return m
}

func imgNRGBA64(w, h int) *image.NRGBA64 {
	m := image.NewNRGBA64(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := patRGB8(x, y)
			m.SetNRGBA64(x, y, color.NRGBA64{uint16(r)<<8 | 0x80, uint16(g) << 8, uint16(b)<<8 | 0x7F, 0x4000})
		}
	}
	return m
}

func imgPaletted(w, h int) *image.Paletted {
	m := image.NewPaletted(image.Rect(0, 0, w, h), testPalette)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetColorIndex(x, y, patIndex(x, y))
		}
	}
	return m
}

func encPNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encTIFF(t testing.TB, m image.Image, c tiff.CompressionType) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, m, &tiff.Options{Compression: c}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encBMP(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bmp.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func flatRGBA(w, h int, c color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

func flatGray(w, h int, v uint8) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = v
	}
	return m
}

// pngChunk builds one PNG chunk with a correct CRC.
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// pngHeaderOnly is a PNG whose IHDR claims w×h (8-bit grey) and whose
// IDAT is a few bytes: only the header is real.
func pngHeaderOnly(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, pngChunk("IEND", nil)...)
}

// tiffHeaderOnly is a little-endian TIFF whose IFD claims w×h 8-bit grey
// with one strip of 16 bytes.
func tiffHeaderOnly(w, h uint32) []byte {
	type entry struct {
		tag, typ uint16
		val      uint32
	}
	entries := []entry{
		{256, 4, w}, {257, 4, h}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
		{273, 4, 8 + 2 + 9*12 + 4}, {277, 3, 1}, {278, 4, h}, {279, 4, 16},
	}
	var b bytes.Buffer
	b.WriteString("II*\x00")
	binary.Write(&b, binary.LittleEndian, uint32(8))
	binary.Write(&b, binary.LittleEndian, uint16(len(entries)))
	for _, e := range entries {
		binary.Write(&b, binary.LittleEndian, e.tag)
		binary.Write(&b, binary.LittleEndian, e.typ)
		binary.Write(&b, binary.LittleEndian, uint32(1))
		binary.Write(&b, binary.LittleEndian, e.val)
	}
	binary.Write(&b, binary.LittleEndian, uint32(0))
	b.Write(make([]byte, 16))
	return b.Bytes()
}

// jpegHeaderOnly is SOI + a baseline SOF0 claiming w×h grey + an SOS
// header without scan data, then EOI.
func jpegHeaderOnly(w, h uint16) []byte {
	b := []byte{0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0}
	b = append(b, 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0)
	return append(b, 0xFF, 0xD9)
}

// bmpHeaderOnly is a 24-bit BMP header claiming w×h with no pixel array.
func bmpHeaderOnly(w, h int32) []byte {
	b := make([]byte, 54)
	copy(b, "BM")
	binary.LittleEndian.PutUint32(b[2:], 54)
	binary.LittleEndian.PutUint32(b[10:], 54)
	binary.LittleEndian.PutUint32(b[14:], 40)
	binary.LittleEndian.PutUint32(b[18:], uint32(w))
	binary.LittleEndian.PutUint32(b[22:], uint32(h))
	binary.LittleEndian.PutUint16(b[26:], 1)
	binary.LittleEndian.PutUint16(b[28:], 24)
	return b
}

// ---- DICOM built with github.com/suyashkumar/dicom's writer ----

// dcm describes a DICOM file to write with dicom.Write.
type dcm struct {
	ts                  string // transfer syntax UID
	rows, cols          int
	photometric         string
	spp, bits, planar   int
	frames              int // 0: no Number of Frames element
	pixels              []byte
	jpegFrames          [][]byte // encapsulated frames, one fragment each
	noPixels            bool
	regions             []USRegion
	spacing             string
	manufacturer, model string
}

func (d dcm) bytes(t testing.TB) []byte {
	t.Helper()
	el := func(tg tag.Tag, v any) *dicom.Element {
		e, err := dicom.NewElement(tg, v)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	elems := []*dicom.Element{
		el(tag.MediaStorageSOPClassUID, []string{"1.2.840.10008.5.1.4.1.1.6.1"}), // US Image Storage
		el(tag.MediaStorageSOPInstanceUID, []string{"1.2.3.4.5.6.7.8"}),
		el(tag.TransferSyntaxUID, []string{d.ts}),
	}
	if d.manufacturer != "" {
		elems = append(elems, el(tag.Manufacturer, []string{d.manufacturer}))
	}
	if d.model != "" {
		elems = append(elems, el(tag.ManufacturerModelName, []string{d.model}))
	}
	if len(d.regions) > 0 {
		var items [][]*dicom.Element
		for _, r := range d.regions {
			items = append(items, []*dicom.Element{
				el(tag.RegionSpatialFormat, []int{r.SpatialFormat}),
				el(tag.RegionDataType, []int{r.DataType}),
				el(tag.RegionFlags, []int{0}),
				el(tag.RegionLocationMinX0, []int{r.X0}),
				el(tag.RegionLocationMinY0, []int{r.Y0}),
				el(tag.RegionLocationMaxX1, []int{r.X1}),
				el(tag.RegionLocationMaxY1, []int{r.Y1}),
				el(tag.PhysicalUnitsXDirection, []int{r.UnitsX}),
				el(tag.PhysicalUnitsYDirection, []int{r.UnitsY}),
				el(tag.PhysicalDeltaX, []float64{r.DeltaX}),
				el(tag.PhysicalDeltaY, []float64{r.DeltaY}),
			})
		}
		elems = append(elems, el(tag.SequenceOfUltrasoundRegions, items))
	}
	spp := d.spp
	if spp == 0 {
		spp = 1
	}
	elems = append(elems,
		el(tag.SamplesPerPixel, []int{spp}),
		el(tag.PhotometricInterpretation, []string{d.photometric}))
	if spp > 1 {
		elems = append(elems, el(tag.PlanarConfiguration, []int{d.planar}))
	}
	if d.frames > 0 {
		elems = append(elems, el(tag.NumberOfFrames, []string{strconv.Itoa(d.frames)}))
	}
	elems = append(elems, el(tag.Rows, []int{d.rows}), el(tag.Columns, []int{d.cols}))
	if d.spacing != "" {
		elems = append(elems, el(tag.PixelSpacing, []string{d.spacing}))
	}
	elems = append(elems,
		el(tag.BitsAllocated, []int{d.bits}),
		el(tag.BitsStored, []int{d.bits}),
		el(tag.HighBit, []int{d.bits - 1}),
		el(tag.PixelRepresentation, []int{0}))
	switch {
	case d.noPixels:
	case d.jpegFrames != nil:
		var fs []*frame.Frame
		for _, j := range d.jpegFrames {
			if len(j)%2 == 1 {
				j = append(j, 0) // items have even length; image/jpeg stops at EOI
			}
			fs = append(fs, &frame.Frame{Encapsulated: true, EncapsulatedData: frame.EncapsulatedFrame{Data: j}})
		}
		pd := el(tag.PixelData, dicom.PixelDataInfo{IsEncapsulated: true, Frames: fs})
		pd.ValueLength = tag.VLUndefinedLength
		elems = append(elems, pd)
	default:
		pd := el(tag.PixelData, dicom.PixelDataInfo{IntentionallyUnprocessed: true, UnprocessedValueData: d.pixels})
		if d.bits == 8 {
			pd.RawValueRepresentation = "OB"
		}
		elems = append(elems, pd)
	}
	var buf bytes.Buffer
	if err := dicom.Write(&buf, dicom.Dataset{Elements: elems}, dicom.SkipVRVerification()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mono8Pixels is patGrey8 over frames frames; frame k adds 50·k.
func mono8Pixels(w, h, frames int) []byte {
	var out []byte
	for k := 0; k < frames; k++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out = append(out, patGrey8(x, y)+uint8(50*k))
			}
		}
	}
	return out
}

// ---- hand-built DICOM, for layouts the writer does not produce ----

// rawEl is one explicit-VR little-endian element.
func rawEl(tg uint32, vr string, v []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint16(tg>>16))
	binary.Write(&b, binary.LittleEndian, uint16(tg))
	b.WriteString(vr)
	if vrLong[vr] {
		b.Write([]byte{0, 0})
		binary.Write(&b, binary.LittleEndian, uint32(len(v)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint16(len(v)))
	}
	b.Write(v)
	return b.Bytes()
}

// rawImpl is one implicit-VR little-endian element (length may be undefinedLength).
func rawImpl(tg uint32, v []byte, length uint32) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint16(tg>>16))
	binary.Write(&b, binary.LittleEndian, uint16(tg))
	binary.Write(&b, binary.LittleEndian, length)
	b.Write(v)
	return b.Bytes()
}

func item(v []byte) []byte { return rawImpl(tagItem, v, uint32(len(v))) }

func u16(v int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }
func u32(v int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }
func f64(v float64) []byte {
	return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v))
}

// str pads a string value to even length as DICOM requires.
func str(s string) []byte {
	if len(s)%2 == 1 {
		s += " "
	}
	return []byte(s)
}

func uidv(s string) []byte {
	if len(s)%2 == 1 {
		s += "\x00"
	}
	return []byte(s)
}

// rawFile joins a preamble, file meta with the given transfer syntax, and
// the dataset bytes.
func rawFile(ts string, dataset ...[]byte) []byte {
	meta := rawEl(tagTransferSyntax, "UI", uidv(ts))
	out := make([]byte, 128, 128+4+12+len(meta))
	out = append(out, "DICM"...)
	out = append(out, rawEl(0x00020000, "UL", u32(len(meta)))...)
	out = append(out, meta...)
	for _, d := range dataset {
		out = append(out, d...)
	}
	return out
}

// monoHeader is the explicit-VR image pixel module for an 8-bit mono image.
func monoHeader(w, h int) []byte {
	return bytes.Join([][]byte{
		rawEl(tagSamplesPerPixel, "US", u16(1)),
		rawEl(tagPhotometric, "CS", str("MONOCHROME2")),
		rawEl(tagRows, "US", u16(h)),
		rawEl(tagColumns, "US", u16(w)),
		rawEl(tagBitsAllocated, "US", u16(8)),
		rawEl(tagPixelRepresentation, "US", u16(0)),
	}, nil)
}

// fixtureFiles returns the files under testdata (not the fuzz corpus), by name.
func fixtureFiles(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	names, err := filepath.Glob("testdata/*.*")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for _, n := range names {
		if filepath.Ext(n) == ".py" {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(n)] = b
	}
	return out
}

// checkGrey fails when any pixel of g differs from want(x, y) by more than
// tol, reporting the worst one.
func checkGrey(t *testing.T, g *image.Gray, w, h int, want func(x, y int) uint8, tol int) {
	t.Helper()
	worst, at := 0, image.Point{}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := int(g.GrayAt(x, y).Y) - int(want(x, y))
			if d < 0 {
				d = -d
			}
			if d > worst {
				worst, at = d, image.Pt(x, y)
			}
		}
	}
	if worst > tol {
		t.Errorf("grey at %v is %d, want %d (off by %d, tolerance %d)", at, g.GrayAt(at.X, at.Y).Y, want(at.X, at.Y), worst, tol)
	}
}
