package cli

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"myoseg/core/study/phantom"
)

// failingTemp fails its Write for outputs whose name holds failOn: a full
// disk met halfway through an image's files.
type failingTemp struct {
	*os.File
	fail bool
}

func (f failingTemp) Write(p []byte) (int, error) {
	if f.fail {
		return 0, syscall.ENOSPC
	}
	return f.File.Write(p)
}

// injectWriteFailure makes createTemp's files fail to write for outputs
// whose name contains failOn, until the test ends.
func injectWriteFailure(t *testing.T, failOn string) {
	orig := createTemp
	createTemp = func(path string) (tempFile, error) {
		f, err := orig(path)
		if err != nil {
			return nil, err
		}
		return failingTemp{f.(*os.File), strings.Contains(filepath.Base(path), failOn)}, nil
	}
	t.Cleanup(func() { createTemp = orig })
}

// files lists every file under dir, hidden ones included.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// segment --out writes an image's mask, overlay and record all or none: a
// write failure on the second file leaves no file of that image, not even
// a temporary one (issue 15, fault 3: the mask stayed without its overlay
// and record).
func TestSegmentWritesAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := phantom.Generate(phantom.Config{Seed: 99, N: 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	in, out := filepath.Join(dir, "a.png"), filepath.Join(dir, "out")
	writePNG(t, in, s.Image)
	injectWriteFailure(t, ".overlay.png")
	var stdout, stderr bytes.Buffer
	code := run("segment", []string{"--out", out, in}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "no space left on device") {
		t.Errorf("exit %d, stderr %q; want 1 and the write error", code, stderr.String())
	}
	if got := files(t, out); len(got) != 0 {
		t.Errorf("after a failed write the output folder holds %v, want nothing", got)
	}
}

// Outputs get the usual mode under the umask (0644 files, 0755 folders
// under 022), not os.CreateTemp's 0600 (issue 15, fault 4).
func TestOutputModesFollowUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	s, _ := phantom.Generate(phantom.Config{Seed: 99, N: 1}, 0)
	in, out := filepath.Join(dir, "a.png"), filepath.Join(dir, "out", "sub")
	writePNG(t, in, s.Image)
	var stdout, stderr bytes.Buffer
	if code := run("segment", []string{"--out", out, in}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got := files(t, out)
	if len(got) != 3 {
		t.Fatalf("outputs %v", got)
	}
	for _, name := range got {
		st, err := os.Stat(filepath.Join(out, name))
		if err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v (%v), want 0644", name, st.Mode().Perm(), err)
		}
	}
	for _, d := range []string{out, filepath.Dir(out)} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want 0755", d, st.Mode().Perm())
		}
	}
}

// A decode error names the file as the user gave it, folders included
// (issue 15, fault 6), while the record keeps the base name.
func TestSegmentErrorNamesPathAsGiven(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "scans", "day1", "b.png")
	os.MkdirAll(filepath.Dir(bad), 0o755)
	os.WriteFile(bad, hugePNG(512, 480), 0o644)
	var stdout, stderr bytes.Buffer
	code := run("segment", []string{bad}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "error: decode: "+bad+": ") {
		t.Errorf("exit %d, stderr %q; want the path %s", code, stderr.String(), bad)
	}
	// Above --max-pixels: refused from the header, the flag named.
	big := filepath.Join(dir, "big.png")
	os.WriteFile(big, hugePNG(8000, 8000), 0o644)
	stderr.Reset()
	code = run("segment", []string{"--max-pixels", "1000000", big}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "8000×8000 pixels (64 Mpx; limit 1.0 Mpx)") || !strings.Contains(stderr.String(), "--max-pixels") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// eval with a prediction folder that holds nothing scores nothing: an
// error, one line saying why (issue 15, fault 5: it exited 0).
func TestEvalNothingScoredFails(t *testing.T) {
	dir := t.TempDir()
	data, pred, out := filepath.Join(dir, "data"), filepath.Join(dir, "pred"), filepath.Join(dir, "report")
	if err := phantom.WriteDataset(t.Context(), osFS{}, filepath.ToSlash(data), phantom.Config{Seed: 3, N: 2}, nil); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(pred, 0o755)
	var stdout, stderr bytes.Buffer
	code := run("eval", []string{"--data", data, "--pred", pred, "--out", out, "--quiet"}, &stdout, &stderr)
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], "nothing scored: none of the") || !strings.Contains(lines[0], "no predicted mask (looked for ") {
		t.Errorf("exit %d, stderr %q; want 1 and one line saying why", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "report.md")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a report of nothing was written (%v)", err)
	}
}

// TestLockHelperProcess holds an output folder's lock until killed (run as
// a child by TestBatchLockTwoProcesses, not a test of its own).
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv("MYOSEG_LOCK_DIR")
	if dir == "" {
		t.Skip("helper process for TestBatchLockTwoProcesses")
	}
	l, err := lockFolder(dir, "", "batch")
	if err != nil {
		os.Exit(3)
	}
	os.Stdout.WriteString("locked\n")
	time.Sleep(time.Minute)
	l.Release()
	os.Exit(0)
}

// Two processes on one --out: while one holds the folder, batch refuses
// with the holder's PID; once the holder is gone (killed: its lock file
// stays), batch takes the folder over and runs (issue 15, fault 2).
func TestBatchLockTwoProcesses(t *testing.T) {
	data, modelPath := batchFixture(t, 2)
	out := filepath.Join(t.TempDir(), "out")
	os.MkdirAll(out, 0o755)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), "MYOSEG_LOCK_DIR="+out)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 7)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("helper: %q %v", buf, err)
	}
	code, _, stderr := batchCLI(t, "batch", "--model", modelPath, "--out", out, data)
	if code != ExitUsage || !strings.Contains(stderr, "is in use by another run (PID "+itoa(cmd.Process.Pid)) || !strings.Contains(stderr, "one run per output folder") {
		t.Errorf("while held: exit %d, stderr %q", code, stderr)
	}
	if recs, _ := filepath.Glob(filepath.Join(out, "records", "*")); len(recs) != 0 {
		t.Errorf("the refused run wrote %v", recs)
	}
	// A shard of the same folder is refused too.
	code, _, stderr = batchCLI(t, "batch", "--model", modelPath, "--shard", "0/2", "--out", out, data)
	if code != ExitUsage || !strings.Contains(stderr, "is in use by another run") {
		t.Errorf("shard while held: exit %d, stderr %q", code, stderr)
	}
	cmd.Process.Kill()
	cmd.Wait()
	code, _, stderr = batchCLI(t, "batch", "--model", modelPath, "--out", out, data)
	if code != 0 {
		t.Errorf("after the holder died: exit %d, stderr %q", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(out, ".myoseg.lock")); err != nil || len(b) != 0 {
		t.Errorf("lock file after the run: %q %v, want empty", b, err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
