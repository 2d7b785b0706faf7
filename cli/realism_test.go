package cli

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// phantom --version 2 writes the five muscles' folders; realism reads the
// written images as its "real" set and prints one table row per set, and
// the figure it writes is a PNG.
func TestPhantomVersionAndRealism(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run("phantom", []string{"--out", dir, "--n", "5", "--seed", "3", "--quiet"}, &stdout, &stderr); code != 0 {
		t.Fatalf("phantom: exit %d: %s", code, stderr.String())
	}
	for _, m := range []string{"BB", "GM", "TA", "RF", "VL"} {
		if _, err := os.Stat(filepath.Join(dir, m)); err != nil {
			t.Errorf("version 2 phantoms: no %s folder: %v", m, err)
		}
	}
	stdout.Reset()
	fig := filepath.Join(t.TempDir(), "fig.png")
	if code := run("realism", []string{"--real", dir, "--n", "5", "--figure", fig}, &stdout, &stderr); code != 0 {
		t.Fatalf("realism: exit %d: %s", code, stderr.String())
	}
	rows := 0
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(l, "| real ") || strings.HasPrefix(l, "| phantom v") {
			rows++
		}
	}
	if rows != 6 {
		t.Errorf("realism table has %d set rows, want 6 (real, v1, v2, v3, v2 thigh, v3 thigh):\n%s", rows, stdout.String())
	}
	f, err := os.Open(fig)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("figure: %v", err)
	}
	if code := run("realism", []string{"--real", t.TempDir()}, &stdout, &stderr); code != ExitUsage {
		t.Errorf("realism on an empty folder: exit %d, want %d", code, ExitUsage)
	}
}
