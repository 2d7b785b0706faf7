// Package calib decides how many centimetres a pixel spans, and says where
// that number came from. Order: the DICOM ultrasound region that holds the
// muscle, then DICOM Pixel Spacing, then what the user gave (cm per pixel,
// or the image depth in cm), else none: areas in pixels only.
package calib

import (
	"fmt"
	"image"
	"math"

	"myoseg/core/imaging/decode"
)

// Source says which calibration was used.
type Source string

const (
	SourceDICOMRegion  Source = "dicom-region"
	SourcePixelSpacing Source = "dicom-pixel-spacing"
	SourceUserCmPerPx  Source = "user-cm-per-px"
	SourceUserDepth    Source = "user-depth"
	SourceNone         Source = "none"
)

// Sources lists every Source, in the order Resolve tries them.
func Sources() []Source {
	return []Source{SourceDICOMRegion, SourcePixelSpacing, SourceUserCmPerPx, SourceUserDepth, SourceNone}
}

// Label is how a person reads the source (the page's table and detail).
func (s Source) Label() string {
	switch s {
	case SourceDICOMRegion:
		return "DICOM region"
	case SourcePixelSpacing:
		return "DICOM pixel spacing"
	case SourceUserCmPerPx:
		return "entered cm/px"
	case SourceUserDepth:
		return "entered depth"
	case SourceNone:
		return "none (px)"
	}
	return string(s)
}

// Calibration is the physical size of one pixel.
type Calibration struct {
	CmPerPxX, CmPerPxY float64 // 0 when Source is SourceNone
	Source             Source
	Region             int // index of the DICOM region used; -1 otherwise
}

// Known reports whether physical units are available.
func (c Calibration) Known() bool { return c.Source != SourceNone && c.CmPerPxX > 0 && c.CmPerPxY > 0 }

// None is the uncalibrated result: pixels only.
func None() Calibration { return Calibration{Source: SourceNone, Region: -1} }

// User is what a person typed; zero means not given.
type User struct {
	CmPerPx float64 // isotropic cm per pixel
	DepthCm float64 // depth of the imaged field, top to bottom, in cm
}

// DICOM region units code for centimetres (PS3.3 C.8.5.5.1.13).
const unitsCm = 3

// Resolve picks the calibration for measurements made inside roi (the mask's
// bounding box, or the ultrasound field). field is the detected ultrasound
// field, used to turn a depth in cm into cm per pixel.
func Resolve(img *decode.Image, roi, field image.Rectangle, user User) (Calibration, error) {
	if img.DICOM != nil {
		if c, ok, err := fromRegions(img.DICOM.Regions, roi); ok || err != nil {
			return c, err
		}
		if ps := img.DICOM.PixelSpacing; ps[0] > 0 && ps[1] > 0 {
			// Pixel Spacing is row spacing (vertical), column spacing (horizontal), in mm.
			return Calibration{CmPerPxX: ps[1] / 10, CmPerPxY: ps[0] / 10, Source: SourcePixelSpacing, Region: -1}, nil
		}
	}
	return FromUser(user, field)
}

// FromUser turns the user's numbers into a calibration (SourceNone when
// neither is given).
func FromUser(user User, field image.Rectangle) (Calibration, error) {
	switch {
	case user.CmPerPx < 0 || math.IsNaN(user.CmPerPx) || math.IsInf(user.CmPerPx, 0):
		return Calibration{}, fmt.Errorf("calib: cm per pixel must be positive, got %g", user.CmPerPx)
	case user.DepthCm < 0 || math.IsNaN(user.DepthCm) || math.IsInf(user.DepthCm, 0):
		return Calibration{}, fmt.Errorf("calib: depth must be positive cm, got %g", user.DepthCm)
	case user.CmPerPx > 0 && user.DepthCm > 0:
		return Calibration{}, fmt.Errorf("calib: give cm per pixel or depth, not both")
	case user.CmPerPx > 0:
		if user.CmPerPx > 1 {
			return Calibration{}, fmt.Errorf("calib: %g cm per pixel is implausible for ultrasound (over 1 cm)", user.CmPerPx)
		}
		return Calibration{CmPerPxX: user.CmPerPx, CmPerPxY: user.CmPerPx, Source: SourceUserCmPerPx, Region: -1}, nil
	case user.DepthCm > 0:
		if field.Dy() <= 0 {
			return Calibration{}, fmt.Errorf("calib: depth given but the ultrasound field is empty")
		}
		// Square pixels: B-mode scan conversion keeps the aspect ratio.
		c := user.DepthCm / float64(field.Dy())
		return Calibration{CmPerPxX: c, CmPerPxY: c, Source: SourceUserDepth, Region: -1}, nil
	}
	return None(), nil
}

// fromRegions uses the tissue region that contains roi. ok is false when no
// region applies (none listed, or none contains roi while none overlaps it).
func fromRegions(regions []decode.USRegion, roi image.Rectangle) (c Calibration, ok bool, err error) {
	var containing, overlapping []int
	for i, r := range regions {
		rect := image.Rect(r.X0, r.Y0, r.X1+1, r.Y1+1)
		if roi.In(rect) {
			containing = append(containing, i)
		} else if roi.Overlaps(rect) {
			overlapping = append(overlapping, i)
		}
	}
	switch {
	case len(containing) == 0 && len(overlapping) == 0:
		return Calibration{}, false, nil
	case len(containing) == 0:
		return Calibration{}, false, fmt.Errorf("calib: the muscle %v spans %d ultrasound regions and lies in none of them whole; refusing to measure across regions", roi, len(overlapping))
	}
	// Nested regions (e.g. a 2D tissue region inside a larger one) are
	// acceptable only if they agree on the pixel size.
	first := regions[containing[0]]
	for _, i := range containing {
		r := regions[i]
		if r.UnitsX != unitsCm || r.UnitsY != unitsCm {
			return Calibration{}, false, fmt.Errorf("calib: ultrasound region %d has physical units %d×%d, not cm (3); refusing to measure", i, r.UnitsX, r.UnitsY)
		}
		if !(r.DeltaX > 0 && r.DeltaY > 0) {
			return Calibration{}, false, fmt.Errorf("calib: ultrasound region %d has no positive physical delta (%g, %g)", i, r.DeltaX, r.DeltaY)
		}
		if math.Abs(r.DeltaX-first.DeltaX) > 1e-9 || math.Abs(r.DeltaY-first.DeltaY) > 1e-9 {
			return Calibration{}, false, fmt.Errorf("calib: ultrasound regions %d and %d both hold the muscle but disagree on pixel size", containing[0], i)
		}
	}
	return Calibration{CmPerPxX: first.DeltaX, CmPerPxY: first.DeltaY, Source: SourceDICOMRegion, Region: containing[0]}, true, nil
}
