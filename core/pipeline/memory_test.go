package pipeline

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/onnxmodel/onnxtest"
)

// blob is a model that sees an ellipse filling the middle of its input.
type blob struct{ h, w int }

func (b blob) Infer(_ context.Context, in []float32) ([]float32, error) {
	out := make([]float32, b.h*b.w)
	for y := 0; y < b.h; y++ {
		for x := 0; x < b.w; x++ {
			dx, dy := float64(x-b.w/2)/float64(b.w/3), float64(y-b.h/2)/float64(b.h/4)
			if dx*dx+dy*dy <= 1 {
				out[y*b.w+x] = 1
			}
		}
	}
	return out, nil
}

// bigGreyPNG is a w×h 8-bit grey PNG (a grey band on black, like a scan's
// field), deflated row by row: the test never holds an RGBA copy itself.
func bigGreyPNG(w, h int) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	row := make([]byte, 1+w)
	for y := 0; y < h; y++ {
		clear(row)
		if y > h/8 && y < 7*h/8 {
			for x := 1 + w/10; x < 1+9*w/10; x++ {
				row[x] = byte(60 + (x*7+y*13)%64)
			}
		}
		zw.Write(row)
	}
	zw.Close()
	chunk := func(typ string, data []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		b = append(append(b, typ...), data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8
	out := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", z.Bytes())...)
	return append(out, chunk("IEND", nil)...)
}

// peakHeap runs f and returns the highest live heap above the starting
// level, sampled from runtime/metrics by a second goroutine that collects
// garbage before each sample (so only what f holds counts).
func peakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	done, result := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		for {
			runtime.GC()
			peak = max(peak, read())
			select {
			case <-done:
				result <- peak
				return
			case <-time.After(5 * time.Millisecond): // leave f the CPU between samples
			}
		}
	}()
	f()
	close(done)
	if peak := <-result; peak > base {
		return peak - base
	}
	return 0
}

// TestRunPeakHeap: segmenting an 8000×8000 grey PNG (62 MB of pixels) holds
// at most BytesPerPixel bytes per pixel at its peak (issue 15, fault 1: it
// was about 35, 1.97 GB for this image).
func TestRunPeakHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("segments a 64 Mpx image")
	}
	const w, h = 8000, 8000
	data := bigGreyPNG(w, h)
	m, err := onnxmodel.Parse("tiny.onnx", onnxtest.TinyNet(240, 256, make([]float32, 18), []float32{0, 0}, []float32{1, 1}, 0).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	s := New(m, blob{h: 240, w: 256}).WithMaxPixels(w * h)
	var res *Result
	peak := peakHeap(func() {
		res, err = s.Run(context.Background(), Request{Name: "big.png", Data: data})
		if err == nil {
			_, err = res.Files(OutputsFor("", "big", false), res.Record)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	perPixel := float64(peak) / (w * h)
	t.Logf("peak live heap %.0f MB: %.1f bytes per pixel (CSA %d px)", float64(peak)/1e6, perPixel, res.Record.CSAPx)
	if res.Record.CSAPx < w*h/20 {
		t.Errorf("CSA %d px: the test's mask should cover a large part of the image", res.Record.CSAPx)
	}
	if perPixel > BytesPerPixel {
		t.Errorf("%.1f bytes per pixel, budget %d", perPixel, BytesPerPixel)
	}
}

// TestScaledCleanUpMatchesFullSize: cleaning the mask on the scaled-down
// grid (fields above postMaxPixels) gives the full-size clean-up's area to
// within 0.5 % and the same outline to within a few pixels.
func TestScaledCleanUpMatchesFullSize(t *testing.T) {
	data := bigGreyPNG(2400, 2000)
	m, err := onnxmodel.Parse("tiny.onnx", onnxtest.TinyNet(240, 256, make([]float32, 18), []float32{0, 0}, []float32{1, 1}, 0).Bytes())
	if err != nil {
		t.Fatal(err)
	}
	full := New(m, blob{h: 240, w: 256})
	full.postMax = 1 << 40
	scaled := New(m, blob{h: 240, w: 256})
	scaled.postMax = 1 << 20 // the 2400×2000 field is cleaned on about 1120×930
	a, err := full.Run(context.Background(), Request{Name: "a.png", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	b, err := scaled.Run(context.Background(), Request{Name: "a.png", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	ra, rb := a.Record, b.Record
	if d := float64(rb.CSAPx-ra.CSAPx) / float64(ra.CSAPx); d > 0.005 || d < -0.005 || ra.CSAPx < 100_000 {
		t.Errorf("CSA %d px scaled vs %d full size (%.2f %%)", rb.CSAPx, ra.CSAPx, 100*d)
	}
	for _, d := range []int{rb.BBoxX - ra.BBoxX, rb.BBoxY - ra.BBoxY, rb.BBoxW - ra.BBoxW, rb.BBoxH - ra.BBoxH} {
		if d > 4 || d < -4 {
			t.Errorf("bounding box %d,%d %d×%d scaled vs %d,%d %d×%d full size", rb.BBoxX, rb.BBoxY, rb.BBoxW, rb.BBoxH, ra.BBoxX, ra.BBoxY, ra.BBoxW, ra.BBoxH)
			break
		}
	}
	t.Logf("CSA %d vs %d px; EI %.2f vs %.2f", rb.CSAPx, ra.CSAPx, rb.EIMean, ra.EIMean)
}
