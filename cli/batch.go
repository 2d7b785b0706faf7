package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"myoseg/core/batch"
	"myoseg/core/nn/engine/open"
	"myoseg/core/study/dataset"
)

// runBatch segments many images or datasets into an output folder:
// resumable, sharded (core/batch does the work; this is the OS side).
func runBatch(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("batch", stderr,
		"usage: myoseg batch --out DIR [flags] INPUT...",
		"INPUT is an image file or a folder: a dataset in the seed layout ({BB,GM,TA}/{Healthy,Pathological}/Images,",
		"muscle from the folder, patient data from characteristics.csv/.xlsx) or any folder of images (recursively).",
		"Rerunning the same command skips the images already done. A whole run prints the patient-level reading of",
		"every subject with z-scores of two muscles or more. Exit: 0 all done, 1 some images failed (errors.csv),",
		"2 bad arguments or setup, 130 interrupted.")
	var img imageFlags
	img.register(fs, "muscle for inputs outside the seed layout: BB, TA, GM, RF or VL (needed for z-scores)")
	var mf modelFlags
	mf.register(fs)
	sexOne := registerSexOne(fs)
	out := fs.String("out", "", "output folder (required): masks/, overlays/, records/, results.csv, results.jsonl, errors.csv")
	overlays := fs.Bool("overlays", false, "also write overlays/<name>.overlay.png")
	shardFlag := fs.String("shard", "", "i/n: do only this share of the inputs (0 ≤ i < n; by a hash of each input's relative path); combine with merge")
	progress := fs.String("progress", "auto", "auto (a bar on a terminal, else log lines), bar, log or none")
	srFlag := fs.Bool("sr", false, "also write a DICOM Structured Report per patient and exam date of the DICOM inputs to OUT/sr/ (whole runs only)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return showUsage(fs)
	}
	var shard batch.Shard
	if *shardFlag != "" {
		var err error
		if shard, err = batch.ParseShard(*shardFlag); err != nil {
			return asUsage(err)
		}
	}
	mode, err := progressMode(*progress, stderr)
	if err != nil {
		return asUsage(err)
	}
	if err := mf.check(); err != nil {
		return err
	}
	tmpl, err := img.options(img.muscle).Request("")
	if err != nil {
		return asUsage(err)
	}
	spacing, err := img.spacing()
	if err != nil {
		return asUsage(err)
	}

	inputs, warnings, err := batchInputs(fs.Args(), *out, dataset.Options{SexOne: string(*sexOne)})
	if err != nil {
		return asUsage(err)
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
			return usageError("%d input(s) not listed in %s, e.g. %s", len(missing), img.spacingCSV, strings.Join(missing[:min(3, len(missing))], ", "))
		}
	}
	plan, err := batch.NewPlan(inputs, shard)
	if err != nil {
		return asUsage(err)
	}
	if *srFlag && !shard.Whole() {
		return usageError("--sr needs the whole run: a shard sees only part of each exam")
	}
	if len(inputs) == 0 {
		return usageError("no images found in %s", strings.Join(fs.Args(), " "))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return asUsage(err)
	}
	shardKey := ""
	if !shard.Whole() {
		shardKey = shard.String()
	}
	lock, err := lockFolder(*out, shardKey, "batch")
	if err != nil {
		return asUsage(err)
	}
	defer lock.Release()
	store := dirStore(*out)
	if err := store.clearStale(plan.Owned()); err != nil {
		return asUsage(err)
	}
	hw, err := open.Device(mf.engine)
	if err != nil {
		return asUsage(err)
	}
	seg, err := mf.segmenter()
	if err != nil {
		return asUsage(err)
	}
	info := seg.Model()
	fmt.Fprintf(stderr, "batch: %d images", len(plan.Mine))
	if !shard.Whole() {
		fmt.Fprintf(stderr, " (shard %s of %d inputs)", shard, len(inputs))
	}
	fmt.Fprintf(stderr, ", model %s, %s, %s\n", info.Name, plural(mf.Workers(), "worker"), hw)

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
		Workers:   mf.Workers(),
		Overlays:  *overlays,
		Progress:  bar.update,
	}, plan)
	bar.finish()
	if sum != nil && sum.Interrupted {
		return &ExitError{ExitInterrupted, fmt.Errorf("interrupted after %d of %d images; rerun the same command to finish the rest",
			sum.Segmented+sum.Skipped+sum.Failed, sum.Total)}
	}
	if err != nil {
		return asUsage(err)
	}
	printSummary(stdout, *out, sum)
	if *srFlag {
		if err := writeBatchSRs(*out, inputs, sum.Readings, info, stderr); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "model: %s — %s\n", info.Name, info.Warning)
	if len(sum.Failures) > 0 {
		return fmt.Errorf("%d of %d images failed: see %s", len(sum.Failures), sum.Total, filepath.Join(*out, sum.Files[2]))
	}
	return nil
}
