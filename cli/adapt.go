package cli

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"myoseg/core/nn/onnxmodel"
	"myoseg/core/nn/train"
	"myoseg/core/pipeline"
	"myoseg/models"
)

// runAdapt fine-tunes a model on a small corrected set (the page's ZIP or
// a folder in the seed layout) with core/nn/train, the code the page runs.
func runAdapt(args []string, stdout, stderr io.Writer) error {
	fl := newFlagSet("adapt", stderr,
		"usage: myoseg adapt --data DIR_OR_ZIP --out NEW.onnx [--model PARENT.onnx] [flags]",
		"Fine-tunes the model on corrected images (seed layout: .../Images/NAME.png with .../Masks/NAME.png; patient = NAME up to the first _),",
		"keeping some patients aside: writes NEW.onnx and its card NEW.md only if their Dice improved. docs/adapt.md.")
	data := fl.String("data", "", "corrected images: a folder or a ZIP in the seed layout (required; at least 8 images of 2 patients)")
	out := fl.String("out", "", "the adapted model to write, .onnx (required); the card goes beside it as .md")
	model := fl.String("model", "", "parent ONNX model (default: the embedded "+models.DefaultName+")")
	epochs := fl.Int("epochs", 0, "passes over the training images (0: about 256 images' worth, at least 12)")
	last := fl.Int("train-last", 0, "train only the last K convolutions (0: all)")
	lr := fl.Float64("lr", 3e-4, "Adam step size")
	seed := fl.Uint64("seed", 1, "seed of the held-out split, the order and the augmentation")
	name := fl.String("name", "", "name of the adapted model (default: the file name of --out)")
	quiet := fl.Bool("quiet", false, "no progress lines")
	if err := parse(fl, args); err != nil {
		return err
	}
	if *data == "" || *out == "" || fl.NArg() > 0 {
		return showUsage(fl)
	}
	if !strings.HasSuffix(strings.ToLower(*out), ".onnx") {
		return usageError("--out %s: must end in .onnx", *out)
	}
	if *epochs < 0 || *last < 0 || *lr <= 0 {
		return usageError("--epochs must be ≥ 0, --train-last ≥ 0, --lr > 0")
	}
	pname, parent := models.Default()
	pname += ".onnx"
	if *model != "" {
		b, err := os.ReadFile(*model)
		if err != nil {
			return asUsage(fmt.Errorf("model: %w", err))
		}
		pname, parent = *model, b
	}
	m, err := onnxmodel.Parse(pname, parent)
	if err != nil {
		return asUsage(err)
	}
	fsys, closeFS, err := openData(*data)
	if err != nil {
		return asUsage(err)
	}
	defer closeFS()
	pairs, err := train.ReadSet(fsys, m.Info)
	if err != nil {
		return asUsage(fmt.Errorf("--data %s: %w", *data, err))
	}
	if *name == "" {
		*name = strings.TrimSuffix(filepath.Base(*out), filepath.Ext(*out))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opt := train.Options{Epochs: *epochs, TrainLast: *last, LR: *lr, Seed: *seed, Name: *name}
	if !*quiet {
		opt.Progress = func(p train.Progress) {
			fmt.Fprintf(stderr, "adapt: epoch %d/%d, %.0f s, about %.0f s left, held-out Dice %.4f (best %.4f)\n",
				p.Epoch, p.Epochs, p.Elapsed.Seconds(), p.Left.Seconds(), p.HeldOutDice, p.Best)
		}
	}
	res, err := train.Adapt(ctx, parent, pairs, opt)
	if errors.Is(err, context.Canceled) {
		return &ExitError{ExitInterrupted, err}
	}
	if errors.Is(err, train.ErrTooFew) || errors.Is(err, train.ErrOnePatient) {
		return asUsage(err)
	}
	if err != nil {
		return err
	}
	card := strings.TrimSuffix(*out, filepath.Ext(*out)) + ".md"
	if err := dirStore(filepath.Dir(*out)).WriteAll([]pipeline.File{
		{Name: filepath.Base(*out), Data: res.Model},
		{Name: filepath.Base(card), Data: []byte(train.Card(res, m.Info))},
	}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "adapted %s → %s on %d images (%d patients); held-out %d images (%d patients): Dice %.4f → %.4f; %.0f s\n",
		m.Info.Name, *out, res.TrainImages, len(res.TrainPatients), res.HeldOut, len(res.HeldOutPatients), res.Before, res.After, res.Elapsed.Seconds())
	return nil
}

// openData opens a folder or a ZIP as a file system.
func openData(p string) (fs.FS, func(), error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, nil, fmt.Errorf("--data: %w", err)
	}
	if st.IsDir() {
		return os.DirFS(p), func() {}, nil
	}
	z, err := zip.OpenReader(p)
	if err != nil {
		return nil, nil, fmt.Errorf("--data %s: neither a folder nor a ZIP: %w", p, err)
	}
	return z, func() { z.Close() }, nil
}
