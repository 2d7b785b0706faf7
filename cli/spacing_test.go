package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --spacing-csv reads through calib.ReadTable: every bad row is named and
// nothing is returned.
func TestReadSpacingCSVRows(t *testing.T) {
	p := filepath.Join(t.TempDir(), "spacing.csv")
	os.WriteFile(p, []byte("file,cm_per_pixel_x,cm_per_pixel_y\na.tif,0.01,0.01\nb.tif,x,\na.tif,0.02,0.02\n"), 0o644)
	got, err := readSpacingCSV(p)
	if got != nil || err == nil || !strings.Contains(err.Error(), `line 3 (b.tif): cm_per_pixel_x "x" is not a number`) || !strings.Contains(err.Error(), "line 4 (a.tif): duplicate of line 2") {
		t.Errorf("got %v, err %v", got, err)
	}
	os.WriteFile(p, []byte("dir/a.tif,0.0115,0.0115\n"), 0o644)
	if got, err := readSpacingCSV(p); err != nil || got["a.tif"].CmPerPx != 0.0115 {
		t.Errorf("good table: %v, %v", got, err)
	}
}
