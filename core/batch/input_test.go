package batch

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"myoseg/core/clinical/zscore"
	"myoseg/core/study/dataset"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func keysOf(ins []Input) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.Key)
	}
	return out
}

func TestCollectPlainFolder(t *testing.T) {
	fsys := fstest.MapFS{
		"a.png":                     file("x"),
		"b.TIF":                     file("x"),
		"notes.txt":                 file("x"),
		"._a.png":                   file("x"), // macOS fork
		".hidden/c.png":             file("x"),
		"sub/deep/d.dcm":            file("x"),
		"sub/e.jpeg":                file("x"),
		"out/masks/a.png":           file("x"), // our own output folder inside the input
		"sub/.x.png.tmp-12":         file("x"),
		"mine/Healthy/Images/f.png": file("x"), // like one muscle's folder of a seed layout
		"mine/Healthy/Masks/f.png":  file("x"),
		"other/Masks/g.png":         file("x"), // no Images beside it: taken
	}
	l, err := Collect(fsys, dataset.Options{}, func(p string) bool { return p == "out" })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.png", "b.TIF", "mine/Healthy/Images/f.png", "other/Masks/g.png", "sub/deep/d.dcm", "sub/e.jpeg"}
	if l.Layout || !slices.Equal(keysOf(l.Inputs), want) {
		t.Errorf("layout %v, keys %v, want %v", l.Layout, keysOf(l.Inputs), want)
	}
	for _, in := range l.Inputs {
		if in.Path != in.Key || in.Muscle != "" || in.Patient != nil {
			t.Errorf("%+v", in)
		}
	}
}

func TestCollectSeedLayout(t *testing.T) {
	fsys := fstest.MapFS{
		"TA/Healthy/Images/P1_1.png":          file("x"),
		"TA/Healthy/Images/P2_1.png":          file("x"),
		"TA/Healthy/Masks/P1_1.png":           file("x"),
		"TA/Healthy/characteristics.csv":      file("ID,age,sex,height,weight\nP1,30,F,170,60\n"),
		"GM/Pathological/Images/Q7_3.png":     file("x"),
		"GM/Pathological/characteristics.csv": file("ID,age,sex,height,weight\nQ7,61,M,180,82.5\n"),
		"README.txt":                          file("x"),
	}
	l, err := Collect(fsys, dataset.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"GM/Pathological/Images/Q7_3.png", "TA/Healthy/Images/P1_1.png", "TA/Healthy/Images/P2_1.png"}
	if !l.Layout || !slices.Equal(keysOf(l.Inputs), want) {
		t.Fatalf("layout %v keys %v", l.Layout, keysOf(l.Inputs))
	}
	gm, p1, p2 := l.Inputs[0], l.Inputs[1], l.Inputs[2]
	if gm.Muscle != zscore.GastrocnemiusMedialis || gm.Patient == nil || gm.Patient.AgeYears != 61 || gm.Patient.WeightKg != 82.5 || gm.Patient.Sex != "M" {
		t.Errorf("GM input %+v patient %+v", gm, gm.Patient)
	}
	if p1.Muscle != zscore.TibialisAnterior || p1.Patient == nil || p1.Patient.Sex != "F" {
		t.Errorf("P1 %+v", p1)
	}
	if p2.Patient != nil { // P2 is not in the table
		t.Errorf("P2 has patient data %+v", p2.Patient)
	}
	if !slices.ContainsFunc(l.Warnings, func(w string) bool { return strings.Contains(w, "Masks") }) {
		t.Errorf("no warning about GM's missing Masks folder: %v", l.Warnings)
	}
}

func TestNewPlan(t *testing.T) {
	in := func(keys ...string) []Input {
		var out []Input
		for _, k := range keys {
			out = append(out, Input{Key: k, Path: "/data/" + k})
		}
		return out
	}
	p, err := NewPlan(in("x/a.png", "x/a.jpg", "x/b.png", "y/a.png"), Shard{})
	if err != nil {
		t.Fatal(err)
	}
	var masks []string
	for i := range p.All {
		masks = append(masks, p.Outputs(i).Mask)
	}
	// a.png and a.jpg share a stem in x/: both keep their extension.
	want := []string{"masks/x/a.png.mask.png", "masks/x/a.jpg.mask.png", "masks/x/b.mask.png", "masks/y/a.mask.png"}
	if !slices.Equal(masks, want) || len(p.Mine) != 4 {
		t.Errorf("masks %v, mine %v", masks, p.Mine)
	}
	if o := p.Outputs(2); o.Overlay != "overlays/x/b.overlay.png" || o.Record != "records/x/b.json" {
		t.Errorf("outputs %+v", o)
	}
	for _, bad := range [][]Input{in("a.png", "a.png"), in("../a.png"), in("/abs.png"), in("x//a.png"), in(".")} {
		if _, err := NewPlan(bad, Shard{}); err == nil {
			t.Errorf("%v: accepted", keysOf(bad))
		}
	}
	if _, err := NewPlan(in("a.png"), Shard{3, 3}); err == nil {
		t.Error("shard 3/3 accepted")
	}
}

func TestShardsPartitionTheInputs(t *testing.T) {
	var keys []string
	for i := range 3000 {
		keys = append(keys, fmt.Sprintf("BB/Healthy/Images/S%05d_%d.png", i/3, i%3))
	}
	var ins []Input
	for _, k := range keys {
		ins = append(ins, Input{Key: k})
	}
	for _, n := range []int{1, 2, 3, 7} {
		seen := make([]int, len(keys))
		for i := range n {
			p, err := NewPlan(ins, Shard{i, n})
			if err != nil {
				t.Fatal(err)
			}
			// Balanced within 10 % of an even share.
			if share := float64(len(p.Mine)) * float64(n) / float64(len(keys)); share < 0.9 || share > 1.1 {
				t.Errorf("shard %d/%d holds %d of %d", i, n, len(p.Mine), len(keys))
			}
			for _, j := range p.Mine {
				seen[j]++
			}
			// Owned outputs are exactly this shard's.
			own := p.Owned()
			if !own[SummaryNames(Shard{i, n})[0]] || len(own) != 3*len(p.Mine)+4 {
				t.Errorf("shard %d/%d owns %d names", i, n, len(own))
			}
		}
		for j, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: %s in %d shards", n, keys[j], c)
			}
		}
	}
	// A key's shard depends on the key alone, not on the other inputs.
	p, _ := NewPlan(ins[:10], Shard{1, 3})
	q, _ := NewPlan(ins, Shard{1, 3})
	for _, i := range p.Mine {
		if !q.Shard.Owns(ins[i].Key) {
			t.Errorf("%s moved shard when inputs were added", ins[i].Key)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"0/3", Shard{0, 3}, true},
		{" 2/3 ", Shard{2, 3}, true},
		{"0/1", Shard{0, 1}, true},
		{"3/3", Shard{}, false},
		{"-1/3", Shard{}, false},
		{"1/0", Shard{}, false},
		{"1", Shard{}, false},
		{"a/b", Shard{}, false},
	} {
		got, err := ParseShard(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseShard(%q) = %v, %v", c.in, got, err)
		}
	}
	if (Shard{}).String() != "0/1" || (Shard{1, 4}).String() != "1/4" {
		t.Error("String")
	}
	if got := SummaryNames(Shard{1, 4}); got[0] != "results.shard-1-of-4.csv" || got[3] != "manifest.shard-1-of-4.json" || !IsManifestName(got[3]) {
		t.Errorf("names %v", got)
	}
}

func TestProgress(t *testing.T) {
	p := Progress{Done: 150, Total: 500, Segmented: 100, Skipped: 50, Failed: 2, Elapsed: 40 * time.Second}
	// 100 segmented in 40 s = 2.5 img/s; 350 left = 140 s.
	if r := p.Rate(); r != 2.5 {
		t.Errorf("rate %v", r)
	}
	if d, ok := p.Left(); !ok || d != 140*time.Second {
		t.Errorf("left %v %v", d, ok)
	}
	line := p.Line()
	for _, want := range []string{"150/500 images (30%)", "2.50 img/s", "2m20s left", "50 already done", "2 failed"} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}
	for _, width := range []int{120, 80, 50, 20} {
		bar := p.Bar(width)
		if n := len([]rune(bar)); n > max(width, 45) {
			t.Errorf("width %d: bar is %d runes: %q", width, n, bar)
		}
		if !strings.HasPrefix(bar, "150/500  30%") {
			t.Errorf("bar %q", bar)
		}
	}
	// 30 % of 40 cells: 12 full cells.
	if got := cells(150, 500, 40); strings.Count(got, "█") != 12 || len([]rune(got)) != 40 {
		t.Errorf("cells %q", got)
	}
	if got := cells(1, 3, 8); len([]rune(got)) != 8 || !strings.HasPrefix(got, "██▋") {
		t.Errorf("cells(1,3,8) %q", got)
	}
	if (Progress{Total: 5}).Line() != "0/5 images (0%), – img/s, time left unknown" {
		t.Errorf("start line %q", (Progress{Total: 5}).Line())
	}
	for d, want := range map[time.Duration]string{3 * time.Second: "3s", 185 * time.Second: "3m05s", 7620 * time.Second: "2h07m"} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
