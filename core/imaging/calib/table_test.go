package calib

import (
	"errors"
	"image"
	"math"
	"strings"
	"testing"

	"myoseg/core/imaging/field"
)

func TestReadTable(t *testing.T) {
	in := "\ufefffile,cm_per_pixel_x,cm_per_pixel_y\nSUB01_img1.tif,0.0115262688663478,0.0115262688663478\r\ndir/a.png,0.02,\nC:\\scans\\b.png,0.03\n\n"
	got, err := ReadTable(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"SUB01_img1.tif": 0.0115262688663478, "a.png": 0.02, "b.png": 0.03}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k].CmPerPx != v || got[k].DepthCm != 0 {
			t.Errorf("%s: %+v, want cm/px %g", k, got[k], v)
		}
	}
}

// Every bad row is named, and nothing comes back.
func TestReadTableBadRows(t *testing.T) {
	in := "file,cm_per_pixel_x,cm_per_pixel_y\n" +
		"a.png,0.02,0.02\n" + // line 2: fine
		"ghost.png,0.02,0.02\n" + // 3: unknown
		"b.png,abc,\n" + // 4: text
		"a.png,0.02,0.02\n" + // 5: duplicate of 2
		"c.png,0.02,0.03\n" + // 6: anisotropic
		"d.png,-1\n" + // 7: negative
		"e.png\n" // 8: short
	known := func(n string) bool { return n != "ghost.png" }
	got, err := ReadTable(strings.NewReader(in), known)
	if got != nil {
		t.Errorf("got %v with errors, want nothing", got)
	}
	var te *TableError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TableError", err)
	}
	wantLines := []int{3, 4, 5, 6, 7, 8}
	wantMsg := []string{"no such image", `"abc" is not a number`, "duplicate of line 2", "anisotropic", "positive", "want file"}
	if len(te.Rows) != len(wantLines) {
		t.Fatalf("rows %+v, want lines %v", te.Rows, wantLines)
	}
	for i, r := range te.Rows {
		if r.Line != wantLines[i] || !strings.Contains(r.Msg, wantMsg[i]) {
			t.Errorf("row %d: %+v, want line %d with %q", i, r, wantLines[i], wantMsg[i])
		}
	}
	if _, err := ReadTable(strings.NewReader("file,cm_per_pixel_x\n"), nil); err == nil {
		t.Error("header only: want an error")
	}
	if _, err := ReadTable(strings.NewReader("a.png,0.02,0\n"), nil); err == nil {
		t.Error("zero y: want an error")
	}
}

func TestFromDepth(t *testing.T) {
	full := image.NewGray(image.Rect(0, 0, 200, 420))
	for i := range full.Pix {
		full.Pix[i] = 255
	}
	c, err := FromDepth(6, field.Result{Rect: image.Rect(0, 20, 200, 420), Found: true}, full)
	if err != nil || math.Abs(c.CmPerPxY-0.015) > 1e-12 || c.Source != SourceUserDepth {
		t.Errorf("linear: %+v, %v; want 0.015 cm/px from depth", c, err)
	}
	// A panoramic band (half the rectangle empty) is refused with the reason.
	half := image.NewGray(full.Rect)
	copy(half.Pix[:len(half.Pix)/2], full.Pix)
	_, err = FromDepth(6, field.Result{Rect: full.Rect, Found: true}, half)
	if err == nil || !strings.Contains(err.Error(), "fills 50 %") {
		t.Errorf("band: err = %v, want refusal naming the 50 %% fill", err)
	}
}
