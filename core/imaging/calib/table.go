package calib

import (
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"io"
	"strconv"
	"strings"

	"myoseg/core/imaging/field"
)

// TableHeader is the calibration table's header: one row per image, cm per
// pixel across and down (the layout of shared/data/real/*/spacing.csv). The
// CLI's --spacing-csv and the page's calibration import both read it here.
var TableHeader = []string{"file", "cm_per_pixel_x", "cm_per_pixel_y"}

// RowError is one bad row of a calibration table.
type RowError struct {
	Line int    // 1-based line in the file
	File string // the row's file name, when it has one
	Msg  string
}

func (e RowError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("line %d (%s): %s", e.Line, e.File, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// TableError lists every bad row, so a person fixes the file once.
type TableError struct{ Rows []RowError }

func (e *TableError) Error() string {
	msgs := make([]string, len(e.Rows))
	for i, r := range e.Rows {
		msgs[i] = r.Error()
	}
	return fmt.Sprintf("calibration table: %d bad row(s): %s", len(e.Rows), strings.Join(msgs, "; "))
}

// ReadTable reads a calibration table into cm per pixel keyed by file base
// name (any folder part is dropped, '/' or '\'). The header row is optional;
// cm_per_pixel_y may be empty (square pixels), otherwise it must equal x,
// since anisotropic pixels cannot be given by hand. known, when not nil, says
// which names the caller has: a row naming another file is an error. Every
// bad row is reported (a *TableError) and then nothing is returned, so a
// caller never applies half a file.
func ReadTable(r io.Reader, known func(name string) bool) (map[string]User, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	out := map[string]User{}
	firstLine := map[string]int{}
	var bad []RowError
	for line := 1; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("calibration table line %d: %w", line, err)
		}
		if line == 1 && len(row) > 0 && strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(row[0], "\ufeff")), TableHeader[0]) {
			continue
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue // blank line
		}
		u, name, msg := tableRow(row)
		switch {
		case msg != "":
		case known != nil && !known(name):
			msg = "no such image loaded"
		case firstLine[name] != 0:
			msg = fmt.Sprintf("duplicate of line %d", firstLine[name])
		}
		if msg != "" {
			bad = append(bad, RowError{Line: line, File: name, Msg: msg})
			continue
		}
		firstLine[name] = line
		out[name] = u
	}
	if len(bad) > 0 {
		return nil, &TableError{Rows: bad}
	}
	if len(out) == 0 {
		return nil, errors.New("calibration table: no rows (want file,cm_per_pixel_x,cm_per_pixel_y)")
	}
	return out, nil
}

// tableRow parses one row; msg says what is wrong with it.
func tableRow(row []string) (u User, name, msg string) {
	if len(row) < 2 {
		return User{}, "", "want file,cm_per_pixel_x[,cm_per_pixel_y]"
	}
	name = BaseName(row[0])
	if name == "" {
		return User{}, "", "empty file name"
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(row[1]), 64)
	if err != nil {
		return User{}, name, fmt.Sprintf("cm_per_pixel_x %q is not a number", row[1])
	}
	if len(row) > 2 && strings.TrimSpace(row[2]) != "" {
		y, err := strconv.ParseFloat(strings.TrimSpace(row[2]), 64)
		if err != nil {
			return User{}, name, fmt.Sprintf("cm_per_pixel_y %q is not a number", row[2])
		}
		if y != x {
			return User{}, name, fmt.Sprintf("anisotropic pixels (%g × %g cm) cannot be given by hand", x, y)
		}
	}
	u = User{CmPerPx: x}
	if _, err := FromUser(u, image.Rectangle{}); err != nil || x == 0 {
		if err == nil {
			err = errors.New("calib: cm per pixel must be positive, got 0")
		}
		return User{}, name, strings.TrimPrefix(err.Error(), "calib: ")
	}
	return u, name, ""
}

// BaseName is the key a calibration table row applies to: the name without
// any folder, whichever separator the file was written with.
func BaseName(p string) string {
	p = strings.TrimSpace(p)
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		p = p[i+1:]
	}
	return p
}

// FromDepth turns the depth a person read off the screen into cm per pixel,
// refusing (with the reason) a field whose rectangle height is not the
// imaged depth: a panoramic band or a curved/sector image (field.ShapeOf).
// The result carries the cm per pixel it implies, for display.
func FromDepth(depthCm float64, res field.Result, mask *image.Gray) (Calibration, error) {
	if err := DepthAllowed(field.ShapeOf(res, mask).Reason); err != nil {
		return Calibration{}, err
	}
	return FromUser(User{DepthCm: depthCm}, res.Rect)
}

// DepthAllowed turns field.Shape's reason (empty for a linear frame) into
// the refusal of a depth calibration.
func DepthAllowed(reason string) error {
	if reason == "" {
		return nil
	}
	return fmt.Errorf("calib: depth calibration refused: %s; give cm per pixel instead", reason)
}
