package cli

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"myoseg/core/imaging/decode"
	"myoseg/core/study/realism"
)

// runRealism compares phantoms with real scans (issue 11): image statistics
// and a real-vs-phantom patch classifier, as a Markdown table, and
// optionally a figure of phantoms beside the real images.
func runRealism(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("realism", stderr,
		"usage: myoseg realism --real DIR [--n N] [--seed S] [--figure FILE.png]",
		"Prints the statistics of the real images under DIR (any depth) beside version 1, 2 and 3 phantoms.")
	realDir := fs.String("real", "", "folder of real scans (required), e.g. ../shared/data/real")
	n := fs.Int("n", 39, "phantoms per set")
	seed := fs.Uint64("seed", 77, "phantom seed")
	figure := fs.String("figure", "", "also write a PNG of phantoms beside the real images")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *realDir == "" || fs.NArg() > 0 {
		return showUsage(fs)
	}
	real, err := readRealImages(*realDir)
	if err != nil {
		return asUsage(err)
	}
	sets, err := realism.StandardSets(real, *n, *seed)
	if err != nil {
		return err
	}
	res, err := realism.Run(sets, 20, 5)
	if err != nil {
		return err
	}
	if err := realism.WriteTable(stdout, res.Summaries, res.Accuracy); err != nil {
		return err
	}
	if *figure != "" {
		g, err := realism.Figure(realism.StandardRows(sets, 5), 256, 160)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, g); err != nil {
			return fmt.Errorf("figure %s: %w", *figure, err)
		}
		if err := writeFileAtomic(*figure, buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// readRealImages decodes every image file under dir, in name order.
func readRealImages(dir string) ([]*image.Gray, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm":
			if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
				paths = append(paths, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("real images %s: %w", dir, err)
	}
	sort.Strings(paths)
	var out []*image.Gray
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		img, err := decode.Decode(p, data, decode.Options{})
		if err != nil {
			return nil, err
		}
		out = append(out, img.Gray)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("real images %s: no image files", dir)
	}
	return out, nil
}
