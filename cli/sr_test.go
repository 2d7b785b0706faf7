package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"myoseg/core/clinical/sr/srtest"
	"myoseg/core/imaging/decode"
	"myoseg/core/study/phantom"
)

// segment --sr writes one Structured Report of the DICOM inputs, naming the
// others as left out; dsrdump and dciodvfy find no error in it.
func TestSegmentSR(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := 0; i < 2; i++ {
		s, err := phantom.Generate(phantom.Config{Seed: 21, N: 2}, i)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "d"+string(rune('0'+i))+".dcm")
		os.WriteFile(p, srtest.DICOM(s.Image, decode.Identity{SOPInstanceUID: "1.2.3.16." + string(rune('1'+i)), StudyInstanceUID: "1.2.3.16",
			SeriesInstanceUID: "1.2.3.16.9", PatientID: "P9", StudyDate: "20260301"}), 0o644)
		files = append(files, p)
	}
	s, _ := phantom.Generate(phantom.Config{Seed: 21, N: 3}, 2)
	png := filepath.Join(dir, "x.png")
	writePNG(t, png, s.Image)
	out := filepath.Join(dir, "exam.sr.dcm")
	var stdout, stderr bytes.Buffer
	args := append([]string{"--sr", out, "--muscle", "TA", "--side", "left", "--age", "40", "--sex", "F", "--height", "170", "--weight", "60",
		"--patient-id", "P9", "--exam-date", "2026-03-01", "--csv"}, append(files, png)...)
	if code := run("segment", args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "sr: not DICOM, left out: x.png") || !strings.Contains(stderr.String(), "2 image(s)") {
		t.Errorf("stderr: %s", stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"1.2.3.16.1", "1.2.3.16.2", "1.2.840.10008.5.1.4.1.1.88.33", "P9"} {
		if !bytes.Contains(data, []byte(u)) {
			t.Errorf("SR lacks %s", u)
		}
	}
	if !strings.Contains(stdout.String(), ",P9,2026-03-01,") {
		t.Errorf("CSV lacks patient_id and exam_date: %s", stdout.String())
	}
	for _, tool := range [][]string{{"dsrdump", "-Ee", "-Ec", out}, {"dciodvfy", out}} {
		if _, err := exec.LookPath(tool[0]); err != nil {
			continue
		}
		o, _ := exec.Command(tool[0], tool[1:]...).CombinedOutput()
		if strings.Contains(string(o), "Error") || strings.Contains(string(o), "E: ") {
			t.Errorf("%s: %s", tool[0], o)
		}
	}
	// Only PNGs: nothing to report; an input as the SR file: refused.
	if code := run("segment", []string{"--sr", out, png}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no DICOM input") {
		t.Errorf("PNG only: exit %d, %s", code, stderr.String())
	}
	if code := run("segment", []string{"--sr", png, png}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "is an input file") {
		t.Errorf("SR over an input: exit %d, %s", code, stderr.String())
	}
}
