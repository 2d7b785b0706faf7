package dataset

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"

	"myoseg/core/clinical/zscore"
)

// Characteristics is a group's table of subjects: ID, age, sex, height,
// weight, in any column order, found by header name (case-insensitive,
// English or Dutch: ID/subject/patient; age/leeftijd; sex/gender/geslacht;
// height/length/lengte; weight/mass/gewicht). Units: age in years, height in
// cm (values below 3 are taken as metres and converted), weight in kg.
type Characteristics struct {
	File     string
	Columns  map[string]string // field ("id", "age", "sex", "height", "weight") → header as written
	Warnings []string          // rows skipped, duplicate IDs, missing columns
	rows     map[string]subjectRow
}

type subjectRow struct {
	p        zscore.Patient
	problems []string
}

// Len is the number of subjects in the table.
func (c *Characteristics) Len() int { return len(c.rows) }

// Lookup finds a subject by ID (see NormalizeID). problems names the fields
// that are missing or unreadable in the subject's row.
func (c *Characteristics) Lookup(id string) (p zscore.Patient, problems []string, ok bool) {
	r, ok := c.rows[NormalizeID(id)]
	if !ok {
		return zscore.Patient{}, nil, false
	}
	return r.p, append([]string(nil), r.problems...), true
}

// NormalizeID makes IDs comparable across a file name and a table cell:
// spaces trimmed, letters upper-cased, and a purely numeric ID written as
// an integer without leading zeros (a spreadsheet turns "007" into 7 and
// stores 7 as "7.0" or "7").
func NormalizeID(s string) string {
	s = strings.TrimSpace(s)
	numeric := s != ""
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '.') {
			numeric = false
			break
		}
	}
	if numeric {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && f < 1e15 {
			return strconv.FormatInt(int64(f), 10)
		}
	}
	return strings.ToUpper(s)
}

// ParseSex reads a sex cell: M/F, male/female, man/woman, Dutch man/vrouw
// (m/v), or a number: 1 means opt.SexOne ("M" unless set), 0 and 2 the other.
func ParseSex(s string, opt Options) (string, bool) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "m", "male", "man", "men", "mannelijk":
		return "M", true
	case "f", "female", "woman", "women", "v", "vrouw", "vrouwelijk", "w":
		return "F", true
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		one := opt.sexOne()
		other := "F"
		if one == "F" {
			other = "M"
		}
		switch f {
		case 1:
			return one, true
		case 0, 2:
			return other, true
		}
	}
	return "", false
}

// parseNumber reads a number cell; a decimal comma is accepted when there is
// no point. ok is false for an empty or "NA"-like cell, err for text that is
// not a number.
func parseNumber(s string) (v float64, ok bool, err error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "na", "n/a", "nan", "-", "?", "none", "null", "missing":
		return 0, false, nil
	}
	if !strings.Contains(s, ".") && strings.Count(s, ",") == 1 {
		s = strings.Replace(s, ",", ".", 1)
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, fmt.Errorf("%q is not a number", s)
	}
	return v, true, nil
}

// headerTokens splits a header cell into lower-case alphanumeric words.
func headerTokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

var fieldWords = map[string][]string{
	"id":     {"id", "subject", "subjectid", "patient", "patientid", "code", "subjectnr", "pid"},
	"age":    {"age", "leeftijd"},
	"sex":    {"sex", "gender", "geslacht"},
	"height": {"height", "length", "lengte", "stature"},
	"weight": {"weight", "mass", "gewicht"},
}

// matchHeader maps fields to column indices for one candidate header row.
func matchHeader(row []string) map[string]int {
	cols := map[string]int{}
	for i, cell := range row {
		toks := headerTokens(cell)
		joined := strings.Join(toks, "")
		for field, words := range fieldWords {
			if _, done := cols[field]; done {
				continue
			}
			for _, w := range words {
				hit := joined == w
				for _, t := range toks {
					hit = hit || t == w
				}
				if hit {
					cols[field] = i
					break
				}
			}
		}
	}
	return cols
}

// ParseCharacteristics reads a characteristics table; name's extension
// (.csv or .xlsx) chooses the format. The header is the first of the first
// ten rows that names an ID column and at least one other field.
func ParseCharacteristics(name string, data []byte, opt Options) (*Characteristics, error) {
	var rows [][]string
	var err error
	switch strings.ToLower(path.Ext(name)) {
	case ".xlsx":
		rows, err = ReadXLSX(data)
	case ".csv", ".txt":
		rows, err = ReadCSV(data)
	default:
		return nil, fmt.Errorf("characteristics: %s: want .csv or .xlsx", name)
	}
	if err != nil {
		return nil, fmt.Errorf("characteristics: %s: %w", name, err)
	}
	head := -1
	var cols map[string]int
	for i := 0; i < len(rows) && i < 10; i++ {
		c := matchHeader(rows[i])
		if _, ok := c["id"]; ok && len(c) >= 2 {
			head, cols = i, c
			break
		}
	}
	if head < 0 {
		return nil, fmt.Errorf("characteristics: %s: no header row with an ID column and age/sex/height/weight in the first 10 rows", name)
	}
	c := &Characteristics{File: name, Columns: map[string]string{}, rows: map[string]subjectRow{}}
	for f, i := range cols {
		c.Columns[f] = strings.TrimSpace(rows[head][i])
	}
	for _, f := range []string{"age", "sex", "height", "weight"} {
		if _, ok := cols[f]; !ok {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: no %s column", name, f))
		}
	}
	cell := func(r []string, field string) (string, bool) {
		i, ok := cols[field]
		if !ok {
			return "", false
		}
		if i >= len(r) {
			return "", true
		}
		return r[i], true
	}
	for ri := head + 1; ri < len(rows); ri++ {
		r := rows[ri]
		if blank(r) {
			continue
		}
		idCell, _ := cell(r, "id")
		id := NormalizeID(idCell)
		if id == "" {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: row %d has no ID: skipped", name, ri+1))
			continue
		}
		var sr subjectRow
		num := func(field, label string, dst *float64) {
			s, has := cell(r, field)
			if !has {
				sr.problems = append(sr.problems, fmt.Sprintf("%s not in %s", label, path.Base(name)))
				return
			}
			v, ok, err := parseNumber(s)
			switch {
			case err != nil:
				sr.problems = append(sr.problems, fmt.Sprintf("%s unreadable: %v", label, err))
			case !ok:
				sr.problems = append(sr.problems, label+" missing")
			default:
				*dst = v
			}
		}
		num("age", "age", &sr.p.AgeYears)
		num("height", "height", &sr.p.HeightCm)
		num("weight", "weight", &sr.p.WeightKg)
		if sr.p.HeightCm > 0 && sr.p.HeightCm < 3 {
			sr.p.HeightCm *= 100 // metres
		}
		if s, has := cell(r, "sex"); !has {
			sr.problems = append(sr.problems, "sex not in "+path.Base(name))
		} else if strings.TrimSpace(s) == "" {
			sr.problems = append(sr.problems, "sex missing")
		} else if sex, ok := ParseSex(s, opt); ok {
			sr.p.Sex = sex
		} else {
			sr.problems = append(sr.problems, fmt.Sprintf("sex %q unreadable (want M/F, male/female or 1/0)", s))
		}
		if old, dup := c.rows[id]; dup {
			if old.p != sr.p {
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s: ID %s appears twice with different values: row %d ignored", name, idCell, ri+1))
			}
			continue
		}
		c.rows[id] = sr
	}
	return c, nil
}

func blank(r []string) bool {
	for _, s := range r {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// ReadCSV reads a delimited table: comma, semicolon (as a Dutch Excel
// writes) or tab, whichever the first line uses most; a UTF-8 byte order
// mark is dropped; rows may have different lengths.
func ReadCSV(data []byte) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	first := data
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	comma := ','
	best := bytes.Count(first, []byte(","))
	for _, d := range []rune{';', '\t'} {
		if n := bytes.Count(first, []byte(string(d))); n > best {
			comma, best = d, n
		}
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.TrimLeadingSpace = true
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read CSV: %w", err)
	}
	return rows, nil
}

// ParseTruth reads a phantom truth.csv (file,ei_mean,ei_sd,csa_px,heckmatt;
// only file and ei_mean are required), keyed by lower-case file name.
func ParseTruth(data []byte) (map[string]Truth, []string, error) {
	rows, err := ReadCSV(data)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, errors.New("empty")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	fi, ok1 := col["file"]
	ei, ok2 := col["ei_mean"]
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("header %q lacks file and ei_mean", strings.Join(rows[0], ","))
	}
	get := func(r []string, name string) (float64, bool) {
		i, ok := col[name]
		if !ok || i >= len(r) {
			return 0, false
		}
		v, ok, err := parseNumber(r[i])
		return v, ok && err == nil
	}
	out := map[string]Truth{}
	var warn []string
	for n, r := range rows[1:] {
		if blank(r) {
			continue
		}
		if fi >= len(r) || ei >= len(r) {
			warn = append(warn, fmt.Sprintf("row %d is short: skipped", n+2))
			continue
		}
		var t Truth
		var ok bool
		if t.EIMean, ok = get(r, "ei_mean"); !ok {
			warn = append(warn, fmt.Sprintf("row %d: ei_mean %q unreadable: skipped", n+2, r[ei]))
			continue
		}
		t.EISD, _ = get(r, "ei_sd")
		csa, _ := get(r, "csa_px")
		t.CSAPx = int(csa)
		h, _ := get(r, "heckmatt")
		t.Heckmatt = int(h)
		out[strings.ToLower(strings.TrimSpace(r[fi]))] = t
	}
	return out, warn, nil
}
