package cli

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"myoseg/core/clinical/record"
	"myoseg/core/study/phantom"
)

// hugePNG is a PNG claiming w×h 8-bit grey pixels, with a token IDAT chunk
// (far too little pixel data) and IEND: its header reads, its pixels do not.
func hugePNG(w, h uint32) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit grey
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	for _, c := range []struct {
		typ  string
		data []byte
	}{{"IHDR", ihdr}, {"IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}}, {"IEND", nil}} {
		binary.Write(&b, binary.BigEndian, uint32(len(c.data)))
		chunk := append([]byte(c.typ), c.data...)
		b.Write(chunk)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	}
	return b.Bytes()
}

func TestSegmentCommand(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	s, err := phantom.Generate(phantom.Config{Seed: 99, N: 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	writePNG(t, filepath.Join(in, "good.png"), s.Image)
	bad := map[string][]byte{
		"truncated.png": hugePNG(512, 480),     // almost no pixel data
		"huge.png":      hugePNG(30000, 30000), // refused before allocating
		"notes.txt":     []byte("not an image"),
		"empty.bmp":     {},
	}
	for name, data := range bad {
		if err := os.WriteFile(filepath.Join(in, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--out", out, "--json", "--cm-per-px", "0.01", "--muscle", "BB", "--age", "40", "--weight", "70", "--sex", "M", "--height", "180",
		filepath.Join(in, "good.png")}
	for name := range bad {
		args = append(args, filepath.Join(in, name))
	}
	var stdout, stderr bytes.Buffer
	if code := run("segment", args, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1 (some files failed); stderr:\n%s", code, stderr.String())
	}
	// One error line per bad file, naming it as given.
	for name := range bad {
		if !strings.Contains(stderr.String(), "error: decode: "+filepath.Join(in, name)+": ") {
			t.Errorf("no error line for %s in:\n%s", name, stderr.String())
		}
	}
	if !strings.Contains(stderr.String(), "30000×30000") {
		t.Errorf("huge PNG's error does not give its claimed size:\n%s", stderr.String())
	}
	var rec record.Record
	if err := json.Unmarshal(stdout.Bytes(), &rec); err != nil {
		t.Fatalf("stdout is not one JSON record: %v\n%s", err, stdout.String())
	}
	if rec.File != "good.png" || rec.CSAPx == 0 || rec.CSACm2 == nil || rec.Z == nil || rec.CalibrationSource != "user-cm-per-px" {
		t.Errorf("record %+v", rec)
	}
	// Outputs for the good file only, complete, no temporary files left.
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := "good.json good.mask.png good.overlay.png"; strings.Join(names, " ") != want {
		t.Errorf("outputs %v, want %s", names, want)
	}
	mf, err := os.Open(filepath.Join(out, "good.mask.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	m, err := png.Decode(mf)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := m.(*image.Gray)
	if !ok || g.Bounds() != s.Image.Bounds() {
		t.Fatalf("mask %T %v", m, m.Bounds())
	}
	n := 0
	for _, v := range g.Pix {
		switch v {
		case 255:
			n++
		case 0:
		default:
			t.Fatalf("mask value %d is not 0/255", v)
		}
	}
	if n != rec.CSAPx {
		t.Errorf("mask has %d pixels, record says %d", n, rec.CSAPx)
	}
}

func TestSegmentRefusesToOverwriteInput(t *testing.T) {
	dir := t.TempDir()
	s, _ := phantom.Generate(phantom.Config{Seed: 99, N: 1}, 0)
	// An input named like an output of another input, in the output folder.
	writePNG(t, filepath.Join(dir, "a.png"), s.Image)
	writePNG(t, filepath.Join(dir, "a.mask.png"), s.Mask)
	var stdout, stderr bytes.Buffer
	code := run("segment", []string{"--out", dir, filepath.Join(dir, "a.png"), filepath.Join(dir, "a.mask.png")}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "would overwrite the input") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
