package decode

import (
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"io"
)

// PNG is read here, not by image/png, because image/png returns a
// full-colour buffer (up to 8 bytes per pixel for 16-bit RGBA) that would
// then be converted to grey: a 2 MB file of 8000×8000 16-bit RGBA pixels
// needs 512 MB that way. Here rows are unfiltered one at a time and written
// straight to the grey plane, so decoding holds 1 byte per pixel whatever the
// colour type. The acceptance rules (chunk order, CRCs, lengths, the zlib
// stream's end) follow image/png's, and so do the grey values (the package
// rules applied to what image/png would return); FuzzPNGMatchesStdlib holds
// the two to each other. Errors wrap png.FormatError or png.UnsupportedError
// so callers can still tell the kinds apart.

// pngHeader is what the chunks before the pixel data say.
type pngHeader struct {
	w, h        int
	depth       int // bits per sample
	ctype       byte
	interlaced  bool
	palette     []uint8 // grey of each PLTE entry (paletted images only)
	idat        int     // offset of the first IDAT chunk's length field
	channels    int
	bitsPerPix  int
	hasPalette  bool
	transparent bool // tRNS seen (checked, then ignored: grey ignores alpha)
}

const pngSig = "\x89PNG\r\n\x1a\n"

// pngCut describes a chunk that runs past the end of the file.
func pngCut(typ string, at, end, size int) error {
	if typ == "" {
		return fail(ErrCorrupt, png.FormatError("truncated"), "PNG cut at byte %d inside a chunk header (chunk at byte %d needs 8 bytes)", size, at)
	}
	return fail(ErrCorrupt, png.FormatError("truncated"), "PNG cut inside its %s chunk (chunk at byte %d ends at byte %d, file holds %d bytes)", typ, at, end, size)
}

// pngChunkAt reads the chunk whose length field is at p: its type, data and
// the offset after its CRC, which is checked.
func pngChunkAt(data []byte, p int) (typ string, body []byte, next int, err error) {
	if p+8 > len(data) {
		return "", nil, 0, pngCut("", p, p+8, len(data))
	}
	n := binary.BigEndian.Uint32(data[p:])
	typ = string(data[p+4 : p+8])
	if n > 0x7fffffff {
		return typ, nil, 0, fail(ErrCorrupt, png.FormatError("bad chunk length"), "PNG %q chunk at byte %d claims %d bytes", typ, p, n)
	}
	end := int64(p) + 12 + int64(n)
	if end > int64(len(data)) {
		return typ, nil, 0, pngCut(typ, p, int(min(end, 1<<62)), len(data))
	}
	body = data[p+8 : p+8+int(n)]
	if crc32.ChecksumIEEE(data[p+4:p+8+int(n)]) != binary.BigEndian.Uint32(data[p+8+int(n):]) {
		return typ, nil, 0, fail(ErrCorrupt, png.FormatError("invalid checksum"), "PNG %s chunk at byte %d has a bad CRC", typ, p)
	}
	return typ, body, int(end), nil
}

// readPNGHeader walks the chunks up to the first IDAT (header only, for the
// size check) or, with all, to IEND (everything image/png would check).
func readPNGHeader(data []byte, all bool) (*pngHeader, error) {
	const (
		start = iota
		seenIHDR
		seenPLTE
		seentRNS
		seenIDAT
	)
	hd := &pngHeader{idat: -1}
	stage := start
	order := func(typ string, p int) error {
		return fail(ErrCorrupt, png.FormatError("chunk out of order"), "PNG %s chunk at byte %d is out of order", typ, p)
	}
	p := len(pngSig)
	if len(data) < p || string(data[:p]) != pngSig {
		return nil, fail(ErrCorrupt, png.FormatError("not a PNG file"), "PNG signature cut or wrong")
	}
	for {
		if !all && p+8 <= len(data) && string(data[p+4:p+8]) == "IDAT" && stage >= seenIHDR && !(stage == seenIHDR && hd.ctype == 3) {
			hd.idat = p // the header ends here; the pixel data is checked when decoded
			return hd, nil
		}
		typ, body, next, err := pngChunkAt(data, p)
		if err != nil {
			if stage == start && typ == "" {
				return nil, fail(ErrCorrupt, png.FormatError("truncated"), "PNG cut at byte %d, before its IHDR chunk", len(data))
			}
			return nil, err
		}
		switch typ {
		case "IHDR":
			if stage != start {
				return nil, order(typ, p)
			}
			if err := hd.parseIHDR(body); err != nil {
				return nil, err
			}
			stage = seenIHDR
		case "PLTE":
			if stage != seenIHDR {
				return nil, order(typ, p)
			}
			np := len(body) / 3
			if len(body)%3 != 0 || np <= 0 || np > 256 || np > 1<<hd.depth {
				return nil, fail(ErrCorrupt, png.FormatError("bad PLTE length"), "PNG PLTE chunk holds %d bytes (%d entries allowed, 3 bytes each)", len(body), min(256, 1<<hd.depth))
			}
			switch hd.ctype {
			case 3:
				hd.palette = make([]uint8, np)
				for i := range hd.palette {
					hd.palette[i] = luma(body[3*i], body[3*i+1], body[3*i+2])
				}
				hd.hasPalette = true
			case 2, 6: // optional and ignorable for true colour
			default:
				return nil, fail(ErrCorrupt, png.FormatError("PLTE, color type mismatch"), "PNG PLTE chunk in a grey image")
			}
			stage = seenPLTE
		case "tRNS":
			switch {
			case hd.ctype == 3 && stage != seenPLTE,
				hd.ctype == 2 && stage != seenIHDR && stage != seenPLTE,
				hd.ctype != 3 && hd.ctype != 2 && stage != seenIHDR:
				return nil, order(typ, p)
			}
			want := map[byte]int{0: 2, 2: 6}[hd.ctype]
			switch {
			case hd.ctype == 3 && len(body) > 256, (hd.ctype == 0 || hd.ctype == 2) && len(body) != want:
				return nil, fail(ErrCorrupt, png.FormatError("bad tRNS length"), "PNG tRNS chunk of %d bytes", len(body))
			case hd.ctype == 4 || hd.ctype == 6:
				return nil, fail(ErrCorrupt, png.FormatError("tRNS, color type mismatch"), "PNG tRNS chunk in an image with an alpha channel")
			}
			if hd.ctype == 3 && len(body) > len(hd.palette) {
				// image/png lengthens the palette with opaque black; the
				// extra entries' grey is 0, as for any index past the palette.
				hd.palette = append(hd.palette, make([]uint8, len(body)-len(hd.palette))...)
			}
			hd.transparent = true
			stage = seentRNS
		case "IDAT":
			if stage < seenIHDR || (stage == seenIHDR && hd.ctype == 3) {
				return nil, order(typ, p)
			}
			if stage != seenIDAT {
				hd.idat = p
			}
			stage = seenIDAT
		case "IEND":
			if stage != seenIDAT {
				return nil, order(typ, p)
			}
			if len(body) != 0 {
				return nil, fail(ErrCorrupt, png.FormatError("bad IEND length"), "PNG IEND chunk is not empty")
			}
			return hd, nil
		}
		p = next
	}
}

func (hd *pngHeader) parseIHDR(b []byte) error {
	if len(b) != 13 {
		return fail(ErrCorrupt, png.FormatError("bad IHDR length"), "PNG IHDR chunk holds %d bytes, not 13", len(b))
	}
	if b[10] != 0 {
		return fail(ErrUnsupported, png.UnsupportedError("compression method"), "PNG compression method %d", b[10])
	}
	if b[11] != 0 {
		return fail(ErrUnsupported, png.UnsupportedError("filter method"), "PNG filter method %d", b[11])
	}
	if b[12] > 1 {
		return fail(ErrCorrupt, png.FormatError("invalid interlace method"), "PNG interlace method %d", b[12])
	}
	hd.interlaced = b[12] == 1
	w, h := int32(binary.BigEndian.Uint32(b[0:])), int32(binary.BigEndian.Uint32(b[4:]))
	if w <= 0 || h <= 0 {
		return fail(ErrCorrupt, png.FormatError("non-positive dimension"), "PNG header claims %d×%d pixels (an empty image)", w, h)
	}
	hd.w, hd.h, hd.depth, hd.ctype = int(w), int(h), int(b[8]), b[9]
	ok := false
	switch hd.ctype {
	case 0:
		hd.channels, ok = 1, hd.depth == 1 || hd.depth == 2 || hd.depth == 4 || hd.depth == 8 || hd.depth == 16
	case 3:
		hd.channels, ok = 1, hd.depth == 1 || hd.depth == 2 || hd.depth == 4 || hd.depth == 8
	case 2:
		hd.channels, ok = 3, hd.depth == 8 || hd.depth == 16
	case 4:
		hd.channels, ok = 2, hd.depth == 8 || hd.depth == 16
	case 6:
		hd.channels, ok = 4, hd.depth == 8 || hd.depth == 16
	}
	if !ok {
		return fail(ErrUnsupported, png.UnsupportedError("bit depth, color type"), "PNG bit depth %d with colour type %d", b[8], b[9])
	}
	hd.bitsPerPix = hd.channels * hd.depth
	return nil
}

// idatReader presents the consecutive IDAT chunks from the first one as one
// stream, as image/png does (same read sizes, so the same bytes are
// consumed and the same trailing-data checks apply). CRCs were checked by
// readPNGHeader.
type idatReader struct {
	data []byte
	p    int // next unread byte
	left int // bytes left in the current chunk
}

func (r *idatReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for r.left == 0 {
		r.p += 4 // the CRC of the chunk just finished
		if r.p+8 > len(r.data) {
			return 0, io.ErrUnexpectedEOF
		}
		if string(r.data[r.p+4:r.p+8]) != "IDAT" {
			return 0, png.FormatError("not enough pixel data")
		}
		r.left = int(binary.BigEndian.Uint32(r.data[r.p:]))
		r.p += 8
		if r.p+r.left > len(r.data) {
			return 0, io.ErrUnexpectedEOF
		}
	}
	n := copy(b, r.data[r.p:r.p+r.left])
	r.p += n
	r.left -= n
	return n, nil
}

// Adam7 passes: x offset, y offset, x step, y step.
var adam7 = [7][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}

// decodePNG decodes to the grey plane; the header was size-checked by the
// caller from readPNGHeader(data, false).
func decodePNG(data []byte) (*image.Gray, error) {
	hd, err := readPNGHeader(data, true)
	if err != nil {
		return nil, err
	}
	g := image.NewGray(image.Rect(0, 0, hd.w, hd.h))
	r := &idatReader{data: data, p: hd.idat + 8, left: int(binary.BigEndian.Uint32(data[hd.idat:]))}
	z, err := zlib.NewReader(r)
	if err != nil {
		return nil, pixelErr(err)
	}
	defer z.Close()
	bpp := (hd.bitsPerPix + 7) / 8 // filter distance in bytes
	rowMax := 1 + (hd.bitsPerPix*hd.w+7)/8
	cur, prev := make([]byte, rowMax), make([]byte, rowMax)
	passes := [][4]int{{0, 0, 1, 1}}
	if hd.interlaced {
		passes = adam7[:]
	}
	for _, ps := range passes {
		pw := (hd.w - ps[0] + ps[2] - 1) / ps[2]
		ph := (hd.h - ps[1] + ps[3] - 1) / ps[3]
		if pw <= 0 || ph <= 0 {
			continue // an empty pass has no rows, not even filter bytes
		}
		n := 1 + (hd.bitsPerPix*pw+7)/8
		c, pr := cur[:n], prev[:n]
		clear(pr)
		for y := 0; y < ph; y++ {
			if _, err := io.ReadFull(z, c); err != nil {
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					return nil, fail(ErrCorrupt, png.FormatError("not enough pixel data"), "reading the PNG pixels: the data ends at row %d of %d", y, ph)
				}
				return nil, pixelErr(err)
			}
			if err := unfilter(c[0], c[1:], pr[1:], bpp); err != nil {
				return nil, err
			}
			dy := ps[1] + y*ps[3]
			hd.greyRow(g.Pix[dy*g.Stride:], c[1:], pw, ps[0], ps[2])
			c, pr = pr, c
		}
	}
	// The zlib stream must end here (its checksum is verified at EOF), and
	// the IDAT data with it.
	var one [1]byte
	k, err := 0, error(nil)
	for i := 0; k == 0 && err == nil; i++ {
		if i == 100 {
			return nil, pixelErr(io.ErrNoProgress)
		}
		k, err = z.Read(one[:])
	}
	if err != nil && err != io.EOF {
		return nil, pixelErr(err)
	}
	if k != 0 || r.left != 0 {
		return nil, fail(ErrCorrupt, png.FormatError("too much pixel data"), "reading the PNG pixels: data continues after the last row")
	}
	return g, nil
}

// pixelErr wraps a zlib or stream error met while reading the pixels.
func pixelErr(err error) error {
	var fe png.FormatError
	if !errors.As(err, &fe) {
		err = errors.Join(png.FormatError(err.Error()), err)
	}
	return fail(ErrCorrupt, err, "reading the PNG pixels")
}

// unfilter reverses a row's filter (PNG spec §9), as image/png does.
func unfilter(ft byte, cdat, pdat []byte, bpp int) error {
	switch ft {
	case 0:
	case 1:
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += cdat[i-bpp]
		}
	case 2:
		for i, p := range pdat {
			cdat[i] += p
		}
	case 3:
		for i := 0; i < bpp && i < len(cdat); i++ {
			cdat[i] += pdat[i] / 2
		}
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += uint8((int(cdat[i-bpp]) + int(pdat[i])) / 2)
		}
	case 4:
		for i := range cdat {
			var a, c int
			if i >= bpp {
				a, c = int(cdat[i-bpp]), int(pdat[i-bpp])
			}
			b := int(pdat[i])
			pa, pb := b-c, a-c
			pc := abs(pa + pb)
			pa, pb = abs(pa), abs(pb)
			switch {
			case pa <= pb && pa <= pc:
				cdat[i] += uint8(a)
			case pb <= pc:
				cdat[i] += uint8(b)
			default:
				cdat[i] += uint8(c)
			}
		}
	default:
		return fail(ErrCorrupt, png.FormatError("bad filter type"), "reading the PNG pixels: filter type %d", ft)
	}
	return nil
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// greyRow writes n pixels of one unfiltered row to dst at x0, x0+dx, ...
// by the package's grey rules.
func (hd *pngHeader) greyRow(dst, src []byte, n, x0, dx int) {
	switch {
	case hd.depth < 8: // grey or palette, packed most significant bits first
		d := uint(hd.depth)
		mask := byte(1<<d - 1)
		scale := byte(255 / (1<<d - 1))
		for i := 0; i < n; i++ {
			bit := uint(i) * d
			v := src[bit/8] >> (8 - d - bit%8) & mask
			if hd.ctype == 3 {
				v = hd.paletteGrey(v)
			} else {
				v *= scale
			}
			dst[x0+i*dx] = v
		}
	case hd.ctype == 3:
		for i := 0; i < n; i++ {
			dst[x0+i*dx] = hd.paletteGrey(src[i])
		}
	case hd.ctype == 0 || hd.ctype == 4: // grey (+alpha): the grey sample's high byte
		step := hd.channels * hd.depth / 8
		if dx == 1 && step == 1 {
			copy(dst[x0:x0+n], src[:n])
			return
		}
		for i := 0; i < n; i++ {
			dst[x0+i*dx] = src[i*step]
		}
	default: // RGB(A): luma of the high bytes
		step, s := hd.channels*hd.depth/8, hd.depth/8
		for i := 0; i < n; i++ {
			p := src[i*step:]
			dst[x0+i*dx] = luma(p[0], p[s], p[2*s])
		}
	}
}

// paletteGrey: an index past the palette is black, as image/png makes it.
func (hd *pngHeader) paletteGrey(i byte) byte {
	if int(i) < len(hd.palette) {
		return hd.palette[i]
	}
	return 0
}
