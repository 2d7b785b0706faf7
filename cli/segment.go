package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"

	"myoseg/core/clinical/quality"
	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
	"myoseg/core/imaging/decode"
	"myoseg/core/pipeline"
)

// runSegment segments and measures image files, printing one result per
// file, and the patient-level reading when several muscles were given.
func runSegment(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("segment", stderr,
		"usage: myoseg segment [flags] FILE...",
		"All files are of one patient (--age, --sex, --height, --weight). With z-scores of two muscles or more",
		"(--muscle BB,TA,GM: one per file), the patient-level reading follows the results.")
	var img imageFlags
	img.register(fs, "muscle: BB, TA, GM, RF or VL (needed for z-scores); one for every file, or a comma-separated list with one per file")
	var mf modelFlags
	mf.register(fs)
	out := fs.String("out", "", "folder for masks, overlays and records (created; inputs are never overwritten)")
	asJSON := fs.Bool("json", false, "print one JSON record per line instead of a table")
	asCSV := fs.Bool("csv", false, "print CSV (header + one row per file) instead of a table")
	srPath := fs.String("sr", "", "write a DICOM Structured Report of the DICOM inputs' results to this file (created, never an input)")
	if err := parse(fs, args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		return showUsage(fs)
	}
	if err := mf.check(); err != nil {
		return err
	}
	reqs, err := segmentRequests(&img, files)
	if err != nil {
		return asUsage(err)
	}
	spacing, err := img.spacing()
	if err != nil {
		return asUsage(err)
	}
	names, err := outputNames(files, *out)
	if err != nil {
		return asUsage(err)
	}
	seg, err := mf.segmenter()
	if err != nil {
		return err
	}

	if err := checkSRPath(*srPath, files); err != nil {
		return asUsage(err)
	}
	type outcome struct {
		rec *record.Record
		id  *decode.Identity // the DICOM input's identity, for --sr; nil otherwise
		err error
	}
	results := make([]outcome, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, mf.Workers())
	for i, path := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rec, id, err := segmentOne(seg, reqs[i], spacing, path, *out, names[i])
			results[i] = outcome{rec, id, err}
		}()
	}
	wg.Wait()

	failed := 0
	var recs []record.Record
	var ids []*decode.Identity
	for _, r := range results {
		if r.err != nil {
			failed++
			fmt.Fprintln(stderr, "error:", r.err)
			continue
		}
		recs = append(recs, *r.rec)
		ids = append(ids, r.id)
	}
	readings := zscore.ReadPatients([]zscore.PatientScores{record.Scores("", recs)})
	switch {
	case *asJSON:
		if err := record.WriteJSONL(stdout, recs); err != nil {
			return err
		}
		printReadings(stderr, readings) // stdout stays one record a line
	case *asCSV:
		if err := record.WriteCSV(stdout, recs); err != nil {
			return err
		}
		printReadings(stderr, readings)
	default:
		printTable(stdout, recs)
		printReadings(stdout, readings)
	}
	if len(recs) > 0 {
		fmt.Fprintf(stderr, "model: %s — %s\n", recs[0].Model, recs[0].Warning)
	}
	if *srPath != "" {
		if err := writeSR(*srPath, recs, ids, readings, seg.Model(), stderr); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, len(files))
	}
	return nil
}

// segmentRequests checks the flags and gives each file its request: the
// muscle is one for all files or one per file (a comma-separated list).
func segmentRequests(img *imageFlags, files []string) ([]pipeline.Request, error) {
	muscles := strings.Split(img.muscle, ",")
	if len(muscles) != 1 && len(muscles) != len(files) {
		return nil, fmt.Errorf("--muscle lists %d muscles for %d files: give one for all or one per file", len(muscles), len(files))
	}
	reqs := make([]pipeline.Request, len(files))
	for i, f := range files {
		m := muscles[0]
		if len(muscles) > 1 {
			m = muscles[i]
		}
		var err error
		if reqs[i], err = img.options(m).Request(filepath.Base(f)); err != nil {
			return nil, err
		}
	}
	return reqs, nil
}

// segmentOne runs one file and writes its outputs (when out is set); a
// DICOM input's identity comes back for --sr.
func segmentOne(seg *pipeline.Segmenter, req pipeline.Request, spacing map[string]calib.User, path, out, stem string) (*record.Record, *decode.Identity, error) {
	rec, res, err := segmentFile(seg, req, spacing, path, out, stem)
	if err != nil || res.Image.DICOM == nil {
		return rec, nil, err
	}
	return rec, &res.Image.DICOM.Identity, nil
}

// segmentFile is segmentOne with the pipeline's whole result.
func segmentFile(seg *pipeline.Segmenter, req pipeline.Request, spacing map[string]calib.User, path, out, stem string) (*record.Record, *pipeline.Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	req.Data, req.Path = data, path // errors name the file as given
	if spacing != nil {
		u, ok := spacing[filepath.Base(path)]
		if !ok {
			return nil, nil, fmt.Errorf("%s: not listed in the spacing CSV", path)
		}
		req.User = u
	}
	res, err := seg.Run(context.Background(), req)
	if errors.Is(err, decode.ErrTooLarge) {
		return nil, nil, fmt.Errorf("%w (--max-pixels raises the limit, at up to %d bytes of memory a pixel)", err, pipeline.BytesPerPixel)
	}
	if err != nil {
		return nil, nil, err
	}
	if out == "" {
		return &res.Record, res, nil
	}
	// All three files are rendered, then written all or none.
	files, err := res.Files(pipeline.OutputsFor("", stem, false), res.Record)
	if err == nil {
		err = dirStore(out).WriteAll(files)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return &res.Record, res, nil
}

// outputNames gives each input a distinct output stem and checks that no
// output can land on an input.
func outputNames(files []string, out string) ([]string, error) {
	stems := make([]string, len(files))
	if out == "" {
		return stems, nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	seen := map[string]string{}
	for i, f := range files {
		stem := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		if prev, dup := seen[stem]; dup {
			return nil, fmt.Errorf("%s and %s would write the same outputs in %s; segment them into separate folders", prev, f, out)
		}
		seen[stem] = f
		stems[i] = stem
	}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			continue // reported per file later
		}
		for _, stem := range stems {
			for _, name := range pipeline.OutputsFor("", stem, false).List() {
				p := dirStore(out).path(name)
				if oi, err := os.Stat(p); err == nil && os.SameFile(fi, oi) {
					return nil, fmt.Errorf("output %s would overwrite the input %s", p, f)
				}
			}
		}
	}
	return stems, nil
}

func printTable(w io.Writer, recs []record.Record) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tCSA\tEI (mean±SD)\tEXPECTED\tZ\tCALIBRATION")
	for _, r := range recs {
		csa := fmt.Sprintf("%d px", r.CSAPx)
		if r.CSACm2 != nil {
			csa = fmt.Sprintf("%.2f cm²", *r.CSACm2)
		}
		exp, z := "–", "–"
		switch {
		case r.Z != nil:
			exp, z = fmt.Sprintf("%.1f", *r.EIExpected), fmt.Sprintf("%+.2f", *r.Z)
			if *r.Abnormal {
				z += " abnormal"
			}
			if r.ResearchOnly() {
				z += " (" + zscore.ResearchOnly + ")"
			}
		case r.Quality == string(quality.StatusFlagged):
			z = "not computed: mask flagged"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f±%.1f\t%s\t%s\t%s\n", r.File, csa, r.EIMean, r.EISD, exp, z, r.CalibrationSource)
	}
	tw.Flush()
	for _, r := range recs {
		if r.Quality != string(quality.StatusOK) && r.QualityReasons != "" {
			fmt.Fprintf(w, "%s: mask %s: %s\n", r.File, r.Quality, r.QualityReasons)
		}
	}
	for _, r := range recs {
		if r.Z != nil {
			fmt.Fprintln(w, "note:", zscore.Caveat)
			break
		}
	}
}
