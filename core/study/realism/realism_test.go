package realism

import (
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// speckle makes a w×h image: a black frame of the given margin around a
// field of blurred noise (box blur of radius blur across and along) with
// the given mean and SD, plus bright horizontal lines every `lines` rows
// when lines > 0.
func speckle(seed uint64, w, h, margin, blur int, mean, sd float64, lines int) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 7))
	raw := make([]float64, w*h)
	for i := range raw {
		raw[i] = r.NormFloat64()
	}
	sm := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			n := 0
			for dy := -blur; dy <= blur; dy++ {
				for dx := -blur; dx <= blur; dx++ {
					if xx, yy := x+dx, y+dy; xx >= 0 && yy >= 0 && xx < w && yy < h {
						s += raw[yy*w+xx]
						n++
					}
				}
			}
			sm[y*w+x] = s / math.Sqrt(float64(n))
		}
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := margin; y < h-margin; y++ {
		for x := margin; x < w-margin; x++ {
			v := mean + sd*sm[y*w+x]
			if lines > 0 && y%lines == 0 {
				v += 120
			}
			g.Pix[y*w+x] = uint8(math.Max(1, math.Min(255, math.Round(v))))
		}
	}
	return g
}

func view(t *testing.T, g *image.Gray) View {
	t.Helper()
	v, err := NewView(g)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestViewField: the black frame around the scan is not part of the field.
func TestViewField(t *testing.T) {
	v := view(t, speckle(1, 512, 480, 40, 1, 80, 20, 0))
	n := 0
	for _, ok := range v.Valid {
		if ok {
			n++
		}
	}
	// The field is 432×400 of 512×480 (70 %); the view fills 256×240 with its crop.
	if share := float64(n) / (ViewW * ViewH); share < 0.85 {
		t.Errorf("field covers %.0f %% of the view, want the cropped field (> 85 %%)", 100*share)
	}
	s := Measure(v)
	if math.Abs(s.Mean-80) > 3 {
		t.Errorf("mean grey %.1f, want about 80 (black frame excluded)", s.Mean)
	}
}

// TestCorrelationLength: blurring the speckle lengthens its correlation.
func TestCorrelationLength(t *testing.T) {
	fine := Measure(view(t, speckle(2, 512, 480, 0, 0, 100, 25, 0)))
	coarse := Measure(view(t, speckle(3, 512, 480, 0, 3, 100, 25, 0)))
	// White noise box-averaged 2×2 into the view: correlation at lag 1 is 0.
	if fine.CorrLenX > 1 || fine.CorrLenY > 1 {
		t.Errorf("white noise: correlation lengths %.2f, %.2f px, want < 1", fine.CorrLenX, fine.CorrLenY)
	}
	// A 7-px box blur (3.5 view px) keeps correlation above 1/e beyond lag 1.
	if coarse.CorrLenX < 1.5 || coarse.CorrLenY < 1.5 {
		t.Errorf("blurred noise: correlation lengths %.2f, %.2f px, want > 1.5", coarse.CorrLenX, coarse.CorrLenY)
	}
}

// TestCompare: a grey shift shows up as the histogram distance; lines as
// edge density; a set compared with itself is at distance 0.
func TestCompare(t *testing.T) {
	a := Measure(view(t, speckle(4, 512, 480, 0, 1, 70, 15, 0)))
	b := Measure(view(t, speckle(5, 512, 480, 0, 1, 90, 15, 0)))
	c := Measure(view(t, speckle(6, 512, 480, 0, 1, 70, 15, 20)))
	ref := Summarise("real", []Stats{a})
	if d := Compare(ref, ref); d.HistW1 != 0 || d.DepthRMS != 0 {
		t.Errorf("self distance %+v", d)
	}
	d := Compare(Summarise("shifted", []Stats{b}), ref)
	if math.Abs(d.HistW1-20) > 2.5 || math.Abs(d.DepthRMS-20) > 2.5 {
		t.Errorf("grey +20: histogram W1 %.1f, depth RMS %.1f, want about 20", d.HistW1, d.DepthRMS)
	}
	if c.EdgeDensity < a.EdgeDensity+0.05 {
		t.Errorf("edge density with lines %.3f, without %.3f", c.EdgeDensity, a.EdgeDensity)
	}
	var sb strings.Builder
	if err := WriteTable(&sb, []Summary{ref, Summarise("shifted", []Stats{b})}, map[string]float64{"shifted": 0.75}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "| shifted | 1 | 90.") || !strings.Contains(sb.String(), "75.0 %") {
		t.Errorf("table:\n%s", sb.String())
	}
}

// TestClassifier: different textures are told apart, the same texture is
// not (accuracy near chance).
func TestClassifier(t *testing.T) {
	mk := func(seed uint64, blur int) [][][]float64 {
		var out [][][]float64
		for i := 0; i < 6; i++ {
			out = append(out, Patches(view(t, speckle(seed+uint64(i), 256, 240, 0, blur, 80, 20, 0)), 20))
		}
		return out
	}
	a, same, other := mk(100, 0), mk(200, 0), mk(300, 2)
	acc, err := ClassifierAccuracy(a, other, 3)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.9 {
		t.Errorf("fine vs coarse speckle: accuracy %.2f, want > 0.9", acc)
	}
	acc, err = ClassifierAccuracy(a, same, 3)
	if err != nil {
		t.Fatal(err)
	}
	if acc > 0.7 {
		t.Errorf("same texture: accuracy %.2f, want near 0.5", acc)
	}
	if _, err := ClassifierAccuracy(a[:1], same, 3); err == nil {
		t.Error("one image for three folds: no error")
	}
}

func TestFigure(t *testing.T) {
	img := speckle(9, 300, 100, 0, 0, 200, 1, 0)
	fig, err := Figure([]Row{{"real", []*image.Gray{img, img}}, {"phantom", []*image.Gray{img}}}, 120, 80)
	if err != nil {
		t.Fatal(err)
	}
	if fig.Rect.Dx() != 2*124+4 || fig.Rect.Dy() != 2*(80+4+16)+4 {
		t.Fatalf("figure %v", fig.Rect)
	}
	// The wide image is fitted to 120×40 at the first tile's top-left.
	if v := fig.GrayAt(4+60, 4+16+20).Y; v < 190 {
		t.Errorf("tile pixel %d, want the image's ~200", v)
	}
	if v := fig.GrayAt(4+60, 4+16+60).Y; v != 96 {
		t.Errorf("below the fitted image %d, want background 96", v)
	}
	if _, err := Figure(nil, 120, 80); err == nil {
		t.Error("no rows: no error")
	}
}

func TestStandardSets(t *testing.T) {
	real := []*image.Gray{speckle(11, 512, 480, 20, 1, 40, 20, 0)}
	sets, err := StandardSets(real, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 6 || sets[0].Name != "real" {
		t.Fatalf("%d sets, first %q", len(sets), sets[0].Name)
	}
	for _, s := range sets[1:] {
		if len(s.Images) != 3 {
			t.Errorf("%s: %d images, want 3", s.Name, len(s.Images))
		}
	}
	rows := StandardRows(sets, 2)
	if len(rows) != 6 || len(rows[0].Images) != 1 || len(rows[1].Images) != 2 || !strings.HasPrefix(rows[5].Label, "phantom v3, healthy RF and VL") {
		t.Errorf("rows %+v", rows)
	}
	if _, err := StandardSets(nil, 3, 5); err == nil {
		t.Error("no real images: no error")
	}
}
