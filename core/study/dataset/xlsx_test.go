package dataset

import (
	_ "embed"
	"testing"

	"myoseg/core/clinical/zscore"
)

// Made by SheetJS (see testdata/README.md):
//
//	const rows = [["ID","Age","Height","Weight","Sex"],[101,63,176.5,81.2,1],["P2",25,null,null,"F"],[7,40,1.8,70,0]];
//	XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), "Subjects"); // first sheet
//	XLSX.writeFile(wb, "x.xlsx", {bookSST: true /* or false */});
var (
	//go:embed testdata/sheetjs-shared.xlsx
	sheetjsShared []byte
	//go:embed testdata/sheetjs-inline.xlsx
	sheetjsInline []byte
)

func TestReadXLSXThirdParty(t *testing.T) {
	for name, data := range map[string][]byte{"shared strings": sheetjsShared, "inline strings": sheetjsInline} {
		c, err := ParseCharacteristics("characteristics.xlsx", data, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Len() != 3 {
			t.Errorf("%s: %d subjects, want 3", name, c.Len())
		}
		tests := []struct {
			id    string
			want  zscore.Patient
			probs int
		}{
			{"101", zscore.Patient{AgeYears: 63, Sex: "M", HeightCm: 176.5, WeightKg: 81.2}, 0},
			{"p2", zscore.Patient{AgeYears: 25, Sex: "F"}, 2},
			{"007", zscore.Patient{AgeYears: 40, Sex: "F", HeightCm: 180, WeightKg: 70}, 0},
		}
		for _, tc := range tests {
			p, probs, ok := c.Lookup(tc.id)
			if !ok || p != tc.want || len(probs) != tc.probs {
				t.Errorf("%s: %s = %+v %q %v, want %+v with %d problems", name, tc.id, p, probs, ok, tc.want, tc.probs)
			}
		}
	}
}
