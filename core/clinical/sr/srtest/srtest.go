// Package srtest writes small DICOM ultrasound images with a given identity,
// for tests of the Structured Report path (app, e2e): the repository ships
// no DICOM fixture with UIDs.
package srtest

import (
	"encoding/binary"
	"image"

	"myoseg/core/imaging/decode"
)

// US is the Ultrasound Image Storage SOP Class.
const US = "1.2.840.10008.5.1.4.1.1.6.1"

// DICOM is an Explicit VR Little Endian ultrasound image of g (8-bit
// MONOCHROME2) carrying id; an empty SOP class in id means US.
func DICOM(g *image.Gray, id decode.Identity) []byte {
	if id.SOPClassUID == "" {
		id.SOPClassUID = US
	}
	var meta, ds []byte
	meta = el(meta, 0x00020001, "OB", []byte{0, 1})
	meta = el(meta, 0x00020002, "UI", uid(id.SOPClassUID))
	meta = el(meta, 0x00020003, "UI", uid(id.SOPInstanceUID))
	meta = el(meta, 0x00020010, "UI", uid("1.2.840.10008.1.2.1"))
	ds = el(ds, 0x00080016, "UI", uid(id.SOPClassUID))
	ds = el(ds, 0x00080018, "UI", uid(id.SOPInstanceUID))
	ds = el(ds, 0x00080020, "DA", txt(id.StudyDate))
	ds = el(ds, 0x00080060, "CS", txt("US"))
	ds = el(ds, 0x00080070, "LO", txt("Esaote")) // the reference scanner: z-scores apply
	ds = el(ds, 0x00100010, "PN", txt(id.PatientName))
	ds = el(ds, 0x00100020, "LO", txt(id.PatientID))
	ds = el(ds, 0x0020000D, "UI", uid(id.StudyInstanceUID))
	ds = el(ds, 0x0020000E, "UI", uid(id.SeriesInstanceUID))
	w, h := g.Rect.Dx(), g.Rect.Dy()
	ds = el(ds, 0x00280002, "US", u16(1))
	ds = el(ds, 0x00280004, "CS", txt("MONOCHROME2"))
	ds = el(ds, 0x00280010, "US", u16(h))
	ds = el(ds, 0x00280011, "US", u16(w))
	ds = el(ds, 0x00280100, "US", u16(8))
	ds = el(ds, 0x00280101, "US", u16(8))
	ds = el(ds, 0x00280102, "US", u16(7))
	ds = el(ds, 0x00280103, "US", u16(0))
	pix := make([]byte, 0, w*h+1)
	for y := range h {
		pix = append(pix, g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):][:w]...)
	}
	if len(pix)%2 == 1 {
		pix = append(pix, 0)
	}
	ds = el(ds, 0x7FE00010, "OB", pix)
	out := make([]byte, 128, 128+len(meta)+len(ds)+16)
	out = append(out, "DICM"...)
	out = el(out, 0x00020000, "UL", binary.LittleEndian.AppendUint32(nil, uint32(len(meta))))
	out = append(out, meta...)
	return append(out, ds...)
}

func el(b []byte, tag uint32, vr string, v []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(tag>>16))
	b = binary.LittleEndian.AppendUint16(b, uint16(tag))
	b = append(b, vr...)
	if vr == "OB" || vr == "OW" || vr == "SQ" || vr == "UN" || vr == "UT" {
		b = append(b, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
	}
	return append(b, v...)
}

func uid(s string) []byte {
	if len(s)%2 == 1 {
		return append([]byte(s), 0)
	}
	return []byte(s)
}

func txt(s string) []byte {
	if len(s)%2 == 1 {
		return append([]byte(s), ' ')
	}
	return []byte(s)
}

func u16(v int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }
