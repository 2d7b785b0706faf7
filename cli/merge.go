package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"myoseg/core/batch"
)

// runMerge combines the summary files of every shard of one batch run.
func runMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merge", stderr,
		"usage: myoseg merge --out DIR SHARD_DIR...",
		"Reads every manifest.shard-I-of-N.json in the given folders (the --out folders of `myoseg batch --shard`),",
		"checks that all N shards of one run are there and that every input is in exactly one of them,",
		"and writes one set of results in input order. Exit: 0 all done, 1 some images failed (errors.csv),",
		"2 bad arguments, 3 shards missing, duplicated or inconsistent (nothing written).")
	out := fs.String("out", "", "folder for the merged results.csv, results.jsonl, errors.csv and manifest.json (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return showUsage(fs)
	}
	var parts []batch.Part
	for _, dir := range fs.Args() {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return asUsage(err)
		}
		for _, e := range entries {
			if e.IsDir() || !batch.IsManifestName(e.Name()) {
				continue
			}
			p, err := readPart(filepath.Join(dir, e.Name()))
			if err != nil {
				return &ExitError{ExitIncomplete, err}
			}
			parts = append(parts, p)
		}
	}
	m, err := batch.Merge(parts)
	if err != nil {
		return &ExitError{ExitIncomplete, err}
	}
	files, err := m.Files()
	if err != nil {
		return asUsage(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return asUsage(err)
	}
	lock, err := lockFolder(*out, "", "merge")
	if err != nil {
		return asUsage(err)
	}
	defer lock.Release()
	store := dirStore(*out)
	names := batch.SummaryNames(batch.Shard{})
	for _, name := range names { // the manifest last
		if err := store.WriteFile(name, files[name]); err != nil {
			return asUsage(err)
		}
	}
	fmt.Fprintf(stdout, "merged %d shard(s): %d inputs, %d done, %d failed\n", len(parts), len(m.Manifest.Inputs), len(m.Records), len(m.Failures))
	for _, n := range names {
		fmt.Fprintln(stdout, "wrote", filepath.Join(*out, n))
	}
	if len(m.Failures) > 0 {
		return fmt.Errorf("%d images failed: see %s", len(m.Failures), filepath.Join(*out, names[2]))
	}
	return nil
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
