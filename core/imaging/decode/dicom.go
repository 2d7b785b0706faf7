package decode

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/suyashkumar/dicom/pkg/uid"
)

// The DICOM reader walks the file in place, over the caller's bytes: it checks
// every length against the bytes that are left before slicing, allocates
// nothing in proportion to a claimed length, and builds the grey plane only
// after Rows × Columns, the frame count and the pixel data length have been
// checked. See doc.go for why this is not github.com/suyashkumar/dicom's
// parser (whose UID dictionary it does use).

const (
	tsImplicitLE   = "1.2.840.10008.1.2"
	tsExplicitLE   = "1.2.840.10008.1.2.1"
	tsJPEGBaseline = "1.2.840.10008.1.2.4.50"
	tsJPEGExtended = "1.2.840.10008.1.2.4.51" // process 2 (8-bit) is read; 12-bit process 4 is refused by image/jpeg
	tsRLE          = "1.2.840.10008.1.2.5"    // RLE Lossless: common on ultrasound scanners
)

// Tags, as group<<16 | element.
const (
	tagTransferSyntax      = 0x00020010
	tagManufacturer        = 0x00080070
	tagModel               = 0x00081090
	tagRegions             = 0x00186011
	tagRegionSpatialFormat = 0x00186012
	tagRegionDataType      = 0x00186014
	tagRegionMinX0         = 0x00186018
	tagRegionMinY0         = 0x0018601A
	tagRegionMaxX1         = 0x0018601C
	tagRegionMaxY1         = 0x0018601E
	tagUnitsX              = 0x00186024
	tagUnitsY              = 0x00186026
	tagDeltaX              = 0x0018602C
	tagDeltaY              = 0x0018602E
	tagSamplesPerPixel     = 0x00280002
	tagPhotometric         = 0x00280004
	tagPlanarConfig        = 0x00280006
	tagNumberOfFrames      = 0x00280008
	tagRows                = 0x00280010
	tagColumns             = 0x00280011
	tagPixelSpacing        = 0x00280030
	tagBitsAllocated       = 0x00280100
	tagPixelRepresentation = 0x00280103
	tagPixelData           = 0x7FE00010
	tagItem                = 0xFFFEE000
	tagItemDelim           = 0xFFFEE00D
	tagSeqDelim            = 0xFFFEE0DD

	undefinedLength = 0xFFFFFFFF
	maxDepth        = 32 // nested sequences; real files use a handful
)

func tagString(t uint32) string { return fmt.Sprintf("(%04X,%04X)", t>>16, t&0xFFFF) }

// vrLong lists the explicit VRs with a 2-byte reserved field and a 4-byte length.
var vrLong = map[string]bool{"OB": true, "OD": true, "OF": true, "OL": true, "OV": true, "OW": true,
	"SQ": true, "SV": true, "UC": true, "UN": true, "UR": true, "UT": true, "UV": true}

var vrShort = map[string]bool{"AE": true, "AS": true, "AT": true, "CS": true, "DA": true, "DS": true,
	"DT": true, "FD": true, "FL": true, "IS": true, "LO": true, "LT": true, "PN": true, "SH": true,
	"SL": true, "SS": true, "ST": true, "TM": true, "UI": true, "UL": true, "US": true}

func validVR(b []byte) bool {
	s := string(b)
	return vrLong[s] || vrShort[s]
}

// sniffDICOM reports whether data is DICOM and where the file meta (or, for
// a bare dataset, the dataset) starts. Accepted: the standard 128-byte
// preamble + "DICM"; "DICM" at offset 0 (preamble stripped); and a bare
// dataset without preamble only when it is clearly DICOM: its first two
// elements are well formed, in group 0002 or 0008, in ascending tag order.
func sniffDICOM(data []byte) (int, bool) {
	if len(data) >= 132 && string(data[128:132]) == "DICM" {
		return 132, true
	}
	if len(data) >= 4 && string(data[:4]) == "DICM" {
		return 4, true
	}
	if len(data) < 8 {
		return 0, false
	}
	explicit := validVR(data[4:6])
	w := walker{data: data}
	t1, _, vl1, n1, err := w.header(0, len(data), explicit)
	if err != nil || vl1 == undefinedLength || int64(vl1) > int64(len(data)-n1) {
		return 0, false
	}
	p := n1 + int(vl1)
	if len(data)-p >= 6 {
		explicit = validVR(data[p+4 : p+6]) // meta is explicit; the dataset after it may not be
	}
	t2, _, _, _, err := w.header(p, len(data), explicit)
	if err != nil {
		return 0, false
	}
	g1, g2 := t1>>16, t2>>16
	okGroup := func(g uint32) bool { return g == 0x0002 || g == 0x0008 }
	return 0, okGroup(g1) && okGroup(g2) && t2 > t1 && (explicit || vl1 <= 1024)
}

// walker reads DICOM elements from data; all positions are absolute offsets.
type walker struct{ data []byte }

func (w *walker) u16(p int) uint32 { return uint32(binary.LittleEndian.Uint16(w.data[p:])) }
func (w *walker) u32(p int) uint32 { return binary.LittleEndian.Uint32(w.data[p:]) }

// header reads the element header at p: tag, explicit VR ("" for implicit
// VR and for items), value length and header size.
func (w *walker) header(p, end int, explicit bool) (tag uint32, vr string, vl uint32, n int, err error) {
	if end-p < 8 {
		return 0, "", 0, 0, fail(ErrCorrupt, nil, "DICOM truncated at byte %d: %d bytes left, an element header needs 8", p, end-p)
	}
	tag = w.u16(p)<<16 | w.u16(p+2)
	if tag>>16 == 0xFFFE || !explicit { // items and delimiters are always implicit
		return tag, "", w.u32(p + 4), 8, nil
	}
	vrb := w.data[p+4 : p+6]
	switch {
	case vrShort[string(vrb)]:
		return tag, string(vrb), w.u16(p + 6), 8, nil
	case vrLong[string(vrb)]:
		if end-p < 12 {
			return 0, "", 0, 0, fail(ErrCorrupt, nil, "DICOM truncated in the header of element %s at byte %d", tagString(tag), p)
		}
		return tag, string(vrb), w.u32(p + 8), 12, nil
	}
	return 0, "", 0, 0, fail(ErrCorrupt, nil, "element %s at byte %d has no valid value representation (%q) in an explicit-VR dataset", tagString(tag), p, vrb)
}

// element is one parsed element; its value is data[start:end]. For an
// undefined-length element the value is its items, without the closing
// Sequence Delimitation Item.
type element struct {
	tag        uint32
	vr         string
	start, end int
	undefined  bool
	// explicitIn says how the items' datasets are encoded: like the
	// enclosing dataset, except that UN content is implicit VR (PS3.5 6.2.2).
	explicitIn bool
}

// elements walks the elements in data[p:end] and calls visit on each (visit
// may be nil; it returns stop to end the walk early). With inItem the walk
// ends after the Item Delimitation Item and returns the position after it.
func (w *walker) elements(p, end int, explicit bool, depth int, inItem bool, visit func(element) (bool, error)) (int, error) {
	if depth > maxDepth {
		return 0, fail(ErrCorrupt, nil, "DICOM sequences nested more than %d deep at byte %d", maxDepth, p)
	}
	for p < end {
		tag, vr, vl, n, err := w.header(p, end, explicit)
		if err != nil {
			return 0, err
		}
		switch tag {
		case tagItemDelim:
			if inItem {
				return p + n, nil
			}
			return 0, fail(ErrCorrupt, nil, "unexpected Item Delimitation Item at byte %d", p)
		case tagItem, tagSeqDelim:
			return 0, fail(ErrCorrupt, nil, "unexpected %s outside a sequence at byte %d", tagString(tag), p)
		}
		el := element{tag: tag, vr: vr, start: p + n, explicitIn: explicit && vr != "UN"}
		if vl == undefinedLength {
			q, err := w.items(p+n, end, el.explicitIn, depth+1)
			if err != nil {
				return 0, err
			}
			el.end, el.undefined = q, true
			p = q + 8
		} else {
			if int64(vl) > int64(end-el.start) {
				return 0, fail(ErrCorrupt, nil, "element %s at byte %d claims %d bytes but only %d are left: truncated or corrupt",
					tagString(tag), p, vl, end-el.start)
			}
			el.end = el.start + int(vl)
			p = el.end
		}
		if visit != nil {
			stop, err := visit(el)
			if err != nil || stop {
				return p, err
			}
		}
	}
	if inItem {
		return 0, fail(ErrCorrupt, nil, "sequence item without Item Delimitation Item: truncated")
	}
	return p, nil
}

// items walks an undefined-length sequence's items from p and returns the
// position of its Sequence Delimitation Item.
func (w *walker) items(p, end int, explicit bool, depth int) (int, error) {
	if depth > maxDepth {
		return 0, fail(ErrCorrupt, nil, "DICOM sequences nested more than %d deep at byte %d", maxDepth, p)
	}
	for {
		if end-p < 8 {
			return 0, fail(ErrCorrupt, nil, "sequence without Sequence Delimitation Item: truncated")
		}
		tag, vl := w.u16(p)<<16|w.u16(p+2), w.u32(p+4)
		switch {
		case tag == tagSeqDelim:
			return p, nil
		case tag != tagItem:
			return 0, fail(ErrCorrupt, nil, "expected an Item (FFFE,E000) in a sequence at byte %d, found %s", p, tagString(tag))
		case vl == undefinedLength:
			q, err := w.elements(p+8, end, explicit, depth+1, true, nil)
			if err != nil {
				return 0, err
			}
			p = q
		case int64(vl) > int64(end-p-8):
			return 0, fail(ErrCorrupt, nil, "sequence item at byte %d claims %d bytes but only %d are left", p, vl, end-p-8)
		default:
			p += 8 + int(vl)
		}
	}
}

// forEachItem calls fn with the dataset range of each item of a sequence
// element (defined or undefined length).
func (w *walker) forEachItem(el element, depth int, fn func(start, end int) error) error {
	p := el.start
	for p < el.end {
		if el.end-p < 8 {
			return fail(ErrCorrupt, nil, "sequence %s ends inside an item header", tagString(el.tag))
		}
		tag, vl := w.u16(p)<<16|w.u16(p+2), w.u32(p+4)
		if tag != tagItem {
			return fail(ErrCorrupt, nil, "expected an Item (FFFE,E000) in sequence %s at byte %d, found %s", tagString(el.tag), p, tagString(tag))
		}
		if vl == undefinedLength {
			q, err := w.elements(p+8, el.end, el.explicitIn, depth+1, true, nil)
			if err != nil {
				return err
			}
			if err := fn(p+8, q-8); err != nil {
				return err
			}
			p = q
			continue
		}
		if int64(vl) > int64(el.end-p-8) {
			return fail(ErrCorrupt, nil, "item of sequence %s at byte %d claims %d bytes but only %d are left", tagString(el.tag), p, vl, el.end-p-8)
		}
		if err := fn(p+8, p+8+int(vl)); err != nil {
			return err
		}
		p += 8 + int(vl)
	}
	return nil
}

// dicomHeader is what the top-level dataset says about the pixels.
type dicomHeader struct {
	rows, cols, spp, bitsAlloc, planar, pixelRep int
	hasRows, hasCols, hasBits, hasSpp            bool
	frames                                       int // 0 when Number of Frames is absent
	photometric                                  string
	rle                                          bool // RLE Lossless transfer syntax
	pixel                                        *element
	info                                         DICOMInfo
}

func decodeDICOM(data []byte, start, frame int, limit limits) (*Image, error) {
	w := walker{data: data}
	info := DICOMInfo{}
	p := start
	explicit := true
	if start > 0 || w.u16(0) == 0x0002 { // file meta: always explicit VR little endian
		for len(data)-p >= 8 && w.u16(p) == 0x0002 {
			tag, _, vl, n, err := w.header(p, len(data), true)
			if err != nil {
				return nil, err
			}
			if vl == undefinedLength || int64(vl) > int64(len(data)-p-n) {
				return nil, fail(ErrCorrupt, nil, "file meta element %s at byte %d claims %d bytes but only %d are left", tagString(tag), p, int64(vl), len(data)-p-n)
			}
			if tag == tagTransferSyntax {
				info.TransferSyntax = trimValue(data[p+n : p+n+int(vl)])
			}
			p += n + int(vl)
		}
	}
	encapsulated, rle := false, false
	switch ts := info.TransferSyntax; ts {
	case tsImplicitLE:
		explicit = false
	case tsExplicitLE:
	case tsJPEGBaseline, tsJPEGExtended:
		encapsulated = true
	case tsRLE:
		encapsulated, rle = true, true
	case "":
		// No transfer syntax (a bare dataset, or meta without it): little
		// endian, explicit if the first element carries a VR.
		explicit = len(data)-p >= 6 && validVR(data[p+4:p+6])
	default:
		name := "unknown UID"
		if u, err := uid.Lookup(ts); err == nil {
			name = u.Name
		}
		return nil, fail(ErrUnsupported, nil, "DICOM transfer syntax %s (%s) is not supported; readable: Implicit VR Little Endian, Explicit VR Little Endian, JPEG Baseline (%s), RLE Lossless (%s)",
			ts, name, tsJPEGBaseline, tsRLE)
	}

	h := dicomHeader{info: info, rle: rle}
	_, err := w.elements(p, len(data), explicit, 0, false, func(el element) (bool, error) {
		return h.visit(&w, el)
	})
	if err != nil {
		return nil, err
	}
	return h.image(&w, encapsulated, frame, limit)
}

// visit records one top-level element; it stops the walk at the pixel data
// (nothing after it is needed, and trailing padding is often odd).
func (h *dicomHeader) visit(w *walker, el element) (bool, error) {
	v := w.data[el.start:el.end]
	switch el.tag {
	case tagRows:
		h.rows, h.hasRows = usValue(v), len(v) >= 2
	case tagColumns:
		h.cols, h.hasCols = usValue(v), len(v) >= 2
	case tagBitsAllocated:
		h.bitsAlloc, h.hasBits = usValue(v), len(v) >= 2
	case tagSamplesPerPixel:
		h.spp, h.hasSpp = usValue(v), len(v) >= 2
	case tagPlanarConfig:
		h.planar = usValue(v)
	case tagPixelRepresentation:
		h.pixelRep = usValue(v)
	case tagPhotometric:
		h.photometric = trimValue(v)
	case tagNumberOfFrames:
		s := trimValue(v)
		if i := strings.IndexByte(s, '\\'); i >= 0 {
			s = s[:i]
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return false, fail(ErrCorrupt, nil, "Number of Frames (0028,0008) is %q, not a positive integer", s)
		}
		h.frames = n
	case tagPixelSpacing:
		if sp, ok := pixelSpacing(trimValue(v)); ok {
			h.info.PixelSpacing = sp
		} else {
			h.info.Warnings = append(h.info.Warnings, fmt.Sprintf("Pixel Spacing (0028,0030) %q ignored: not two positive numbers", trimValue(v)))
		}
	case tagManufacturer:
		h.info.Manufacturer = trimValue(v)
	case tagModel:
		h.info.Model = trimValue(v)
	default:
		if f := h.info.Identity.field(el.tag); f != nil {
			*f = trimValue(v)
		}
	case tagRegions:
		err := w.forEachItem(el, 1, func(s, e int) error {
			var r USRegion
			_, err := w.elements(s, e, el.explicitIn, 2, false, func(f element) (bool, error) {
				r.set(f.tag, w.data[f.start:f.end])
				return false, nil
			})
			h.info.Regions = append(h.info.Regions, r)
			return err
		})
		if err != nil {
			return false, err
		}
	case tagPixelData:
		pd := el
		h.pixel = &pd
		return true, nil
	}
	return false, nil
}

// field is where an identity tag's value goes; nil for other tags.
func (id *Identity) field(tag uint32) *string {
	switch tag {
	case 0x00080016:
		return &id.SOPClassUID
	case 0x00080018:
		return &id.SOPInstanceUID
	case 0x0020000D:
		return &id.StudyInstanceUID
	case 0x0020000E:
		return &id.SeriesInstanceUID
	case 0x00200010:
		return &id.StudyID
	case 0x00080020:
		return &id.StudyDate
	case 0x00080030:
		return &id.StudyTime
	case 0x00080050:
		return &id.AccessionNumber
	case 0x00080090:
		return &id.ReferringPhysician
	case 0x00100010:
		return &id.PatientName
	case 0x00100020:
		return &id.PatientID
	case 0x00100030:
		return &id.PatientBirthDate
	case 0x00100040:
		return &id.PatientSex
	case 0x00081070:
		return &id.OperatorsName
	case 0x00081010:
		return &id.StationName
	}
	return nil
}

func (r *USRegion) set(tag uint32, v []byte) {
	switch tag {
	case tagRegionSpatialFormat:
		r.SpatialFormat = usValue(v)
	case tagRegionDataType:
		r.DataType = usValue(v)
	case tagRegionMinX0:
		r.X0 = ulValue(v)
	case tagRegionMinY0:
		r.Y0 = ulValue(v)
	case tagRegionMaxX1:
		r.X1 = ulValue(v)
	case tagRegionMaxY1:
		r.Y1 = ulValue(v)
	case tagUnitsX:
		r.UnitsX = usValue(v)
	case tagUnitsY:
		r.UnitsY = usValue(v)
	case tagDeltaX:
		r.DeltaX = floatValue(v)
	case tagDeltaY:
		r.DeltaY = floatValue(v)
	}
}

// usValue reads the first value of a US element.
func usValue(v []byte) int {
	if len(v) < 2 {
		return 0
	}
	return int(binary.LittleEndian.Uint16(v))
}

// ulValue reads the first value of a UL element, tolerating a writer that
// stored it as US.
func ulValue(v []byte) int {
	switch {
	case len(v) >= 4:
		return int(binary.LittleEndian.Uint32(v))
	case len(v) >= 2:
		return int(binary.LittleEndian.Uint16(v))
	}
	return 0
}

// floatValue reads an FD (8 bytes) or FL (4 bytes) value.
func floatValue(v []byte) float64 {
	switch {
	case len(v) >= 8:
		return math.Float64frombits(binary.LittleEndian.Uint64(v))
	case len(v) >= 4:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(v)))
	}
	return 0
}

// trimValue turns a string value into Go text: padding (space, NUL) removed,
// invalid UTF-8 replaced.
func trimValue(v []byte) string {
	s := strings.Trim(string(v), " \x00")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

func pixelSpacing(s string) ([2]float64, bool) {
	parts := strings.Split(s, "\\")
	if len(parts) != 2 {
		return [2]float64{}, false
	}
	var out [2]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return [2]float64{}, false
		}
		out[i] = f
	}
	return out, true
}

// image checks the pixel description, then builds the grey plane of one frame.
func (h *dicomHeader) image(w *walker, encapsulated bool, frame int, limit limits) (*Image, error) {
	if h.pixel == nil {
		return nil, fail(ErrNotImage, nil, "DICOM file has no Pixel Data (7FE0,0010): it holds no image")
	}
	for _, m := range []struct {
		ok   bool
		name string
	}{{h.hasRows, "Rows (0028,0010)"}, {h.hasCols, "Columns (0028,0011)"}, {h.hasBits, "Bits Allocated (0028,0100)"}} {
		if !m.ok {
			return nil, fail(ErrCorrupt, nil, "DICOM image has no %s", m.name)
		}
	}
	// Native and RLE frames are written straight to the grey plane; a JPEG
	// frame's decoder buffers are checked with its own header.
	if err := limit.check("DICOM", h.cols, h.rows, 1); err != nil {
		return nil, err
	}
	frames := max(h.frames, 1)
	if frame < 0 || frame >= frames {
		return nil, fail(ErrFrame, nil, "frame %d requested but the file holds %d frame%s (0–%d)", frame, frames, plural(frames), frames-1)
	}
	wantSpp := 3
	switch h.photometric {
	case "MONOCHROME2":
		wantSpp = 1
	case "RGB", "YBR_FULL", "YBR_FULL_422":
	case "":
		return nil, fail(ErrCorrupt, nil, "DICOM image has no Photometric Interpretation (0028,0004)")
	default:
		return nil, fail(ErrUnsupported, nil, "photometric interpretation %q is not supported (readable: MONOCHROME2, RGB, YBR_FULL, YBR_FULL_422)", h.photometric)
	}
	if !h.hasSpp {
		h.spp = wantSpp
	}
	if h.spp != wantSpp {
		return nil, fail(ErrCorrupt, nil, "%s with %d samples per pixel (expected %d)", h.photometric, h.spp, wantSpp)
	}
	if h.pixelRep != 0 {
		return nil, fail(ErrUnsupported, nil, "signed pixel data (Pixel Representation 1) is not supported")
	}
	switch {
	case h.bitsAlloc == 8:
	case h.bitsAlloc == 16 && h.photometric == "MONOCHROME2" && (!encapsulated || h.rle):
	default:
		return nil, fail(ErrUnsupported, nil, "%d bits allocated with %s is not supported (readable: 8 bits; 16 bits for native or RLE MONOCHROME2)", h.bitsAlloc, h.photometric)
	}
	h.info.Photometric, h.info.BitsAllocated = h.photometric, h.bitsAlloc

	var g *image.Gray
	var err error
	if encapsulated {
		if !h.pixel.undefined {
			return nil, fail(ErrCorrupt, nil, "transfer syntax %s is encapsulated but Pixel Data has a defined length", h.info.TransferSyntax)
		}
		if h.rle {
			g, err = h.rleFrame(w, frames, frame)
		} else {
			g, err = h.jpegFrame(w, frames, frame, limit)
		}
	} else {
		if h.pixel.undefined {
			return nil, fail(ErrCorrupt, nil, "Pixel Data is encapsulated (undefined length) but the transfer syntax is native")
		}
		g, err = h.nativeFrame(w.data[h.pixel.start:h.pixel.end], frames, frame)
	}
	if err != nil {
		return nil, err
	}
	info := h.info
	return &Image{Gray: g, Format: "dicom", Frames: frames, Frame: frame, DICOM: &info}, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// nativeFrame converts frame k of uncompressed pixel data.
func (h *dicomHeader) nativeFrame(pix []byte, frames, k int) (*image.Gray, error) {
	n := h.rows * h.cols // ≤ 65535², fits an int on every platform Go targets here
	var frameBytes int
	switch {
	case h.photometric == "YBR_FULL_422":
		if h.cols%2 != 0 {
			return nil, fail(ErrCorrupt, nil, "YBR_FULL_422 needs an even number of columns, file has %d", h.cols)
		}
		if h.planar != 0 {
			return nil, fail(ErrCorrupt, nil, "YBR_FULL_422 must be colour-by-pixel (Planar Configuration 0), file has %d", h.planar)
		}
		frameBytes = 2 * n // Y Y Cb Cr for each pair of pixels
	default:
		frameBytes = n * h.spp * h.bitsAlloc / 8
	}
	if h.spp == 3 && h.planar != 0 && h.planar != 1 {
		return nil, fail(ErrCorrupt, nil, "Planar Configuration (0028,0006) is %d, expected 0 or 1", h.planar)
	}
	if len(pix)/frameBytes < frames {
		return nil, fail(ErrCorrupt, nil, "Pixel Data holds %d bytes, less than the %d needed for %d frame%s of %d×%d %s at %d bits: truncated or corrupt",
			len(pix), int64(frames)*int64(frameBytes), frames, plural(frames), h.cols, h.rows, h.photometric, h.bitsAlloc)
	}
	src := pix[k*frameBytes : (k+1)*frameBytes]
	g := image.NewGray(image.Rect(0, 0, h.cols, h.rows))
	dst := g.Pix
	switch {
	case h.photometric == "MONOCHROME2" && h.bitsAlloc == 8:
		copy(dst, src)
	case h.photometric == "MONOCHROME2": // 16 bits, little endian: keep the high byte
		for i := range dst {
			dst[i] = src[2*i+1]
		}
	case h.photometric == "YBR_FULL_422":
		for i := 0; i < n; i += 2 {
			q := src[2*i : 2*i+4]
			dst[i] = yccGrey(q[0], q[2], q[3])
			dst[i+1] = yccGrey(q[1], q[2], q[3])
		}
	default: // RGB or YBR_FULL, 8 bits, interleaved or planar
		ycc := h.photometric == "YBR_FULL"
		a, b, c, step := src, src[1:], src[2:], 3
		if h.planar == 1 {
			a, b, c, step = src[:n], src[n:2*n], src[2*n:], 1
		}
		for i := range dst {
			j := i * step
			if ycc {
				dst[i] = yccGrey(a[j], b[j], c[j])
			} else {
				dst[i] = luma(a[j], b[j], c[j])
			}
		}
	}
	return g, nil
}

// fragment is one item of encapsulated pixel data: its offset from the first
// fragment's item tag (what the Basic Offset Table counts) and its bytes.
type fragment struct {
	rel        int
	start, end int
}

// fragments calls fn for each fragment after the Basic Offset Table, which it
// returns.
func (w *walker) fragments(el *element, fn func(i int, f fragment)) (bot []byte, err error) {
	p, first, i := el.start, -1, 0
	for p < el.end {
		if el.end-p < 8 {
			return nil, fail(ErrCorrupt, nil, "encapsulated Pixel Data ends inside an item header")
		}
		tag, vl := w.u16(p)<<16|w.u16(p+2), w.u32(p+4)
		if tag != tagItem || vl == undefinedLength || int64(vl) > int64(el.end-p-8) {
			return nil, fail(ErrCorrupt, nil, "malformed fragment item in encapsulated Pixel Data at byte %d", p)
		}
		s, e := p+8, p+8+int(vl)
		if first < 0 {
			first = e // the first item is the Basic Offset Table
			bot = w.data[s:e]
		} else {
			fn(i, fragment{rel: p - first, start: s, end: e})
			i++
		}
		p = e
	}
	if first < 0 {
		return nil, fail(ErrCorrupt, nil, "encapsulated Pixel Data has no items")
	}
	return bot, nil
}

// frameStream returns the bytes of encapsulated frame k. Frames are told
// apart by the Basic Offset Table when it is valid, else one fragment per
// frame when the counts match, else (JPEG) by fragments that start a JPEG
// stream (FF D8).
func (h *dicomHeader) frameStream(w *walker, frames, k int) ([]byte, error) {
	nfrag, soi, total, firstSOI := 0, 0, 0, false
	bot, err := w.fragments(h.pixel, func(i int, f fragment) {
		nfrag++
		total = f.rel + 8 + f.end - f.start // bytes of fragment items, as the offset table counts them
		if f.end-f.start >= 2 && w.data[f.start] == 0xFF && w.data[f.start+1] == 0xD8 {
			soi++
			firstSOI = firstSOI || i == 0
		}
	})
	if err != nil {
		return nil, err
	}
	if nfrag == 0 {
		return nil, fail(ErrCorrupt, nil, "encapsulated Pixel Data holds no fragments")
	}
	// which reports whether fragment i (with BOT offset rel, SOI flag) belongs to frame k.
	var which func(i int, f fragment, startsJPEG bool) bool
	botValid := len(bot) == 4*frames && binary.LittleEndian.Uint32(bot) == 0
	for j := 1; botValid && j < frames; j++ {
		botValid = binary.LittleEndian.Uint32(bot[4*j:]) > binary.LittleEndian.Uint32(bot[4*j-4:]) &&
			int(binary.LittleEndian.Uint32(bot[4*j:])) < total
	}
	seen := -1 // frame index of the current fragment, counting JPEG starts
	switch {
	case botValid:
		lo := int64(binary.LittleEndian.Uint32(bot[4*k:]))
		hi := int64(math.MaxInt64)
		if k+1 < frames {
			hi = int64(binary.LittleEndian.Uint32(bot[4*k+4:]))
		}
		which = func(_ int, f fragment, _ bool) bool { return int64(f.rel) >= lo && int64(f.rel) < hi }
	case frames == 1:
		which = func(int, fragment, bool) bool { return true }
	case nfrag == frames:
		which = func(i int, _ fragment, _ bool) bool { return i == k }
	case soi == frames && firstSOI:
		which = func(i int, _ fragment, starts bool) bool {
			if starts {
				seen++
			}
			return seen == k
		}
	default:
		return nil, fail(ErrCorrupt, nil, "cannot tell %d frames apart among %d fragments (%d JPEG starts, no usable Basic Offset Table)", frames, nfrag, soi)
	}
	var parts [][]byte
	if _, err := w.fragments(h.pixel, func(i int, f fragment) {
		b := w.data[f.start:f.end]
		if which(i, f, len(b) >= 2 && b[0] == 0xFF && b[1] == 0xD8) {
			parts = append(parts, b)
		}
	}); err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, fail(ErrCorrupt, nil, "frame %d has no data", k)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return bytes.Join(parts, nil), nil
}

// jpegFrame decodes encapsulated JPEG frame k.
func (h *dicomHeader) jpegFrame(w *walker, frames, k int, limit limits) (*image.Gray, error) {
	stream, err := h.frameStream(w, frames, k)
	if err != nil {
		return nil, err
	}
	var cfg image.Config
	if err := guard("JPEG decoder", func() (e error) { cfg, e = jpeg.DecodeConfig(bytes.NewReader(stream)); return e }); err != nil {
		return nil, classify(err, "reading the JPEG header of frame %d", k)
	}
	if err := limit.check("JPEG frame", cfg.Width, cfg.Height, jpegCost(stream, cfg)); err != nil {
		return nil, err
	}
	if cfg.Width != h.cols || cfg.Height != h.rows {
		return nil, fail(ErrCorrupt, nil, "JPEG frame %d is %d×%d but Rows/Columns say %d×%d", k, cfg.Width, cfg.Height, h.cols, h.rows)
	}
	var m image.Image
	if err := guard("JPEG decoder", func() (e error) { m, e = jpeg.Decode(bytes.NewReader(stream)); return e }); err != nil {
		return nil, classify(err, "reading the JPEG pixels of frame %d", k)
	}
	return toGray(m), nil
}

// rleFrame decodes RLE Lossless frame k (PS3.5 Annex G): a 64-byte header
// (segment count, 15 offsets), then one PackBits segment per byte plane,
// most significant byte first, colour planes R, G, B (or Y, Cb, Cr).
func (h *dicomHeader) rleFrame(w *walker, frames, k int) (*image.Gray, error) {
	if h.photometric == "YBR_FULL_422" {
		return nil, fail(ErrCorrupt, nil, "RLE Lossless cannot hold YBR_FULL_422 (the standard uses YBR_FULL)")
	}
	stream, err := h.frameStream(w, frames, k)
	if err != nil {
		return nil, err
	}
	if len(stream) < 64 {
		return nil, fail(ErrCorrupt, nil, "RLE frame %d is %d bytes, shorter than its 64-byte header", k, len(stream))
	}
	bytesPer := h.bitsAlloc / 8
	want := h.spp * bytesPer
	if n := int(binary.LittleEndian.Uint32(stream)); n != want {
		return nil, fail(ErrCorrupt, nil, "RLE frame %d has %d segments; %s at %d bits needs %d", k, n, h.photometric, h.bitsAlloc, want)
	}
	offsets := make([]int, want+1)
	for i := 0; i < want; i++ {
		offsets[i] = int(binary.LittleEndian.Uint32(stream[4+4*i:]))
		if offsets[i] < 64 || offsets[i] >= len(stream) || (i > 0 && offsets[i] <= offsets[i-1]) {
			return nil, fail(ErrCorrupt, nil, "RLE frame %d: segment %d offset %d is out of order or outside the frame's %d bytes", k, i, offsets[i], len(stream))
		}
	}
	offsets[want] = len(stream)
	n := h.rows * h.cols
	// Only the most significant plane of each sample is kept (v >> 8 for
	// 16-bit), so the others are not decoded.
	planes := make([][]byte, h.spp)
	for c := range planes {
		seg := c * bytesPer
		planes[c] = make([]byte, n)
		if err := unpackBits(stream[offsets[seg]:offsets[seg+1]], planes[c]); err != nil {
			return nil, fail(ErrCorrupt, err, "RLE frame %d, segment %d", k, seg)
		}
	}
	g := image.NewGray(image.Rect(0, 0, h.cols, h.rows))
	switch h.photometric {
	case "MONOCHROME2":
		copy(g.Pix, planes[0])
	case "YBR_FULL":
		for i := range g.Pix {
			g.Pix[i] = yccGrey(planes[0][i], planes[1][i], planes[2][i])
		}
	default: // RGB
		for i := range g.Pix {
			g.Pix[i] = luma(planes[0][i], planes[1][i], planes[2][i])
		}
	}
	return g, nil
}

// unpackBits fills dst from a PackBits segment: a header byte n in 0..127
// copies n+1 literal bytes, −127..−1 repeats the next byte 1−n times, −128
// is a no-op. Output beyond dst (encoder padding) is ignored; a segment
// that runs out first is corrupt.
func unpackBits(src, dst []byte) error {
	o := 0
	for i := 0; o < len(dst) && i < len(src); {
		n := int(int8(src[i]))
		i++
		switch {
		case n >= 0:
			if i+n+1 > len(src) {
				return fmt.Errorf("literal run of %d bytes past the segment's end", n+1)
			}
			o += copy(dst[o:], src[i:i+n+1])
			i += n + 1
		case n != -128:
			if i >= len(src) {
				return fmt.Errorf("repeat run without its byte")
			}
			for r := 0; r < 1-n && o < len(dst); r++ {
				dst[o] = src[i]
				o++
			}
			i++
		}
	}
	if o < len(dst) {
		return fmt.Errorf("segment decodes to %d bytes, the frame needs %d", o, len(dst))
	}
	return nil
}
