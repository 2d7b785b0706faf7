package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"myoseg/core/batch"
	"myoseg/core/study/dataset"
)

// Exit codes of batch and merge.
const (
	exitOK          = 0
	exitFailed      = 1   // some images failed (listed in errors.csv)
	exitUsage       = 2   // bad arguments, unusable inputs, model or output folder
	exitIncomplete  = 3   // merge: shards missing, duplicated or inconsistent
	exitInterrupted = 130 // stopped by a signal; rerun the same command to finish
)

func runBatch(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf segmentFlags
	sf.register(fs)
	out := fs.String("out", "", "output folder (required): masks/, overlays/, records/, results.csv, results.jsonl, errors.csv")
	workers := fs.Int("workers", defaultWorkers(), "images segmented at once (one model graph each)")
	overlays := fs.Bool("overlays", false, "also write overlays/<name>.overlay.png")
	shardFlag := fs.String("shard", "", "i/n: do only this share of the inputs (0 ≤ i < n; by a hash of each input's relative path); combine with merge")
	sexOne := fs.String("sex-one", "M", "what sex code 1 means in characteristics tables (M or F); 0 and 2 mean the other")
	progress := fs.String("progress", "auto", "auto (a bar on a terminal, else log lines), bar, log or none")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: myoseg batch --out DIR [flags] INPUT...")
		fmt.Fprintln(stderr, "INPUT is an image file or a folder: a dataset in the seed layout ({BB,GM,TA}/{Healthy,Pathological}/Images,")
		fmt.Fprintln(stderr, "muscle from the folder, patient data from characteristics.csv/.xlsx) or any folder of images (recursively).")
		fmt.Fprintln(stderr, "Rerunning the same command skips the images already done. Exit: 0 all done, 1 some images failed")
		fmt.Fprintln(stderr, "(errors.csv), 2 bad arguments or setup, 130 interrupted.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "myoseg batch:", err)
		return exitUsage
	}
	if *out == "" || fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	var shard batch.Shard
	if *shardFlag != "" {
		var err error
		if shard, err = batch.ParseShard(*shardFlag); err != nil {
			return fail(err)
		}
	}
	mode, err := progressMode(*progress, stderr)
	if err != nil {
		return fail(err)
	}
	tmpl, spacing, err := sf.requestTemplate()
	if err != nil {
		return fail(err)
	}
	if *sexOne != "M" && *sexOne != "F" {
		return fail(fmt.Errorf("--sex-one must be M or F, got %q", *sexOne))
	}

	inputs, warnings, err := batchInputs(fs.Args(), *out, dataset.Options{SexOne: *sexOne})
	if err != nil {
		return fail(err)
	}
	for i, w := range warnings {
		if i == 10 {
			fmt.Fprintf(stderr, "warning: … and %d more\n", len(warnings)-10)
			break
		}
		fmt.Fprintln(stderr, "warning:", w)
	}
	if spacing != nil {
		var missing []string
		for i := range inputs {
			u, ok := spacing[filepath.Base(inputs[i].Path)]
			if !ok {
				missing = append(missing, inputs[i].Path)
				continue
			}
			inputs[i].User = &u
		}
		if len(missing) > 0 {
			return fail(fmt.Errorf("%d input(s) not listed in %s, e.g. %s", len(missing), sf.spacingCSV, strings.Join(missing[:min(3, len(missing))], ", ")))
		}
	}
	plan, err := batch.NewPlan(inputs, shard)
	if err != nil {
		return fail(err)
	}
	if len(inputs) == 0 {
		return fail(fmt.Errorf("no images found in %s", strings.Join(fs.Args(), " ")))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail(err)
	}
	store := dirStore(*out)
	if err := store.clearStale(plan.Owned()); err != nil {
		return fail(err)
	}
	hw, err := accelerator(sf.engine)
	if err != nil {
		return fail(err)
	}
	seg, err := loadSegmenterWith(sf.modelPath, sf.engine, *workers)
	if err != nil {
		return fail(err)
	}
	info := seg.Model()
	fmt.Fprintf(stderr, "batch: %d images", len(plan.Mine))
	if !shard.Whole() {
		fmt.Fprintf(stderr, " (shard %s of %d inputs)", shard, len(inputs))
	}
	fmt.Fprintf(stderr, ", model %s, %s, %s\n", info.Name, plural(max(1, *workers), "worker"), hw)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()
	bar := newProgressWriter(stderr, mode)
	bar.start(len(plan.Mine))
	sum, err := batch.Run(ctx, batch.Config{
		Segmenter: seg,
		Read:      os.ReadFile,
		Out:       store,
		Template:  tmpl,
		Workers:   *workers,
		Overlays:  *overlays,
		Progress:  bar.update,
	}, plan)
	bar.finish()
	if sum != nil && sum.Interrupted {
		fmt.Fprintf(stderr, "batch: interrupted after %d of %d images; rerun the same command to finish the rest\n",
			sum.Segmented+sum.Skipped+sum.Failed, sum.Total)
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintln(stderr, "myoseg batch:", err)
		return exitUsage
	}
	printSummary(stdout, *out, sum)
	fmt.Fprintf(stderr, "model: %s — %s\n", info.Name, info.Warning)
	if len(sum.Failures) > 0 {
		fmt.Fprintf(stderr, "%d of %d images failed: see %s\n", len(sum.Failures), sum.Total, filepath.Join(*out, sum.Files[2]))
		return exitFailed
	}
	return exitOK
}

// batchInputs lists the inputs named on the command line. A folder's keys
// are relative to it; with several arguments each key starts with its
// argument's base name, so that two folders' a.png stay apart. The output
// folder is never taken as input.
func batchInputs(args []string, out string, opt dataset.Options) ([]batch.Input, []string, error) {
	absOut, err := filepath.Abs(out)
	if err != nil {
		return nil, nil, err
	}
	var inputs []batch.Input
	var warnings []string
	for _, arg := range args {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return nil, nil, err
		}
		st, err := os.Stat(arg)
		if err != nil {
			return nil, nil, err
		}
		prefix := ""
		if len(args) > 1 {
			prefix = filepath.Base(abs) + "/"
		}
		if !st.IsDir() {
			inputs = append(inputs, batch.Input{Key: filepath.Base(abs), Path: arg})
			continue
		}
		if abs == absOut {
			return nil, nil, fmt.Errorf("--out %s is an input folder: give the outputs a folder of their own", out)
		}
		var skip func(string) bool
		if rel, err := filepath.Rel(abs, absOut); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			rel = filepath.ToSlash(rel)
			skip = func(p string) bool { return p == rel || strings.HasPrefix(p, rel+"/") }
		}
		l, err := batch.Collect(os.DirFS(arg), opt, skip)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", arg, err)
		}
		for _, w := range l.Warnings {
			warnings = append(warnings, arg+": "+w)
		}
		for _, in := range l.Inputs {
			in.Path = filepath.Join(arg, filepath.FromSlash(in.Path))
			in.Key = prefix + in.Key
			inputs = append(inputs, in)
		}
	}
	return inputs, warnings, nil
}

// dirStore is the output folder on disk (batch.Store).
type dirStore string

func (d dirStore) path(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

func (d dirStore) ReadFile(name string) ([]byte, error) { return os.ReadFile(d.path(name)) }

func (d dirStore) WriteFile(name string, data []byte) error {
	p := d.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(p, data)
}

func (d dirStore) Exists(name string) (bool, error) {
	_, err := os.Stat(d.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// clearStale removes the temporary files a killed run left behind
// (writeFileAtomic's ".NAME.tmp-*"), but only those of outputs this run
// owns: another shard may be writing into the same folder.
func (d dirStore) clearStale(owned map[string]bool) error {
	err := filepath.WalkDir(string(d), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		name := e.Name()
		i := strings.LastIndex(name, ".tmp-")
		if !strings.HasPrefix(name, ".") || i < 1 {
			return nil
		}
		rel, err := filepath.Rel(string(d), filepath.Join(filepath.Dir(p), name[1:i]))
		if err == nil && owned[filepath.ToSlash(rel)] {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear temporary files in %s: %w", string(d), err)
	}
	return nil
}

func printSummary(w io.Writer, out string, s *batch.Summary) {
	rate := ""
	if s.Segmented > 0 && s.Elapsed > 0 {
		rate = fmt.Sprintf(" (%.2f images/s)", float64(s.Segmented)/s.Elapsed.Seconds())
	}
	fmt.Fprintf(w, "%d images: %d segmented, %d already done, %d failed, in %s%s\n",
		s.Total, s.Segmented, s.Skipped, len(s.Failures), s.Elapsed.Round(10*time.Millisecond), rate)
	if n := time.Duration(s.Segmented); n > 0 {
		t := s.Timing
		ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d/n)/1e6, 'f', 1, 64) }
		fmt.Fprintf(w, "per image (ms, per worker): read %s, decode %s, prepare %s, inference %s, post-processing %s, measure %s, render %s, write %s\n",
			ms(t.Read), ms(t.Decode), ms(t.Prepare), ms(t.Infer), ms(t.Post), ms(t.Measure), ms(t.Render), ms(t.Write))
	}
	if peak, ok := peakRSS(); ok {
		fmt.Fprintf(w, "peak memory: %.0f MiB\n", float64(peak)/(1<<20))
	}
	for _, f := range s.Files {
		fmt.Fprintln(w, "wrote", filepath.Join(out, f))
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// peakRSS is the process's peak resident memory (Linux; ok false elsewhere).
func peakRSS() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := strings.Fields(string(v))
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err == nil
			}
		}
	}
	return 0, false
}

// Progress display.

type progressKind int

const (
	progressNone progressKind = iota
	progressBar
	progressLog
)

func progressMode(v string, w io.Writer) (progressKind, error) {
	switch v {
	case "none":
		return progressNone, nil
	case "bar":
		return progressBar, nil
	case "log":
		return progressLog, nil
	case "auto":
		if isTerminal(w) {
			return progressBar, nil
		}
		return progressLog, nil
	}
	return 0, fmt.Errorf("--progress must be auto, bar, log or none, got %q", v)
}

// isTerminal reports whether w is a character device (a terminal) and the
// terminal can move the cursor back.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressWriter draws a bar redrawn in place (at most 10 times a second)
// or writes a log line every 10 seconds.
type progressWriter struct {
	w     io.Writer
	kind  progressKind
	width int
	last  time.Time
	p     batch.Progress
	drawn bool
}

func newProgressWriter(w io.Writer, kind progressKind) *progressWriter {
	width := 80
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 20 {
		width = c
	}
	return &progressWriter{w: w, kind: kind, width: width - 1, last: time.Now()}
}

// start draws the empty bar, so a long first image does not look like a hang.
func (pw *progressWriter) start(total int) {
	if pw.kind == progressBar && total > 0 {
		pw.p = batch.Progress{Total: total}
		fmt.Fprintf(pw.w, "\r%s\x1b[K", pw.p.Bar(pw.width))
		pw.drawn = true
	}
}

func (pw *progressWriter) update(p batch.Progress) {
	pw.p = p
	now := time.Now()
	switch pw.kind {
	case progressBar:
		if now.Sub(pw.last) >= 100*time.Millisecond || p.Done == p.Total {
			fmt.Fprintf(pw.w, "\r%s\x1b[K", p.Bar(pw.width))
			pw.last, pw.drawn = now, true
		}
	case progressLog:
		if now.Sub(pw.last) >= 10*time.Second || p.Done == p.Total {
			fmt.Fprintln(pw.w, "batch:", p.Line())
			pw.last = now
		}
	}
}

func (pw *progressWriter) finish() {
	if pw.kind == progressBar && pw.drawn {
		fmt.Fprintf(pw.w, "\r%s\x1b[K\n", pw.p.Bar(pw.width))
	}
}

func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "folder for the merged results.csv, results.jsonl, errors.csv and manifest.json (required)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: myoseg merge --out DIR SHARD_DIR...")
		fmt.Fprintln(stderr, "Reads every manifest.shard-I-of-N.json in the given folders (the --out folders of `myoseg batch --shard`),")
		fmt.Fprintln(stderr, "checks that all N shards of one run are there and that every input is in exactly one of them,")
		fmt.Fprintln(stderr, "and writes one set of results in input order. Exit: 0 all done, 1 some images failed (errors.csv),")
		fmt.Fprintln(stderr, "2 bad arguments, 3 shards missing, duplicated or inconsistent (nothing written).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *out == "" || fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	var parts []batch.Part
	for _, dir := range fs.Args() {
		entries, err := os.ReadDir(dir)
		if err != nil {
			fmt.Fprintln(stderr, "myoseg merge:", err)
			return exitUsage
		}
		for _, e := range entries {
			if e.IsDir() || !batch.IsManifestName(e.Name()) {
				continue
			}
			p, err := readPart(filepath.Join(dir, e.Name()))
			if err != nil {
				fmt.Fprintln(stderr, "myoseg merge:", err)
				return exitIncomplete
			}
			parts = append(parts, p)
		}
	}
	m, err := batch.Merge(parts)
	if err != nil {
		fmt.Fprintln(stderr, "myoseg", err)
		return exitIncomplete
	}
	files, err := m.Files()
	if err != nil {
		fmt.Fprintln(stderr, "myoseg merge:", err)
		return exitUsage
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(stderr, "myoseg merge:", err)
		return exitUsage
	}
	store := dirStore(*out)
	names := batch.SummaryNames(batch.Shard{})
	for _, name := range names { // the manifest last
		if err := store.WriteFile(name, files[name]); err != nil {
			fmt.Fprintln(stderr, "myoseg merge:", err)
			return exitUsage
		}
	}
	fmt.Fprintf(stdout, "merged %d shard(s): %d inputs, %d done, %d failed\n", len(parts), len(m.Manifest.Inputs), len(m.Records), len(m.Failures))
	for _, n := range names {
		fmt.Fprintln(stdout, "wrote", filepath.Join(*out, n))
	}
	if len(m.Failures) > 0 {
		fmt.Fprintf(stderr, "%d images failed: see %s\n", len(m.Failures), filepath.Join(*out, names[2]))
		return exitFailed
	}
	return exitOK
}

// readPart reads one shard's manifest and the files it names (beside it).
func readPart(manifest string) (batch.Part, error) {
	p := batch.Part{Source: manifest}
	var err error
	if p.Manifest, err = os.ReadFile(manifest); err != nil {
		return p, err
	}
	m, err := batch.ParseManifest(manifest, p.Manifest)
	if err != nil {
		return p, err
	}
	dir := filepath.Dir(manifest)
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{{m.JSONL, &p.JSONL}, {m.Errors, &p.Errors}} {
		if f.name != filepath.Base(f.name) || f.name == "" {
			return p, fmt.Errorf("%s: names %q, not a file beside it", manifest, f.name)
		}
		if *f.dst, err = os.ReadFile(filepath.Join(dir, f.name)); err != nil {
			return p, err
		}
	}
	return p, nil
}
