package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"myoseg/core/batch"
	"myoseg/core/clinical/record"
	"myoseg/core/nn/onnxmodel/onnxtest"
	"myoseg/core/study/phantom"
)

// batchFixture writes n phantoms and a small fast model (dark 3×3 means
// are muscle) into a temporary folder.
func batchFixture(t *testing.T, n int) (data, modelPath string) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	if err := phantom.WriteDataset(context.Background(), osFS{}, filepath.ToSlash(data), phantom.Config{Seed: 9, N: n, PathologicalFraction: 0.5}, nil); err != nil {
		t.Fatal(err)
	}
	w1 := make([]float32, 18)
	for i := range 9 {
		w1[i], w1[9+i] = 1.0/9, -1.0/9
	}
	modelPath = filepath.Join(dir, "tiny.onnx")
	if err := os.WriteFile(modelPath, onnxtest.TinyNet(120, 128, w1, []float32{0, 0}, []float32{0, 3}, -1.5).Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return data, modelPath
}

func batchCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	if args[0] == "batch" {
		args = append([]string{"batch", "--progress", "none"}, args[1:]...)
	}
	code = Run(args, &o, &e, Command{})
	return code, o.String(), e.String()
}

// tree reads every file under dir (relative slash paths → bytes).
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: %s missing", what, k)
		} else if !bytes.Equal(g, v) {
			t.Errorf("%s: %s differs", what, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: extra file %s", what, k)
		}
	}
}

// TestBatchHelperProcess is the batch command run as a child process by
// TestBatchSurvivesKill (not a test of its own).
func TestBatchHelperProcess(t *testing.T) {
	if os.Getenv("MYOSEG_BATCH_HELPER") != "1" {
		t.Skip("helper process for TestBatchSurvivesKill")
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("MYOSEG_BATCH_ARGS")), &args); err != nil {
		os.Exit(99)
	}
	os.Exit(Run(args, os.Stdout, os.Stderr, Command{}))
}

// A run killed with SIGKILL halfway, then rerun, ends with exactly the
// files of an uninterrupted run, and never leaves a half-written file
// under a final name.
func TestBatchSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the batch three times over 24 phantoms")
	}
	data, modelPath := batchFixture(t, 24)
	ref, out := filepath.Join(t.TempDir(), "ref"), filepath.Join(t.TempDir(), "out")
	if code, _, stderr := batchCLI(t, "batch", "--model", modelPath, "--overlays", "--workers", "2", "--out", ref, data); code != 0 {
		t.Fatalf("reference run: exit %d\n%s", code, stderr)
	}

	args, _ := json.Marshal([]string{"batch", "--progress", "none", "--model", modelPath, "--overlays", "--workers", "2", "--out", out, data})
	cmd := exec.Command(os.Args[0], "-test.run=^TestBatchHelperProcess$")
	cmd.Env = append(os.Environ(), "MYOSEG_BATCH_HELPER=1", "MYOSEG_BATCH_ARGS="+string(args))
	var childErr bytes.Buffer
	cmd.Stderr = &childErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Kill once a few images are done, while others are being written.
	deadline := time.Now().Add(60 * time.Second)
	killed := false
	for !killed && time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("the run ended (%v) before it could be killed; stderr:\n%s", err, childErr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if recs, _ := filepath.Glob(filepath.Join(out, "records", "*", "*", "Images", "*.json")); len(recs) >= 4 {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			killed = true
		}
	}
	if !killed {
		t.Fatal("no image finished within 60 s")
	}
	<-exited

	partial := tree(t, out)
	done := 0
	for name, b := range partial {
		base := filepath.Base(name)
		switch {
		case strings.HasPrefix(base, "."): // a temporary file: allowed, cleared by the rerun
		case strings.HasSuffix(name, ".png"):
			if _, err := png.Decode(bytes.NewReader(b)); err != nil {
				t.Errorf("after kill -9: %s is not a whole PNG: %v", name, err)
			}
		case strings.HasPrefix(name, "records/"):
			done++
			if !json.Valid(b) {
				t.Errorf("after kill -9: %s is not whole JSON", name)
			}
		default:
			t.Errorf("after kill -9: %s written by an unfinished run", name)
		}
	}
	if done >= 24 {
		t.Fatalf("all %d images were done before the kill", done)
	}

	code, stdout, stderr := batchCLI(t, "batch", "--model", modelPath, "--overlays", "--workers", "1", "--out", out, data)
	if code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "already done") || !strings.Contains(stdout, "24 images:") {
		t.Errorf("rerun summary:\n%s", stdout)
	}
	sameTree(t, "killed and rerun vs uninterrupted", tree(t, out), tree(t, ref))
}

func TestBatchCorruptFilesShardsAndMerge(t *testing.T) {
	data, modelPath := batchFixture(t, 8)
	bad := map[string][]byte{
		"BB/Healthy/Images/S90001_1.png":      []byte("this is not a PNG"),
		"TA/Pathological/Images/S90002_1.png": {},
	}
	for name, b := range bad {
		p := filepath.Join(data, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	single := filepath.Join(dir, "single")
	code, _, stderr := batchCLI(t, "batch", "--model", modelPath, "--out", single, data)
	if code != ExitFailed || !strings.Contains(stderr, "2 of 10 images failed") {
		t.Fatalf("exit %d, want %d\n%s", code, ExitFailed, stderr)
	}
	fails, err := batch.DecodeErrors("errors.csv", tree(t, single)["errors.csv"])
	if err != nil || len(fails) != 2 {
		t.Fatalf("errors.csv: %v %v", fails, err)
	}
	for _, f := range fails {
		if _, ok := bad[f.File]; !ok || f.Reason == "" {
			t.Errorf("errors.csv row %+v", f)
		}
	}

	// Three shards into three folders, then merge.
	var shardDirs []string
	for i := range 3 {
		d := filepath.Join(dir, "shard", string(rune('a'+i)))
		shardDirs = append(shardDirs, d)
		code, _, stderr := batchCLI(t, "batch", "--model", modelPath, "--shard", string(rune('0'+i))+"/3", "--out", d, data)
		if code != ExitOK && code != ExitFailed {
			t.Fatalf("shard %d: exit %d\n%s", i, code, stderr)
		}
	}
	merged := filepath.Join(dir, "merged")
	code, stdout, stderr := batchCLI(t, "merge", "--out", merged, shardDirs[0], shardDirs[1], shardDirs[2])
	if code != ExitFailed || !strings.Contains(stdout, "10 inputs, 8 done, 2 failed") {
		t.Fatalf("merge: exit %d\n%s%s", code, stdout, stderr)
	}
	want := tree(t, single)
	got := tree(t, merged)
	for _, name := range batch.SummaryNames(batch.Shard{}) {
		if !bytes.Equal(got[name], want[name]) {
			t.Errorf("merged %s differs from the single run's", name)
		}
	}
	// A shard missing: refused, nothing written.
	code, _, stderr = batchCLI(t, "merge", "--out", filepath.Join(dir, "m2"), shardDirs[0], shardDirs[2])
	if code != ExitIncomplete || !strings.Contains(stderr, "1/3") {
		t.Errorf("merge without shard 1: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "m2", "results.csv")); err == nil {
		t.Error("an incomplete merge wrote results.csv")
	}
}

func TestBatchArguments(t *testing.T) {
	data, modelPath := batchFixture(t, 4) // BB: S00001_1, _2; GM: S00002_1, _2
	// The output folder inside the input folder is never read as input,
	// and a rerun does not pick up its masks.
	out := filepath.Join(data, "out")
	for run := range 2 {
		code, stdout, stderr := batchCLI(t, "batch", "--model", modelPath, "--out", out, data)
		if code != 0 || !strings.Contains(stdout, "4 images:") {
			t.Fatalf("run %d: exit %d\n%s%s", run, code, stdout, stderr)
		}
	}
	// Two arguments: keys start with the argument's base name.
	two := filepath.Join(t.TempDir(), "two")
	code, stdout, stderr := batchCLI(t, "batch", "--model", modelPath, "--out", two,
		filepath.Join(data, "GM"), filepath.Join(data, "BB", "Healthy", "Images", "S00001_2.png"))
	if code != 0 || !strings.Contains(stdout, "3 images:") {
		t.Fatalf("two arguments: exit %d\n%s%s", code, stdout, stderr)
	}
	recs, err := record.ReadJSONL(bytes.NewReader(tree(t, two)["results.jsonl"]))
	var files []string
	for _, r := range recs {
		files = append(files, r.File)
	}
	if err != nil || strings.Join(files, " ") != "GM/Healthy/Images/S00002_1.png GM/Healthy/Images/S00002_2.png S00001_2.png" {
		t.Errorf("files %v %v", files, err)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"batch", "--model", modelPath, data}, "usage"},
		{[]string{"batch", "--model", modelPath, "--out", data, data}, "input folder"},
		{[]string{"batch", "--model", modelPath, "--shard", "3/3", "--out", out, data}, "shard"},
		{[]string{"batch", "--model", modelPath, "--progress", "fancy", "--out", out, data}, "--progress"},
		{[]string{"batch", "--model", modelPath, "--out", out, filepath.Join(data, "nope")}, "no such file"},
		{[]string{"merge", "--out", out}, "usage"},
	} {
		code, _, stderr := batchCLI(t, c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q lacks %q", c.args, code, stderr, c.msg)
		}
	}
}

// A whole run over a seed-layout dataset prints the patient-level reading
// of each subject with two muscles or more; --sex-one takes either case.
func TestBatchPatientReading(t *testing.T) {
	_, modelPath := batchFixture(t, 1)
	data := filepath.Join(t.TempDir(), "data")
	for i, m := range []string{"BB", "TA", "GM"} {
		s, err := phantom.Generate(phantom.Config{Seed: 4, N: 3}, i)
		if err != nil {
			t.Fatal(err)
		}
		subject := "S1"
		if m == "GM" {
			subject = "S2" // one muscle: no reading
		}
		writePNG(t, filepath.Join(data, m, "Healthy", "Images", subject+"_1.png"), s.Image)
		chars := "ID,age,sex,height,weight\n" + subject + ",50,1,175,70\n"
		if err := os.WriteFile(filepath.Join(data, m, "Healthy", "characteristics.csv"), []byte(chars), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := batchCLI(t, "batch", "--model", modelPath, "--sex-one", "m", "--out", out, data)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	recs, err := record.ReadCSV(bytes.NewReader(tree(t, out)["results.csv"]))
	if err != nil || len(recs) != 3 {
		t.Fatalf("results.csv: %d records, %v", len(recs), err)
	}
	// The tiny test model's masks may run out of the image's depth with a
	// blurred border: the quality check flags them and withholds their
	// z-scores, and a patient with a flagged mask gets no reading.
	s1Flagged := false
	for _, r := range recs {
		flagged := r.Quality == "flagged"
		if r.Sex != "M" || (r.Z == nil) != flagged || flagged && r.ZNote != "not computed: mask flagged ("+r.QualityReasons+")" {
			t.Fatalf("%s: z %v, sex %q, quality %s (%s)", r.File, r.Z, r.Sex, r.Quality, r.ZNote)
		}
		s1Flagged = s1Flagged || flagged && strings.Contains(r.File, "S1_")
	}
	want := "patient-level readings:\n  S1: normal (2 muscles; "
	if s1Flagged {
		want = "patient-level readings:\n  S1: not computed: mask flagged ("
	}
	if !strings.Contains(stdout, want) || strings.Contains(stdout, "S2:") {
		t.Errorf("summary:\n%s", stdout)
	}
}
