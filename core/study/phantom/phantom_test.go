package phantom

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"image/png"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// memFS is an in-memory FS for WriteDataset.
type memFS struct {
	mu    sync.Mutex
	dirs  map[string]bool
	files map[string][]byte
}

func newMemFS() *memFS { return &memFS{dirs: map[string]bool{}, files: map[string][]byte{}} }

func (m *memFS) MkdirAll(d string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ; d != "." && d != "/" && !m.dirs[d]; d = path.Dir(d) {
		m.dirs[d] = true
	}
	return nil
}

func (m *memFS) WriteFile(n string, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirs[path.Dir(n)] {
		return fmt.Errorf("memfs: %s: folder not created", n)
	}
	m.files[n] = append([]byte(nil), b...)
	return nil
}

func gen(t testing.TB, cfg Config, i int) Sample {
	t.Helper()
	s, err := Generate(cfg, i)
	if err != nil {
		t.Fatalf("Generate(%+v, %d): %v", cfg, i, err)
	}
	return s
}

func TestDeterministic(t *testing.T) {
	for _, v := range []int{V1, V2} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) { testDeterministic(t, v) })
	}
}

func testDeterministic(t *testing.T, version int) {
	base := Config{Seed: 7, PathologicalFraction: 0.5, Version: version}
	for _, i := range []int{0, 1, 5, 13} {
		a, b := gen(t, base, i), gen(t, base, i)
		if !bytes.Equal(a.Image.Pix, b.Image.Pix) || !bytes.Equal(a.Mask.Pix, b.Mask.Pix) {
			t.Errorf("image %d: same seed gave different pixels", i)
		}
		c := gen(t, Config{Seed: 8, PathologicalFraction: 0.5, Version: version}, i)
		if bytes.Equal(a.Image.Pix, c.Image.Pix) {
			t.Errorf("image %d: seeds 7 and 8 gave identical images", i)
		}
	}
	// Generation inside a dataset (reused scratch, any order) equals Generate.
	fsys := newMemFS()
	if err := WriteDataset(context.Background(), fsys, "d", Config{Seed: 7, N: 8, PathologicalFraction: 0.5, Version: version}, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		s := gen(t, base, i)
		data, ok := fsys.files[path.Join("d", s.Muscle, s.Group(), "Images", s.FileName())]
		if !ok {
			t.Fatalf("image %d (%s) not written", i, s.FileName())
		}
		g, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g.(*image.Gray).Pix, s.Image.Pix) {
			t.Errorf("image %d: written PNG differs from Generate", i)
		}
	}
}

// TestMaskGeometry: the mask is the contour's pixel centres (version 2:
// those inside the imaged field), so its area matches the contour's area
// clipped to the image (version 2: at most that, every pixel inside it).
func TestMaskGeometry(t *testing.T) {
	for _, v := range []int{V1, V2} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) { testMaskGeometry(t, v) })
	}
}

func testMaskGeometry(t *testing.T, version int) {
	cfg := Config{Seed: 3, PathologicalFraction: 0.5, Version: version}
	for i := 0; i < 15; i++ {
		s := gen(t, cfg, i)
		t.Run(fmt.Sprintf("%d-%s", i, s.Muscle), func(t *testing.T) {
			if s.Image.Rect != image.Rect(0, 0, Width, Height) || s.Mask.Rect != s.Image.Rect {
				t.Fatalf("size %v / %v, want %dx%d", s.Image.Rect, s.Mask.Rect, Width, Height)
			}
			n := 0
			for _, v := range s.Mask.Pix {
				switch v {
				case 0:
				case 255:
					n++
				default:
					t.Fatalf("mask value %d, want 0 or 255", v)
				}
			}
			minPx, top := 3000, 10
			if version == V2 {
				minPx, top = 1500, 6
			}
			if n != s.CSAPx || n < minPx {
				t.Fatalf("mask has %d pixels, CSAPx %d", n, s.CSAPx)
			}
			clipped := clipPolygon(s.Contour, 0, 0, Width, Height)
			area := polygonArea(clipped)
			if version == V2 {
				inside := make([]uint8, Width*Height)
				fillPolygon(s.Contour, inside, Width, Height)
				for k, m := range s.Mask.Pix {
					if m != 0 && inside[k] == 0 {
						t.Fatalf("mask pixel (%d,%d) outside the contour", k%Width, k/Width)
					}
				}
				if float64(n) > 1.02*area {
					t.Errorf("mask %d px vs contour area %.0f px²", n, area)
				}
			} else if rel := math.Abs(float64(n)-area) / area; rel > 0.02 {
				t.Errorf("mask %d px vs contour area %.0f px²: %.1f%% apart", n, area, 100*rel)
			}
			// The muscle sits under skin and fat, not at the top rows.
			for y := 0; y < top; y++ {
				for x := 0; x < Width; x++ {
					if s.Mask.Pix[y*Width+x] != 0 {
						t.Fatalf("mask reaches row %d", y)
					}
				}
			}
		})
	}
}

func TestFillPolygonSquare(t *testing.T) {
	for _, tc := range []struct {
		poly []Point
		want int
	}{
		{[]Point{{10, 10}, {20, 10}, {20, 30}, {10, 30}}, 200},
		{[]Point{{-5, 0}, {5, 0}, {5, 4}, {-5, 4}}, 20},  // clipped at the left edge
		{[]Point{{0, 0}, {40, 0}, {0, 40}}, 39 * 40 / 2}, // centres with x+y+1 < 40
	} {
		mask := make([]uint8, 64*64)
		got := fillPolygon(tc.poly, mask, 64, 64)
		if got != tc.want {
			t.Errorf("fillPolygon(%v) = %d, want %d", tc.poly, got, tc.want)
		}
	}
}

func TestDistanceTo(t *testing.T) {
	const w, h = 9, 7
	src := make([]uint8, w*h)
	src[3*w+4] = 1
	d := make([]float32, w*h)
	distanceTo(src, w, h, d)
	for _, tc := range []struct {
		x, y int
		want float64
	}{{4, 3, 0}, {0, 3, 4}, {4, 0, 3}, {7, 6, math.Hypot(3, 3)}, {0, 0, 5}} {
		if got := float64(d[tc.y*w+tc.x]); math.Abs(got-tc.want) > 1e-5 {
			t.Errorf("distance at (%d,%d) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

// TestTruth: the recorded EI is the written pixels' mean under the mask,
// close to the target drawn from the reference model.
func TestTruth(t *testing.T) {
	for _, v := range []int{V1, V2} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) { testTruth(t, v) })
	}
}

func testTruth(t *testing.T, version int) {
	cfg := Config{Seed: 11, PathologicalFraction: 0.5, Version: version}
	for i := 0; i < 15; i++ {
		s := gen(t, cfg, i)
		var sum, sum2 float64
		var n int
		for k, m := range s.Mask.Pix {
			if m != 0 {
				v := float64(s.Image.Pix[k])
				sum += v
				sum2 += v * v
				n++
			}
		}
		mean := sum / float64(n)
		sd := math.Sqrt(sum2/float64(n) - mean*mean)
		if math.Abs(mean-s.EIMean) > 1e-9 || math.Abs(sd-s.EISD) > 1e-6 || n != s.CSAPx {
			t.Errorf("image %d: truth (%.4f, %.4f, %d), pixels give (%.4f, %.4f, %d)", i, s.EIMean, s.EISD, s.CSAPx, mean, sd, n)
		}
		if s.Muscle == "RF" || s.Muscle == "VL" {
			if s.Expected != 0 || s.ExpectedSD != 0 {
				t.Errorf("image %d (%s): expected EI %v ± %v, want none (no reference)", i, s.Muscle, s.Expected, s.ExpectedSD)
			}
			continue
		}
		if version == V2 && s.Expected == 0 {
			continue // scanned with a drawn scanner, not the reference one
		}
		z := (s.EIMean - s.Expected) / s.ExpectedSD
		if s.Pathological && (z < 1.9 || z > 7) || !s.Pathological && math.Abs(z) > 2.1 {
			t.Errorf("image %d (%s, pathological %v, Heckmatt %d): EI %.1f, expected %.1f ± %.1f, z %.2f out of range",
				i, s.Muscle, s.Pathological, s.Heckmatt, s.EIMean, s.Expected, s.ExpectedSD, z)
		}
	}
}

func TestExpectedEI(t *testing.T) {
	for _, tc := range []struct {
		muscle string
		s      Subject
		want   float64
	}{
		// Hand-evaluated from echo-intensity-reference.json's coefficients.
		{"BB", Subject{Age: 30, WeightKg: 75}, 53.159884576842742 + 0.066149812211101416*30 + 0.087741223140804042*75 + 0.0025047900746030822*900},
		{"TA", Subject{Age: 70, Sex: "M"}, 63.601269249536138 - 6.4645668443179538 + 0.35272171724456558*70},
		{"GM", Subject{Age: 40, Sex: "F", HeightCm: 165}, 78.678693615468973 + 0.32507746691462697*40 - 0.13369387312606573*165},
	} {
		got, sd := expectedEI(tc.muscle, tc.s)
		if math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s %+v: expected EI %v, want %v", tc.muscle, tc.s, got, tc.want)
		}
		if sd < 7 || sd > 12 { // prediction SD is a little above the models' RMSE (7.0–8.9)
			t.Errorf("%s: prediction SD %v out of range", tc.muscle, sd)
		}
	}
}

func TestPathologicalBrighter(t *testing.T) {
	for _, v := range []int{V1, V2} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) { testPathologicalBrighter(t, v) })
	}
}

func testPathologicalBrighter(t *testing.T, version int) {
	cfg := Config{Seed: 5, PathologicalFraction: 0.5, Version: version}
	sum := map[string][2]float64{}
	cnt := map[string][2]int{}
	for i := 0; i < 12*len(cfg.Muscles())+8*(version-1)*len(cfg.Muscles()); i++ {
		s := gen(t, cfg, i)
		if s.Expected == 0 {
			continue // not on the reference scanner: no EI target
		}
		g := 0
		if s.Pathological {
			g = 1
		}
		a, c := sum[s.Muscle], cnt[s.Muscle]
		a[g] += s.EIMean
		c[g]++
		sum[s.Muscle], cnt[s.Muscle] = a, c
	}
	for _, m := range Muscles() { // the muscles with a reference EI
		c := cnt[m]
		if c[0] == 0 || c[1] == 0 {
			t.Fatalf("%s: %d healthy, %d pathological images", m, c[0], c[1])
		}
		h, p := sum[m][0]/float64(c[0]), sum[m][1]/float64(c[1])
		if p-h < 12 {
			t.Errorf("%s: mean EI healthy %.1f, pathological %.1f: want at least +12", m, h, p)
		}
		if h < 45 || h > 100 {
			t.Errorf("%s: healthy mean EI %.1f outside normal range", m, h)
		}
	}
}

func readCSV(t *testing.T, fsys *memFS, name string) [][]string {
	t.Helper()
	data, ok := fsys.files[name]
	if !ok {
		t.Fatalf("%s not written", name)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rows
}

func TestWriteDatasetLayout(t *testing.T) {
	for _, v := range []int{V1, V2} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) { testWriteDatasetLayout(t, v) })
	}
}

func testWriteDatasetLayout(t *testing.T, version int) {
	const n = 40
	fsys := newMemFS()
	cfg := Config{Seed: 2, N: n, PathologicalFraction: 0.5, Version: version}
	if err := WriteDataset(context.Background(), fsys, "out", cfg, nil); err != nil {
		t.Fatal(err)
	}
	images := 0
	for _, m := range cfg.Muscles() {
		for _, g := range Groups() {
			dir := path.Join("out", m, g)
			ch := readCSV(t, fsys, path.Join(dir, "characteristics.csv"))
			tr := readCSV(t, fsys, path.Join(dir, "truth.csv"))
			if strings.Join(ch[0], ",") != characteristicsHeader || strings.Join(tr[0], ",") != truthHeader {
				t.Fatalf("%s: headers %v / %v", dir, ch[0], tr[0])
			}
			ids := map[string]bool{}
			for _, row := range ch[1:] {
				age, _ := strconv.Atoi(row[1])
				hgt, _ := strconv.Atoi(row[3])
				wgt, _ := strconv.ParseFloat(row[4], 64)
				if age < 18 || age > 85 || (row[2] != "M" && row[2] != "F") || hgt < 140 || hgt > 210 || wgt < 35 || wgt > 190 {
					t.Errorf("%s: implausible subject %v", dir, row)
				}
				ids[row[0]] = true
			}
			used := map[string]bool{}
			var files []string
			for _, row := range tr[1:] {
				file := row[0]
				files = append(files, file)
				id := file[:strings.IndexByte(file, '_')]
				if !ids[id] {
					t.Errorf("%s: %s has no characteristics row", dir, file)
				}
				used[id] = true
				for _, sub := range []string{"Images", "Masks"} {
					data, ok := fsys.files[path.Join(dir, sub, file)]
					if !ok {
						t.Fatalf("%s/%s/%s missing", dir, sub, file)
					}
					cfg, err := png.DecodeConfig(bytes.NewReader(data))
					if err != nil || cfg.Width != Width || cfg.Height != Height {
						t.Fatalf("%s/%s/%s: %v %dx%d", dir, sub, file, err, cfg.Width, cfg.Height)
					}
				}
				// truth.csv EI recomputed from the written PNGs.
				img := decodeGray(t, fsys.files[path.Join(dir, "Images", file)])
				mask := decodeGray(t, fsys.files[path.Join(dir, "Masks", file)])
				mean, sd, csa := measure(img, mask)
				wantMean, _ := strconv.ParseFloat(row[1], 64)
				wantSD, _ := strconv.ParseFloat(row[2], 64)
				wantCSA, _ := strconv.Atoi(row[3])
				if math.Abs(mean-wantMean) > 6e-5 || math.Abs(sd-wantSD) > 6e-5 || csa != wantCSA {
					t.Errorf("%s: truth row %v, PNGs give %.4f %.4f %d", file, row, mean, sd, csa)
				}
				heck, _ := strconv.Atoi(row[4])
				if (g == "Healthy") != (heck == 1) || heck < 1 || heck > 4 {
					t.Errorf("%s: Heckmatt %d in %s", file, heck, g)
				}
				images++
			}
			if len(used) != len(ids) {
				t.Errorf("%s: %d subjects listed, %d with images", dir, len(ids), len(used))
			}
			sort.Strings(files)
			for k := 1; k < len(files); k++ {
				if files[k] == files[k-1] {
					t.Errorf("%s: duplicate %s", dir, files[k])
				}
			}
		}
	}
	if images != n {
		t.Errorf("%d images in truth tables, want %d", images, n)
	}
	if got, want := len(fsys.files), 2*n+4*len(cfg.Muscles()); got != want {
		t.Errorf("%d files written, want %d", got, want)
	}
}

func decodeGray(t *testing.T, data []byte) *image.Gray {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("PNG decodes to %T, want *image.Gray", img)
	}
	return g
}

func TestBalance(t *testing.T) {
	for _, tc := range []struct {
		frac float64
		want int // pathological subjects out of 60
	}{{0.5, 30}, {0, 0}, {1, 60}, {0.25, 15}} {
		got := 0
		per := map[string]int{}
		for j := 0; j < 60; j++ {
			s := makeSubject(1, j, tc.frac, muscleOrder[:])
			per[s.muscle]++
			if s.pathological {
				got++
			}
		}
		if got != tc.want || per["BB"] != 20 || per["GM"] != 20 || per["TA"] != 20 {
			t.Errorf("fraction %v: %d pathological, muscles %v", tc.frac, got, per)
		}
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []Config{{N: -1}, {PathologicalFraction: 1.5}, {PathologicalFraction: math.NaN()}, {Version: 4}, {Version: -1}} {
		if _, err := Generate(cfg, 0); err == nil && cfg.N >= 0 {
			t.Errorf("Generate(%+v): no error", cfg)
		}
		if err := WriteDataset(context.Background(), newMemFS(), "x", cfg, nil); err == nil {
			t.Errorf("WriteDataset(%+v): no error", cfg)
		}
	}
	if _, err := Generate(Config{}, -1); err == nil {
		t.Error("Generate(-1): no error")
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, v := range []int{V1, V2} {
		b.Run(fmt.Sprintf("v%d", v), func(b *testing.B) {
			cfg := Config{Seed: 1, PathologicalFraction: 0.5, Version: v}
			slots := plan(cfg.Seed, 64)
			sc := newScratch()
			i := 0
			for b.Loop() {
				renderAny(cfg, i%64, slots[i%64], sc)
				i++
			}
		})
	}
}

func TestFastLog10(t *testing.T) {
	worst := 0.0
	for v := 1e-30; v < 1e30; v *= 1.0013 {
		if d := math.Abs(float64(fastLog10(float32(v))) - math.Log10(float64(float32(v)))); d > worst {
			worst = d
		}
	}
	if worst > 1e-5 {
		t.Errorf("fastLog10 error %g, want < 1e-5", worst)
	}
	if got := fastLog10(0); got != -38 {
		t.Errorf("fastLog10(0) = %v, want -38", got)
	}
}
