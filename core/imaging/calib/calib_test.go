package calib

import (
	"image"
	"math"
	"testing"

	"myoseg/core/imaging/decode"
)

func region(x0, y0, x1, y1 int, units int, d float64) decode.USRegion {
	return decode.USRegion{X0: x0, Y0: y0, X1: x1, Y1: y1, SpatialFormat: 1, DataType: 1, UnitsX: units, UnitsY: units, DeltaX: d, DeltaY: d}
}

func TestResolve(t *testing.T) {
	field := image.Rect(100, 50, 612, 530) // 480 px tall
	roi := image.Rect(200, 100, 400, 300)
	dicom := func(ps [2]float64, regions ...decode.USRegion) *decode.Image {
		return &decode.Image{Format: "dicom", DICOM: &decode.DICOMInfo{Regions: regions, PixelSpacing: ps}}
	}
	png := &decode.Image{Format: "png"}
	tests := []struct {
		name    string
		img     *decode.Image
		user    User
		want    Calibration
		wantErr bool
	}{
		{"region holds muscle", dicom([2]float64{0.2, 0.2}, region(0, 0, 99, 99, 3, 0.5), region(100, 50, 611, 529, 3, 0.01)), User{},
			Calibration{0.01, 0.01, SourceDICOMRegion, 1}, false},
		{"region wins over user", dicom([2]float64{}, region(100, 50, 611, 529, 3, 0.01)), User{CmPerPx: 0.05},
			Calibration{0.01, 0.01, SourceDICOMRegion, 0}, false},
		{"region in mm refused", dicom([2]float64{}, region(100, 50, 611, 529, 2, 0.1)), User{}, Calibration{}, true},
		{"muscle across two regions", dicom([2]float64{}, region(0, 0, 299, 600, 3, 0.01), region(300, 0, 700, 600, 3, 0.01)), User{}, Calibration{}, true},
		{"nested disagreeing", dicom([2]float64{}, region(0, 0, 700, 600, 3, 0.01), region(150, 80, 500, 400, 3, 0.02)), User{}, Calibration{}, true},
		{"no region: pixel spacing mm", dicom([2]float64{0.12, 0.1}), User{},
			Calibration{0.01, 0.012, SourcePixelSpacing, -1}, false},
		{"region elsewhere: pixel spacing", dicom([2]float64{0.1, 0.1}, region(0, 0, 50, 40, 3, 0.3)), User{},
			Calibration{0.01, 0.01, SourcePixelSpacing, -1}, false},
		{"user cm/px", png, User{CmPerPx: 0.0115}, Calibration{0.0115, 0.0115, SourceUserCmPerPx, -1}, false},
		{"user depth", png, User{DepthCm: 4.8}, Calibration{0.01, 0.01, SourceUserDepth, -1}, false},
		{"both user values", png, User{CmPerPx: 0.01, DepthCm: 4}, Calibration{}, true},
		{"negative", png, User{CmPerPx: -1}, Calibration{}, true},
		{"implausible", png, User{CmPerPx: 3}, Calibration{}, true},
		{"nothing", png, User{}, Calibration{Source: SourceNone, Region: -1}, false},
	}
	for _, tc := range tests {
		got, err := Resolve(tc.img, roi, field, tc.user)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err %v, wantErr %v", tc.name, err, tc.wantErr)
			continue
		}
		if tc.wantErr {
			continue
		}
		if got.Source != tc.want.Source || got.Region != tc.want.Region ||
			math.Abs(got.CmPerPxX-tc.want.CmPerPxX) > 1e-12 || math.Abs(got.CmPerPxY-tc.want.CmPerPxY) > 1e-12 {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
		if got.Known() != (tc.want.Source != SourceNone) {
			t.Errorf("%s: Known() = %v", tc.name, got.Known())
		}
	}
}

// Every source Resolve can return is listed, once, with its own label.
func TestSourcesLabels(t *testing.T) {
	want := map[Source]string{
		SourceDICOMRegion: "DICOM region", SourcePixelSpacing: "DICOM pixel spacing",
		SourceUserCmPerPx: "entered cm/px", SourceUserDepth: "entered depth", SourceNone: "none (px)",
	}
	got := Sources()
	if len(got) != len(want) {
		t.Fatalf("Sources() = %v, want %d sources", got, len(want))
	}
	for _, s := range got {
		if s.Label() != want[s] {
			t.Errorf("%q.Label() = %q, want %q", s, s.Label(), want[s])
		}
		delete(want, s)
	}
	if len(want) != 0 {
		t.Errorf("Sources() misses %v", want)
	}
	if l := Source("other").Label(); l != "other" {
		t.Errorf("unknown source label = %q, want the key itself", l)
	}
}
