package field

import (
	"os"
	"path/filepath"
	"testing"
)

func TestProbe16(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("/work/shared/data/real", "*", "*.tif"))
	for _, f := range files {
		g := loadGray(t, f)
		r, m := FindMask(g)
		n := 0
		for y := r.Rect.Min.Y; y < r.Rect.Max.Y; y++ {
			for x := r.Rect.Min.X; x < r.Rect.Max.X; x++ {
				if m.GrayAt(x, y).Y != 0 {
					n++
				}
			}
		}
		// per-column height extents
		t.Logf("%s %v found=%v fill=%.3f aspect=%.2f", filepath.Base(f), r.Rect, r.Found, float64(n)/float64(r.Rect.Dx()*r.Rect.Dy()), float64(r.Rect.Dx())/float64(r.Rect.Dy()))
	}
	_ = os.Stdout
}
