package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/andybalholm/brotli"
)

// Both files decode to the input, with a window larger than the default
// (back-references over 4 MiB apart, as in a 9 MB wasm).
func TestCompressRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	block := make([]byte, 64<<10)
	for i := range block {
		block[i] = byte(rng.UintN(256))
	}
	var data []byte
	data = append(data, block...)
	data = append(data, make([]byte, 5<<20)...)
	data = append(data, block...)
	name := filepath.Join(t.TempDir(), "x.wasm")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := compress(name, 5); err != nil { // quality 5: the test stays fast
		t.Fatal(err)
	}
	for ext, open := range map[string]func(io.Reader) (io.Reader, error){
		".br": func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
		".gz": func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
	} {
		f, err := os.Open(name + ext)
		if err != nil {
			t.Fatal(err)
		}
		r, err := open(f)
		if err != nil {
			t.Fatal(ext, err)
		}
		got, err := io.ReadAll(r)
		f.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: does not decode to the input (err %v, %d of %d bytes)", ext, err, len(got), len(data))
		}
	}
}
