package phantom

import (
	"math"
	"math/rand/v2"
)

// scene2 is the anatomy of a version 2 image, drawn on the flat scene
// canvas (u across, v down from the skin, scene pixels).
type scene2 struct {
	poly                  []Point // the target's inner fascia border
	bone                  bool
	bx, by, bR, bH, boneT float64
	sev                   float64 // 0 healthy .. 1 Heckmatt 4
	version               int     // the scenes' version (V2, V3)
}

// boneSurface is the depth of the bone's upper surface at column u (ok
// false where the bone is not under u).
func (sn *scene2) boneSurface(u float64) (v float64, ok bool) {
	if !sn.bone {
		return 0, false
	}
	dx := (u - sn.bx) / sn.bR
	if math.Abs(dx) >= 1 {
		return 0, false
	}
	return sn.by - sn.bH*math.Sqrt(1-dx*dx), true
}

// buildAnatomy draws skin, subcutaneous fat with its septa, the deep
// fascia, the target muscle inside its epimysium, the neighbouring muscles
// that share its fascia, intermuscular septa and aponeuroses, and bone
// with its shadow; it leaves in sc the labels, the diffuse (e) and
// specular (c) amplitudes already multiplied by the transmitted
// amplitude, and the scene mask. From version 3 on, the thigh muscles'
// aponeuroses are commoner and longer, up to two (see V3).
func buildAnatomy(r *rand.Rand, spec subjectSpec, g *geometry, sc *scratch, version int) *scene2 {
	ppm := g.ppm
	mm := func(lo, hi float64) float64 { return uni(r, lo, hi) * ppm }
	sn := &scene2{version: version}
	if spec.pathological {
		sn.sev = float64(spec.heckmatt-1) / 3
	}
	uc, span := (g.umin+g.umax)/2, g.umax-g.umin
	skin := int(mm(0, 0.4))
	dermis := max(3, int(math.Round(mm(1.2, 2.4))))
	fT := math.Max(1.6, mm(0.3, 0.9)) // deep fascia and epimysium, px
	// Subcutaneous fat: women and heavier subjects carry more; the shin
	// and the arm less than the thigh and the calf.
	hm := float64(spec.HeightCm) / 100
	bmi := spec.WeightKg / (hm * hm)
	fat := 5 + 0.6*(bmi-24)
	if spec.Sex == "F" {
		fat += 4
	}
	switch spec.muscle {
	case "TA":
		fat *= 0.55
	case "BB":
		fat *= 0.8
	case "GM":
		fat *= 1.1
	}
	fat = clamp(fat*uni(r, 0.6, 1.4)+1.5*sn.sev, 1.5, 22) * ppm
	fat = math.Min(fat, 0.35*g.vmax)
	fatTop := float64(skin + dermis)
	a1, l1, p1 := mm(0.2, 1.2), uni(r, 250, 900), uni(r, 0, 2*math.Pi)
	a2, l2, p2 := mm(0.05, 0.3), uni(r, 60, 200), uni(r, 0, 2*math.Pi)
	slope := uni(r, -0.04, 0.04)
	yF0 := func(x float64) float64 {
		return fatTop + fat + a1*math.Sin(2*math.Pi*x/l1+p1) + a2*math.Sin(2*math.Pi*x/l2+p2) + slope*(x-uc)
	}

	// Target muscle.
	var a, b, p, tilt, cx float64
	var harm []float64
	cx = uc + uni(r, -0.2, 0.2)*span
	switch spec.muscle {
	case "BB":
		a, b, p, tilt = mm(16, 28), mm(7, 14), uni(r, 2.0, 2.8), uni(r, -0.12, 0.12)
		harm = []float64{0.03, 0.05, 0.03, 0.015, 0.01}
	case "TA":
		a, b, p, tilt = mm(10, 17), mm(9, 15), uni(r, 1.8, 2.4), uni(r, -0.25, 0.25)
		harm = []float64{0.06, 0.05, 0.10, 0.02, 0.01}
	case "GM":
		a, b, p, tilt = mm(28, 55), mm(5, 11), uni(r, 1.5, 2.1), uni(r, -0.12, 0.12)
		harm = []float64{0.06, 0.03, 0.02, 0.01, 0.01}
	case "RF":
		a, b, p, tilt = mm(14, 24), mm(7, 13), uni(r, 1.8, 2.4), uni(r, -0.2, 0.2)
		harm = []float64{0.10, 0.04, 0.03, 0.01}
	default: // VL: a long lens tapering at both ends
		a, b, p, tilt = mm(40, 70), mm(9, 16), uni(r, 1.3, 1.8), uni(r, -0.08, 0.08)
		if g.kind == geoPanoramic {
			a = span * uni(r, 0.28, 0.42)
		}
		harm = []float64{0.04, 0.04, 0.02, 0.01}
		cx = uc + uni(r, -0.12, 0.12)*span
	}
	b *= 1 - 0.3*sn.sev*r.Float64() // atrophy
	minPx := 2500.0
	for try := 0; ; try++ {
		poly := musclePolygon(r, a, b, p, tilt, harm)
		for k := range poly {
			poly[k].X += cx
		}
		_, minY, _, maxY, topX := bounds(poly)
		dy := yF0(topX) + fT + 1 - minY
		for k := range poly {
			poly[k].Y += dy
		}
		maxY += dy
		if maxY > 0.85*g.vmax && try < 10 {
			a *= 0.95
			b *= 0.85
			continue
		}
		clear(sc.mask)
		n := fillPolygon(poly, sc.mask, Width, Height)
		if float64(n) < minPx && try < 10 {
			a *= 1.15
			b *= 1.1
			continue
		}
		sn.poly = poly
		break
	}
	for x := 0; x < Width; x++ {
		sc.top[x], sc.bot[x] = -1, -1
	}
	for y := 0; y < Height; y++ {
		for x, m := range sc.mask[y*Width : (y+1)*Width] {
			if m != 0 {
				if sc.top[x] < 0 {
					sc.top[x] = y
				}
				sc.bot[x] = y
			}
		}
	}
	yF := make([]int, Width)
	for x := range yF {
		y := int(math.Round(yF0(float64(x) + 0.5)))
		if sc.top[x] >= 0 {
			y = min(y, sc.top[x]-int(fT))
		}
		yF[x] = max(y, skin+dermis+2)
	}
	// Mid column and lowest point of the target.
	lowest := 0
	for x := 0; x < Width; x++ {
		lowest = max(lowest, sc.bot[x])
	}

	// Bone: humerus under brachialis, femur under vastus intermedius,
	// tibia beside tibialis anterior; none in the calf's field.
	var gap float64
	dir := 1.0
	if r.IntN(2) == 0 {
		dir = -1
	}
	switch spec.muscle {
	case "BB":
		sn.bone = true
		sn.bR, sn.bx, gap = mm(9, 13), cx+uni(r, -0.3, 0.3)*a, mm(8, 20)
		sn.bH = sn.bR * uni(r, 0.5, 0.8)
	case "RF", "VL":
		sn.bone = true
		sn.bR, gap = mm(12, 16), mm(8, 22)
		if spec.muscle == "RF" {
			sn.bx = cx + uni(r, -0.3, 0.3)*a
		} else {
			sn.bx = cx + dir*uni(r, 0, 0.5)*a
		}
		sn.bH = sn.bR * uni(r, 0.5, 0.85)
	case "TA":
		sn.bone = true
		sn.bR = mm(8, 13)
		sn.bx = cx - dir*(a*uni(r, 0.8, 1.1)+sn.bR*uni(r, 0.3, 0.7))
		gap = mm(1, 4)
		sn.bH = sn.bR * uni(r, 0.7, 1.0)
	}
	sn.boneT = math.Max(2, mm(0.8, 1.8))
	if sn.bone {
		cy := 0.0
		for x := 0; x < Width; x++ {
			dx := float64(x) + 0.5 - sn.bx
			if math.Abs(dx) >= sn.bR {
				continue
			}
			hgt := sn.bH * math.Sqrt(1-dx*dx/(sn.bR*sn.bR))
			floor := float64(yF[x]) + fT + mm(1, 3)
			if sc.bot[x] >= 0 {
				floor = float64(sc.bot[x]) + fT + gap
			}
			cy = math.Max(cy, floor+hgt)
		}
		sn.by = cy
	}

	// Labels. The epimysium lies outside the mask: the annotators drew the
	// muscle inside its fascia.
	sc.maskDistance(int(2*fT) + 4)
	thick := newSmoothField(r, 16, 0.6*fT)
	rim := float32(fT * uni(r, 0.8, 1.3))
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			k := y*Width + x
			var l uint8
			switch {
			case sc.mask[k] != 0:
				l = lMuscle
			case sc.dist[k] <= rim+float32(thick.at(x, y)):
				l = lFascia
			case y < skin:
				l = lGel
			case y < skin+dermis:
				l = lDermis
			case y < yF[x]:
				l = lFat
			case float64(y) < float64(yF[x])+fT:
				l = lFascia
			default:
				l = lNeigh
				if ys, ok := sn.boneSurface(float64(x) + 0.5); ok {
					fy := float64(y) + 0.5
					if fy >= ys+sn.boneT {
						l = lBone
					} else if fy >= ys {
						l = lBoneTop
					}
				}
			}
			sc.label[k] = l
		}
	}
	paint2(r, spec, g, sn, sc, fT, yF, cx, a, b, lowest, dir)
	return sn
}

// paint2 fills the amplitudes from the labels, draws the septa and
// aponeuroses, and applies the transmission (attenuation and shadows).
func paint2(r *rand.Rand, spec subjectSpec, g *geometry, sn *scene2, sc *scratch, fT float64, yF []int, cx, a, b float64, lowest int, dir float64) {
	ppm := g.ppm
	mm := func(lo, hi float64) float64 { return uni(r, lo, hi) * ppm }
	sev := sn.sev
	inhom := newSmoothField(r, 8, 1.5).linear()
	inhomN := newSmoothField(r, 8, 2).linear()
	fatField := newSmoothField(r, 10, 2.5).linear()
	fasciaField := newSmoothField(r, 20, 6).linear()
	dermisE := db(uni(r, 10, 20))
	fatE := db(uni(r, 0, 10))
	fasciaE := db(uni(r, 16, 28))
	fasciaC := float32(uni(r, 0.4, 1.2))
	muscleE := db(sev * uni(r, 6, 12))
	neighE := db(uni(r, -3, 2) + sev*uni(r, 2, 10))
	boneE := db(uni(r, 26, 34))
	clutter := db(uni(r, -14, -6)) // reverberation and side lobes fill the shadow
	boneC := float32(uni(r, 2, 5) * (1 - 0.7*sev*sev))
	// Residual attenuation after TGC, dB per px.
	perPx := func(dBmm float64) float32 { return attFactor(dBmm / ppm) }
	aSoft := perPx(uni(r, 0.02, 0.1))
	aMuscle := perPx(uni(r, 0.04, 0.14) + sev*uni(r, 0.3, 0.8))
	aNeigh := perPx(uni(r, 0.04, 0.14) + 0.5*sev*uni(r, 0.3, 0.8))
	aCortex := attFactor(uni(r, 18, 30) / sn.boneT)
	aBone := perPx(1)
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			k := y*Width + x
			var e, c, at float32
			switch sc.label[k] {
			case lGel:
				e, at = 0.02, 1
			case lDermis:
				e, at = dermisE*float32(fatField.at(x, y)), aSoft
			case lFat:
				e, at = fatE*float32(fatField.at(x, y)), aSoft
			case lFascia:
				f := float32(fasciaField.at(x, y))
				e, c, at = fasciaE*f, fasciaC*f, aSoft
			case lMuscle:
				e, at = muscleE*float32(inhom.at(x, y)), aMuscle
			case lNeigh:
				e, at = neighE*float32(inhomN.at(x, y)), aNeigh
			case lBoneTop:
				dx := (float64(x) + 0.5 - sn.bx) / sn.bR
				spec := float32(math.Pow(math.Max(0, 1-dx*dx), 0.6)) // strongest where the beam hits square on
				e, c, at = boneE*(0.5+0.5*spec), boneC*(0.3+0.7*spec), aCortex
			case lBone:
				e, at = 0.5, aBone
			}
			sc.e[k], sc.c[k], sc.att[k] = e, c, at
		}
	}
	// Entry echo of the skin.
	for x := 0; x < Width; x++ {
		y := 0
		for y < Height && sc.label[y*Width+x] == lGel {
			y++
		}
		for d := 0; d < 2 && y+d < Height; d++ {
			sc.c[(y+d)*Width+x] = 0.9
		}
	}
	const (
		bFat    = 1 << lFat
		bMuscle = 1 << lMuscle
		bNeigh  = 1 << lNeigh
	)
	linePx := clamp(0.18*ppm, 1.1, 3)
	// Fat lobules and the long superficial-fascia lines parallel to the skin.
	newCellNet(r, mm(4, 10), mm(1.2, 3), uni(r, -0.1, 0.1), linePx, uni(r, 0.4, 0.8), 8, 18, 0.3).apply(sc, bFat, 0, Height)
	fatTop := float64(yF[0])
	for x := range yF {
		fatTop = math.Min(fatTop, float64(yF[x]))
	}
	for n := r.IntN(4); n > 0; n-- {
		y0 := uni(r, 0.2, 0.85) * fatTop
		if y0 < 4 {
			continue
		}
		sc.curve2(r, uni(r, -100, Width-100), y0, uni(r, -0.08, 0.08), uni(r, 150, 600), bFat, db(uni(r, 10, 16)), float32(uni(r, 0.2, 0.6)), 1+r.IntN(2), ppm)
	}

	// Perimysium in the target and its neighbours, each with its own grain.
	theta := uni(r, -0.2, 0.2)
	if spec.muscle == "GM" { // pennate: oblique fascicle planes
		theta = dir * uni(r, 0.2, 0.5)
	}
	contrast := 1 - 0.55*sev // fat infiltration blurs the pattern
	newCellNet(r, mm(2.5, 6), mm(1, 2.5), theta, linePx, uni(r, 0.3, 0.9)*contrast, 10*contrast, 22*contrast, 0.4).apply(sc, bMuscle, 0, Height)
	thetaN := uni(r, -0.3, 0.3)
	if spec.muscle == "GM" {
		thetaN = -dir * uni(r, 0.2, 0.6) // the soleus' bipennate pattern
	}
	newCellNet(r, mm(2.5, 7), mm(1, 3), thetaN, linePx, uni(r, 0.3, 0.9), 9, 21, 0.4).apply(sc, bNeigh, 0, Height)

	// Intramuscular aponeuroses: rectus femoris' central one, tibialis
	// anterior's, sometimes one in vastus lateralis or the septum between
	// the biceps' heads.
	var mcx, mcy float64
	n := 0
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			if sc.mask[y*Width+x] != 0 {
				mcx += float64(x)
				mcy += float64(y)
				n++
			}
		}
	}
	if n > 0 {
		mcx, mcy = mcx/float64(n), mcy/float64(n)
	}
	u := r.Float64()
	if spec.muscle == "RF" || spec.muscle == "TA" || (spec.muscle == "VL" && u < 0.4) || (spec.muscle == "BB" && u < 0.4) {
		th := uni(r, -0.5, 0.5)
		ext := b * uni(r, 0.6, 1.0)
		if spec.muscle == "VL" {
			th, ext = uni(r, -0.15, 0.15), a*uni(r, 0.3, 0.6)
		} else if spec.muscle == "RF" {
			th = math.Pi/2 + uni(r, -0.9, 0.9)
			ext = b * uni(r, 0.5, 0.9)
		} else {
			th = math.Pi/2 + th
		}
		dx, dy := ext*math.Cos(th), ext*math.Sin(th)
		x0, y0 := mcx+uni(r, -0.15, 0.15)*a, mcy+uni(r, -0.2, 0.2)*b
		w := max(1, int(math.Round(fT*uni(r, 0.4, 0.9))))
		sc.stamp2(x0-dx, y0-dy, x0+dx, y0+dy, w, bMuscle, db(uni(r, 12, 18)), float32(uni(r, 0.2, 0.6)))
	}
	// Version 3: the thigh muscles' long aponeuroses and intramuscular
	// septa, as bright and thick as the fascia, across most of the muscle.
	if thigh := spec.muscle == "VL" || spec.muscle == "RF"; sn.version >= V3 && thigh && u < 0.75 {
		for k := 1 + r.IntN(2); k > 0; k-- {
			th, ext := uni(r, -0.2, 0.2), a*uni(r, 0.4, 0.85)
			x0, y0 := mcx+uni(r, -0.2, 0.2)*a, mcy+uni(r, -0.45, 0.45)*b
			dx, dy := ext*math.Cos(th), ext*math.Sin(th)
			w := max(1, int(math.Round(fT*uni(r, 0.6, 1.2))))
			sc.stamp2(x0-dx, y0-dy, x0+dx, y0+dy, w, bMuscle, db(uni(r, 13, 19)), float32(uni(r, 0.3, 0.7)))
		}
	}

	// Intermuscular septa among the neighbours.
	switch spec.muscle {
	case "GM": // the soleus' aponeurosis below the gastrocnemius
		y0 := float64(lowest) + mm(8, 25)
		sc.curve2(r, -10, y0, uni(r, -0.1, 0.1), Width+20, bNeigh, db(uni(r, 12, 18)), float32(uni(r, 0.3, 0.7)), max(1, int(fT)), ppm)
	case "TA": // interosseous membrane from the tibia towards the fibula
		if ys, ok := sn.boneSurface(sn.bx + dir*0.7*sn.bR); ok {
			xs := sn.bx + dir*0.7*sn.bR
			ln := mm(15, 35)
			sl := uni(r, 0.15, 0.45)
			sc.stamp2(xs, ys+2, xs+dir*ln, ys+2+sl*ln, max(1, int(fT*0.8)), bNeigh, db(uni(r, 12, 18)), float32(uni(r, 0.3, 0.6)))
		}
	case "RF", "VL", "BB": // the boundaries of the deep and side neighbours
		for _, side := range []float64{-1, 1} {
			if r.Float64() < 0.3 {
				continue
			}
			xs := cx + side*a*uni(r, 0.5, 0.9)
			y := 0
			if xi := int(xs); xi >= 0 && xi < Width && sc.bot[xi] >= 0 {
				y = sc.bot[xi]
			} else {
				continue
			}
			ln := mm(10, 35)
			sl := uni(r, 0.3, 1.2)
			sc.stamp2(xs, float64(y)+fT, xs+side*ln, float64(y)+fT+sl*ln, max(1, int(fT*0.7)), bNeigh, db(uni(r, 10, 16)), float32(uni(r, 0.2, 0.5)))
		}
	}
	for n := 1 + r.IntN(3); n > 0; n-- {
		y0 := float64(lowest) + mm(4, 30)
		sc.curve2(r, uni(r, -100, Width-100), y0, uni(r, -0.25, 0.25), uni(r, 100, 500), bNeigh, db(uni(r, 10, 16)), float32(uni(r, 0.2, 0.5)), 1+r.IntN(2), ppm)
	}

	// Transmission: cumulative attenuation down each scene column (the
	// beam's path), softened across so shadows have penumbrae.
	for x := 0; x < Width; x++ {
		sc.tmp[x] = 1
	}
	acc := sc.tmp[:Width]
	for y := 0; y < Height; y++ {
		row := sc.att[y*Width : (y+1)*Width]
		for x := range row {
			t := acc[x]
			acc[x] *= row[x]
			row[x] = t
		}
	}
	boxBlur(sc.att, sc.tmp, Width, Height, 2)
	for k, t := range sc.att {
		s := float32(math.Sqrt(float64(t)))
		sc.e[k] *= s
		sc.c[k] *= s
		if sc.label[k] == lBone {
			sc.e[k] = max(sc.e[k], clutter)
		}
	}
}

// stamp2 draws a straight line of the given width (px, across it) raising
// the amplitudes to at least e and c on pixels whose label is in allow.
func (sc *scratch) stamp2(x0, y0, x1, y1 float64, width int, allow uint16, e, c float32) {
	ln := math.Hypot(x1-x0, y1-y0)
	n := int(ln*2) + 1
	nx, ny := 0.0, 1.0
	if ln > 0 {
		nx, ny = -(y1-y0)/ln, (x1-x0)/ln
	}
	for s := 0; s <= n; s++ {
		t := float64(s) / float64(n)
		for d := 0; d < width; d++ {
			off := float64(d) - float64(width-1)/2
			x := int(x0 + t*(x1-x0) + off*nx)
			y := int(y0 + t*(y1-y0) + off*ny)
			if x < 0 || x >= Width || y < 0 || y >= Height {
				continue
			}
			k := y*Width + x
			if allow&(1<<sc.label[k]) == 0 {
				continue
			}
			sc.e[k] = max(sc.e[k], e)
			sc.c[k] = max(sc.c[k], c)
		}
	}
}

// curve2 stamps a gently wavy polyline through (x0,y0) with the given
// slope over [x0, x0+length].
func (sc *scratch) curve2(r *rand.Rand, x0, y0, slope, length float64, allow uint16, e, c float32, width int, ppm float64) {
	amp, wl, ph := uni(r, 0, 0.5)*ppm, uni(r, 80, 300), uni(r, 0, 2*math.Pi)
	px, py := x0, y0
	for x := x0 + 4; x <= x0+length; x += 4 {
		y := y0 + slope*(x-x0) + amp*math.Sin(2*math.Pi*(x-x0)/wl+ph)
		sc.stamp2(px, py, x, y, width, allow, e, c)
		px, py = x, y
	}
}
