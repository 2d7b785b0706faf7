// Package eval scores automatic muscle segmentations against expert masks
// and reproduces the seed paper's analysis (Marzola et al. 2021, Comput Biol
// Med 135:104623) on any dataset in the seed layout: per image precision,
// recall, Dice, IoU, Hausdorff and mean surface distance, cross-sectional
// area (CSA) and echo intensity (EI, mean grey value) of both masks, and the
// EI z-scores; per group (muscle × Healthy/Pathological, and all) their
// mean ± SD, Pearson's r and Bland–Altman agreement of EI and CSA, ICC(A,1)
// of the z-scores, and the agreement of the healthy/abnormal call (z > 2).
//
// The automatic masks come either from a folder of masks made elsewhere
// (Options.Pred) or from a Predictor that runs the model. Nothing here
// touches the OS: images are read through an fs.FS and results are returned
// (see WritePerImageCSV; the Markdown/HTML report and its plots live in
// package report so that plotting stays out of the wasm build).
package eval

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"math"
	"path"
	"strings"
	"sync"

	"myoseg/core/clinical/measure"
	"myoseg/core/clinical/zscore"
	"myoseg/core/imaging/calib"
	"myoseg/core/imaging/decode"
	"myoseg/core/imaging/field"
	"myoseg/core/study/dataset"
)

// Predictor makes the automatic mask of one image file (0 = background,
// non-zero = muscle, the image's size). It must be safe for concurrent use
// when Options.Workers > 1.
type Predictor interface {
	Predict(ctx context.Context, name string, data []byte) (*image.Gray, error)
}

// Options chooses where the automatic masks come from and how to measure.
type Options struct {
	// Pred holds masks made elsewhere, at the dataset's relative paths: for
	// the image BB/Healthy/Images/S1_1.png either Pred's
	// BB/Healthy/Masks/S1_1.png or BB/Healthy/S1_1.png (also with the image's
	// stem and .png), or batch output's BB/Healthy/Images/S1_1.mask.png.
	// When nil, Predictor makes them.
	Pred      fs.FS
	Predictor Predictor
	// User is the calibration for images that carry none (PNG): with it, CSA
	// is in cm² and surface distances in mm as well as pixels.
	User calib.User
	// Workers scores this many images at once (≤ 0: 1).
	Workers int
	// Progress, if set, is called after each image (from the workers; calls
	// are serialised).
	Progress func(done, total int, it dataset.Item)
}

// ImageResult is one image's scores. Every float metric is NaN when it
// could not be computed; Problems says why.
type ImageResult struct {
	Item     dataset.Item
	PredPath string // automatic mask's path in Options.Pred; "" when the Predictor made it
	Width    int
	Height   int
	Cal      calib.Calibration

	HasManual, HasAuto bool // the mask was read and matches the image

	Overlap
	HausdorffPx, MeanSurfacePx float64
	HausdorffMm, MeanSurfaceMm float64 // NaN when uncalibrated

	CSAManualPx, CSAAutoPx   float64 // pixels
	CSAManualCm2, CSAAutoCm2 float64 // NaN when uncalibrated
	EIManual, EIAuto         float64 // mean grey value 0–255 inside the mask
	EISDManual, EISDAuto     float64 // population SD of those grey values

	// Expected and ExpectedSD are the normal EI for this patient and its
	// prediction SD (zscore.Expected); ZManual/ZAuto the z-scores of the
	// two EIs. NaN without patient data.
	Expected, ExpectedSD float64
	ZManual, ZAuto       float64

	Problems []string
}

// Scored reports whether both masks were read: the overlap metrics exist.
func (r *ImageResult) Scored() bool { return r.HasManual && r.HasAuto }

// AbnormalManual and AbnormalAuto are the z > 2 calls; ok is false when the
// z-score is missing.
func (r *ImageResult) AbnormalManual() (abnormal, ok bool) {
	return r.ZManual > zscore.AbnormalZ, !math.IsNaN(r.ZManual)
}

func (r *ImageResult) AbnormalAuto() (abnormal, ok bool) {
	return r.ZAuto > zscore.AbnormalZ, !math.IsNaN(r.ZAuto)
}

func (r *ImageResult) problem(format string, a ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, a...))
}

func newImageResult(it dataset.Item) *ImageResult {
	nan := math.NaN()
	r := &ImageResult{Item: it, Cal: calib.None()}
	r.Overlap = Overlap{Precision: nan, Recall: nan, Dice: nan, IoU: nan}
	for _, p := range []*float64{
		&r.HausdorffPx, &r.MeanSurfacePx, &r.HausdorffMm, &r.MeanSurfaceMm,
		&r.CSAManualPx, &r.CSAAutoPx, &r.CSAManualCm2, &r.CSAAutoCm2,
		&r.EIManual, &r.EIAuto, &r.EISDManual, &r.EISDAuto,
		&r.Expected, &r.ExpectedSD, &r.ZManual, &r.ZAuto,
	} {
		*p = nan
	}
	r.Problems = append(r.Problems, it.Problems...)
	return r
}

// Report is the whole evaluation.
type Report struct {
	Source   string // where the automatic masks came from, in words
	Images   []*ImageResult
	Groups   []*GroupStats // image level: one row per muscle × group, then the totals
	Subjects []*GroupStats // subject level: EI averaged over each subject's images of a muscle
	// SubjectRows are the subject-level units behind Subjects.
	SubjectRows []*SubjectResult
	Warnings    []string // the dataset's own warnings
}

// maxFileBytes bounds an image or mask file read into memory (a 480×512 PNG is a
// few hundred kB; a huge one is an error, not a reason to run out of memory).
const maxFileBytes = 256 << 20

func readFile(fsys fs.FS, p string) ([]byte, error) {
	if st, err := fs.Stat(fsys, p); err == nil && st.Size() > maxFileBytes {
		return nil, fmt.Errorf("%s is %d bytes (limit %d)", p, st.Size(), maxFileBytes)
	}
	return fs.ReadFile(fsys, p)
}

// Evaluate scores every item of ds, reading images and expert masks from
// data (the FS ds was read from). It fails only on a bad option or a
// cancelled context; every per-image problem lands in that image's result.
func Evaluate(ctx context.Context, data fs.FS, ds *dataset.Dataset, opt Options) (*Report, error) {
	if opt.Pred == nil && opt.Predictor == nil {
		return nil, errors.New("eval: no automatic masks: give a prediction folder or a predictor")
	}
	if _, err := calib.FromUser(opt.User, image.Rect(0, 0, 1, 1)); err != nil {
		return nil, fmt.Errorf("eval: calibration: %w", err)
	}
	rep := &Report{Warnings: append([]string(nil), ds.Warnings...)}
	if opt.Pred != nil {
		rep.Source = "masks from a prediction folder"
	} else {
		rep.Source = "masks made by the model"
	}
	rep.Images = make([]*ImageResult, len(ds.Items))
	workers := max(1, opt.Workers)
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := scoreItem(ctx, data, ds.Items[i], opt)
				rep.Images[i] = r
				if opt.Progress != nil {
					mu.Lock()
					done++
					opt.Progress(done, len(ds.Items), ds.Items[i])
					mu.Unlock()
				}
			}
		}()
	}
	var cancelled error
	for i := range ds.Items {
		if err := ctx.Err(); err != nil {
			cancelled = err
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if cancelled != nil {
		return nil, fmt.Errorf("eval: %w", cancelled)
	}
	rep.Groups = groupImages(rep.Images)
	rep.SubjectRows = SubjectResults(rep.Images)
	rep.Subjects = groupSubjects(rep.SubjectRows)
	return rep, nil
}

// predCandidates lists where a prediction for it may sit in the prediction
// folder, relative to the dataset root: {muscle}/{group}/Masks/NAME or
// {muscle}/{group}/NAME, each also with the stem and .png, or where
// `myoseg batch` writes it: {muscle}/{group}/Images/STEM.mask.png (so
// `eval --pred OUT/masks` scores a batch run).
func predCandidates(it dataset.Item, root string) []string {
	rel := it.GroupDir()
	if root != "." && root != "" {
		rel = strings.TrimPrefix(strings.TrimPrefix(rel, root), "/")
	}
	names := []string{it.Name}
	if png := strings.TrimSuffix(it.Name, path.Ext(it.Name)) + ".png"; png != it.Name {
		names = append(names, png)
	}
	var out []string
	for _, n := range names {
		out = append(out, path.Join(rel, "Masks", n), path.Join(rel, n))
	}
	stem := strings.TrimSuffix(it.Name, path.Ext(it.Name))
	return append(out, path.Join(rel, "Images", stem+".mask.png"))
}

// andList joins names as people list them: "a, b and c".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// findPred finds the prediction: first relative to the dataset's root,
// then with the root folder kept (PRED/Polito-Radboud-DeepLearningUS/BB/...),
// then with the canonical spelling of the folders (BB/Healthy).
func findPred(pred fs.FS, it dataset.Item) (string, bool) {
	root := path.Dir(path.Dir(it.GroupDir()))
	tries := predCandidates(it, root)
	if root != "." {
		tries = append(tries, predCandidates(it, ".")...)
	}
	canon := it
	canon.ImagePath = path.Join(it.Muscle, it.Group, "Images", it.Name)
	tries = append(tries, predCandidates(canon, ".")...)
	for _, p := range tries {
		if st, err := fs.Stat(pred, p); err == nil && !st.IsDir() {
			return p, true
		}
	}
	return "", false
}

func decodeMask(name string, data []byte) (*image.Gray, error) {
	img, err := decode.Decode(name, data, decode.Options{})
	if err != nil {
		return nil, err
	}
	return img.Gray, nil
}

func sameSize(a, b *image.Gray) bool { return a.Bounds().Size() == b.Bounds().Size() }

// rebase gives m bounds starting at (0, 0) without copying.
func rebase(m *image.Gray) *image.Gray {
	if m.Rect.Min == (image.Point{}) {
		return m
	}
	return &image.Gray{Pix: m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], Stride: m.Stride, Rect: image.Rectangle{Max: m.Rect.Size()}}
}

func empty(m *image.Gray) bool {
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for _, v := range m.Pix[m.PixOffset(b.Min.X, y):][:b.Dx()] {
			if v != 0 {
				return false
			}
		}
	}
	return true
}

func maskBox(m *image.Gray) image.Rectangle {
	var box image.Rectangle
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for i, v := range m.Pix[m.PixOffset(b.Min.X, y):][:b.Dx()] {
			if v != 0 {
				box = box.Union(image.Rect(b.Min.X+i, y, b.Min.X+i+1, y+1))
			}
		}
	}
	return box
}

// scoreItem computes everything for one image; it never fails, it notes.
func scoreItem(ctx context.Context, data fs.FS, it dataset.Item, opt Options) *ImageResult {
	r := newImageResult(it)
	raw, err := readFile(data, it.ImagePath)
	if err != nil {
		r.problem("image unreadable: %v", err)
		return r
	}
	img, err := decode.Decode(it.Name, raw, decode.Options{})
	if err != nil {
		r.problem("image: %v", err)
		return r
	}
	g := rebase(img.Gray)
	r.Width, r.Height = g.Bounds().Dx(), g.Bounds().Dy()

	var manual, auto *image.Gray
	if it.MaskPath != "" {
		if b, err := readFile(data, it.MaskPath); err != nil {
			r.problem("expert mask unreadable: %v", err)
		} else if m, err := decodeMask(path.Base(it.MaskPath), b); err != nil {
			r.problem("expert mask: %v", err)
		} else if !sameSize(m, g) {
			r.problem("expert mask is %d×%d, image %d×%d: not scored", m.Bounds().Dx(), m.Bounds().Dy(), r.Width, r.Height)
		} else {
			manual = rebase(m)
		}
	}

	if opt.Pred != nil {
		if p, ok := findPred(opt.Pred, it); !ok {
			r.problem("no predicted mask (looked for %s)", andList(predCandidates(it, path.Dir(path.Dir(it.GroupDir())))))
		} else if b, err := readFile(opt.Pred, p); err != nil {
			r.PredPath = p
			r.problem("predicted mask unreadable: %v", err)
		} else if m, err := decodeMask(path.Base(p), b); err != nil {
			r.PredPath = p
			r.problem("predicted mask: %v", err)
		} else {
			r.PredPath = p
			if !sameSize(m, g) {
				r.problem("predicted mask is %d×%d, image %d×%d: not scored", m.Bounds().Dx(), m.Bounds().Dy(), r.Width, r.Height)
			} else {
				auto = rebase(m)
			}
		}
	} else {
		m, err := opt.Predictor.Predict(ctx, it.Name, raw)
		switch {
		case err != nil:
			r.problem("model: %v", err)
		case m == nil:
			r.problem("model returned no mask")
		case !sameSize(m, g):
			r.problem("model mask is %d×%d, image %d×%d: not scored", m.Bounds().Dx(), m.Bounds().Dy(), r.Width, r.Height)
		default:
			auto = rebase(m)
		}
	}
	r.HasManual, r.HasAuto = manual != nil, auto != nil
	if manual != nil && empty(manual) {
		r.problem("expert mask is empty")
	}
	if auto != nil && empty(auto) {
		r.problem("automatic mask is empty")
	}

	// One calibration per image, for the region both masks cover.
	roi := image.Rectangle{}
	for _, m := range []*image.Gray{manual, auto} {
		if m != nil {
			roi = roi.Union(maskBox(m))
		}
	}
	if roi.Empty() {
		roi = g.Bounds()
	}
	fieldRect := g.Bounds()
	if opt.User.DepthCm > 0 {
		fieldRect = field.Detect(g) // depth is spread over the ultrasound field only
	}
	if cal, err := calib.Resolve(img, roi, fieldRect, opt.User); err != nil {
		r.problem("calibration: %v (measured in pixels only)", err)
	} else {
		r.Cal = cal
	}

	if manual != nil {
		measureInto(r, g, manual, &r.CSAManualPx, &r.CSAManualCm2, &r.EIManual, &r.EISDManual, "expert")
	}
	if auto != nil {
		measureInto(r, g, auto, &r.CSAAutoPx, &r.CSAAutoCm2, &r.EIAuto, &r.EISDAuto, "automatic")
	}
	if manual != nil && auto != nil {
		if o, err := CompareMasks(auto, manual); err == nil {
			r.Overlap = o
		}
		if !empty(manual) && !empty(auto) {
			if s, err := SurfaceDistance(auto, manual, 1, 1); err == nil {
				r.HausdorffPx, r.MeanSurfacePx = s.Hausdorff, s.Mean
			}
			switch c := r.Cal; {
			case c.Known() && c.CmPerPxX == c.CmPerPxY:
				// Square pixels: millimetres are pixels scaled.
				r.HausdorffMm, r.MeanSurfaceMm = r.HausdorffPx*c.CmPerPxX*10, r.MeanSurfacePx*c.CmPerPxX*10
			case c.Known():
				// Anisotropic pixels change which boundary point is nearest.
				if s, err := SurfaceDistance(auto, manual, c.CmPerPxX*10, c.CmPerPxY*10); err == nil {
					r.HausdorffMm, r.MeanSurfaceMm = s.Hausdorff, s.Mean
				}
			}
		}
	}
	scoreZ(r)
	return r
}

func measureInto(r *ImageResult, g, m *image.Gray, px, cm2, ei, eisd *float64, which string) {
	res, err := measure.Mask(g, m, r.Cal)
	if err != nil {
		r.problem("measure %s mask: %v", which, err)
		return
	}
	*px = float64(res.AreaPx)
	if r.Cal.Known() {
		*cm2 = res.AreaCm2
	}
	if res.AreaPx > 0 {
		*ei, *eisd = res.EIMean, res.EISD
	}
}

// scoreZ fills the expected EI and both z-scores when the patient is known.
func scoreZ(r *ImageResult) {
	it := r.Item
	if it.Patient == nil {
		if !math.IsNaN(r.EIManual) || !math.IsNaN(r.EIAuto) {
			r.problem("no patient data: no z-scores")
		}
		return
	}
	mean, sd, err := zscore.Expected(it.MuscleName, *it.Patient)
	if err != nil {
		r.problem("no z-scores: %v", err)
		return
	}
	r.Expected, r.ExpectedSD = mean, sd
	for _, c := range []struct {
		ei  float64
		dst *float64
	}{{r.EIManual, &r.ZManual}, {r.EIAuto, &r.ZAuto}} {
		if math.IsNaN(c.ei) {
			continue
		}
		if s, err := zscore.Compute(it.MuscleName, *it.Patient, c.ei); err == nil {
			*c.dst = s.Z
		} else {
			r.problem("z-score: %v", err)
		}
	}
}
