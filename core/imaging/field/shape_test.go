package field

import (
	"image"
	"path/filepath"
	"strings"
	"testing"
)

func TestShapeOfSynthetic(t *testing.T) {
	full := image.NewGray(image.Rect(0, 0, 100, 80))
	for i := range full.Pix {
		full.Pix[i] = 255
	}
	res := Result{Rect: image.Rect(10, 10, 90, 70), Found: true}
	if s := ShapeOf(res, full); !s.Linear || s.Fill != 1 {
		t.Errorf("full rectangle: %+v, want linear, fill 1", s)
	}
	// A band: the upper-left and lower-right thirds of the rectangle empty.
	band := image.NewGray(full.Rect)
	for y := 10; y < 70; y++ {
		for x := 10; x < 90; x++ {
			if x-10 >= (y-10)/2 && x-10 < 40+(y-10) {
				band.SetGray(x, y, full.GrayAt(x, y))
			}
		}
	}
	s := ShapeOf(res, band)
	if s.Linear || s.Fill > 0.9 || !strings.Contains(s.Reason, "bounding box") {
		t.Errorf("band: %+v, want refused on fill", s)
	}
	wide := Result{Rect: image.Rect(0, 0, 100, 30), Found: true}
	if s := ShapeOf(wide, full); s.Linear || !strings.Contains(s.Reason, "wider") {
		t.Errorf("wide: %+v, want refused as panoramic", s)
	}
	if s := ShapeOf(Result{Rect: full.Rect}, nil); !s.Linear {
		t.Errorf("not found: %+v, want linear (whole image)", s)
	}
	if s := ShapeOf(Result{}, nil); s.Linear {
		t.Errorf("empty: %+v, want refused", s)
	}
}

// Every real capture in shared/data/real is panoramic: none may pass as a
// linear frame.
func TestShapeOfRealPanoramic(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(realDir, "*", "*.tif"))
	if len(files) == 0 {
		t.Skip("real images not available")
	}
	for _, f := range files {
		res, mask := FindMask(loadGray(t, f))
		if s := ShapeOf(res, mask); s.Linear || s.Fill > 0.8 {
			t.Errorf("%s: %+v, want not linear (fill ≤ 0.8)", filepath.Base(f), s)
		}
	}
}
