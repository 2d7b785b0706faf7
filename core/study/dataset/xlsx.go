package dataset

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// An .xlsx file is a zip of XML parts (ECMA-376). ReadXLSX reads just what a
// characteristics table needs — the first worksheet's cell values, with
// shared and inline strings — using the standard library, so the wasm build
// carries no spreadsheet dependency. Formulas give their cached value; dates
// stay serial numbers; styles are ignored.

// Limits that keep a hostile file from exhausting memory.
const (
	maxXLSXPart = 64 << 20 // bytes of one uncompressed XML part
	maxXLSXCols = 1024     // columns a characteristics table could plausibly use
	maxXLSXRows = 1 << 20  // Excel's own row limit
)

// ReadXLSX returns the first worksheet's rows; a missing cell is "".
func ReadXLSX(data []byte) ([][]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("xlsx: open zip: %w", err)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[strings.TrimPrefix(f.Name, "/")] = f
	}
	sheet, err := firstSheet(files)
	if err != nil {
		return nil, err
	}
	var shared []string
	if f, ok := files["xl/sharedStrings.xml"]; ok {
		if shared, err = readSharedStrings(f); err != nil {
			return nil, err
		}
	}
	f, ok := files[sheet]
	if !ok {
		return nil, fmt.Errorf("xlsx: worksheet %s missing from the zip", sheet)
	}
	return readSheet(f, shared)
}

func openPart(f *zip.File) (io.ReadCloser, error) {
	if f.UncompressedSize64 > maxXLSXPart {
		return nil, fmt.Errorf("xlsx: %s is %d bytes uncompressed (limit %d)", f.Name, f.UncompressedSize64, maxXLSXPart)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("xlsx: open %s: %w", f.Name, err)
	}
	// The header's size can lie; cap what is actually read too.
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, maxXLSXPart), rc}, nil
}

func decodePart(f *zip.File, v any) error {
	rc, err := openPart(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("xlsx: parse %s: %w", f.Name, err)
	}
	return nil
}

// firstSheet resolves the workbook's first sheet to its part name through
// the workbook relationships; without them it falls back to sheet1.xml.
func firstSheet(files map[string]*zip.File) (string, error) {
	const fallback = "xl/worksheets/sheet1.xml"
	wbf, ok := files["xl/workbook.xml"]
	if !ok {
		if _, ok := files[fallback]; ok {
			return fallback, nil
		}
		return "", errors.New("xlsx: no xl/workbook.xml: not a spreadsheet")
	}
	var wb struct {
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodePart(wbf, &wb); err != nil {
		return "", err
	}
	if len(wb.Sheets) == 0 {
		return "", errors.New("xlsx: workbook has no sheets")
	}
	var rid string
	for _, a := range wb.Sheets[0].Attrs {
		// r:id, in the transitional or the strict relationships namespace.
		if a.Name.Local == "id" && a.Name.Space != "" {
			rid = a.Value
		}
	}
	relf, ok := files["xl/_rels/workbook.xml.rels"]
	if rid == "" || !ok {
		return fallback, nil
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(relf, &rels); err != nil {
		return "", err
	}
	for _, r := range rels.Rel {
		if r.ID != rid {
			continue
		}
		if strings.HasPrefix(r.Target, "/") {
			return path.Clean(strings.TrimPrefix(r.Target, "/")), nil
		}
		return path.Clean(path.Join("xl", r.Target)), nil
	}
	return fallback, nil
}

// richText is a string item: plain <t> or rich-text runs <r><t>; phonetic
// runs (<rPh>) are not part of the value.
type richText struct {
	T    string `xml:"t"`
	Runs []struct {
		T string `xml:"t"`
	} `xml:"r"`
}

func (s richText) String() string {
	if len(s.Runs) == 0 {
		return s.T
	}
	var b strings.Builder
	b.WriteString(s.T)
	for _, r := range s.Runs {
		b.WriteString(r.T)
	}
	return b.String()
}

func readSharedStrings(f *zip.File) ([]string, error) {
	rc, err := openPart(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	var out []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("xlsx: parse %s: %w", f.Name, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "si" {
			continue
		}
		var si richText
		if err := dec.DecodeElement(&si, &se); err != nil {
			return nil, fmt.Errorf("xlsx: parse %s: %w", f.Name, err)
		}
		out = append(out, si.String())
	}
}

type xlsxCell struct {
	Ref    string   `xml:"r,attr"`
	Type   string   `xml:"t,attr"`
	Value  string   `xml:"v"`
	Inline richText `xml:"is"`
}

type xlsxRow struct {
	Num   int        `xml:"r,attr"`
	Cells []xlsxCell `xml:"c"`
}

// cellColumn turns "BC12" into column index 54; -1 when malformed.
func cellColumn(ref string) int {
	col := 0
	n := 0
	for _, r := range ref {
		if r >= 'A' && r <= 'Z' {
			col = col*26 + int(r-'A'+1)
			n++
			if n > 3 {
				return -1
			}
			continue
		}
		break
	}
	if n == 0 {
		return -1
	}
	return col - 1
}

func readSheet(f *zip.File, shared []string) ([][]string, error) {
	rc, err := openPart(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	var rows [][]string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("xlsx: parse %s: %w", f.Name, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "row" {
			continue
		}
		var xr xlsxRow
		if err := dec.DecodeElement(&xr, &se); err != nil {
			return nil, fmt.Errorf("xlsx: parse %s: %w", f.Name, err)
		}
		idx := len(rows) // rows without r="" follow one another
		if xr.Num > 0 {
			idx = xr.Num - 1
		}
		if idx >= maxXLSXRows || idx < len(rows) {
			return nil, fmt.Errorf("xlsx: %s: row number %d out of order or beyond %d", f.Name, idx+1, maxXLSXRows)
		}
		var row []string
		next := 0
		for _, c := range xr.Cells {
			col := next
			if c.Ref != "" {
				col = cellColumn(c.Ref)
			}
			if col < 0 || col >= maxXLSXCols {
				return nil, fmt.Errorf("xlsx: %s: cell %q beyond column %d", f.Name, c.Ref, maxXLSXCols)
			}
			next = col + 1
			v, err := cellValue(c, shared)
			if err != nil {
				return nil, fmt.Errorf("xlsx: %s: cell %s: %w", f.Name, c.Ref, err)
			}
			if v == "" {
				continue // styled but empty cells need no room
			}
			for len(row) <= col {
				row = append(row, "")
			}
			row[col] = v
		}
		for len(rows) < idx {
			rows = append(rows, nil) // empty rows Excel left out
		}
		rows = append(rows, row)
	}
}

func cellValue(c xlsxCell, shared []string) (string, error) {
	switch c.Type {
	case "s":
		if strings.TrimSpace(c.Value) == "" {
			return "", nil
		}
		i, err := strconv.Atoi(strings.TrimSpace(c.Value))
		if err != nil || i < 0 || i >= len(shared) {
			return "", fmt.Errorf("shared string index %q out of range (%d strings)", c.Value, len(shared))
		}
		return shared[i], nil
	case "inlineStr":
		return c.Inline.String(), nil
	case "b":
		if strings.TrimSpace(c.Value) == "1" {
			return "TRUE", nil
		}
		return "FALSE", nil
	case "e":
		return "", nil // #N/A and friends: treat as missing
	}
	return strings.TrimSpace(c.Value), nil // "n", "str", "d" or none
}
