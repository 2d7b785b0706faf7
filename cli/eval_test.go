package cli

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs one command through Run, as the program does.
func run(name string, args []string, stdout, stderr io.Writer) int {
	return Run(append([]string{name}, args...), stdout, stderr, Command{})
}

func writePNG(t *testing.T, path string, m image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func box(w, h int, r image.Rectangle, v uint8) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.SetGray(x, y, struct{ Y uint8 }{v})
		}
	}
	return m
}

func TestRunEvalWithPred(t *testing.T) {
	dir := t.TempDir()
	data, pred, out := filepath.Join(dir, "data"), filepath.Join(dir, "pred"), filepath.Join(dir, "report")
	chars := "ID,age,sex,height,weight\n"
	for i := 0; i < 4; i++ {
		name := fmt.Sprintf("S%d_1.png", i)
		muscle := image.Rect(10, 10, 40+i, 30)
		writePNG(t, filepath.Join(data, "TA", "Healthy", "Images", name), box(64, 48, muscle, uint8(60+10*i)))
		writePNG(t, filepath.Join(data, "TA", "Healthy", "Masks", name), box(64, 48, muscle, 255))
		writePNG(t, filepath.Join(pred, "TA", "Healthy", "Masks", name), box(64, 48, muscle.Inset(2), 255))
		chars += fmt.Sprintf("S%d,%d,F,170,60\n", i, 30+i)
	}
	if err := os.WriteFile(filepath.Join(data, "TA", "Healthy", "characteristics.csv"), []byte(chars), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run("eval", []string{"--data", data, "--pred", pred, "--out", out, "--quiet", "--cm-per-px", "0.01"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "images: 4, scored: 4") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	for _, f := range []string{"report.md", "report.html", "per_image.csv", "per_subject.csv", "plots/ei_bland_altman.png", "plots/overlap_box.png"} {
		if st, err := os.Stat(filepath.Join(out, filepath.FromSlash(f))); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	// Calibrated: distances also in mm; an inset of 2 px is 0.2 mm at 0.01 cm/px.
	if !strings.Contains(string(md), "Hausdorff (mm)") || !strings.Contains(string(md), "| cm² |") {
		t.Errorf("report.md lacks calibrated columns")
	}
}

func TestRunEvalUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--out", dir}, 2, "usage"},
		{[]string{"--data", filepath.Join(dir, "missing"), "--out", filepath.Join(dir, "r")}, 2, "not a folder"},
		{[]string{"--data", dir, "--out", filepath.Join(dir, "r")}, 2, "inside an input folder"},
		{[]string{"--data", dir, "--out", filepath.Join(t.TempDir(), "r"), "--cm-per-px", "-1"}, 2, "positive"},
		{[]string{"--data", dir, "--out", filepath.Join(t.TempDir(), "r"), "--sex-one", "X"}, 2, "-sex-one: must be M or F"},
		{[]string{"--data", dir, "--out", filepath.Join(t.TempDir(), "r"), "--pred", dir}, 1, "no muscle folders"},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		if code := run("eval", tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%q: exit %d, stderr %q; want %d with %q", tc.args, code, stderr.String(), tc.code, tc.msg)
		}
	}
}
