package session

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"image"
	"image/png"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/hack-pad/hackpadfs"
	"github.com/hack-pad/hackpadfs/mem"

	"myoseg/core/clinical/zscore"
	"myoseg/core/study/dataset"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	fsys, err := mem.NewFS()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// grey returns a w×h image whose pixel (x, y) is (x + 3y + seed) mod 256.
func grey(w, h, seed int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g.Pix[y*g.Stride+x] = uint8((x + 3*y + seed) % 256)
		}
	}
	return g
}

// rectMask is 255 inside r, 0 elsewhere.
func rectMask(w, h int, r image.Rectangle) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.Pix[y*m.Stride+x] = 255
		}
	}
	return m
}

func TestSaveLoad(t *testing.T) {
	s := newStore(t)
	g := grey(40, 30, 7)
	model := rectMask(40, 30, image.Rect(5, 5, 20, 15))
	fixed := rectMask(40, 30, image.Rect(5, 5, 30, 25))
	it := Item{ID: "a-1", Name: "x.png", Order: 2, Status: "done", Options: Options{Muscle: "biceps_brachii"},
		Field: [4]int{1, 2, 39, 29}, Record: []byte(`{"csa":1.5}`)}
	if err := s.Save(it, g, model, model); err != nil {
		t.Fatal(err)
	}
	bad := Item{ID: "b-2", Name: "broken.tif", Order: 1, Status: "error", Error: "decode: broken.tif: corrupt"}
	if err := s.Save(bad, nil, nil, nil); err != nil {
		t.Fatal(err)
	}

	items, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].ID != "b-2" || items[1].ID != "a-1" {
		t.Fatalf("List = %+v, want b-2 then a-1 (by Order)", items)
	}
	if items[1].Field != it.Field || string(items[1].Record) != `{"csa":1.5}` {
		t.Errorf("item round trip: got %+v", items[1])
	}

	tests := []struct {
		name      string
		corrected bool
		mask      *image.Gray
		wantMask  *image.Gray
	}{
		{"model mask", false, model, model},
		{"corrected", true, fixed, fixed},
		{"reset to model", false, nil, model}, // mask.png must be gone
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it.Corrected = tc.corrected
			if err := s.Save(it, nil, nil, tc.mask); err != nil {
				t.Fatal(err)
			}
			sv, err := s.Load("a-1")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sv.Gray.Pix, g.Pix) {
				t.Error("grey plane changed in storage")
			}
			if !bytes.Equal(sv.ModelMask.Pix, model.Pix) {
				t.Error("model mask changed in storage")
			}
			if !bytes.Equal(sv.Mask.Pix, tc.wantMask.Pix) {
				t.Errorf("current mask: %d px set, want %d", count(sv.Mask), count(tc.wantMask))
			}
			if sv.Corrected != tc.corrected {
				t.Errorf("Corrected = %v", sv.Corrected)
			}
		})
	}

	if sv, err := s.Load("b-2"); err != nil || sv.Gray != nil || sv.Error == "" {
		t.Errorf("error item: %+v, %v", sv, err)
	}
	if err := s.Remove("a-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("a-1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load after Remove: %v, want ErrNotExist", err)
	}
	if err := s.Clear(); err != nil {
		t.Fatal(err)
	}
	if items, _ := s.List(); len(items) != 0 {
		t.Errorf("List after Clear: %d items", len(items))
	}
}

func count(m *image.Gray) int {
	n := 0
	for _, v := range m.Pix {
		if v != 0 {
			n++
		}
	}
	return n
}

func TestBadIDs(t *testing.T) {
	s := newStore(t)
	for _, id := range []string{"", "../x", "a/b", "a b", ".", string(make([]byte, 65))} {
		if err := s.Save(Item{ID: id, Status: "error"}, nil, nil, nil); err == nil {
			t.Errorf("Save(id %q) succeeded", id)
		}
		if _, err := s.Load(id); err == nil {
			t.Errorf("Load(id %q) succeeded", id)
		}
	}
}

func TestListSkipsIncomplete(t *testing.T) {
	s := newStore(t)
	// A save interrupted before item.json: the folder exists, the item not.
	if err := hackpadfs.MkdirAll(s.fs, "session/half", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(Item{ID: "whole", Status: "error", Error: "x"}, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	items, err := s.List()
	if err != nil || len(items) != 1 || items[0].ID != "whole" {
		t.Fatalf("List = %+v, %v; want only 'whole'", items, err)
	}
}

func TestModel(t *testing.T) {
	s := newStore(t)
	if _, _, err := s.Model(""); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Model on empty store: %v", err)
	}
	if err := s.SaveModel("m-v1", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveModel("m-v2", []byte("two")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Model("m-v1"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("old model still stored: %v", err)
	}
	for _, name := range []string{"m-v2", ""} {
		got, data, err := s.Model(name)
		if err != nil || got != "m-v2" || string(data) != "two" {
			t.Errorf("Model(%q) = %q, %q, %v", name, got, data, err)
		}
	}
	if err := s.SaveModel("../evil", []byte("x")); err == nil {
		t.Error("SaveModel accepted a path")
	}
	// Patients survive a model change and are cleared with the session.
	ps := []Patient{{ID: "P1", AgeYears: 40, Sex: "F", HeightCm: 170, WeightKg: 60, Group: "Healthy"}}
	if err := s.SavePatients(ps); err != nil {
		t.Fatal(err)
	}
	got, err := s.Patients()
	if err != nil || len(got) != 1 || got[0] != ps[0] {
		t.Errorf("Patients = %+v, %v", got, err)
	}
	if err := s.Clear(); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Patients(); len(got) != 0 {
		t.Errorf("patients after Clear: %+v", got)
	}
	if _, _, err := s.Model(""); err != nil {
		t.Errorf("Clear removed the model: %v", err)
	}
}

func TestWriteZip(t *testing.T) {
	s := newStore(t)
	if err := s.SavePatients([]Patient{
		{ID: "P1", AgeYears: 40, Sex: "F", HeightCm: 170, WeightKg: 60, Group: "Pathological"},
		{ID: "P_2", AgeYears: 8, Sex: "M", HeightCm: 130, WeightKg: 25},
	}); err != nil {
		t.Fatal(err)
	}
	model := rectMask(20, 10, image.Rect(2, 2, 8, 8))
	fixed := rectMask(20, 10, image.Rect(2, 2, 18, 9))
	items := []struct {
		it   Item
		mask *image.Gray
	}{
		{Item{ID: "i1", Name: "a.png", Order: 1, Status: "done", Options: Options{Muscle: "biceps_brachii", PatientID: "P1"}}, model},
		{Item{ID: "i2", Name: "b.png", Order: 2, Status: "done", Corrected: true, Options: Options{Muscle: "biceps_brachii", PatientID: "P1"}}, fixed},
		{Item{ID: "i3", Name: "c.png", Order: 3, Status: "done", Options: Options{Muscle: "tibialis_anterior", PatientID: "P_2", Accepted: true}}, model},
		{Item{ID: "i4", Name: "d.png", Order: 4, Status: "done", Options: Options{Muscle: "gastrocnemius_medialis"}}, model},
		{Item{ID: "i5", Name: "e.png", Order: 5, Status: "done"}, model}, // no muscle
		{Item{ID: "i6", Name: "f.tif", Order: 6, Status: "error", Options: Options{Muscle: "biceps_brachii"}}, nil},
	}
	for i, x := range items {
		var g *image.Gray
		if x.it.Status == "done" {
			g = grey(20, 10, i)
		}
		if err := s.Save(x.it, g, x.mask, x.mask); err != nil {
			t.Fatal(err)
		}
	}
	// No default group: P_2 and the image without a patient are asked about.
	var ng *NeedGroups
	if _, err := s.WriteZip(io.Discard, ZipOptions{All: true}); !errors.As(err, &ng) || strings.Join(ng.Patients, ",") != "P_2," {
		t.Fatalf("err = %v, want the group asked for P_2 and the images without a patient", err)
	}
	// By default only reviewed masks go in: b.png (corrected) and c.png (accepted).
	var buf bytes.Buffer
	sum, err := s.WriteZip(&buf, ZipOptions{Groups: map[string]string{"P_2": "Healthy"}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Images != 2 || sum.Corrected != 1 || sum.Accepted != 1 || sum.LeftOut != 2 || len(sum.Skipped) != 1 {
		t.Errorf("reviewed only: summary = %+v, want 2 images (1 corrected, 1 accepted), 2 left out, e.png skipped", sum)
	}
	buf.Reset()
	sum, err = s.WriteZip(&buf, ZipOptions{All: true, Groups: map[string]string{"P_2": "Healthy", "": "Healthy"}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Images != 4 || sum.Unreviewed != 2 || sum.LeftOut != 0 || len(sum.Skipped) != 1 {
		t.Errorf("summary = %+v, want 4 images (2 unreviewed) and e.png skipped", sum)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	wantMasks := map[string]int{
		"BB/Pathological/Masks/P1_1.png": count(model),
		"BB/Pathological/Masks/P1_2.png": count(fixed), // the corrected mask, not the model's
		"TA/Healthy/Masks/P-2_1.png":     count(model), // the group answered; '_' cannot be in an ID
		"GM/Healthy/Masks/noid-4_1.png":  count(model),
	}
	for name, want := range wantMasks {
		m := readPNG(t, zr, name)
		if got := count(m); got != want {
			t.Errorf("%s: %d mask pixels, want %d", name, got, want)
		}
	}
	if img := readPNG(t, zr, "BB/Pathological/Images/P1_1.png"); !bytes.Equal(img.Pix, grey(20, 10, 0).Pix) {
		t.Error("exported image differs from the stored grey plane")
	}

	// The archive is readable by the project's own dataset reader.
	ds, err := dataset.Read(zr, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Items) != 4 {
		t.Fatalf("dataset.Read found %d items, want 4: %+v", len(ds.Items), ds.Warnings)
	}
	for _, it := range ds.Items {
		switch it.SubjectID {
		case "P1":
			if it.Patient == nil || it.Patient.AgeYears != 40 || it.Patient.Sex != "F" || it.MuscleName != zscore.BicepsBrachii {
				t.Errorf("P1 read back as %+v / %+v", it, it.Patient)
			}
		case "P-2":
			if it.Patient == nil || it.Patient.HeightCm != 130 || it.Group != dataset.Healthy {
				t.Errorf("P-2 read back as %+v / %+v", it, it.Patient)
			}
		}
		if it.MaskPath == "" {
			t.Errorf("%s has no mask", it.Key())
		}
	}

	f, err := zr.Open("myoseg-export.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[2][2] != "b.png" || rows[2][4] != "true" {
		t.Errorf("manifest rows = %v", rows)
	}

	if _, err := s.WriteZip(io.Discard, ZipOptions{Groups: map[string]string{"": "Sick"}}); err == nil {
		t.Error("WriteZip accepted group Sick")
	}
}

func readPNG(t *testing.T, zr *zip.Reader, name string) *image.Gray {
	t.Helper()
	f, err := zr.Open(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("%s: %T, want grey", name, img)
	}
	return g
}

// TestSafeNameIsTheRegexp: safeName answers as the regexps it replaced
// (^[A-Za-z0-9_-]{1,64}$ and ^[A-Za-z0-9._-]{1,100}$) on every short
// string over a small alphabet and on edge lengths.
func TestSafeNameIsTheRegexp(t *testing.T) {
	id := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	name := regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	alphabet := []string{"a", "Z", "0", "_", "-", ".", " ", "/", "é", "\n", "\x00"}
	var cases []string
	var grow func(s string, n int)
	grow = func(s string, n int) {
		cases = append(cases, s)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			grow(s+c, n-1)
		}
	}
	grow("", 3)
	for _, n := range []int{63, 64, 65, 99, 100, 101} {
		cases = append(cases, strings.Repeat("a", n), strings.Repeat("a", n-1)+".")
	}
	for _, s := range cases {
		if got, want := safeName(s, 64, false), id.MatchString(s); got != want {
			t.Errorf("safeName(%q, 64, false) = %v, regexp %v", s, got, want)
		}
		if got, want := safeName(s, 100, true), name.MatchString(s); got != want {
			t.Errorf("safeName(%q, 100, true) = %v, regexp %v", s, got, want)
		}
	}
}
