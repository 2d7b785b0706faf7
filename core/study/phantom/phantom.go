// Package phantom synthesises transverse B-mode muscle ultrasound images
// with their exact muscle masks, in the seed dataset's layout (Marzola et al.
// 2021): 480×512 8-bit grey images, 0/255 masks, subject characteristics and
// a ground-truth table measured on the written pixels.
//
// Version 1 draws biceps brachii (BB), gastrocnemius medialis (GM) and
// tibialis anterior (TA) as an elliptic muscle in uniform speckle. Version 2
// builds each scene from anatomy (skin, subcutaneous fat with septa, deep
// fascia, the target inside its epimysium with perimysial septa, the
// neighbouring muscles sharing its fascia, aponeuroses, bone with its
// shadow) for BB, GM, TA, rectus femoris (RF) and vastus lateralis (VL),
// and images it with a physical model (scatterers, PSF, envelope, depth
// gain, log compression) and a randomised scanner (linear, curvilinear or
// panoramic field; dynamic range, gain, grey map, speckle size, smoothing,
// noise, burned-in annotations).
//
// Image i of a dataset depends only on (Config.Seed,
// Config.PathologicalFraction, i): any subset can be regenerated alone and
// images can be generated in parallel.
package phantom

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
)

// Image size of the seed dataset (Esaote MyLab Twice exports).
const (
	Height = 480
	Width  = 512
)

// muscleOrder is the version 1 muscles in folder order; subject j scans
// muscleOrder[j%3]. A constant-sized array copied by value: callers cannot
// change it.
var muscleOrder = [3]string{"BB", "GM", "TA"}

// Scene versions. Version 1 draws the original scenes (BB, GM, TA: an
// elliptic muscle in uniform speckle); version 2 builds each scene from
// anatomy for five muscles and images it with a randomised scanner (anatomy.go,
// scanner.go); version 3 keeps version 2's scenes and widens two ranges that
// real thigh scans fall outside of: panoramic sweeps bent around the whole
// limb (the skin arc's radius drawn from the limb's, 55–120 mm, in half of
// them) and long bright aponeuroses inside the target muscle, which a model
// must not take for its deep fascia.
const (
	V1 = 1
	V2 = 2
	V3 = 3
)

// musclesV2 adds rectus femoris and vastus lateralis (single-frame and
// panoramic) to the seed's three muscles.
var musclesV2 = [5]string{"BB", "GM", "TA", "RF", "VL"}

// Config chooses a dataset.
type Config struct {
	Seed uint64
	N    int // number of images
	// PathologicalFraction is the share of subjects in the Pathological
	// group, 0..1, used as given (0 means none); the command's default is 0.5.
	PathologicalFraction float64
	// Version selects the scenes: 0 or V1 the original ones, V2 the
	// anatomical scenes with a randomised scanner, V3 those with the wider
	// curvature and aponeurosis ranges.
	Version int
	// Style, when set, names a second scanner (Styles) applied to every
	// image after rendering, for domain-shift experiments.
	Style string
}

// Muscles returns the muscle folder names of the config's version, in
// folder order.
func (c Config) Muscles() []string {
	if c.Version >= V2 {
		return musclesV2[:]
	}
	return muscleOrder[:]
}

func (c Config) validate() error {
	if c.N < 0 {
		return fmt.Errorf("phantom: N = %d is negative", c.N)
	}
	if !(c.PathologicalFraction >= 0 && c.PathologicalFraction <= 1) {
		return fmt.Errorf("phantom: pathological fraction %v is outside 0..1", c.PathologicalFraction)
	}
	if c.Version < 0 || c.Version > V3 {
		return fmt.Errorf("phantom: version %d is not 1, 2 or 3", c.Version)
	}
	if c.Style != "" {
		if _, err := lookupStyle(c.Style); err != nil {
			return err
		}
	}
	return nil
}

// Subject is one row of characteristics.csv.
type Subject struct {
	ID       string // no '_' (the image name is <ID>_<k>.png)
	Age      int    // years
	Sex      string // "M" or "F"
	HeightCm int
	WeightKg float64 // one decimal
}

// Point is a vertex of the muscle contour in pixel coordinates (pixel
// (x, y) covers [x, x+1)×[y, y+1)).
type Point struct{ X, Y float64 }

// Sample is one generated image with its truth.
type Sample struct {
	Index        int    // image index in the dataset
	Muscle       string // "BB", "GM" or "TA"
	Pathological bool
	Subject      Subject
	K            int // image number of this subject, from 1
	Image, Mask  *image.Gray
	// Contour is the muscle's inner fascia border (closed polygon, may run
	// past the image's edges); Mask is exactly its pixel centres inside the image.
	Contour    []Point
	Heckmatt   int     // 1 for healthy, 2..4 for pathological
	Expected   float64 // normal EI for this subject (reference model)
	ExpectedSD float64 // prediction SD of the reference model
	EIMean     float64 // mean of Image under Mask (written 8-bit values)
	EISD       float64 // population SD of the same pixels
	CSAPx      int     // mask pixels
}

// Group is the folder name of the sample's group.
func (s Sample) Group() string {
	if s.Pathological {
		return "Pathological"
	}
	return "Healthy"
}

// FileName is <ID>_<k>.png.
func (s Sample) FileName() string { return fmt.Sprintf("%s_%d.png", s.Subject.ID, s.K) }

// slot says which subject image i belongs to.
type slot struct {
	subject int // subject index j
	k       int // 1-based image number within the subject
}

// splitmix64 decorrelates the stream selectors handed to PCG.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Independent random streams per purpose, so that adding a draw to one
// never shifts another.
const (
	streamSubject = 1
	streamImage   = 2
)

func newRand(seed uint64, purpose uint64, index int) *rand.Rand {
	return rand.New(rand.NewPCG(splitmix64(seed^purpose*0x632be59bd9b4e019), splitmix64(uint64(index)<<3|purpose)))
}

// subjectImages is how many images subject j has (1..3).
func subjectImages(seed uint64, j int) int {
	return 1 + newRand(seed, streamSubject, j).IntN(3)
}

// plan maps image indices 0..n-1 to subjects.
func plan(seed uint64, n int) []slot {
	out := make([]slot, 0, n)
	for j := 0; len(out) < n; j++ {
		c := subjectImages(seed, j)
		for k := 1; k <= c && len(out) < n; k++ {
			out = append(out, slot{j, k})
		}
	}
	return out
}

// subjectSpec is everything drawn per subject.
type subjectSpec struct {
	Subject
	muscle       string
	pathological bool
	heckmatt     int
	z            float64 // subject's disease level in SD units (0 for healthy)
}

// makeSubject draws subject j. Muscles rotate through muscles (BB, GM, TA
// for version 1); within each muscle the groups follow a deterministic
// low-discrepancy pattern so the pathological share is exact at any size.
func makeSubject(seed uint64, j int, pathFrac float64, muscles []string) subjectSpec {
	r := newRand(seed, streamSubject, j)
	_ = r.IntN(3) // image count, drawn first by subjectImages
	m := j / len(muscles)
	path := math.Floor(float64(m+1)*pathFrac) > math.Floor(float64(m)*pathFrac)
	s := subjectSpec{muscle: muscles[j%len(muscles)], pathological: path, heckmatt: 1}
	s.ID = fmt.Sprintf("S%05d", j+1)
	if r.IntN(2) == 0 {
		s.Sex = "M"
	} else {
		s.Sex = "F"
	}
	// Healthy volunteers are spread over adulthood; patients skew older.
	if path {
		s.Age = int(math.Round(clamp(50+18*r.NormFloat64(), 18, 85)))
	} else {
		s.Age = 18 + r.IntN(68)
	}
	var h float64
	if s.Sex == "M" {
		h = clamp(178+7*r.NormFloat64(), 155, 205)
	} else {
		h = clamp(165+6.5*r.NormFloat64(), 145, 190)
	}
	s.HeightCm = int(math.Round(h))
	bmi := clamp(25+4*r.NormFloat64()+0.03*float64(s.Age-40), 17, 42)
	hm := float64(s.HeightCm) / 100
	s.WeightKg = math.Round(bmi*hm*hm*10) / 10
	if path {
		s.heckmatt = 2 + r.IntN(3)
		// Heckmatt grade ↔ z band: 2 mild (z 2–3), 3 moderate (3–4.5), 4 severe (4.5–6).
		lo := [...]float64{2: 2.1, 3: 3.1, 4: 4.6}[s.heckmatt]
		hi := [...]float64{2: 2.9, 3: 4.4, 4: 5.9}[s.heckmatt]
		s.z = lo + (hi-lo)*r.Float64()
	} else {
		s.z = clamp(0.8*r.NormFloat64(), -1.8, 1.8)
	}
	return s
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// Generate renders image i of the dataset cfg describes (cfg.N is ignored:
// image i is the same in every dataset of that seed and fraction).
func Generate(cfg Config, i int) (Sample, error) {
	if err := cfg.validate(); err != nil {
		return Sample{}, err
	}
	if i < 0 {
		return Sample{}, fmt.Errorf("phantom: image index %d is negative", i)
	}
	p := plan(cfg.Seed, i+1)
	return renderAny(cfg, i, p[i], newScratch()), nil
}

// renderAny renders with the config's scene version.
func renderAny(cfg Config, i int, sl slot, sc *scratch) Sample {
	var s Sample
	if cfg.Version >= V2 {
		s = render2(cfg, i, sl, sc)
	} else {
		s = render(cfg, i, sl, sc)
	}
	if cfg.Style != "" {
		st, _ := lookupStyle(cfg.Style) // validated with the config
		s.Image = st.Apply(s.Image, uint64(i))
		s.EIMean, s.EISD, s.CSAPx = measure(s.Image, s.Mask)
	}
	return s
}
