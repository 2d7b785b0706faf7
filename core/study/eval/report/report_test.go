package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"

	"myoseg/core/study/dataset"
	"myoseg/core/study/eval"
)

func encode(t testing.TB, m image.Image) *fstest.MapFile {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return &fstest.MapFile{Data: b.Bytes()}
}

func ellipse(w, h int, cx, cy, rx, ry float64) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			if dx*dx+dy*dy <= 1 {
				m.Pix[m.PixOffset(x, y)] = 255
			}
		}
	}
	return m
}

// synthetic makes a small labelled dataset: per muscle and group, n
// subjects with one image each (muscle brighter in Pathological), and a
// prediction folder with each expert ellipse shifted and resized a little.
func synthetic(t testing.TB, n int) (data, pred fstest.MapFS) {
	const w, h = 96, 64
	rng := rand.New(rand.NewPCG(1, 2))
	data, pred = fstest.MapFS{}, fstest.MapFS{}
	for _, m := range []string{"BB", "GM", "TA"} {
		for gi, g := range []string{"Healthy", "Pathological"} {
			chars := "ID,age,sex,height,weight\n"
			for s := 0; s < n; s++ {
				id := fmt.Sprintf("%s%c%02d", m, g[0], s)
				name := id + "_1.png"
				cx, cy := 48+rng.Float64()*6, 30+rng.Float64()*4
				rx, ry := 25+rng.Float64()*8, 12+rng.Float64()*5
				mask := ellipse(w, h, cx, cy, rx, ry)
				img := image.NewGray(mask.Rect)
				level := 55 + 40*float64(gi) + rng.Float64()*25
				for i := range img.Pix {
					v := 20 + rng.Float64()*30
					if mask.Pix[i] != 0 {
						v = level + rng.NormFloat64()*8
					}
					img.Pix[i] = uint8(math.Max(0, math.Min(255, v)))
				}
				data[fmt.Sprintf("%s/%s/Images/%s", m, g, name)] = encode(t, img)
				data[fmt.Sprintf("%s/%s/Masks/%s", m, g, name)] = encode(t, mask)
				auto := ellipse(w, h, cx+rng.NormFloat64()*1.5, cy+rng.NormFloat64(), rx*(0.93+0.1*rng.Float64()), ry*(0.93+0.1*rng.Float64()))
				pred[fmt.Sprintf("%s/%s/Masks/%s", m, g, name)] = encode(t, auto)
				sex := "MF"[s%2 : s%2+1]
				chars += fmt.Sprintf("%s,%d,%s,%d,%d\n", id, 25+rng.IntN(50), sex, 160+rng.IntN(30), 55+rng.IntN(40))
			}
			data[fmt.Sprintf("%s/%s/characteristics.csv", m, g)] = &fstest.MapFile{Data: []byte(chars)}
		}
	}
	return data, pred
}

func evaluate(t testing.TB, data, pred fstest.MapFS) *eval.Report {
	t.Helper()
	ds, err := dataset.Read(data, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eval.Evaluate(context.Background(), data, ds, eval.Options{Pred: pred, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func files(t testing.TB, fs []File) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range fs {
		if _, dup := m[f.Name]; dup {
			t.Errorf("file %s written twice", f.Name)
		}
		m[f.Name] = f.Data
	}
	return m
}

func TestBuild(t *testing.T) {
	data, pred := synthetic(t, 6)
	rep := evaluate(t, data, pred)
	out, err := Build(rep, Meta{Data: "synthetic", Pred: "shifted ellipses"})
	if err != nil {
		t.Fatal(err)
	}
	f := files(t, out)
	wantPlots := []string{"ei_bland_altman", "ei_scatter", "csa_bland_altman", "csa_scatter", "z_scatter",
		"subject_ei_bland_altman", "subject_z_scatter", "overlap_box", "surface_box"}
	for _, p := range wantPlots {
		name := "plots/" + p + ".png"
		img, err := png.Decode(bytes.NewReader(f[name]))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != 900 || b.Dy() != 675 {
			t.Errorf("%s is %v, want 900×675", name, b)
		}
	}
	md, html := string(f["report.md"]), string(f["report.html"])
	for _, s := range []string{"## Segmentation overlap", "## Echo intensity (per image)", "## z-scores (per image)",
		"| BB Healthy |", "| All |", "Marzola", "![", "plots/ei_bland_altman.png"} {
		if !strings.Contains(md, s) {
			t.Errorf("report.md lacks %q", s)
		}
	}
	for _, p := range wantPlots {
		if !strings.Contains(html, `<img src="plots/`+p+`.png"`) {
			t.Errorf("report.html lacks plot %s", p)
		}
	}
	if strings.Count(html, "<table>") != strings.Count(html, "</table>") || strings.Count(html, "<div") != strings.Count(html, "</div>") {
		t.Error("report.html has unbalanced tables or divs")
	}
	for name, body := range map[string]string{"md": md, "html": html, "csv": string(f["per_image.csv"])} {
		for _, bad := range []string{"NaN", "Inf", "%!"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(f["per_image.csv"])).ReadAll()
	if err != nil || len(rows) != 37 {
		t.Errorf("per_image.csv: %d rows, err %v; want 37", len(rows), err)
	}
	// The headline row of the EI table must carry the group's numbers.
	all := allGroup(rep.Groups)
	want := fmt.Sprintf("| All | %d | ", len(all.EI.Manual))
	if !strings.Contains(md, want) {
		t.Errorf("report.md lacks EI row %q", want)
	}
}

func TestBuildTooFewToCompute(t *testing.T) {
	data, pred := synthetic(t, 1) // one image per muscle × group
	rep := evaluate(t, data, pred)
	out, err := Build(rep, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	md := string(files(t, out)["report.md"])
	for _, s := range []string{"n/a: 1 pair(s) (need at least 3)", "(one value, no SD)", "n/a: 1 target(s) (need at least 3)"} {
		if !strings.Contains(md, s) {
			t.Errorf("report.md lacks %q", s)
		}
	}
	if !strings.Contains(md, "| BB Healthy | 1 |") {
		t.Error("report.md lacks a one-image group row")
	}
	if strings.Contains(md, "NaN") {
		t.Error("report.md prints NaN")
	}
}

func TestBuildEmpty(t *testing.T) {
	// A dataset with an image but no masks anywhere: a report, no plots, no crash.
	data := fstest.MapFS{"TA/Healthy/Images/A_1.png": encode(t, image.NewGray(image.Rect(0, 0, 8, 8)))}
	rep := evaluate(t, data, fstest.MapFS{})
	out, err := Build(rep, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	f := files(t, out)
	md := string(f["report.md"])
	if !strings.Contains(md, "no expert mask") || !strings.Contains(md, "no predicted mask") {
		t.Errorf("problems not reported:\n%s", md)
	}
	for name := range f {
		if strings.HasPrefix(name, "plots/") && name != "plots/overlap_box.png" && name != "plots/surface_box.png" {
			t.Errorf("plot %s drawn without data", name)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		labels string
	}{
		{0, 1, "0.0 0.2 0.4 0.6 0.8 1.0"},
		{-2.3, 6.4, "-2 0 2 4 6"},
		{2.05, 3.4, "2.2 2.4 2.6 2.8 3.0 3.2 3.4"},
		{-83000, 12000, "-80000 -60000 -40000 -20000 0"},
	}
	for _, tc := range tests {
		var got []string
		for _, tk := range (niceTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, " ") != tc.labels {
			t.Errorf("ticks(%g, %g) = %q, want %q", tc.lo, tc.hi, strings.Join(got, " "), tc.labels)
		}
	}
}

func TestFormatting(t *testing.T) {
	for v, want := range map[float64]string{-2.0412: "−2.04", 0.5391: "+0.539", -17485.7: "−17486", 12.34: "+12.3", 0: "+0.000"} {
		if got := short(v); got != want {
			t.Errorf("short(%g) = %q, want %q", v, got, want)
		}
	}
	for _, c := range []struct {
		v    float64
		want string
	}{{-1e-17, "0.000"}, {math.Copysign(0, -1), "0.000"}, {-0.25, "-0.250"}, {math.NaN(), "n/a"}} {
		if got := fixed(c.v, 3); got != c.want {
			t.Errorf("fixed(%g) = %q, want %q", c.v, got, c.want)
		}
	}
	if got := signed(2, 2); got != "+2.00" {
		t.Errorf("signed(2) = %q", got)
	}
	if got := problemKind(`subject "S9" not in characteristics.csv`); got != "subject … not in characteristics.csv" {
		t.Errorf("problemKind = %q", got)
	}
	if got := problemKind("predicted mask is 500×480, image 512×480: not scored"); got != "predicted mask is N×N, image N×N: not scored" {
		t.Errorf("problemKind = %q", got)
	}
	if got := problemKind("no predicted mask (looked for a and b)"); got != "no predicted mask" {
		t.Errorf("problemKind = %q", got)
	}
}

func BenchmarkBuild(b *testing.B) {
	data, pred := synthetic(b, 20) // 120 images
	rep := evaluate(b, data, pred)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Build(rep, Meta{}); err != nil {
			b.Fatal(err)
		}
	}
}
