// Package batch runs one segmentation model over many images: a worker
// pool, outputs written whole or not at all, runs that resume where a
// killed run stopped, stable shards for job arrays, and the merge of shard
// outputs into one results file.
//
// Nothing here touches the operating system: inputs are read through a
// function, outputs go to a Store, and folders are listed through fs.FS, so
// the package builds for WebAssembly like the rest of core.
package batch

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
	"myoseg/core/pipeline"
	"myoseg/core/study/dataset"
)

// Input is one image of a batch.
type Input struct {
	// Key names the input inside the run: a clean, slash-separated relative
	// path ("BB/Healthy/Images/S00001_1.png"). It is the record's file
	// column, the output names, the resume key and what shards are cut by.
	Key string
	// Path is where the caller's reader finds the bytes; batch never
	// interprets it.
	Path    string
	Subject string          // the subject's ID in a seed-layout dataset; "" = unknown
	Muscle  zscore.Muscle   // from the seed layout's folder; "" = the run's default
	Patient *zscore.Patient // from characteristics.csv/.xlsx; nil = the run's default
	User    *calib.User     // per-file calibration (a spacing table); nil = the run's default
}

// imageExt lists the file extensions a folder walk takes as images; the
// same set the dataset reader takes.
var imageExt = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".bmp": true, ".tif": true, ".tiff": true, ".dcm": true}

// IsImageName reports whether a file name has an image extension and is not
// hidden (macOS "._x.png" forks, our own ".x.tmp-123" files).
func IsImageName(name string) bool {
	return !strings.HasPrefix(name, ".") && imageExt[strings.ToLower(path.Ext(name))]
}

// Walk lists the image files under fsys's root, recursively, in lexical
// order, skipping hidden files and folders, every path for which skip (may
// be nil) returns true, and a Masks folder beside an Images folder (part
// of a seed layout, e.g. one muscle's folder: the masks are annotations,
// not inputs).
func Walk(fsys fs.FS, skip func(p string) bool) ([]string, error) {
	var out []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("list %s: %w", p, err)
		}
		if p != "." && (strings.HasPrefix(d.Name(), ".") || (skip != nil && skip(p)) ||
			(d.IsDir() && strings.EqualFold(d.Name(), "Masks") && hasDir(fsys, path.Dir(p), "Images"))) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && IsImageName(d.Name()) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// hasDir reports whether dir has a sub-folder called name (any case).
func hasDir(fsys fs.FS, dir, name string) bool {
	entries, _ := fs.ReadDir(fsys, dir)
	for _, e := range entries {
		if e.IsDir() && strings.EqualFold(e.Name(), name) {
			return true
		}
	}
	return false
}

// Listing is what Collect found in one folder.
type Listing struct {
	Inputs   []Input
	Layout   bool     // the folder is a dataset in the seed layout
	Warnings []string // from the dataset reader: missing tables, subjects, …
}

// Collect lists a folder's images. A folder in the seed layout
// ({BB,GM,TA}/{Healthy,Pathological}/Images) gives its images with the
// muscle from the folder name and the subject's data from
// characteristics.csv/.xlsx; any other folder gives every image file in it,
// recursively. Keys and Paths are relative to fsys's root.
func Collect(fsys fs.FS, opt dataset.Options, skip func(p string) bool) (*Listing, error) {
	if ds, err := dataset.Read(fsys, opt); err == nil {
		l := &Listing{Layout: true, Warnings: ds.Warnings}
		for _, it := range ds.Items {
			if skip != nil && skip(it.ImagePath) {
				continue
			}
			in := Input{Key: it.ImagePath, Path: it.ImagePath, Subject: it.SubjectID, Muscle: it.MuscleName}
			if it.Patient != nil {
				p := *it.Patient
				in.Patient = &p
			}
			l.Inputs = append(l.Inputs, in)
		}
		return l, nil
	}
	files, err := Walk(fsys, skip)
	if err != nil {
		return nil, err
	}
	l := &Listing{}
	for _, f := range files {
		l.Inputs = append(l.Inputs, Input{Key: f, Path: f})
	}
	return l, nil
}

// Plan is the work of one run: every input of the whole run (all shards)
// with its output names, and which of them this shard does.
type Plan struct {
	All   []Input
	Shard Shard
	Mine  []int    // indices into All of this shard's inputs, in order
	stems []string // output stem per input, aligned with All
}

// NewPlan checks the inputs' keys (clean relative paths, no duplicates) and
// names their outputs. The stem is the key without its extension, unless
// two inputs would share it (a.png and a.jpg): then both keep the extension.
func NewPlan(inputs []Input, shard Shard) (*Plan, error) {
	if err := shard.Valid(); err != nil {
		return nil, err
	}
	p := &Plan{All: inputs, Shard: shard, stems: make([]string, len(inputs))}
	seen := make(map[string]int, len(inputs))
	byStem := make(map[string][]int, len(inputs))
	for i, in := range inputs {
		if !fs.ValidPath(in.Key) || in.Key == "." {
			return nil, fmt.Errorf("batch: input key %q is not a clean relative slash-separated path", in.Key)
		}
		if j, dup := seen[in.Key]; dup {
			return nil, fmt.Errorf("batch: %s and %s are both named %q in this run: give them separate folders", inputs[j].Path, in.Path, in.Key)
		}
		seen[in.Key] = i
		stem := strings.TrimSuffix(in.Key, path.Ext(in.Key))
		byStem[stem] = append(byStem[stem], i)
		p.stems[i] = stem
		if shard.Owns(in.Key) {
			p.Mine = append(p.Mine, i)
		}
	}
	for _, idx := range byStem {
		if len(idx) > 1 {
			for _, i := range idx {
				p.stems[i] = inputs[i].Key
			}
		}
	}
	return p, nil
}

// Outputs returns input i's output names inside the output folder:
// masks/, overlays/ and records/, each with the input's stem.
func (p *Plan) Outputs(i int) pipeline.Outputs {
	return pipeline.OutputsFor("", p.stems[i], true)
}

// Keys lists every input's key, in order.
func (p *Plan) Keys() []string {
	out := make([]string, len(p.All))
	for i, in := range p.All {
		out[i] = in.Key
	}
	return out
}

// Owned is the set of this shard's output names (slash-separated paths in
// the output folder): callers use it to clear stale temporary files
// without touching another shard's.
func (p *Plan) Owned() map[string]bool {
	own := make(map[string]bool, 3*len(p.Mine)+8)
	for _, i := range p.Mine {
		for _, n := range p.Outputs(i).List() {
			own[n] = true
		}
	}
	for _, n := range SummaryNames(p.Shard) {
		own[n] = true
	}
	return own
}
