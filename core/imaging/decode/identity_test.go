package decode

import (
	"bytes"
	"testing"
)

// The identity a Structured Report needs is read from the top level only: a
// UID inside a sequence (here a referenced image) must not replace the
// image's own.
func TestDICOMIdentity(t *testing.T) {
	refSeq := rawEl(0x00081140, "SQ", item(rawEl(0x00081155, "UI", uidv("9.9.9"))))
	data := rawFile(tsExplicitLE, bytes.Join([][]byte{
		rawEl(0x00080016, "UI", uidv("1.2.840.10008.5.1.4.1.1.6.1")),
		rawEl(0x00080018, "UI", uidv("1.2.3.4.5")),
		rawEl(0x00080020, "DA", str("20260301")),
		rawEl(0x00081070, "PN", str("Doe^Op")),
		refSeq,
		rawEl(0x00100010, "PN", str("Test^Pat")),
		rawEl(0x00100020, "LO", str("P-007")),
		rawEl(0x0020000D, "UI", uidv("1.2.3.1")),
		rawEl(0x0020000E, "UI", uidv("1.2.3.2")),
		monoHeader(3, 2),
		rawEl(tagPixelData, "OB", []byte{1, 2, 3, 4, 5, 6}),
	}, nil))
	img, err := Decode("id.dcm", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := img.DICOM.Identity
	want := Identity{SOPClassUID: "1.2.840.10008.5.1.4.1.1.6.1", SOPInstanceUID: "1.2.3.4.5", StudyDate: "20260301",
		OperatorsName: "Doe^Op", PatientName: "Test^Pat", PatientID: "P-007", StudyInstanceUID: "1.2.3.1", SeriesInstanceUID: "1.2.3.2"}
	if got != want {
		t.Errorf("identity %+v\nwant %+v", got, want)
	}
}

func TestIdentityExamDate(t *testing.T) {
	for _, c := range []struct{ da, want string }{{"20260301", "2026-03-01"}, {"", ""}, {"2026-03-01", ""}, {"20261345", ""}} {
		if got := (Identity{StudyDate: c.da}).ExamDate(); got != c.want {
			t.Errorf("StudyDate %q: ExamDate %q, want %q", c.da, got, c.want)
		}
	}
}
