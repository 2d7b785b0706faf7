package decode

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"image/png"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
)

// rawPNG writes a PNG of random samples with every filter type in turn
// (filter = row mod 5), optionally Adam7-interlaced, with extra chunks
// (PLTE, tRNS, ...) before IDAT: image/png's encoder writes neither
// interlaced files nor most of these layouts.
func rawPNG(t testing.TB, r *rand.Rand, w, h, depth int, ctype byte, interlaced bool, extra ...[]byte) []byte {
	channels := map[byte]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
	bits := channels * depth
	bpp := (bits + 7) / 8
	var raw bytes.Buffer
	passes := [][4]int{{0, 0, 1, 1}}
	if interlaced {
		passes = adam7[:]
	}
	for _, ps := range passes {
		pw := (w - ps[0] + ps[2] - 1) / ps[2]
		ph := (h - ps[1] + ps[3] - 1) / ps[3]
		if pw <= 0 || ph <= 0 {
			continue
		}
		n := (bits*pw + 7) / 8
		prev := make([]byte, n)
		for y := 0; y < ph; y++ {
			cur := make([]byte, n)
			for i := range cur {
				cur[i] = byte(r.IntN(256))
			}
			ft := byte(y % 5)
			raw.WriteByte(ft)
			raw.Write(filterRow(ft, cur, prev, bpp))
			prev = cur
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = byte(depth), ctype
	if interlaced {
		ihdr[12] = 1
	}
	out := []byte(pngSig)
	out = append(out, pngChunk("IHDR", ihdr)...)
	for _, c := range extra {
		out = append(out, c...)
	}
	// Two IDAT chunks, so the stream crosses a chunk boundary.
	zb := z.Bytes()
	half := len(zb) / 2
	out = append(out, pngChunk("IDAT", zb[:half])...)
	out = append(out, pngChunk("IDAT", zb[half:])...)
	return append(out, pngChunk("IEND", nil)...)
}

// filterRow applies PNG filter ft to cur (the inverse of unfilter).
func filterRow(ft byte, cur, prev []byte, bpp int) []byte {
	out := make([]byte, len(cur))
	for i := range cur {
		var a, c byte
		if i >= bpp {
			a, c = cur[i-bpp], prev[i-bpp]
		}
		b := prev[i]
		switch ft {
		case 0:
			out[i] = cur[i]
		case 1:
			out[i] = cur[i] - a
		case 2:
			out[i] = cur[i] - b
		case 3:
			out[i] = cur[i] - byte((int(a)+int(b))/2)
		case 4:
			p := int(a) + int(b) - int(c)
			pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
			pr := c
			if pa <= pb && pa <= pc {
				pr = a
			} else if pb <= pc {
				pr = b
			}
			out[i] = cur[i] - pr
		}
	}
	return out
}

// pngLayouts are every colour type and bit depth, plain and interlaced, with
// palettes and tRNS where they apply.
func pngLayouts(t testing.TB) map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	plte := func(n int) []byte {
		b := make([]byte, 3*n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return pngChunk("PLTE", b)
	}
	out := map[string][]byte{}
	for _, il := range []bool{false, true} {
		for _, l := range []struct {
			ctype byte
			depth int
		}{{0, 1}, {0, 2}, {0, 4}, {0, 8}, {0, 16}, {2, 8}, {2, 16}, {3, 1}, {3, 2}, {3, 4}, {3, 8}, {4, 8}, {4, 16}, {6, 8}, {6, 16}} {
			var extra [][]byte
			switch l.ctype {
			case 3:
				// A short palette: indices past it are black.
				extra = append(extra, plte(max(1, (1<<l.depth)*2/3)))
			case 2:
				extra = append(extra, plte(3))
			}
			name := strings.Join([]string{"ct", string('0' + l.ctype), "d", itoa(l.depth), map[bool]string{false: "", true: "-adam7"}[il]}, "")
			// Odd sizes: partial bytes at row ends and empty Adam7 passes.
			out[name] = rawPNG(t, r, 13, 11, l.depth, l.ctype, il, extra...)
			out[name+"-1x1"] = rawPNG(t, r, 1, 1, l.depth, l.ctype, il, extra...)
		}
	}
	out["grey-trns"] = rawPNG(t, r, 9, 7, 8, 0, false, pngChunk("tRNS", []byte{0, 7}))
	out["rgb16-trns"] = rawPNG(t, r, 9, 7, 16, 2, false, pngChunk("tRNS", make([]byte, 6)))
	out["palette-trns-long"] = rawPNG(t, r, 9, 7, 8, 3, true, plte(4), pngChunk("tRNS", []byte{1, 2, 3, 4, 5, 6}))
	return out
}

func itoa(n int) string {
	if n >= 10 {
		return string(rune('0'+n/10)) + string(rune('0'+n%10))
	}
	return string(rune('0' + n))
}

// TestPNGMatchesStdlib: our row decoder gives, for every layout, exactly the
// grey plane of image/png's image under the package rules.
func TestPNGMatchesStdlib(t *testing.T) {
	for name, data := range pngLayouts(t) {
		t.Run(name, func(t *testing.T) { comparePNG(t, data, true) })
	}
}

// comparePNG checks Decode against image/png + toGray; with mustDecode the
// standard decoder has to accept the file.
func comparePNG(t *testing.T, data []byte, mustDecode bool) {
	want, stdErr := png.Decode(bytes.NewReader(data))
	got, err := Decode("x.png", data, Options{MaxPixels: 1 << 22})
	if stdErr != nil {
		if mustDecode {
			t.Fatalf("image/png refuses the fixture: %v", stdErr)
		}
		if err == nil && !errors.Is(stdErr, errStdOnly) {
			t.Fatalf("image/png refuses (%v), we decode a %v image", stdErr, got.Gray.Bounds())
		}
		return
	}
	if b := want.Bounds(); int64(b.Dx())*int64(b.Dy()) > 1<<22 {
		return // above the test's pixel limit: refused by design
	}
	if err != nil {
		t.Fatalf("image/png decodes a %v image, we refuse: %v", want.Bounds(), err)
	}
	wg := toGray(want)
	if !bytes.Equal(got.Gray.Pix, wg.Pix) || got.Gray.Rect != wg.Rect {
		t.Fatalf("grey plane differs from image/png's %T converted", want)
	}
}

// errStdOnly marks no image/png error: every file it refuses, we refuse.
var errStdOnly = errors.New("none")

// FuzzPNGMatchesStdlib: on any input, Decode accepts a PNG exactly when
// image/png does and gives the same grey plane.
func FuzzPNGMatchesStdlib(f *testing.F) {
	for _, data := range pngLayouts(f) {
		f.Add(data)
	}
	for _, s := range seeds(f) {
		if bytes.HasPrefix(s, []byte(pngSig)) {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, []byte(pngSig)) {
			return
		}
		comparePNG(t, data, false)
	})
}

// TestPNGPeakHeap: decoding an 8000×8000 16-bit RGBA PNG holds about one
// byte per pixel (the grey plane), not image/png's 8-byte buffer: measured
// as the peak of live heap objects, fault 1 of issue 15 (was 9 bytes per
// pixel, 576 MB).
func TestPNGPeakHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes a 64 Mpx PNG")
	}
	const w, h = 8000, 8000
	data := flatPNG(t, w, h, 16, 6)
	runtime.GC()
	peak := peakHeap(t, func() {
		img, err := Decode("big.png", data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if img.Gray.Pix[w*h/2] != 0 {
			t.Errorf("grey %d, want 0", img.Gray.Pix[w*h/2])
		}
	})
	perPixel := float64(peak) / (w * h)
	t.Logf("peak heap over the file: %.0f MB, %.2f bytes per pixel", float64(peak)/1e6, perPixel)
	if perPixel > 1.5 {
		t.Errorf("decoding holds %.2f bytes per pixel, budget 1.5", perPixel)
	}
}

// flatPNG is a black w×h PNG of the given depth and colour type, built row
// by row (filter 2, "up": every row after the first is all zeros), so the
// test never holds a full-colour buffer itself.
func flatPNG(t testing.TB, w, h, depth int, ctype byte) []byte {
	channels := map[byte]int{0: 1, 2: 3, 4: 2, 6: 4}[ctype]
	row := make([]byte, 1+(w*channels*depth+7)/8)
	row[0] = 2
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	for y := 0; y < h; y++ {
		zw.Write(row)
	}
	zw.Close()
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = byte(depth), ctype
	out := append([]byte(pngSig), pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", z.Bytes())...)
	return append(out, pngChunk("IEND", nil)...)
}

// peakHeap runs f and returns the highest live heap seen above the
// starting level, sampling runtime/metrics from a second goroutine and
// forcing a collection at each sample so garbage is not counted.
func peakHeap(t testing.TB, f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		var peak uint64
		for {
			runtime.GC()
			if v := read(); v > peak {
				peak = v
			}
			select {
			case <-done:
				result <- peak
				return
			default:
			}
		}
	}()
	f()
	close(done)
	peak := <-result
	if peak < base {
		return 0
	}
	return peak - base
}

// TestPNGErrorsSayWhere: a PNG cut or damaged in its header names the chunk
// and the byte.
func TestPNGErrorsSayWhere(t *testing.T) {
	good := encPNG(t, imgGrey8(40, 30))
	badIHDR := append([]byte(nil), good...)
	badIHDR[20] ^= 1 // the width, under IHDR's CRC
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"cut in IHDR", good[:20], "reading the PNG header: PNG cut inside its IHDR chunk (chunk at byte 8 ends at byte 33, file holds 20 bytes)"},
		{"cut before IHDR", good[:10], "PNG cut at byte 10, before its IHDR chunk"},
		{"IHDR CRC", badIHDR, "PNG IHDR chunk at byte 8 has a bad CRC"},
		{"no IDAT", append(append([]byte(nil), good[:33]...), pngChunk("IEND", nil)...), "PNG IEND chunk at byte 33 is out of order"},
		{"palette without PLTE", rawPNG(t, rand.New(rand.NewPCG(1, 1)), 4, 4, 8, 3, false), "PNG IDAT chunk at byte 33 is out of order"},
	}
	for _, c := range cases {
		_, err := Decode("in.png", c.data, Options{})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrCorrupt with %q", c.name, err, c.want)
		}
	}
}

// TestMemoryBudget: MaxBytes refuses from the header by each format's
// bytes per pixel, before decoding, naming the figures.
func TestMemoryBudget(t *testing.T) {
	grey := flatPNG(t, 1000, 1000, 8, 0)
	if _, err := Decode("g.png", grey, Options{MaxBytes: 1_000_000}); err != nil {
		t.Errorf("1 Mpx grey PNG in a 1 MB budget (1 byte per pixel): %v", err)
	}
	_, err := Decode("g.png", grey, Options{MaxBytes: 999_999})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "PNG header claims 1000×1000 pixels; decoding them holds about 1 MB (1 bytes per pixel), above the memory budget of 1000 kB") {
		t.Errorf("1 Mpx grey PNG in 999999 bytes: %v", err)
	}
	// 16-bit RGBA TIFF: x/image/tiff's RGBA64 buffer (8), the strip (8),
	// the grey plane (1).
	tif := encTIFF(t, imgNRGBA64(100, 100), 0)
	_, err = Decode("c.tif", tif, Options{MaxBytes: 16 * 100 * 100})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "(17 bytes per pixel)") {
		t.Errorf("16-bit RGBA TIFF in 16 bytes per pixel: %v", err)
	}
	if _, err := Decode("c.tif", tif, Options{MaxBytes: 17 * 100 * 100}); err != nil {
		t.Errorf("16-bit RGBA TIFF in 17 bytes per pixel: %v", err)
	}
}
