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

// batch --sr writes one Structured Report per patient and exam date of the
// DICOM inputs into OUT/sr/, leaving the PNG out; a shard refuses --sr.
func TestBatchSR(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	for i, p := range []struct{ patient, date string }{{"P1", "20260301"}, {"P1", "20260301"}, {"P2", "20260402"}} {
		s, err := phantom.Generate(phantom.Config{Seed: 22, N: 3}, i)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(in, "d"+string(rune('0'+i))+".dcm"), srtest.DICOM(s.Image, decode.Identity{SOPInstanceUID: "1.2.3.17." + string(rune('1'+i)),
			StudyInstanceUID: "1.2.3.17", SeriesInstanceUID: "1.2.3.17.9", PatientID: p.patient, StudyDate: p.date}), 0o644)
	}
	s, _ := phantom.Generate(phantom.Config{Seed: 22, N: 4}, 3)
	writePNG(t, filepath.Join(in, "x.png"), s.Image)
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if code := run("batch", []string{"--sr", "--progress", "none", "--muscle", "TA", "--out", out, in}, &stdout, &stderr); code != 0 && code != 1 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	srs, _ := filepath.Glob(filepath.Join(out, "sr", "*.dcm"))
	if len(srs) != 2 {
		t.Fatalf("%d SR files (%v), want one per patient and exam (2); stderr: %s", len(srs), srs, stderr.String())
	}
	p1, err := os.ReadFile(filepath.Join(out, "sr", "P1_2026-03-01.dcm"))
	if err != nil {
		t.Fatalf("%v; stderr: %s", err, stderr.String())
	}
	if !bytes.Contains(p1, []byte("1.2.3.17.1")) || !bytes.Contains(p1, []byte("1.2.3.17.2")) || bytes.Contains(p1, []byte("1.2.3.17.3")) {
		t.Error("P1's SR does not reference exactly its two images")
	}
	for _, tool := range [][]string{{"dsrdump", "-Ee", "-Ec"}, {"dciodvfy"}} {
		if _, err := exec.LookPath(tool[0]); err != nil {
			continue
		}
		o, _ := exec.Command(tool[0], append(tool[1:], srs[0])...).CombinedOutput()
		if strings.Contains(string(o), "Error") || strings.Contains(string(o), "E: ") {
			t.Errorf("%s: %s", tool[0], o)
		}
	}
	if code := run("batch", []string{"--sr", "--shard", "0/2", "--out", filepath.Join(dir, "o2"), in}, &stdout, &stderr); code != ExitUsage {
		t.Errorf("--sr with --shard: exit %d, want %d", code, ExitUsage)
	}
}
