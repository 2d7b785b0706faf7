package cli

import (
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"

	"myoseg/core/imaging/calib"
	"myoseg/core/pipeline"
	"myoseg/core/study/dataset"
	"myoseg/core/study/eval"
	"myoseg/core/study/eval/report"
)

// modelPredictor runs the segmentation model for eval.
type modelPredictor struct {
	seg  *pipeline.Segmenter
	user calib.User
}

func (p modelPredictor) Predict(ctx context.Context, name string, data []byte) (*image.Gray, error) {
	res, err := p.seg.Run(ctx, pipeline.Request{Name: name, Data: data, User: p.user})
	if err != nil {
		return nil, err
	}
	return res.Mask, nil
}

// runEval scores segmentations against expert masks and writes the report.
func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr,
		"usage: myoseg eval --data DIR [--pred DIR] --out REPORT_DIR [flags]",
		"Scores automatic masks (from --pred, or the model) against the expert masks in DIR and writes the seed paper's analysis.")
	data := fs.String("data", "", "dataset folder in the seed layout: {BB,GM,TA}/{Healthy,Pathological}/{Images,Masks}, characteristics.csv or .xlsx (required)")
	pred := fs.String("pred", "", "folder of automatic masks made elsewhere, at the dataset's relative paths: PRED/BB/Healthy/Masks/NAME.png or PRED/BB/Healthy/NAME.png (default: run the model)")
	out := fs.String("out", "", "report folder (created): report.md, report.html, per_image.csv, per_subject.csv, plots/*.png (required)")
	cmPerPx := fs.Float64("cm-per-px", 0, "calibration for images that carry none (PNG): cm per pixel; CSA then in cm², distances in mm")
	depthCm := fs.Float64("depth-cm", 0, "calibration for images that carry none: depth of the ultrasound field in cm")
	var mf modelFlags
	mf.register(fs)
	sexOne := registerSexOne(fs)
	quiet := fs.Bool("quiet", false, "no progress lines")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || *out == "" || fs.NArg() > 0 {
		return showUsage(fs)
	}
	if err := mf.check(); err != nil {
		return err
	}
	tmpl, err := pipeline.Options{CmPerPx: *cmPerPx, DepthCm: *depthCm}.Request("")
	if err != nil {
		return asUsage(err)
	}
	if st, err := os.Stat(*data); err != nil || !st.IsDir() {
		return usageError("--data %s: not a folder", *data)
	}
	if inside(*out, *data) || (*pred != "" && inside(*out, *pred)) {
		return usageError("--out %s lies inside an input folder: choose a folder outside the data", *out)
	}

	dataFS := os.DirFS(*data)
	ds, err := dataset.Read(dataFS, dataset.Options{SexOne: string(*sexOne)})
	if err != nil {
		return err
	}
	opt := eval.Options{User: tmpl.User, Workers: mf.Workers()}
	meta := report.Meta{Data: *data, Command: "myoseg eval " + strings.Join(args, " ")}
	if *pred != "" {
		if st, err := os.Stat(*pred); err != nil || !st.IsDir() {
			return usageError("--pred %s: not a folder", *pred)
		}
		opt.Pred = os.DirFS(*pred)
		meta.Pred = *pred
	} else {
		seg, err := mf.segmenter()
		if err != nil {
			return err
		}
		opt.Predictor = modelPredictor{seg: seg, user: tmpl.User}
		info := seg.Model()
		meta.Pred = info.Name
		if info.Warning != "" {
			meta.Notes = append(meta.Notes, "Model warning: "+info.Warning)
		}
	}
	if !*quiet {
		step := max(1, len(ds.Items)/20)
		opt.Progress = func(done, total int, _ dataset.Item) {
			if done%step == 0 || done == total {
				fmt.Fprintf(stderr, "eval: %d/%d images\n", done, total)
			}
		}
	}
	rep, err := eval.Evaluate(context.Background(), dataFS, ds, opt)
	if err != nil {
		return err
	}
	if err := nothingScored(rep); err != nil {
		return err
	}
	files, err := report.Build(rep, meta)
	if err != nil {
		return err
	}
	set := make([]pipeline.File, len(files))
	for i, f := range files {
		set[i] = pipeline.File{Name: f.Name, Data: f.Data}
	}
	if err := dirStore(*out).WriteAll(set); err != nil {
		return err
	}
	printEvalSummary(stdout, rep, *out)
	return nil
}

func printEvalSummary(w io.Writer, rep *eval.Report, out string) {
	scored, problems := 0, 0
	for _, r := range rep.Images {
		if r.Scored() {
			scored++
		}
		if len(r.Problems) > 0 {
			problems++
		}
	}
	fmt.Fprintf(w, "images: %d, scored: %d, with problems: %d\n", len(rep.Images), scored, problems)
	for _, g := range rep.Groups {
		if g.Muscle != "" || g.Group != "" {
			continue
		}
		for _, s := range g.Summaries {
			switch s.Metric.Key {
			case "precision", "recall", "dice":
				if s.N > 1 {
					fmt.Fprintf(w, "%-10s %.3f ± %.3f (n = %d)\n", s.Metric.Label, s.Mean, s.SD, s.N)
				}
			}
		}
		if g.EI.Pearson.OK() {
			fmt.Fprintf(w, "EI r       %.3f (n = %d)\n", g.EI.Pearson.Value.R, g.EI.Pearson.Value.N)
		}
		if g.Z.ICC.OK() {
			v := g.Z.ICC.Value
			fmt.Fprintf(w, "z ICC(A,1) %.3f [%.3f, %.3f] (n = %d)\n", v.Value, v.Low, v.High, v.N)
		}
	}
	fmt.Fprintf(w, "report: %s\n", filepath.Join(out, "report.html"))
}

// nothingScored is an error when no image has both masks: a report of
// nothing would read as a finished evaluation. It names the first image's
// problem, which is usually everyone's (a wrong --pred folder).
func nothingScored(rep *eval.Report) error {
	for _, r := range rep.Images {
		if r.Scored() {
			return nil
		}
	}
	why := "no images in the dataset"
	if len(rep.Images) > 0 {
		r := rep.Images[0]
		why = r.Item.ImagePath
		if len(r.Problems) > 0 {
			why += ": " + r.Problems[0]
		}
		why = "e.g. " + why
	}
	return fmt.Errorf("nothing scored: none of the %d images has both an expert and an automatic mask (%s)", len(rep.Images), why)
}
