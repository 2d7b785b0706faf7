package sr

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"myoseg/core/clinical/record"
	"myoseg/core/imaging/decode"
)

func f(v float64) *float64 { return &v }
func b(v bool) *bool       { return &v }

const usClass = "1.2.840.10008.5.1.4.1.1.6.1"

// exam is a bilateral two-muscle exam of DICOM images, one image flagged.
func exam() Exam {
	id := func(n string) decode.Identity {
		return decode.Identity{SOPClassUID: usClass, SOPInstanceUID: "1.2.826.0.1.3680043.9.7.1." + n, StudyInstanceUID: "1.2.826.0.1.3680043.9.7.1",
			SeriesInstanceUID: "1.2.826.0.1.3680043.9.7.2", PatientID: "P-007", PatientName: "Test^Pat", PatientSex: "F", StudyDate: "20260301"}
	}
	return Exam{
		Images: []Image{
			{record.Record{File: "ta_l.dcm", Muscle: "tibialis_anterior", Side: "left", CSAPx: 5000, CSACm2: f(6.25), EIMean: 88.5, EIExpected: f(70.1), Z: f(2.3), Abnormal: b(true), Corrected: true}, id("11")},
			{record.Record{File: "ta_r.dcm", Muscle: "tibialis_anterior", Side: "right", CSAPx: 4800, CSACm2: f(6.0), EIMean: 71, EIExpected: f(70.1), Z: f(0.12), Abnormal: b(false)}, id("12")},
			{record.Record{File: "bb_l.dcm", Muscle: "BB", Side: "left", CSAPx: 3000, EIMean: 60}, id("13")},
		},
		Model: "myoseg-unet-phantom-v1", Reading: "uncertain: 1 muscle with z > 2.0 (age < 65)",
		Notes:   []string{"Research use only: the model was trained on synthetic phantoms.", "Normal values are for the seed scanner."},
		Created: time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC),
	}
}

func TestWriteStructure(t *testing.T) {
	data, err := Write(exam())
	if err != nil {
		t.Fatal(err)
	}
	if string(data[128:132]) != "DICM" {
		t.Fatal("no DICM prefix")
	}
	// The file decodes as DICOM (no pixel data, so the decoder says so) and
	// carries each source image's SOP Instance UID once in its content and
	// once in the evidence.
	_, derr := decode.Decode("sr.dcm", data, decode.Options{})
	if derr == nil || !strings.Contains(derr.Error(), "no Pixel Data") {
		t.Errorf("decoding the SR: %v, want a no-pixel-data error", derr)
	}
	for _, n := range []string{"11", "12", "13"} {
		if c := bytes.Count(data, []byte("3680043.9.7.1."+n)); c != 2 {
			t.Errorf("SOP instance %s referenced %d times, want 2", n, c)
		}
	}
	for _, want := range []string{"6.25", "88.5", "70.1", "2.3", "263654008", "24028007", "7771000", "TA", "Tibialis anterior", "corrected by a person", "P-007", "1500", "uncertain"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("SR lacks %q", want)
		}
	}
	// Same input, same bytes (UIDs derived from the content).
	again, _ := Write(exam())
	if !bytes.Equal(data, again) {
		t.Error("two writes of one exam differ")
	}
}

func TestWriteRefuses(t *testing.T) {
	ex := exam()
	ex.Images[1].ID = decode.Identity{}
	ex.Images[2].ID.PatientID = "P-008"
	_, err := Write(ex)
	if err == nil || !strings.Contains(err.Error(), "ta_r.dcm: not a DICOM image") || !strings.Contains(err.Error(), `bb_l.dcm: patient ID "P-008"`) {
		t.Errorf("err = %v, want both problems named", err)
	}
	ex = exam()
	ex.Images[0].ID.SOPInstanceUID = "1.02.3"
	if _, err := Write(ex); err == nil || !strings.Contains(err.Error(), "leading zeros") {
		t.Errorf("bad UID: err = %v", err)
	}
	if _, err := Write(Exam{}); err == nil {
		t.Error("no images: want an error")
	}
}

func TestDS(t *testing.T) {
	for v, want := range map[float64]string{6.25: "6.25", 1.0 / 3: "0.3333333333", -123456.789012345: "-123456.789", 1e-20: "1e-20"} {
		if got := ds(v); got != want || len(got) > 16 {
			t.Errorf("ds(%g) = %q, want %q", v, got, want)
		}
	}
}

// TestValidators runs dcmtk's dsrdump and dicom3tools' dciodvfy on the SR
// (scripts/test-deps.sh installs them; skipped where they are missing).
func TestValidators(t *testing.T) {
	data, err := Write(exam())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sr.dcm")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ValidateFile(t, path)

	// A non-ASCII name is written as UTF-8 and declared so.
	ex := exam()
	ex.PatientName = "Müller^Zoë"
	data, err = Write(ex)
	if err != nil || !bytes.Contains(data, []byte("ISO_IR 192")) || !bytes.Contains(data, []byte("Müller^Zoë")) {
		t.Fatalf("UTF-8 name: err %v, charset or name missing", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ValidateFile(t, path)
}

// ValidateFile fails t when dsrdump or dciodvfy reports an error on path.
func ValidateFile(t *testing.T, path string) {
	t.Helper()
	if _, err := exec.LookPath("dsrdump"); err != nil {
		t.Skip("dsrdump (dcmtk) not installed: run scripts/test-deps.sh")
	}
	out, err := exec.Command("dsrdump", "-Ee", "-Ec", path).CombinedOutput()
	// dcmtk's VR checker cannot check UTF-8 text and says so: not a defect.
	out = bytes.ReplaceAll(out, []byte("W: The VR checker does not support this Specific Character Set: ISO_IR 192"), nil)
	if err != nil || bytes.Contains(out, []byte("E: ")) || bytes.Contains(out, []byte("W: ")) {
		t.Errorf("dsrdump: %v\n%s", err, out)
	}
	for _, want := range []string{"Imaging Measurement Report", "Area", "6.25", "Tibialis anterior", "Laterality"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("dsrdump output lacks %q:\n%s", want, out)
		}
	}
	if _, err := exec.LookPath("dciodvfy"); err != nil {
		t.Skip("dciodvfy (dicom3tools) not installed: run scripts/test-deps.sh")
	}
	out, _ = exec.Command("dciodvfy", path).CombinedOutput()
	if bytes.Contains(out, []byte("Error")) {
		t.Errorf("dciodvfy reports errors:\n%s", out)
	}
	t.Logf("dciodvfy:\n%s", out)
}
