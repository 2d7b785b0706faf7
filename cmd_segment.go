package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"myoseg/core/clinical/record"
	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
	"myoseg/core/imaging/render"
	"myoseg/core/pipeline"
	"myoseg/models"
)

// segmentFlags are the flags shared by segment and batch: calibration,
// muscle and patient data.
type segmentFlags struct {
	cmPerPx, depthCm  float64
	spacingCSV        string
	muscle, side, sex string
	age, height       float64
	weight            float64
	frame             int
	modelPath         string
	engine            string
}

func (f *segmentFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&f.cmPerPx, "cm-per-px", 0, "calibration: cm per pixel (used when the file carries none)")
	fs.Float64Var(&f.depthCm, "depth-cm", 0, "calibration: depth of the ultrasound field in cm (used when the file carries none)")
	fs.StringVar(&f.spacingCSV, "spacing-csv", "", "calibration: CSV with columns file,cm_per_pixel_x,cm_per_pixel_y")
	fs.StringVar(&f.muscle, "muscle", "", "muscle: BB, TA, GM, RF or VL (needed for z-scores)")
	fs.StringVar(&f.side, "side", "", "side: left or right")
	fs.Float64Var(&f.age, "age", 0, "patient age in years")
	fs.StringVar(&f.sex, "sex", "", "patient sex: M or F")
	fs.Float64Var(&f.height, "height", 0, "patient height in cm")
	fs.Float64Var(&f.weight, "weight", 0, "patient weight in kg")
	fs.IntVar(&f.frame, "frame", 0, "DICOM frame to segment (0-based)")
	fs.StringVar(&f.modelPath, "model", "", "ONNX model file (default: the embedded "+models.DefaultName+")")
	fs.StringVar(&f.engine, "engine", defaultEngine, "inference engine: fast (core/nn/executor) or gorgonnx (onnx-go + gorgonia, the reference)")
}

// requestTemplate validates the flags once and returns the shared part of
// every request, plus per-file spacing from --spacing-csv.
func (f *segmentFlags) requestTemplate() (pipeline.Request, map[string]calib.User, error) {
	var req pipeline.Request
	req.Frame = f.frame
	req.User = calib.User{CmPerPx: f.cmPerPx, DepthCm: f.depthCm}
	// A one-pixel field is enough to validate the numbers early.
	if _, err := calib.FromUser(req.User, image.Rect(0, 0, 1, 1)); err != nil {
		return req, nil, err
	}
	if f.muscle != "" {
		m, err := zscore.ParseMuscle(f.muscle)
		if err != nil {
			return req, nil, err
		}
		req.Muscle = m
	}
	switch strings.ToLower(f.side) {
	case "", "left", "right":
		req.Side = strings.ToLower(f.side)
	default:
		return req, nil, fmt.Errorf("--side must be left or right, got %q", f.side)
	}
	if f.age != 0 || f.sex != "" || f.height != 0 || f.weight != 0 {
		sex := strings.ToUpper(f.sex)
		if sex != "" && sex != "M" && sex != "F" {
			return req, nil, fmt.Errorf("--sex must be M or F, got %q", f.sex)
		}
		req.Patient = &zscore.Patient{AgeYears: f.age, Sex: sex, HeightCm: f.height, WeightKg: f.weight}
	}
	var spacing map[string]calib.User
	if f.spacingCSV != "" {
		var err error
		if spacing, err = readSpacingCSV(f.spacingCSV); err != nil {
			return req, nil, err
		}
	}
	return req, spacing, nil
}

// readSpacingCSV reads file,cm_per_pixel_x,cm_per_pixel_y rows (the layout of
// shared/data/real/vastus-lateralis-panoramic/spacing.csv), keyed by base name.
func readSpacingCSV(path string) (map[string]calib.User, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("spacing CSV: %w", err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("spacing CSV %s: %w", path, err)
	}
	out := map[string]calib.User{}
	for i, row := range rows {
		if i == 0 && len(row) > 0 && row[0] == "file" {
			continue
		}
		if len(row) < 2 {
			return nil, fmt.Errorf("spacing CSV %s line %d: want file,cm_per_pixel_x[,cm_per_pixel_y]", path, i+1)
		}
		x, err := strconv.ParseFloat(row[1], 64)
		if err == nil && len(row) > 2 && row[2] != "" {
			var y float64
			if y, err = strconv.ParseFloat(row[2], 64); err == nil && y != x {
				err = fmt.Errorf("anisotropic pixels (%g × %g cm) are not supported from a spacing CSV", x, y)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("spacing CSV %s line %d: %w", path, i+1, err)
		}
		out[filepath.Base(row[0])] = calib.User{CmPerPx: x}
	}
	return out, nil
}

func runSegment(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("segment", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf segmentFlags
	sf.register(fs)
	out := fs.String("out", "", "folder for masks, overlays and records (created; inputs are never overwritten)")
	asJSON := fs.Bool("json", false, "print one JSON record per line instead of a table")
	asCSV := fs.Bool("csv", false, "print CSV (header + one row per file) instead of a table")
	workers := fs.Int("workers", 1, "images segmented at once (one model graph each)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: myoseg segment [flags] FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		fs.Usage()
		return 2
	}
	tmpl, spacing, err := sf.requestTemplate()
	if err != nil {
		fmt.Fprintln(stderr, "myoseg segment:", err)
		return 2
	}
	names, err := outputNames(files, *out)
	if err != nil {
		fmt.Fprintln(stderr, "myoseg segment:", err)
		return 2
	}
	seg, err := loadSegmenterWith(sf.modelPath, sf.engine, *workers)
	if err != nil {
		fmt.Fprintln(stderr, "myoseg segment:", err)
		return 1
	}

	type outcome struct {
		rec *record.Record
		err error
	}
	results := make([]outcome, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, *workers))
	for i, path := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rec, err := segmentOne(seg, tmpl, spacing, path, *out, names[i])
			results[i] = outcome{rec, err}
		}()
	}
	wg.Wait()

	failed := 0
	var recs []record.Record
	for _, r := range results {
		if r.err != nil {
			failed++
			fmt.Fprintln(stderr, "error:", r.err)
			continue
		}
		recs = append(recs, *r.rec)
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(stdout)
		for _, r := range recs {
			enc.Encode(r)
		}
	case *asCSV:
		w := csv.NewWriter(stdout)
		w.Write(record.Columns())
		for _, r := range recs {
			w.Write(r.Row())
		}
		w.Flush()
	default:
		printTable(stdout, recs)
	}
	if len(recs) > 0 {
		fmt.Fprintf(stderr, "model: %s — %s\n", recs[0].Model, recs[0].Warning)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "%d of %d files failed\n", failed, len(files))
		return 1
	}
	return 0
}

// segmentOne runs one file and writes its outputs (when out is set).
func segmentOne(seg *pipeline.Segmenter, tmpl pipeline.Request, spacing map[string]calib.User, path, out, stem string) (*record.Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	req := tmpl
	req.Name, req.Data = filepath.Base(path), data
	if spacing != nil {
		u, ok := spacing[filepath.Base(path)]
		if !ok {
			return nil, fmt.Errorf("%s: not listed in the spacing CSV", path)
		}
		req.User = u
	}
	res, err := seg.Run(context.Background(), req)
	if err != nil {
		return nil, err
	}
	if out == "" {
		return &res.Record, nil
	}
	if err := writeOutputs(out, stem, res); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &res.Record, nil
}

// writeOutputs writes STEM.mask.png, STEM.overlay.png and STEM.json; all
// three are rendered before any is written, so an error leaves nothing.
func writeOutputs(dir, stem string, res *pipeline.Result) error {
	maskPNG, err := render.MaskPNG(res.Mask)
	if err != nil {
		return err
	}
	overlayPNG, err := render.OverlayPNG(res.Image.Gray, res.Mask, res.Field)
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(res.Record, "", "  ")
	if err != nil {
		return err
	}
	for _, f := range []struct {
		suffix string
		data   []byte
	}{{".mask.png", maskPNG}, {".overlay.png", overlayPNG}, {".json", append(js, '\n')}} {
		if err := writeFileAtomic(filepath.Join(dir, stem+f.suffix), f.data); err != nil {
			return err
		}
	}
	return nil
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
		for _, suffix := range []string{".mask.png", ".overlay.png", ".json"} {
			for _, stem := range stems {
				if oi, err := os.Stat(filepath.Join(out, stem+suffix)); err == nil && os.SameFile(fi, oi) {
					return nil, fmt.Errorf("output %s would overwrite the input %s", filepath.Join(out, stem+suffix), f)
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
		if r.Z != nil {
			exp, z = fmt.Sprintf("%.1f", *r.EIExpected), fmt.Sprintf("%+.2f", *r.Z)
			if *r.Abnormal {
				z += " abnormal"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f±%.1f\t%s\t%s\t%s\n", r.File, csa, r.EIMean, r.EISD, exp, z, r.CalibrationSource)
	}
	tw.Flush()
	for _, r := range recs {
		if r.Z != nil {
			fmt.Fprintln(w, "note:", zscore.Caveat)
			break
		}
	}
}
