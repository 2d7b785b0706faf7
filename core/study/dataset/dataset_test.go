package dataset

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"testing/fstest"

	"myoseg/core/clinical/zscore"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestReadLayout(t *testing.T) {
	fsys := fstest.MapFS{
		"BB/Healthy/Images/S1_1.png":          file("img"),
		"BB/Healthy/Images/S1_2.png":          file("img"),
		"BB/Healthy/Images/._S1_1.png":        file("macOS fork"),
		"BB/Healthy/Images/notes.txt":         file("not an image"),
		"BB/Healthy/Masks/S1_1.png":           file("mask"),
		"BB/Healthy/Masks/S9_1.png":           file("orphan mask"),
		"BB/Healthy/characteristics.csv":      file("ID,age,sex,height,weight\nS1,40,F,170,65\n"),
		"BB/Healthy/truth.csv":                file("file,ei_mean,ei_sd,csa_px,heckmatt\nS1_1.png,61.5,12.25,20345,1\n"),
		"ta/pathological/images/P7_1.tif":     file("img"),
		"ta/pathological/masks/P7_1.png":      file("mask"),
		"ta/pathological/characteristics.csv": file("Subject;Leeftijd;Geslacht;Lengte;Gewicht\n7;55,5;v;1,62;70\n"),
		"GM/Healthy/Images/X_1.png":           file("img"),
		"GM/Healthy/Masks/X_1.png":            file("mask"),
		"GM/Other/Images/Y_1.png":             file("ignored group"),
		"README.md":                           file("top-level file"),
	}
	ds, err := Read(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Root != "." {
		t.Errorf("Root = %q", ds.Root)
	}
	type want struct {
		key, muscle, group, subject, mask string
		muscleName                        zscore.Muscle
		patient                           *zscore.Patient
		problems                          int
	}
	wants := []want{
		{"BB/Healthy/S1_1.png", "BB", Healthy, "S1", "BB/Healthy/Masks/S1_1.png", zscore.BicepsBrachii,
			&zscore.Patient{AgeYears: 40, Sex: "F", HeightCm: 170, WeightKg: 65}, 0},
		{"BB/Healthy/S1_2.png", "BB", Healthy, "S1", "", zscore.BicepsBrachii,
			&zscore.Patient{AgeYears: 40, Sex: "F", HeightCm: 170, WeightKg: 65}, 1},
		{"GM/Healthy/X_1.png", "GM", Healthy, "X", "GM/Healthy/Masks/X_1.png", zscore.GastrocnemiusMedialis, nil, 1},
		// The table holds ID 7; the file's subject is "P7": not found.
		{"TA/Pathological/P7_1.tif", "TA", Pathological, "P7", "ta/pathological/masks/P7_1.png", zscore.TibialisAnterior, nil, 1},
	}
	if len(ds.Items) != len(wants) {
		for _, it := range ds.Items {
			t.Logf("item %s %+v", it.Key(), it)
		}
		t.Fatalf("%d items, want %d", len(ds.Items), len(wants))
	}
	for i, w := range wants {
		it := ds.Items[i]
		if it.Key() != w.key || it.Muscle != w.muscle || it.Group != w.group || it.SubjectID != w.subject ||
			it.MaskPath != w.mask || it.MuscleName != w.muscleName || len(it.Problems) != w.problems {
			t.Errorf("item %d = %+v, want %+v", i, it, w)
		}
		if (it.Patient == nil) != (w.patient == nil) || (it.Patient != nil && *it.Patient != *w.patient) {
			t.Errorf("item %s patient = %+v, want %+v", it.Key(), it.Patient, w.patient)
		}
	}
	if tr := ds.Items[0].Truth; tr == nil || tr.EIMean != 61.5 || tr.EISD != 12.25 || tr.CSAPx != 20345 || tr.Heckmatt != 1 {
		t.Errorf("truth = %+v", tr)
	}
	if ds.Items[1].Truth != nil {
		t.Errorf("S1_2 has truth %+v, not in truth.csv", ds.Items[1].Truth)
	}
	if ds.Items[2].GroupDir() != "GM/Healthy" {
		t.Errorf("GroupDir = %q", ds.Items[2].GroupDir())
	}
	joined := strings.Join(ds.Warnings, "\n")
	for _, w := range []string{"S9_1.png", `"Other"`, "GM/Healthy: no characteristics"} {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings lack %q:\n%s", w, joined)
		}
	}
}

func TestReadNumericIDsAndNesting(t *testing.T) {
	fsys := fstest.MapFS{
		"Polito-Radboud-DeepLearningUS/TA/Pathological/Images/007_1.png":    file("img"),
		"Polito-Radboud-DeepLearningUS/TA/Pathological/Masks/007_1.png":     file("mask"),
		"Polito-Radboud-DeepLearningUS/TA/Pathological/characteristics.csv": file("\xef\xbb\xbfSubject ID;Age (years);Sex;Height (m);Weight (kg)\n7.0;55,5;v;1,62;70\n"),
		"Polito-Radboud-DeepLearningUS/Subjects_mean_gray_level_zscore.csv": file("x"),
	}
	ds, err := Read(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Root != "Polito-Radboud-DeepLearningUS" || len(ds.Items) != 1 {
		t.Fatalf("root %q, %d items", ds.Root, len(ds.Items))
	}
	it := ds.Items[0]
	want := zscore.Patient{AgeYears: 55.5, Sex: "F", HeightCm: 162, WeightKg: 70}
	if it.Patient == nil || *it.Patient != want || len(it.Problems) != 0 {
		t.Errorf("patient %+v problems %v, want %+v", it.Patient, it.Problems, want)
	}
}

func TestReadNotALayout(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"empty": {},
		"flat":  {"a.png": file("x")},
		"two":   {"a/BB/Healthy/Images/x.png": file("x"), "b/TA/Healthy/Images/y.png": file("y")},
	} {
		if _, err := Read(fsys, Options{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseSex(t *testing.T) {
	tests := []struct {
		in, one, want string
		ok            bool
	}{
		{"M", "", "M", true}, {"f", "", "F", true}, {"Male", "", "M", true}, {" female ", "", "F", true},
		{"man", "", "M", true}, {"vrouw", "", "F", true}, {"V", "", "F", true},
		{"1", "", "M", true}, {"0", "", "F", true}, {"1.0", "", "M", true}, {"2", "", "F", true},
		{"1", "F", "F", true}, {"0", "F", "M", true},
		{"x", "", "", false}, {"3", "", "", false}, {"", "", "", false},
	}
	for _, tc := range tests {
		got, ok := ParseSex(tc.in, Options{SexOne: tc.one})
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseSex(%q, one=%q) = %q, %v; want %q, %v", tc.in, tc.one, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNormalizeID(t *testing.T) {
	for in, want := range map[string]string{"007": "7", "7.0": "7", " s001 ": "S001", "P7": "P7", "1.5": "1.5", "": ""} {
		if got := NormalizeID(in); got != want {
			t.Errorf("NormalizeID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseCharacteristicsProblems(t *testing.T) {
	csv := "Patient,Age,Gender,Height,Weight\n" +
		"A,30,M,180,80\n" +
		"B,,F,165,\n" +
		"C,abc,X,170,60\n" +
		",1,M,1,1\n" +
		"A,31,M,180,80\n" +
		",,,,\n"
	c, err := ParseCharacteristics("g/characteristics.csv", []byte(csv), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 3 {
		t.Errorf("Len = %d, want 3", c.Len())
	}
	p, probs, ok := c.Lookup("a")
	if !ok || p != (zscore.Patient{AgeYears: 30, Sex: "M", HeightCm: 180, WeightKg: 80}) || len(probs) != 0 {
		t.Errorf("A = %+v %v %v", p, probs, ok)
	}
	_, probs, _ = c.Lookup("B")
	if strings.Join(probs, ";") != "age missing;weight missing" {
		t.Errorf("B problems = %q", probs)
	}
	_, probs, _ = c.Lookup("C")
	if len(probs) != 2 || !strings.Contains(probs[0], "age unreadable") || !strings.Contains(probs[1], `sex "X"`) {
		t.Errorf("C problems = %q", probs)
	}
	if _, _, ok := c.Lookup("D"); ok {
		t.Error("D found")
	}
	w := strings.Join(c.Warnings, "\n")
	if !strings.Contains(w, "row 5 has no ID") || !strings.Contains(w, "ID A appears twice") {
		t.Errorf("warnings = %q", w)
	}
	if _, err := ParseCharacteristics("x.csv", []byte("foo,bar\n1,2\n"), Options{}); err == nil {
		t.Error("table without an ID header accepted")
	}
	if _, err := ParseCharacteristics("x.ods", []byte("a"), Options{}); err == nil {
		t.Error(".ods accepted")
	}
}

// buildXLSX writes a minimal workbook the way Excel lays it out: the first
// sheet is reached through workbook.xml.rels and is not named sheet1.xml.
func buildXLSX(t *testing.T, sheet string, shared []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Subjects" sheetId="1" r:id="rId3"/><sheet name="Other" sheetId="2" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/>
</Relationships>`)
	add("xl/worksheets/sheet1.xml", `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>wrong sheet</t></is></c></row></sheetData></worksheet>`)
	add("xl/worksheets/sheet2.xml", sheet)
	var sst strings.Builder
	sst.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for _, s := range shared {
		sst.WriteString(s)
	}
	sst.WriteString(`</sst>`)
	add("xl/sharedStrings.xml", sst.String())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadXLSX(t *testing.T) {
	sheet := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c></row>
<row r="2"><c r="A2"><v>101</v></c><c r="B2"><v>63</v></c><c r="C2" s="2"><v>176.5</v></c><c r="D2"><v>81.2</v></c><c r="E2"><v>1</v></c></row>
<row r="4"><c r="A4" t="str"><f>"P"&amp;"2"</f><v>P2</v></c><c r="B4"><v>25</v></c><c r="E4" t="inlineStr"><is><t>F</t></is></c><c r="Z4" s="3"/></row>
</sheetData></worksheet>`
	shared := []string{
		`<si><t>ID</t></si>`,
		`<si><r><t>Ag</t></r><r><rPr><b/></rPr><t>e</t></r></si>`,
		`<si><t>Height</t><rPh sb="0" eb="1"><t>ignored</t></rPh></si>`,
		`<si><t>Weight</t></si>`,
		`<si><t>Sex</t></si>`,
	}
	data := buildXLSX(t, sheet, shared)
	rows, err := ReadXLSX(data)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"ID", "Age", "Height", "Weight", "Sex"},
		{"101", "63", "176.5", "81.2", "1"},
		nil,
		{"P2", "25", "", "", "F"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows = %q, want %q", rows, want)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
	c, err := ParseCharacteristics("characteristics.xlsx", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, probs, ok := c.Lookup("101")
	if !ok || p != (zscore.Patient{AgeYears: 63, Sex: "M", HeightCm: 176.5, WeightKg: 81.2}) || len(probs) != 0 {
		t.Errorf("101 = %+v %v %v", p, probs, ok)
	}
	p, probs, ok = c.Lookup("P2")
	if !ok || p.AgeYears != 25 || p.Sex != "F" || strings.Join(probs, ";") != "height missing;weight missing" {
		t.Errorf("P2 = %+v %v %v", p, probs, ok)
	}
}

func TestReadXLSXBad(t *testing.T) {
	tests := map[string][]byte{
		"not a zip": []byte("PK garbage"),
		"no sheet":  buildXLSXRaw(t, map[string]string{"foo.xml": "<a/>"}),
		"bad index": buildXLSX(t, `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData></worksheet>`, nil),
		"far cell":  buildXLSX(t, `<worksheet><sheetData><row r="1"><c r="ZZZ1"><v>1</v></c></row></sheetData></worksheet>`, nil),
		"bad xml":   buildXLSX(t, `<worksheet><sheetData><row r="1"><c r="A1"><v>1</c></row>`, nil),
	}
	for name, data := range tests {
		if _, err := ReadXLSX(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func buildXLSXRaw(t *testing.T, parts map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range parts {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSubjectID(t *testing.T) {
	for in, want := range map[string]string{"S00001_1.png": "S00001", "abc.png": "abc", "a_b_c.tif": "a", "_x.png": ""} {
		if got := SubjectID(in); got != want {
			t.Errorf("SubjectID(%q) = %q, want %q", in, got, want)
		}
	}
}
