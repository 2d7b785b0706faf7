package app

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io/fs"
	"math"
	"strings"
	"testing"
	"time"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/onnxmodel/onnxtest"
	"myoseg/core/study/phantom"
	"myoseg/models"
	"myoseg/wasm/session"
	"myoseg/wasm/session/sessiontest"
)

const testH, testW = 48, 64

// thresholdNet is a model whose mask is "grey above 143": conv picks the
// pixel, ReLU, then 4·x − 1 through a sigmoid is above 0.5 exactly when the
// normalised grey (g/255 − 0.5)/0.25 exceeds 0.25.
func thresholdNet() []byte {
	w1 := make([]float32, 18)
	w1[4] = 1 // centre of channel 0's 3×3 kernel
	return onnxtest.TinyNet(testH, testW, w1, []float32{0, 0}, []float32{4, 0}, -1).Bytes()
}

func newApp(t *testing.T) (*App, *session.Store) {
	t.Helper()
	st, _ := sessiontest.New(t)
	return New(st), st
}

func loaded(t *testing.T) (*App, *session.Store) {
	t.Helper()
	a, st := newApp(t)
	data := thresholdNet()
	if _, err := a.LoadModel(context.Background(), "test-net", onnxmodel.SHA256(data), func(context.Context) ([]byte, error) { return data, nil }); err != nil {
		t.Fatal(err)
	}
	return a, st
}

// ellipsePNG is a 480×512 speckle-free "ultrasound": grey 40 with a bright
// (grey 200) ellipse; it returns the PNG and the ellipse's pixel count.
func ellipsePNG(t *testing.T) ([]byte, int) {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, 512, 480))
	n := 0
	for y := 0; y < 480; y++ {
		for x := 0; x < 512; x++ {
			v := uint8(40 + (x*7+y*13)%9)
			dx, dy := float64(x-256)/150, float64(y-220)/80
			if dx*dx+dy*dy <= 1 {
				v = 200
				n++
			}
			g.Pix[y*g.Stride+x] = v
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), n
}

// hugePNG is a valid PNG header claiming w×h pixels, without pixel data.
func hugePNG(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 0 // 8-bit grey
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}

func decodeRecord(t *testing.T, it session.Item) record.Record {
	t.Helper()
	var r record.Record
	if err := json.Unmarshal(it.Record, &r); err != nil {
		t.Fatalf("record of %s: %v", it.Name, err)
	}
	return r
}

func TestLoadModel(t *testing.T) {
	ctx := context.Background()
	data := thresholdNet()
	sha := onnxmodel.SHA256(data)
	fetches := 0
	fetch := func(context.Context) ([]byte, error) { fetches++; return data, nil }

	a, st := newApp(t)
	info, err := a.LoadModel(ctx, "test-net", sha, fetch)
	if err != nil {
		t.Fatal(err)
	}
	if info.Source != "network" || fetches != 1 || info.Name != "test-net" || info.InputH != testH || info.SHA256 != sha {
		t.Errorf("first load: %+v after %d fetches", info, fetches)
	}
	// A reload (a new App on the same storage) finds the stored copy.
	b := New(st)
	if info, err = b.LoadModel(ctx, "test-net", sha, fetch); err != nil || info.Source != "storage" || fetches != 1 {
		t.Errorf("second load: %+v, %v after %d fetches", info, err, fetches)
	}
	// Offline without the model index: whatever is stored.
	if info, err = New(st).LoadModel(ctx, "", "", nil); err != nil || info.Name != "test-net" {
		t.Errorf("load without a name: %+v, %v", info, err)
	}
	// New weights under the same name are downloaded again.
	if _, err = New(st).LoadModel(ctx, "test-net", strings.Repeat("0", 64), fetch); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("hash mismatch: %v", err)
	}
	if fetches != 2 {
		t.Errorf("outdated copy: %d fetches, want 2", fetches)
	}
	empty, _ := newApp(t)
	if _, err := empty.LoadModel(ctx, "", "", nil); err == nil {
		t.Error("loading with nothing stored and nothing to fetch succeeded")
	}
	failing := func(context.Context) ([]byte, error) { return nil, errors.New("offline") }
	if _, err := empty.LoadModel(ctx, "test-net", sha, failing); err == nil || !strings.Contains(err.Error(), "offline") {
		t.Errorf("failed download: %v", err)
	}
	// A download that is no model (no index hash to check it against) is
	// refused before it is stored.
	junk := func(context.Context) ([]byte, error) { return []byte("<html>proxy error</html>"), nil }
	if _, err := empty.LoadModel(ctx, "test-net", "", junk); err == nil || !strings.Contains(err.Error(), "not an ONNX model") {
		t.Errorf("junk download: %v", err)
	}
	if _, _, err := empty.store.Model("test-net"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the junk download was stored: %v", err)
	}
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	a, st := loaded(t)
	img, area := ellipsePNG(t)

	var stages []string
	out, err := a.Run(ctx, Job{ID: "e1", Name: "ellipse.png", Order: 1,
		Options: session.Options{CmPerPx: 0.01}}, img, func(s string) { stages = append(stages, s) })
	if err != nil {
		t.Fatal(err)
	}
	if out.Item.Status != "done" {
		t.Fatalf("status %q: %s", out.Item.Status, out.Item.Error)
	}
	if got := strings.Join(stages, ","); got != "decoding,segmenting,measuring" {
		t.Errorf("stages = %s", got)
	}
	r := decodeRecord(t, out.Item)
	// The mask is made at 48×64 and resized, so its edge is off by a few
	// pixels; the area must still be the ellipse's within 5 %.
	if math.Abs(float64(r.CSAPx-area)) > 0.05*float64(area) {
		t.Errorf("CSA %d px, ellipse has %d", r.CSAPx, area)
	}
	if r.CSACm2 == nil || math.Abs(*r.CSACm2-float64(r.CSAPx)*1e-4) > 1e-3 {
		t.Errorf("CSA cm² = %v for %d px at 0.01 cm/px", r.CSACm2, r.CSAPx)
	}
	if r.EIMean < 190 || r.EIMean > 201 {
		t.Errorf("EI mean %.1f, the ellipse is grey 200", r.EIMean)
	}
	if out.Gray.Rect.Dx() != 512 || out.Mask.Rect != out.Gray.Rect || r.Corrected {
		t.Errorf("output sizes %v / %v, corrected %v", out.Gray.Rect, out.Mask.Rect, r.Corrected)
	}

	bad := []struct {
		name, want string
		data       []byte
	}{
		{"corrupt.png", "decode: corrupt.png", []byte("\x89PNG\r\n\x1a\nthis is not a png")},
		{"notes.txt", "decode: notes.txt", []byte("hello")},
		{"huge.png", "30000×30000 pixels is more than this browser app takes", hugePNG(30000, 30000)},
	}
	for i, tc := range bad {
		out, err := a.Run(ctx, Job{ID: "bad" + string(rune('a'+i)), Name: tc.name, Order: int64(2 + i)}, tc.data, nil)
		if err != nil {
			t.Fatalf("%s: %v (a bad file must give an error row, not fail the worker)", tc.name, err)
		}
		if out.Item.Status != "error" || !strings.Contains(out.Item.Error, tc.want) {
			t.Errorf("%s: status %q, error %q; want one containing %q", tc.name, out.Item.Status, out.Item.Error, tc.want)
		}
	}
	items, err := st.List()
	if err != nil || len(items) != 4 || items[0].ID != "e1" || items[3].Status != "error" {
		t.Errorf("stored items: %+v, %v", items, err)
	}
}

func TestRemeasure(t *testing.T) {
	ctx := context.Background()
	a, st := loaded(t)
	img, _ := ellipsePNG(t)
	out, err := a.Run(ctx, Job{ID: "e1", Name: "ellipse.png", Options: session.Options{CmPerPx: 0.01}}, img, nil)
	if err != nil || out.Item.Status != "done" {
		t.Fatalf("run: %v %+v", err, out.Item)
	}
	base := decodeRecord(t, out.Item)
	mask := append([]byte(nil), Packed(out.Mask)...)
	added := 0
	for y := 10; y < 30; y++ { // a 40×20 block outside the ellipse
		for x := 10; x < 50; x++ {
			if mask[y*512+x] == 0 {
				added++
			}
			mask[y*512+x] = 255
		}
	}
	opts := session.Options{CmPerPx: 0.01}
	patient := &session.Patient{ID: "P1", AgeYears: 50, Sex: "F", HeightCm: 168, WeightKg: 65}

	tests := []struct {
		name      string
		app       *App // a new App is a reload: nothing cached
		opts      session.Options
		patient   *session.Patient
		mask      []byte
		save      bool
		wantPx    int
		corrected bool
		wantZ     bool
	}{
		{"brush adds a block (live)", a, opts, nil, mask, false, base.CSAPx + added, true, false},
		{"stroke ends: saved", a, opts, nil, mask, true, base.CSAPx + added, true, false},
		{"muscle and patient after reload", New(st), session.Options{CmPerPx: 0.01, Muscle: "TA"}, patient, nil, true, base.CSAPx + added, true, true},
		{"reset to the model's mask", a, opts, nil, Packed(out.Mask), true, base.CSAPx, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.app != a {
				if _, err := tc.app.LoadModel(ctx, "", "", nil); err != nil {
					t.Fatal(err)
				}
			}
			it, err := tc.app.Remeasure(ctx, "e1", tc.opts, tc.patient, tc.mask, tc.save)
			if err != nil {
				t.Fatal(err)
			}
			r := decodeRecord(t, it)
			if r.CSAPx != tc.wantPx || r.Corrected != tc.corrected || it.Corrected != tc.corrected {
				t.Errorf("CSA %d px corrected %v; want %d px corrected %v", r.CSAPx, r.Corrected, tc.wantPx, tc.corrected)
			}
			if (r.Z != nil) != tc.wantZ {
				t.Errorf("z = %v, want one: %v (%s)", r.Z, tc.wantZ, r.ZNote)
			}
			if tc.wantZ {
				want, err := zscore.Compute(zscore.TibialisAnterior, zscore.Patient{AgeYears: 50, Sex: "F", HeightCm: 168, WeightKg: 65}, r.EIMean)
				if err != nil || math.Abs(*r.Z-want.Z) > 1e-3 {
					t.Errorf("z = %v, zscore.Compute says %v (%v)", *r.Z, want.Z, err)
				}
			}
			if tc.save {
				items, _ := st.List()
				if items[0].Corrected != tc.corrected {
					t.Errorf("stored corrected = %v", items[0].Corrected)
				}
			}
		})
	}
	if _, err := a.Remeasure(ctx, "e1", opts, nil, []byte{1, 2, 3}, false); err == nil {
		t.Error("a mask of the wrong size was accepted")
	}
}

func TestRenderAndCSV(t *testing.T) {
	ctx := context.Background()
	a, _ := loaded(t)
	img, _ := ellipsePNG(t)
	out, err := a.Run(ctx, Job{ID: "e1", Name: "ellipse, \"quoted\".png"}, img, nil)
	if err != nil || out.Item.Status != "done" {
		t.Fatalf("run: %v %+v", err, out.Item)
	}
	b, err := a.Render("e1", "mask", nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := m.(*image.Gray); !ok || !bytes.Equal(g.Pix, out.Mask.Pix) {
		t.Error("mask PNG differs from the mask")
	}
	b, err = a.Render("e1", "overlay", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width != 512 || cfg.Height != 480 {
		t.Errorf("overlay PNG: %+v, %v", cfg, err)
	}
	if _, err := a.Render("e1", "svg", nil); err == nil {
		t.Error("unknown render kind accepted")
	}

	r := decodeRecord(t, out.Item)
	data, err := CSV([]record.Record{r, r})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(record.Columns(), ",") || rows[1][0] != r.File {
		t.Errorf("CSV rows: %q", rows)
	}
}

// BenchmarkRun480x512 is one phantom of the seed dataset's size through the
// shipped model, as a browser worker runs it (natively, or under Node with
// make bench-wasm).
func BenchmarkRun480x512(b *testing.B) {
	ctx := context.Background()
	st, _ := sessiontest.New(b)
	a := New(st)
	name, data := models.Default()
	if _, err := a.LoadModel(ctx, name, "", func(context.Context) ([]byte, error) { return data, nil }); err != nil {
		b.Fatal(err)
	}
	s, err := phantom.Generate(phantom.Config{Seed: 3, N: 1}, 0)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, s.Image); err != nil {
		b.Fatal(err)
	}
	var infer time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := a.Run(ctx, Job{ID: fmt.Sprintf("b%d", i), Name: "bench.png"}, buf.Bytes(), nil)
		if err != nil || out.Item.Status != "done" {
			b.Fatalf("%v %+v", err, out)
		}
		infer += out.Timing.Infer
	}
	b.ReportMetric(float64(infer.Milliseconds())/float64(b.N), "infer-ms/op")
}
