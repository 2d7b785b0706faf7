package phantom

import (
	"image"
	"math"
	"math/rand/v2"
)

// Tissue labels of the scene.
const (
	lGel uint8 = iota
	lDermis
	lFat
	lFascia  // epimysium of the target muscle, superficial fascia, septa
	lMuscle  // the target muscle: exactly the mask
	lNeigh   // neighbouring muscles (brachialis, soleus, EHL, tibialis posterior)
	lBoneTop // cortical surface
	lBone    // below the cortex: shadow
	nLabels
)

// scratch holds the per-image planes so a worker reuses its memory.
type scratch struct {
	label, mask    []uint8
	base           []float32 // e before perimysium and septa
	e, c, att, wt  []float32 // diffuse amplitude, coherent amplitude, attenuation dB/px, EI-shift weight
	re, im, tmp, g []float32
	dist           []float32
	top, bot       []int
	maskIdx        []int32
	// Version 2: the field (1 inside) and the display's amplitudes.
	band   []uint8
	de, dc []float32
}

func newScratch() *scratch {
	n := Width * Height
	return &scratch{
		label: make([]uint8, n), mask: make([]uint8, n),
		base: make([]float32, n), e: make([]float32, n), c: make([]float32, n), att: make([]float32, n), wt: make([]float32, n),
		re: make([]float32, n), im: make([]float32, n), tmp: make([]float32, n), g: make([]float32, n),
		dist: make([]float32, n),
		top:  make([]int, Width), bot: make([]int, Width),
		band: make([]uint8, n), de: make([]float32, n), dc: make([]float32, n),
	}
}

func (sc *scratch) reset() {
	clear(sc.mask)
	clear(sc.c)
	sc.maskIdx = sc.maskIdx[:0]
}

func db(v float64) float32 { return float32(math.Pow(10, v/20)) }

// uni returns a uniform draw in [lo, hi).
func uni(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// scene is the drawn geometry and acoustics of one image.
type scene struct {
	skin, dermis int
	fasciaT      int
	yF0          func(x float64) float64 // bottom of the subcutaneous fat before the muscle is placed
	yF           []int                   // per column, after the muscle is placed
	poly         []Point
	bone         bool
	bx, by, bR   float64 // humerus/tibia: half-ellipse, half-width bR, height bH; only its upper surface is seen
	bH           float64
	boneT        float64 // thickness of the bright cortical echo
	boneGain     float64
	alphaMuscle  float64 // residual attenuation in muscle, dB per pixel (after TGC)
	sev          float64 // 0 healthy .. 1 Heckmatt 4
}

// musclePolygon draws a smooth closed curve: a superellipse with half-axes
// a, b and exponent p, radially perturbed by a few low Fourier harmonics,
// rotated by tilt. Centred on the origin.
func musclePolygon(r *rand.Rand, a, b, p, tilt float64, harm []float64) []Point {
	const n = 240
	type h struct{ amp, ph float64 }
	hs := make([]h, len(harm))
	for k, amp := range harm {
		hs[k] = h{amp * uni(r, 0.4, 1), uni(r, 0, 2*math.Pi)}
	}
	ct, st := math.Cos(tilt), math.Sin(tilt)
	poly := make([]Point, n)
	for i := range poly {
		t := 2 * math.Pi * float64(i) / n
		c, s := math.Cos(t), math.Sin(t)
		x := a * math.Copysign(math.Pow(math.Abs(c), 2/p), c)
		y := b * math.Copysign(math.Pow(math.Abs(s), 2/p), s)
		f := 1.0
		for k, hh := range hs {
			f += hh.amp * math.Cos(float64(k+1)*t+hh.ph)
		}
		x, y = x*f, y*f
		poly[i] = Point{x*ct - y*st, x*st + y*ct}
	}
	return poly
}

func bounds(poly []Point) (minX, minY, maxX, maxY float64, topX float64) {
	minX, minY = math.Inf(1), math.Inf(1)
	maxX, maxY = math.Inf(-1), math.Inf(-1)
	for _, p := range poly {
		if p.Y < minY {
			minY, topX = p.Y, p.X
		}
		minX, maxX, maxY = math.Min(minX, p.X), math.Max(maxX, p.X), math.Max(maxY, p.Y)
	}
	return
}

func render(cfg Config, i int, sl slot, sc *scratch) Sample {
	sc.reset()
	spec := makeSubject(cfg.Seed, sl.subject, cfg.PathologicalFraction, muscleOrder[:])
	r := newRand(cfg.Seed, streamImage, i)
	expMean, expSD := expectedEI(spec.muscle, spec.Subject)
	z := spec.z + 0.25*r.NormFloat64()
	if spec.pathological {
		z = math.Max(z, 2.0)
	} else {
		z = clamp(z, -2, 2)
	}
	target := clamp(expMean+z*expSD, 20, 200)

	sc2 := buildScene(r, spec, sc)
	paint(r, spec, sc2, sc)
	speckle(r, sc2, sc)
	smooth3(sc.g, sc.tmp, Width, Height)
	s := solveShift(sc, target)
	img, mask := quantise(sc, s)

	out := Sample{
		Index: i, Muscle: spec.muscle, Pathological: spec.pathological,
		Subject: spec.Subject, K: sl.k, Image: img, Mask: mask,
		Contour: sc2.poly, Heckmatt: spec.heckmatt,
		Expected: expMean, ExpectedSD: expSD,
	}
	out.EIMean, out.EISD, out.CSAPx = measure(img, mask)
	return out
}

// measure is the ground truth: mean and population SD of the written grey
// values under the mask, and the mask's pixel count.
func measure(img, mask *image.Gray) (mean, sd float64, n int) {
	var s, s2 float64
	for k, m := range mask.Pix {
		if m != 0 {
			v := float64(img.Pix[k])
			s += v
			s2 += v * v
			n++
		}
	}
	if n == 0 {
		return 0, 0, 0
	}
	mean = s / float64(n)
	return mean, math.Sqrt(math.Max(0, s2/float64(n)-mean*mean)), n
}

// buildScene draws the layers and places the target muscle; it fills
// sc.mask and sc.label.
func buildScene(r *rand.Rand, spec subjectSpec, sc *scratch) *scene {
	W, H := float64(Width), float64(Height)
	sn := &scene{}
	if spec.pathological {
		sn.sev = float64(spec.heckmatt-1) / 3
	}
	sn.skin = 1 + r.IntN(4)
	sn.dermis = 7 + r.IntN(8)
	sn.fasciaT = 3 + r.IntN(3)
	// Subcutaneous fat: women and heavier subjects carry more; the arm and
	// the anterior shin carry less than the calf.
	hm := float64(spec.HeightCm) / 100
	bmi := spec.WeightKg / (hm * hm)
	fat := 22 + 3.5*(bmi-24)
	if spec.Sex == "F" {
		fat += 18
	}
	switch spec.muscle {
	case "TA":
		fat *= 0.7
	case "GM":
		fat *= 1.15
	}
	fat = clamp(fat*uni(r, 0.65, 1.35)+6*sn.sev, 10, 120)
	fatTop := float64(sn.skin + sn.dermis)
	a1, l1, p1 := uni(r, 2, 9), uni(r, 250, 900), uni(r, 0, 2*math.Pi)
	a2, l2, p2 := uni(r, 0.5, 3), uni(r, 60, 200), uni(r, 0, 2*math.Pi)
	slope := uni(r, -0.04, 0.04)
	sn.yF0 = func(x float64) float64 {
		return fatTop + fat + a1*math.Sin(2*math.Pi*x/l1+p1) + a2*math.Sin(2*math.Pi*x/l2+p2) + slope*(x-W/2)
	}

	// Target muscle shape.
	var a, b, p, tilt float64
	var harm []float64
	switch spec.muscle {
	case "BB":
		a, b, p = uni(r, 130, 250), uni(r, 60, 120), uni(r, 2.0, 2.8)
		tilt = uni(r, -0.14, 0.14)
		harm = []float64{0.03, 0.05, 0.03, 0.015, 0.01}
	case "TA":
		a, b, p = uni(r, 100, 175), uni(r, 80, 140), uni(r, 1.8, 2.4)
		tilt = uni(r, -0.25, 0.25)
		harm = []float64{0.05, 0.05, 0.10, 0.02, 0.01}
	default: // GM: a long flat spindle
		a, b, p = uni(r, 170, 320), uni(r, 38, 80), uni(r, 1.5, 2.1)
		tilt = uni(r, -0.16, 0.16)
		harm = []float64{0.06, 0.03, 0.02, 0.01, 0.01}
	}
	b *= 1 - 0.3*sn.sev*r.Float64() // atrophy
	deepRoom := 30.0
	if spec.muscle == "BB" {
		deepRoom = 70
	}
	for try := 0; ; try++ {
		poly := musclePolygon(r, a, b, p, tilt, harm)
		cx := W/2 + uni(r, -0.27, 0.27)*W
		for k := range poly {
			poly[k].X += cx
		}
		_, minY, _, maxY, topX := bounds(poly)
		dy := sn.yF0(topX) + float64(sn.fasciaT) + 1 - minY
		for k := range poly {
			poly[k].Y += dy
		}
		maxY += dy
		if maxY > H-deepRoom && try < 8 {
			a *= 0.92
			b *= 0.85
			continue
		}
		clear(sc.mask)
		n := fillPolygon(poly, sc.mask, Width, Height)
		if n < 6000 && try < 8 {
			continue
		}
		sn.poly = poly
		break
	}
	for x := 0; x < Width; x++ {
		sc.top[x], sc.bot[x] = -1, -1
	}
	for y := 0; y < Height; y++ {
		row := sc.mask[y*Width : (y+1)*Width]
		for x, m := range row {
			if m != 0 {
				if sc.top[x] < 0 {
					sc.top[x] = y
				}
				sc.bot[x] = y
				sc.maskIdx = append(sc.maskIdx, int32(y*Width+x))
			}
		}
	}
	sn.yF = make([]int, Width)
	for x := range sn.yF {
		y := int(math.Round(sn.yF0(float64(x) + 0.5)))
		if sc.top[x] >= 0 {
			y = min(y, sc.top[x]-sn.fasciaT)
		}
		sn.yF[x] = max(y, sn.skin+sn.dermis+4)
	}

	// Bone: humerus deep under biceps and brachialis; tibia at the medial
	// side of tibialis anterior; usually none in the gastrocnemius' field.
	switch spec.muscle {
	case "BB":
		sn.bone = true
		sn.bR = uni(r, 70, 130)
		sn.bx = W/2 + uni(r, -0.25, 0.25)*W
		sn.by = uni(r, 40, 130) // thickness of brachialis under biceps
	case "TA":
		sn.bone = true
		sn.bR = uni(r, 90, 160)
		if r.IntN(2) == 0 {
			sn.bx = uni(r, -0.4, 0.15) * sn.bR
		} else {
			sn.bx = W - uni(r, -0.4, 0.15)*sn.bR
		}
		sn.by = uni(r, 6, 40)
	default:
		sn.bone = r.Float64() < 0.2
		sn.bR = uni(r, 90, 160)
		sn.bx = W/2 + uni(r, -0.4, 0.4)*W
		sn.by = uni(r, 90, 180)
	}
	sn.bH = sn.bR * uni(r, 0.35, 0.6)
	if spec.muscle == "TA" { // the tibia's surface slopes away under the muscle
		sn.bH = sn.bR * uni(r, 0.6, 1.0)
	}
	sn.boneT = uni(r, 5, 9)
	if sn.bone {
		// Lower the circle until its surface clears the muscle's fascia by
		// the drawn gap at every column: by holds the gap until here.
		gap := sn.by
		cy := 0.0
		for x := 0; x < Width; x++ {
			dx := float64(x) + 0.5 - sn.bx
			if math.Abs(dx) >= sn.bR {
				continue
			}
			hgt := sn.bH * math.Sqrt(1-dx*dx/(sn.bR*sn.bR))
			floor := float64(sn.yF[x]) + float64(sn.fasciaT) + 8
			if sc.bot[x] >= 0 {
				floor = float64(sc.bot[x]) + float64(sn.fasciaT) + gap
			}
			cy = math.Max(cy, floor+hgt)
		}
		sn.by = cy
		// Specular bone echo fades with fat infiltration (Heckmatt 3–4).
		sn.boneGain = uni(r, 0.8, 1.2) * (1 - 0.85*sn.sev*sn.sev)
	}
	sn.alphaMuscle = uni(r, 0.008, 0.016) + 0.09*sn.sev*uni(r, 0.7, 1.2)

	// Labels.
	sc.maskDistance(12)
	// The epimysium's thickness wanders along the muscle.
	thick := newSmoothField(r, 12, 1.0)
	ft := float32(sn.fasciaT) - 0.5
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			k := y*Width + x
			var l uint8
			switch {
			case sc.mask[k] != 0:
				l = lMuscle
			case sc.dist[k] <= ft+float32(clamp(thick.at(x, y), -1.5, 2.5)):
				l = lFascia
			case y < sn.skin:
				l = lGel
			case y < sn.skin+sn.dermis:
				l = lDermis
			case y < sn.yF[x]:
				l = lFat
			case y < sn.yF[x]+sn.fasciaT:
				l = lFascia
			default:
				l = lNeigh
				if sn.bone {
					dx := float64(x) + 0.5 - sn.bx
					if math.Abs(dx) < sn.bR {
						ys := sn.by - sn.bH*math.Sqrt(1-dx*dx/(sn.bR*sn.bR))
						fy := float64(y) + 0.5
						if fy >= ys+sn.boneT {
							l = lBone
						} else if fy >= ys {
							l = lBoneTop
						}
					}
				}
			}
			sc.label[k] = l
		}
	}
	return sn
}

// maskDistance fills sc.dist with each pixel's distance to the mask within
// the mask's bounding box plus margin, and 1e9 (far) elsewhere: only
// distances up to the fascia's thickness matter.
func (sc *scratch) maskDistance(margin int) {
	x0, x1, y0, y1 := Width, 0, Height, 0
	for x := 0; x < Width; x++ {
		if sc.top[x] >= 0 {
			x0, x1 = min(x0, x), max(x1, x)
			y0, y1 = min(y0, sc.top[x]), max(y1, sc.bot[x])
		}
	}
	for k := range sc.dist {
		sc.dist[k] = 1e9
	}
	if x0 <= x1 {
		win := image.Rect(x0-margin, y0-margin, x1+1+margin, y1+1+margin).Intersect(image.Rect(0, 0, Width, Height))
		distanceWindow(sc.mask, Width, win, sc.dist)
	}
}
