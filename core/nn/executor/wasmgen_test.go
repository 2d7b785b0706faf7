package executor

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestWasmAssemblyGenerated: kern_wasm.s and wino_wasm.s are what
// gen_wasm.py writes, so the script stays their one source.
func TestWasmAssemblyGenerated(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	script, _ := filepath.Abs("gen_wasm.py")
	dir := t.TempDir()
	cmd := exec.Command(py, script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_wasm.py: %v\n%s", err, out)
	}
	for _, f := range []string{"kern_wasm.s", "wino_wasm.s"} {
		want, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what gen_wasm.py writes: run go generate ./core/nn/executor/", f)
		}
	}
}

// TestAscendingPanics: the wasm kernels bound all taps by the first and the
// last, so offsets that do not ascend must be refused where they are made.
func TestAscendingPanics(t *testing.T) {
	ascending([]int32{0, 3, 3, 9}) // equal neighbours are fine
	for _, off := range [][]int32{{0, 5, 2}, {-1, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("ascending(%v) did not panic", off)
				}
			}()
			ascending(off)
		}()
	}
}
