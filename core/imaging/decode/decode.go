package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Image is a decoded input: the 8-bit grey plane EI is measured on, plus the
// facts about the file that later stages need.
type Image struct {
	Gray   *image.Gray // 8-bit grey plane: what EI is measured on (see "Grey values"); bounds start at (0,0)
	Format string      // "png", "jpeg", "bmp", "tiff", "dicom"
	Frames int         // number of frames in the file (1 for still images)
	Frame  int         // which frame Gray holds (0-based)
	DICOM  *DICOMInfo  // nil unless Format == "dicom"
}

// DICOMInfo holds the calibration facts and identity read from a DICOM file.
type DICOMInfo struct {
	Regions      []USRegion // Sequence of Ultrasound Regions (0018,6011), in file order
	PixelSpacing [2]float64 // (0028,0030) row, column spacing in mm; zero when absent
	Manufacturer string     // (0008,0070)
	Model        string     // (0008,1090) Manufacturer's Model Name
	// Identity: what a Structured Report needs to file its results beside
	// the image (core/clinical/sr); empty when absent.
	Identity Identity
	// TransferSyntax is the (0002,0010) UID; empty for a file without file
	// meta information (a bare dataset), which is read as little endian.
	TransferSyntax string

	Photometric   string // (0028,0004), e.g. "MONOCHROME2", "RGB", "YBR_FULL_422"
	BitsAllocated int    // (0028,0100)
	// Warnings lists optional attributes that were present but malformed and
	// therefore ignored (left zero), e.g. a Pixel Spacing that is not two
	// positive numbers. Calibration is never guessed from them.
	Warnings []string
}

// Identity is the image's place in the DICOM information model and its
// patient, as the file gives them (trimmed text, not checked).
type Identity struct {
	SOPClassUID        string // (0008,0016)
	SOPInstanceUID     string // (0008,0018)
	StudyInstanceUID   string // (0020,000D)
	SeriesInstanceUID  string // (0020,000E)
	StudyID            string // (0020,0010)
	StudyDate          string // (0008,0020) YYYYMMDD
	StudyTime          string // (0008,0030)
	AccessionNumber    string // (0008,0050)
	ReferringPhysician string // (0008,0090)
	PatientName        string // (0010,0010)
	PatientID          string // (0010,0020)
	PatientBirthDate   string // (0010,0030)
	PatientSex         string // (0010,0040)
	OperatorsName      string // (0008,1070)
	StationName        string // (0008,1010)
}

// ExamDate is StudyDate as YYYY-MM-DD, the form records and the page use;
// "" when the file has no valid date.
func (id Identity) ExamDate() string {
	t, err := time.Parse("20060102", id.StudyDate)
	if err != nil {
		return ""
	}
	return t.Format("2006-01-02")
}

// USRegion is one item of the Sequence of Ultrasound Regions.
type USRegion struct {
	X0, Y0, X1, Y1 int     // Region Location Min/Max (0018,6018..601E), inclusive pixel bounds
	SpatialFormat  int     // (0018,6012) 1 = 2D
	DataType       int     // (0018,6014) 1 = tissue
	UnitsX, UnitsY int     // (0018,6024/6026) 3 = cm
	DeltaX, DeltaY float64 // (0018,602C/602E) physical units per pixel
}

// Options tunes Decode.
type Options struct {
	Frame     int   // DICOM frame to decode (0 = first)
	MaxPixels int64 // refuse larger images before allocating; 0 (or negative) = DefaultMaxPixels
	// MaxBytes is a memory budget checked from the header, before any pixel
	// buffer exists: an image whose decoding would hold more than MaxBytes
	// (the decoder's own buffers plus the grey plane: 1 byte per pixel for
	// PNG and DICOM, up to 9 for 16-bit colour TIFF, see the package
	// documentation) is refused with ErrTooLarge. 0 (or negative) = no
	// budget beyond MaxPixels.
	MaxBytes int64
}

// limits are the checks made on a header's size.
type limits struct{ pixels, bytes int64 }

// check refuses an empty image, one above the pixel limit, and one whose
// decoding would hold more than the memory budget at perPixel bytes per
// pixel.
func (l limits) check(label string, w, h int, perPixel float64) error {
	if err := checkSize(label, w, h, l.pixels); err != nil {
		return err
	}
	if need := float64(w) * float64(h) * perPixel; l.bytes > 0 && need > float64(l.bytes) {
		return fail(ErrTooLarge, nil, "%s header claims %d×%d pixels; decoding them holds about %s (%.3g bytes per pixel), above the memory budget of %s",
			label, w, h, byteSize(need), perPixel, byteSize(float64(l.bytes)))
	}
	return nil
}

// byteSize writes a byte count the way people read it: "1.2 GB", "512 MB".
func byteSize(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0f MB", n/1e6)
	}
	return fmt.Sprintf("%.0f kB", n/1e3)
}

// DefaultMaxPixels is the largest width×height Decode accepts unless told
// otherwise; a 30000×30000 header is refused.
const DefaultMaxPixels = 1 << 28 // 268 Mpx

// Kinds of failure, for errors.Is on any error Decode returns.
var (
	ErrNotImage    = errors.New("not an image")                 // empty, unrecognised, or a DICOM without pixel data
	ErrTooLarge    = errors.New("image too large")              // width×height above the limit
	ErrUnsupported = errors.New("unsupported image variant")    // valid file, variant not handled (e.g. JPEG 2000 DICOM)
	ErrCorrupt     = errors.New("corrupt or truncated image")   // malformed or cut-off data, or a decoder panic
	ErrFrame       = errors.New("requested frame out of range") // Options.Frame not in the file
)

// Error is the error type Decode returns. Its message reads
// "decode: <name>: <reason>[: <cause>]"; errors.Is matches both Kind (one of
// the Err* values above) and the underlying decoder's error.
type Error struct {
	Name   string // file name given to Decode
	Kind   error  // ErrNotImage, ErrTooLarge, ErrUnsupported, ErrCorrupt or ErrFrame
	Reason string // what is wrong, in words
	Err    error  // cause from a third-party decoder; may be nil
}

func (e *Error) Error() string {
	s := "decode: " + e.Name + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap exposes the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// fail builds an Error without a name; Decode fills the name in.
func fail(kind, cause error, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: fmt.Sprintf(format, args...), Err: cause}
}

const notRecognised = "not a recognised image: PNG, JPEG, BMP, TIFF or DICOM expected"

// Decode turns the bytes of one image file into an 8-bit grey plane. The
// format is found from the leading bytes, never from name, which is only used
// in error messages. Every error is an *Error; Decode never panics.
func Decode(name string, data []byte, opt Options) (img *Image, err error) {
	defer func() {
		// Last line of defence: the third-party decoders are already guarded
		// one by one, so a panic here is our own bug; still never crash the
		// caller (a browser tab, a batch run) over one file.
		if r := recover(); r != nil {
			img, err = nil, fail(ErrCorrupt, nil, "internal error while decoding (please report): %v", r)
		}
		var e *Error
		if errors.As(err, &e) {
			e.Name = name
		}
	}()
	limit := limits{pixels: opt.MaxPixels, bytes: max(opt.MaxBytes, 0)}
	if limit.pixels <= 0 {
		limit.pixels = DefaultMaxPixels
	}
	if len(data) == 0 {
		return nil, fail(ErrNotImage, nil, "empty file (0 bytes)")
	}
	if start, ok := sniffDICOM(data); ok {
		return decodeDICOM(data, start, opt.Frame, limit)
	}
	f := sniffStill(data)
	if f == nil {
		if what := sniffOther(data); what != "" {
			return nil, fail(ErrNotImage, nil, "%s (this looks like %s)", notRecognised, what)
		}
		return nil, fail(ErrNotImage, nil, "%s", notRecognised)
	}
	if opt.Frame != 0 {
		return nil, fail(ErrFrame, nil, "frame %d requested but a %s file holds 1 frame (frame 0)", opt.Frame, f.label)
	}
	g, err := decodeStill(f, data, limit)
	if err != nil {
		return nil, err
	}
	return &Image{Gray: g, Format: f.format, Frames: 1, Frame: 0}, nil
}

// still describes one of the still-image formats.
type still struct {
	format, label string
	config        func(data []byte) (image.Config, error) // the header only
	// cost is the bytes per pixel decoding holds at its peak: the
	// decoder's buffers plus the grey plane.
	cost   func(data []byte, cfg image.Config) float64
	decode func(data []byte) (*image.Gray, error)
	// minBytes, when set, is the smallest file that can hold a w×h image of
	// this file's layout: a file below it is truncated, refused before the
	// decoder allocates the full image.
	minBytes func(data []byte, w, h int) int64
}

var (
	fmtPNG = &still{format: "png", label: "PNG", config: pngConfig, decode: decodePNG, minBytes: pngMinBytes,
		cost: func([]byte, image.Config) float64 { return 1 }}
	fmtJPEG = &still{format: "jpeg", label: "JPEG", config: std(jpeg.DecodeConfig), decode: stdGrey("JPEG", jpeg.Decode), minBytes: jpegMinBytes, cost: jpegCost}
	fmtBMP  = &still{format: "bmp", label: "BMP", config: std(bmp.DecodeConfig), decode: stdGrey("BMP", bmp.Decode), minBytes: bmpMinBytes, cost: bmpCost}
	fmtTIFF = &still{format: "tiff", label: "TIFF", config: tiffConfig, decode: stdGrey("TIFF", tiff.Decode), minBytes: tiffMinBytes, cost: tiffCost}
)

// std reads a header with a third-party DecodeConfig, under guard.
func std(config func(io.Reader) (image.Config, error)) func([]byte) (image.Config, error) {
	return func(data []byte) (cfg image.Config, err error) {
		err = guard("header decoder", func() (e error) {
			cfg, e = config(bytes.NewReader(data))
			return e
		})
		return cfg, err
	}
}

// stdGrey decodes with a third-party decoder, under guard, and converts to
// the grey plane (an 8-bit grey result is taken as is, not copied).
func stdGrey(label string, decode func(io.Reader) (image.Image, error)) func([]byte) (*image.Gray, error) {
	return func(data []byte) (*image.Gray, error) {
		var m image.Image
		err := guard(label+" decoder", func() (e error) {
			m, e = decode(bytes.NewReader(data))
			return e
		})
		if err != nil {
			return nil, classify(err, "reading the %s pixels", label)
		}
		return toGray(m), nil
	}
}

func pngConfig(data []byte) (image.Config, error) {
	hd, err := readPNGHeader(data, false)
	if err != nil {
		return image.Config{}, err
	}
	return image.Config{Width: hd.w, Height: hd.h}, nil
}

// jpegCost: image/jpeg returns grey (1 byte per pixel), YCbCr (up to 3,
// for 4:4:4) or CMYK (4), taken as is or converted to the grey plane; a
// progressive file also keeps every block's coefficients while decoding
// (64 int32 per 8×8 block: 4 bytes per pixel and component).
func jpegCost(data []byte, cfg image.Config) float64 {
	comps, out := 1.0, 1.0
	switch cfg.ColorModel {
	case color.YCbCrModel:
		comps, out = 3, 3+1
	case color.CMYKModel:
		comps, out = 4, 4+1
	}
	if jpegProgressive(data) {
		out += 4 * comps
	}
	return out
}

// jpegProgressive reports whether the first frame header is SOF2
// (progressive DCT), walking the marker segments from SOI.
func jpegProgressive(data []byte) bool {
	p := 2
	for p+4 <= len(data) {
		if data[p] != 0xFF {
			return false
		}
		m := data[p+1]
		switch {
		case m == 0xFF: // fill byte
			p++
			continue
		case m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE:
			return true
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			return false // another frame type: not progressive
		}
		p += 2 + int(binary.BigEndian.Uint16(data[p+2:]))
	}
	return false
}

// bmpCost: x/image/bmp returns a palette image (1 byte per pixel) up to 8
// bits per pixel, RGBA (4) above; then the grey plane.
func bmpCost(data []byte, _ image.Config) float64 {
	if len(data) >= 30 && binary.LittleEndian.Uint16(data[28:30]) <= 8 {
		return 1 + 1
	}
	return 4 + 1
}

func sniffStill(data []byte) *still {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return fmtPNG
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return fmtJPEG
	case bytes.HasPrefix(data, []byte("BM")):
		return fmtBMP
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return fmtTIFF
	}
	return nil
}

// sniffOther names common formats we do not read, so the refusal says what
// the file is.
func sniffOther(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("GIF8")):
		return "GIF"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "WebP"
	case bytes.HasPrefix(data, []byte("II+\x00")), bytes.HasPrefix(data, []byte("MM\x00+")):
		return "BigTIFF"
	case bytes.HasPrefix(data, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")), bytes.HasPrefix(data, []byte{0xFF, 0x4F, 0xFF, 0x51}):
		return "JPEG 2000"
	case bytes.HasPrefix(data, []byte("%PDF")):
		return "PDF"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return "a ZIP archive"
	}
	return ""
}

func decodeStill(f *still, data []byte, limit limits) (*image.Gray, error) {
	cfg, err := f.config(data)
	if err != nil {
		return nil, classify(err, "reading the %s header", f.label)
	}
	if err := limit.check(f.label, cfg.Width, cfg.Height, f.cost(data, cfg)); err != nil {
		return nil, err
	}
	if f.minBytes != nil {
		if need := f.minBytes(data, cfg.Width, cfg.Height); int64(len(data)) < need {
			return nil, fail(ErrCorrupt, nil, "%s header claims %d×%d pixels, which needs at least %d bytes, but the file holds %d: truncated or corrupt",
				f.label, cfg.Width, cfg.Height, need, len(data))
		}
	}
	g, err := f.decode(data)
	if err != nil {
		return nil, classify(err, "reading the %s pixels", f.label)
	}
	if b := g.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fail(ErrCorrupt, nil, "%s decoder returned %d×%d pixels, header says %d×%d", f.label, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return g, nil
}

// guard runs a third-party decoder, turning a panic into an error: decoders
// have panicked on fuzzed input before, and one bad file must not bring down
// a batch run or a browser tab.
func guard(who string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fail(ErrCorrupt, nil, "%s panicked on this input (%v)", who, r)
		}
	}()
	return f()
}

// classify wraps a decoder error with the right kind: the decoders' own
// "unsupported" errors become ErrUnsupported, anything else ErrCorrupt. An
// error already classified (a guarded panic, our own PNG and TIFF checks)
// gets the step in front of its reason.
func classify(err error, format string, args ...any) error {
	var e *Error
	if errors.As(err, &e) {
		if step := fmt.Sprintf(format, args...); !strings.HasPrefix(e.Reason, step) {
			e.Reason = step + ": " + e.Reason
		}
		return err
	}
	kind := ErrCorrupt
	var (
		pu png.UnsupportedError
		ju jpeg.UnsupportedError
		tu tiff.UnsupportedError
	)
	if errors.As(err, &pu) || errors.As(err, &ju) || errors.As(err, &tu) || errors.Is(err, bmp.ErrUnsupported) {
		kind = ErrUnsupported
	}
	return fail(kind, err, format, args...)
}

// checkSize refuses empty images and images above the pixel limit; it runs on
// header values, before any pixel buffer exists.
func checkSize(label string, w, h int, limit int64) error {
	if w <= 0 || h <= 0 {
		return fail(ErrCorrupt, nil, "%s header claims %d×%d pixels (an empty image)", label, w, h)
	}
	if n := int64(w) * int64(h); n > limit {
		return fail(ErrTooLarge, nil, "%s header claims %d×%d pixels (%s; limit %s)", label, w, h, pixels(n), pixels(limit))
	}
	return nil
}

// pixels writes a pixel count the way people read it: "268 Mpx", "1.2 Mpx", "640 px".
func pixels(n int64) string {
	switch {
	case n >= 10_000_000:
		return fmt.Sprintf("%.0f Mpx", float64(n)/1e6)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f Mpx", float64(n)/1e6)
	}
	return fmt.Sprintf("%d px", n)
}

// pngMinBytes bounds the file size from below: deflate expands at most
// 1032:1 (a 258-byte match coded in 2 bits), so a PNG whose rows need R bytes
// holds at least R/1032 bytes of compressed data.
func pngMinBytes(data []byte, w, h int) int64 {
	if len(data) < 26 { // the decoder already read IHDR, so this does not happen
		return 0
	}
	depth := int64(data[24])
	var channels int64
	switch data[25] {
	case 0, 3:
		channels = 1
	case 2:
		channels = 3
	case 4:
		channels = 2
	case 6:
		channels = 4
	default:
		return 0
	}
	rowBytes := (int64(w)*channels*depth + 7) / 8
	return int64(h) * rowBytes / 1032
}

// bmpMinBytes: the BMP variants x/image/bmp reads are uncompressed, so the
// pixel array (rows padded to 4 bytes) must be in the file.
func bmpMinBytes(data []byte, w, h int) int64 {
	if len(data) < 30 {
		return 0
	}
	offset := int64(binary.LittleEndian.Uint32(data[10:14]))
	bpp := int64(binary.LittleEndian.Uint16(data[28:30]))
	stride := (int64(w)*bpp + 31) / 32 * 4
	return offset + int64(h)*stride
}

// jpegMinBytes: every 8×8 luma block of a JPEG has its DC coefficient coded
// in at least one bit (baseline, and the first DC scan of a progressive
// file), so a file holds at least blocks/8 bytes.
func jpegMinBytes(_ []byte, w, h int) int64 {
	return (int64(w) + 7) / 8 * ((int64(h) + 7) / 8) / 8
}
