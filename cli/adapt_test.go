package cli

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCorrected writes n images of the given patients in the seed layout:
// a bright band as the "muscle", its mask beside it.
func writeCorrected(t *testing.T, dir string, n int, patients ...string) {
	for _, sub := range []string{"Images", "Masks"} {
		if err := os.MkdirAll(filepath.Join(dir, "BB", "Healthy", sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		img, mask := image.NewGray(image.Rect(0, 0, 128, 120)), image.NewGray(image.Rect(0, 0, 128, 120))
		for j := range img.Pix {
			img.Pix[j] = uint8(40 + j%7)
			if y := j / 128; y > 30+i && y < 80 {
				img.Pix[j], mask.Pix[j] = 150, 255
			}
		}
		name := fmt.Sprintf("%s_%d.png", patients[i%len(patients)], i)
		for sub, g := range map[string]*image.Gray{"Images": img, "Masks": mask} {
			var b bytes.Buffer
			if err := png.Encode(&b, g); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "BB", "Healthy", sub, name), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestAdaptRefusals(t *testing.T) {
	few, one := t.TempDir(), t.TempDir()
	writeCorrected(t, few, 5, "P1", "P2")
	writeCorrected(t, one, 9, "P1")
	out := filepath.Join(t.TempDir(), "new.onnx")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--data", few, "--out", out}, "too few corrected images: 5, at least 8"},
		{[]string{"--data", one, "--out", out}, "images of one patient only"},
		{[]string{"--data", few, "--out", filepath.Join(t.TempDir(), "new.bin")}, "must end in .onnx"},
		{[]string{"--data", filepath.Join(few, "nope"), "--out", out}, "no such file"},
		{[]string{"--data", few, "--out", out, "--model", filepath.Join(few, "BB", "Healthy", "Images", "P1_0.png")}, "model"},
	} {
		var stdout, stderr bytes.Buffer
		code := run("adapt", tc.args, &stdout, &stderr)
		if code != ExitUsage || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), ExitUsage, tc.msg)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v wrote %s", tc.args, out)
		}
	}
}
