package decode

import (
	"encoding/binary"
	"image"
	"image/color"

	"golang.org/x/image/tiff"
)

// A TIFF's first IFD is read here before x/image/tiff sees the file, for
// two reasons: a file cut inside its header must say where (x/image/tiff
// says only "EOF"), and the compression and sample layout bound the file's
// size from below and the memory decoding holds.

// tiffIFD is what the first IFD says, for the checks above.
type tiffIFD struct {
	compression, bits, samples uint32 // first values; TIFF defaults 1, 1, 1
}

// tiffTagNames names the tags whose values x/image/tiff reads, for errors.
var tiffTagNames = map[uint16]string{
	256: "ImageWidth", 257: "ImageLength", 258: "BitsPerSample", 259: "Compression",
	262: "PhotometricInterpretation", 266: "FillOrder", 273: "StripOffsets", 277: "SamplesPerPixel",
	278: "RowsPerStrip", 279: "StripByteCounts", 292: "T4Options", 293: "T6Options",
	317: "Predictor", 320: "ColorMap", 322: "TileWidth", 323: "TileLength",
	324: "TileOffsets", 325: "TileByteCounts", 338: "ExtraSamples", 339: "SampleFormat",
}

// readTIFFIFD walks the first IFD. It fails only on a file cut short, where
// the header, the IFD or a value x/image/tiff will read lies past the end,
// naming what and where; everything else is left to x/image/tiff.
func readTIFFIFD(data []byte) (tiffIFD, error) {
	ifd := tiffIFD{compression: 1, bits: 1, samples: 1}
	size := int64(len(data))
	if size < 8 {
		return ifd, fail(ErrCorrupt, nil, "TIFF cut at byte %d, inside its 8-byte header", size)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if data[0] == 'M' {
		bo = binary.BigEndian
	}
	off := int64(bo.Uint32(data[4:8]))
	if off+2 > size {
		return ifd, fail(ErrCorrupt, nil, "TIFF cut: its first IFD is at byte %d but the file holds %d bytes", off, size)
	}
	n := int64(bo.Uint16(data[off:]))
	if end := off + 2 + 12*n; end > size {
		return ifd, fail(ErrCorrupt, nil, "TIFF cut inside its first IFD: %d entries at byte %d end at byte %d, the file holds %d bytes", n, off, end, size)
	}
	typeSize := [...]int64{0, 1, 1, 2, 4, 8} // BYTE, ASCII, SHORT, LONG, RATIONAL, as x/image/tiff reads them
	for i := int64(0); i < n; i++ {
		e := data[off+2+12*i:][:12]
		tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), int64(bo.Uint32(e[4:]))
		name, read := tiffTagNames[tag]
		if !read || typ == 0 || int(typ) >= len(typeSize) {
			continue // not read, or refused by x/image/tiff with its own error
		}
		// x/image/tiff reads at most 16 values of the small tags and 769 of
		// ColorMap; of the offsets and counts, at least the first.
		want := count
		switch tag {
		case 320:
			want = min(count, 769)
		case 273, 279, 324, 325:
			want = min(count, 1)
		default:
			want = min(count, 16)
		}
		if typeSize[typ]*count <= 4 {
			if tag == 258 || tag == 259 || tag == 277 {
				v := uint32(bo.Uint16(e[8:]))
				if typ == 4 {
					v = bo.Uint32(e[8:])
				} else if typ == 1 {
					v = uint32(e[8])
				}
				ifd.set(tag, v)
			}
			continue
		}
		at := int64(bo.Uint32(e[8:]))
		if end := at + typeSize[typ]*want; end > size {
			return ifd, fail(ErrCorrupt, nil, "TIFF cut: the %s values (tag %d) at byte %d end at byte %d, the file holds %d bytes", name, tag, at, end, size)
		}
		if (tag == 258 || tag == 259 || tag == 277) && count > 0 {
			switch typ {
			case 3:
				ifd.set(tag, uint32(bo.Uint16(data[at:])))
			case 4:
				ifd.set(tag, bo.Uint32(data[at:]))
			}
		}
	}
	return ifd, nil
}

func (ifd *tiffIFD) set(tag uint16, v uint32) {
	switch tag {
	case 258:
		ifd.bits = v
	case 259:
		ifd.compression = v
	case 277:
		ifd.samples = v
	}
}

// tiffConfig reads the header: first our cut check, then x/image/tiff's.
func tiffConfig(data []byte) (image.Config, error) {
	if _, err := readTIFFIFD(data); err != nil {
		return image.Config{}, err
	}
	return std(tiff.DecodeConfig)(data)
}

// tiffCost: x/image/tiff holds the image in the colour model the header
// gives (grey 1 byte per pixel, 16-bit grey 2, RGBA 4, 16-bit RGBA 8,
// palette 1), plus each strip's raw samples (at worst one strip for the
// whole image, read whole and, when compressed, grown while decompressing:
// twice its size), then the grey plane unless the image is 8-bit grey.
func tiffCost(data []byte, cfg image.Config) float64 {
	ifd, _ := readTIFFIFD(data)
	raw := float64(ifd.bits) * float64(max(ifd.samples, 1)) / 8
	if ifd.compression != 1 {
		raw *= 2
	}
	out, grey := 1.0, 1.0
	switch cfg.ColorModel {
	case color.GrayModel:
		grey = 0
	case color.Gray16Model:
		out = 2
	case color.RGBAModel, color.NRGBAModel:
		out = 4
	case color.RGBA64Model, color.NRGBA64Model:
		out = 8
	}
	return out + raw + grey
}

// tiffMinBytes bounds a TIFF from below by its first IFD's compression:
// none 1:1, PackBits at most 128:1, LZW (12-bit codes) at most 4096:1,
// Deflate at most 1100:1, counted on the first sample's bits only. Other
// compressions (CCITT for 1-bit images, ...) get no bound.
func tiffMinBytes(data []byte, w, h int) int64 {
	ifd, err := readTIFFIFD(data)
	if err != nil {
		return 0
	}
	var ratio int64
	switch ifd.compression {
	case 1:
		ratio = 1
	case 32773:
		ratio = 128
	case 5:
		ratio = 4096
	case 8, 32946:
		ratio = 1100
	default:
		return 0
	}
	return int64(w) * int64(h) * int64(ifd.bits) / 8 / ratio
}
