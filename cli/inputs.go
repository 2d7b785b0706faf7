package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"myoseg/core/batch"
	"myoseg/core/study/dataset"
)

// batchInputs lists the inputs named on the command line. A folder's keys
// (and subjects) are relative to it; with several arguments each key starts
// with its argument's base name, so that two folders' a.png stay apart. The
// output folder is never taken as input.
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
		if inside(absOut, abs) {
			rel, _ := filepath.Rel(abs, absOut)
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
			if in.Subject != "" {
				in.Subject = prefix + in.Subject
			}
			inputs = append(inputs, in)
		}
	}
	return inputs, warnings, nil
}

// inside reports whether path is dir or lies under it.
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
