package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
	"myoseg/core/nn/engine/open"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/pipeline"
	"myoseg/models"
)

// newFlagSet is a command's flag set: errors and usage go to stderr, and
// usage starts with the given lines.
func newFlagSet(name string, stderr io.Writer, usage ...string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		for _, l := range usage {
			fmt.Fprintln(stderr, l)
		}
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; the flag package has already printed what is wrong.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &ExitError{Code: ExitUsage}
	}
	return nil
}

// showUsage prints fs's usage and returns the usage exit code.
func showUsage(fs *flag.FlagSet) error {
	fs.Usage()
	return &ExitError{Code: ExitUsage}
}

// modelFlags are --model, --engine and --workers, the same in every
// command that runs the model.
type modelFlags struct {
	path      string
	engine    string
	workers   int
	maxPixels int64
}

func (f *modelFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.path, "model", "", "ONNX model file (default: the embedded "+models.DefaultName+")")
	fs.StringVar(&f.engine, "engine", open.Default, "inference engine: "+strings.Join(open.Names(), " or ")+
		" (fast: core/nn/executor; gorgonnx: onnx-go + gorgonia, the reference)")
	fs.IntVar(&f.workers, "workers", 0, "images processed at once, one model runner each (0: the build's default, one per core on the CPU)")
	fs.Int64Var(&f.maxPixels, "max-pixels", pipeline.DefaultMaxPixels, fmt.Sprintf(
		"refuse images of more pixels than this, from the header, before decoding (the default keeps one image under 1 GB of memory: "+
			"up to %d bytes a pixel; with --workers N, N images are in memory at once)", pipeline.BytesPerPixel))
}

// Workers is --workers, or the engine's default.
func (f *modelFlags) Workers() int {
	if f.workers > 0 {
		return f.workers
	}
	return open.Workers(f.engine)
}

// check refuses flag values that cannot work, before any input is read.
func (f *modelFlags) check() error {
	if f.workers < 0 {
		return usageError("--workers must be 0 (the default) or more, got %d", f.workers)
	}
	if f.maxPixels <= 0 {
		return usageError("--max-pixels must be 1 or more, got %d", f.maxPixels)
	}
	return asUsage(open.Check(f.engine))
}

// segmenter loads the model (the embedded one without --model) and opens
// the engine with one runner per worker.
func (f *modelFlags) segmenter() (*pipeline.Segmenter, error) {
	name, data := models.Default()
	name += ".onnx"
	if f.path != "" {
		var err error
		if data, err = os.ReadFile(f.path); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		name = f.path
	}
	m, err := onnxmodel.Parse(name, data)
	if err != nil {
		return nil, err
	}
	eng, err := open.Engine(f.engine, m, f.Workers())
	if err != nil {
		return nil, err
	}
	// The collector aims to keep the heap within what the images in
	// flight may hold, rather than letting garbage double it.
	debug.SetMemoryLimit(int64(f.Workers())*f.maxPixels*pipeline.BytesPerPixel + 256<<20)
	return pipeline.New(m, eng).WithMaxPixels(f.maxPixels), nil
}

// sexFlag is a sex letter, M or F in any case (zscore.ParseSex).
type sexFlag string

func (s *sexFlag) String() string { return string(*s) }

func (s *sexFlag) Set(v string) error {
	sex, err := zscore.ParseSex(v)
	if err != nil || sex == "" {
		return fmt.Errorf("must be M or F")
	}
	*s = sexFlag(sex)
	return nil
}

// registerSexOne is --sex-one, for commands that read characteristics
// tables.
func registerSexOne(fs *flag.FlagSet) *sexFlag {
	s := sexFlag("M")
	fs.Var(&s, "sex-one", "what a sex code of 1 means in characteristics tables (M or F; 0 and 2 mean the other); the seed data's coding is undocumented, 1 = male is a guess")
	return &s
}

// imageFlags are what segment and batch are told about the images:
// calibration, muscle, side and patient.
type imageFlags struct {
	cmPerPx, depthCm  float64
	spacingCSV        string
	muscle, side, sex string
	age, height       float64
	weight            float64
	frame             int
	patientID, exam   string
}

func (f *imageFlags) register(fs *flag.FlagSet, muscleHelp string) {
	fs.Float64Var(&f.cmPerPx, "cm-per-px", 0, "calibration: cm per pixel (used when the file carries none)")
	fs.Float64Var(&f.depthCm, "depth-cm", 0, "calibration: depth of the ultrasound field in cm (used when the file carries none)")
	fs.StringVar(&f.spacingCSV, "spacing-csv", "", "calibration: CSV with columns file,cm_per_pixel_x,cm_per_pixel_y")
	fs.StringVar(&f.muscle, "muscle", "", muscleHelp)
	fs.StringVar(&f.side, "side", "", "side: left or right")
	fs.Float64Var(&f.age, "age", 0, "patient age in years")
	fs.StringVar(&f.sex, "sex", "", "patient sex: M or F")
	fs.Float64Var(&f.height, "height", 0, "patient height in cm")
	fs.Float64Var(&f.weight, "weight", 0, "patient weight in kg")
	fs.IntVar(&f.frame, "frame", 0, "DICOM frame to segment (0-based)")
	fs.StringVar(&f.patientID, "patient-id", "", "patient ID, written to the CSV's patient_id column")
	fs.StringVar(&f.exam, "exam-date", "", "exam date YYYY-MM-DD, written to the CSV's exam_date column")
}

// options are the flags as pipeline options, with the given muscle.
func (f *imageFlags) options(muscle string) pipeline.Options {
	o := pipeline.Options{Frame: f.frame, CmPerPx: f.cmPerPx, DepthCm: f.depthCm, Muscle: muscle, Side: f.side,
		PatientID: f.patientID, ExamDate: f.exam}
	if f.age != 0 || f.sex != "" || f.height != 0 || f.weight != 0 {
		o.Patient = &zscore.Patient{AgeYears: f.age, Sex: f.sex, HeightCm: f.height, WeightKg: f.weight}
	}
	return o
}

// spacing reads --spacing-csv (nil without it).
func (f *imageFlags) spacing() (map[string]calib.User, error) {
	if f.spacingCSV == "" {
		return nil, nil
	}
	return readSpacingCSV(f.spacingCSV)
}

// readSpacingCSV reads the calibration table (calib.ReadTable: every bad
// row named, nothing applied unless all are good), keyed by base name.
func readSpacingCSV(path string) (map[string]calib.User, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("spacing CSV: %w", err)
	}
	defer fh.Close()
	out, err := calib.ReadTable(fh, nil)
	if err != nil {
		return nil, fmt.Errorf("spacing CSV %s: %w", path, err)
	}
	return out, nil
}
