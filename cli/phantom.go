package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"myoseg/core/study/phantom"
)

// osFS writes phantoms to the operating system's file system.
type osFS struct{}

func (osFS) MkdirAll(dir string) error { return os.MkdirAll(filepath.FromSlash(dir), 0o755) }
func (osFS) WriteFile(name string, data []byte) error {
	return os.WriteFile(filepath.FromSlash(name), data, 0o644)
}

// runPhantom writes a synthetic dataset in the seed dataset's layout.
func runPhantom(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("phantom", stderr,
		"usage: myoseg phantom --out DIR [--version 1|2|3] [--n N] [--seed S] [--pathological-fraction F] [--style NAME]",
		"Writes DIR/<muscle>/{Healthy,Pathological}/{Images,Masks}/<ID>_<k>.png, characteristics.csv and truth.csv.")
	out := fs.String("out", "", "output folder (required); one folder per muscle is created in it")
	version := fs.Int("version", phantom.V2, "scenes: 2 = anatomical BB, GM, TA, RF, VL imaged with a randomised scanner; 3 = version 2 with panoramic sweeps bent around the limb and long thigh aponeuroses; 1 = the original elliptic BB, GM, TA")
	n := fs.Int("n", 300, "number of images")
	seed := fs.Uint64("seed", 1, "random seed; image i depends only on (seed, pathological fraction, i)")
	frac := fs.Float64("pathological-fraction", 0.5, "share of subjects in the Pathological group, 0..1")
	style := fs.String("style", "", "a second scanner applied to every image, for domain-shift experiments: "+phantom.StyleNames()+" (docs/adapt.md)")
	quiet := fs.Bool("quiet", false, "no progress lines")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return showUsage(fs)
	}
	cfg := phantom.Config{Seed: *seed, N: *n, PathologicalFraction: *frac, Version: *version, Style: *style}
	start := time.Now()
	step := max(1, *n/20)
	progress := func(done int) {
		if !*quiet && (done%step == 0 || done == *n) {
			fmt.Fprintf(stderr, "phantom: %d/%d images\n", done, *n)
		}
	}
	if err := phantom.WriteDataset(context.Background(), osFS{}, filepath.ToSlash(*out), cfg, progress); err != nil {
		return err
	}
	el := time.Since(start)
	per := time.Duration(0)
	if *n > 0 {
		per = el / time.Duration(*n)
	}
	fmt.Fprintf(stdout, "wrote %d phantom images to %s in %v (%v per image)\n", *n, *out, el.Round(time.Millisecond), per.Round(time.Microsecond))
	return nil
}
