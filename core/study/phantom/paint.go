package phantom

import (
	"image"
	"math"
	"math/rand/v2"
)

// smoothField is a bilinear interpolation of a coarse random grid: slow
// echogenicity variations (dB) so tissues are not uniformly grey.
type smoothField struct {
	n  int
	v  []float64
	sx float64
	sy float64
}

func newSmoothField(r *rand.Rand, n int, sigma float64) smoothField {
	f := smoothField{n: n, v: make([]float64, n*n), sx: float64(n-1) / Width, sy: float64(n-1) / Height}
	for k := range f.v {
		f.v[k] = sigma * r.NormFloat64()
	}
	return f
}

// linear turns a dB field into an amplitude field (interpolated linearly
// between grid nodes: close enough for slow variations, and no per-pixel pow).
func (f smoothField) linear() smoothField {
	g := f
	g.v = make([]float64, len(f.v))
	for k, v := range f.v {
		g.v[k] = math.Pow(10, v/20)
	}
	return g
}

func (f smoothField) at(x, y int) float64 {
	gx, gy := float64(x)*f.sx, float64(y)*f.sy
	ix, iy := min(int(gx), f.n-2), min(int(gy), f.n-2)
	tx, ty := gx-float64(ix), gy-float64(iy)
	v := f.v[iy*f.n+ix:]
	top := v[0]*(1-tx) + v[1]*tx
	bot := v[f.n]*(1-tx) + v[f.n+1]*tx
	return top*(1-ty) + bot*ty
}

// stamp draws a line from (x0,y0) to (x1,y1), width 1 or 2 pixels, raising
// the diffuse amplitude to at least e×(the pixel's own amplitude when
// relative) and the coherent amplitude to at least c, only on pixels whose
// label is in allow.
func (sc *scratch) stamp(x0, y0, x1, y1 float64, width int, allow uint16, e, c float32, relative bool) {
	n := int(math.Hypot(x1-x0, y1-y0)*2) + 1
	for s := 0; s <= n; s++ {
		t := float64(s) / float64(n)
		x := int(x0 + t*(x1-x0))
		y := int(y0 + t*(y1-y0))
		for d := 0; d < width; d++ {
			yy := y + d
			if x < 0 || x >= Width || yy < 0 || yy >= Height {
				continue
			}
			k := yy*Width + x
			if allow&(1<<sc.label[k]) == 0 {
				continue
			}
			v := e
			if relative {
				v *= sc.base[k]
			}
			sc.e[k] = max(sc.e[k], v)
			sc.c[k] = max(sc.c[k], c)
		}
	}
}

// curve stamps a gently wavy polyline through (x0,y0) with the given slope
// over [x0, x0+length].
func (sc *scratch) curve(r *rand.Rand, x0, y0, slope, length float64, allow uint16, e, c float32, width int) {
	amp, wl, ph := uni(r, 0, 4), uni(r, 80, 300), uni(r, 0, 2*math.Pi)
	px, py := x0, y0
	for x := x0 + 4; x <= x0+length; x += 4 {
		y := y0 + slope*(x-x0) + amp*math.Sin(2*math.Pi*(x-x0)/wl+ph)
		sc.stamp(px, py, x, y, width, allow, e, c, false)
		px, py = x, y
	}
}

// paint fills the scatterer amplitude (e), the coherent, specular amplitude
// (c), the residual attenuation (att, dB per pixel after time-gain
// compensation) and the EI-shift weight (wt) from the labels.
func paint(r *rand.Rand, spec subjectSpec, sn *scene, sc *scratch) {
	inhomog := newSmoothField(r, 7, 1.6-0.8*sn.sev)
	fasciaField := newSmoothField(r, 14, 3)
	fatField := newSmoothField(r, 9, 2.0)
	neighDB := uni(r, -2.5, 2.5)
	wNeigh := float32(uni(r, 0.85, 1.05))
	if spec.pathological {
		wNeigh = float32(uni(r, 0.5, 1.0)) // disease spares some neighbours
	}
	// Power factors per pixel of the residual attenuation (dB per pixel after TGC).
	fDermis, fFat, fFascia, fBoneTop := attFactor(0.02), attFactor(0.025), attFactor(0.04), attFactor(0.5)
	fMuscle, fNeigh := attFactor(sn.alphaMuscle), attFactor(0.9*sn.alphaMuscle)
	fasciaDB := uni(r, 15, 20)
	fasciaC := float32(uni(r, 0.5, 1.0))
	dermisDB := uni(r, 8, 12)
	fatDB := uni(r, -12, -7)
	inhomLin, fatLin, fasciaLin := inhomog.linear(), fatField.linear(), fasciaField.linear()
	dermisE, fatE, fasciaE, neighE := db(dermisDB), db(fatDB), db(fasciaDB), db(neighDB)
	for y := 0; y < Height; y++ {
		for x := 0; x < Width; x++ {
			k := y*Width + x
			var e, a, w float32
			var c float32
			switch sc.label[k] {
			case lGel:
				e, a = 0.03, 1
			case lDermis:
				e, a = dermisE*float32(fatLin.at(x, y)), fDermis
			case lFat:
				e, a = fatE*float32(fatLin.at(x, y)), fFat
			case lFascia:
				f := float32(fasciaLin.at(x, y))
				e, c, a, w = fasciaE*f, fasciaC*f, fFascia, 0.3
			case lMuscle:
				e, a, w = float32(inhomLin.at(x, y)), fMuscle, 1
			case lNeigh:
				e, a, w = neighE*float32(inhomLin.at(x, y)), fNeigh, wNeigh
			case lBoneTop:
				dx := (float64(x) + 0.5 - sn.bx) / sn.bR
				spec := math.Pow(math.Max(0, 1-dx*dx), 1.5) // specular: strongest where the beam hits square on
				e = float32(6 * sn.boneGain * spec)
				c, a = float32(4*sn.boneGain*spec), fBoneTop
			case lBone:
				// Shadow, softer at the bone's flanks where the beam grazes it.
				dx := (float64(x) + 0.5 - sn.bx) / sn.bR
				e, a = 0.5, attFactor(0.9*(1-dx*dx)+0.02)
			}
			sc.e[k], sc.c[k], sc.att[k], sc.wt[k] = e, c, a, w
			sc.base[k] = e
		}
	}
	// Entry echo of the skin: a bright specular line.
	for x := 0; x < Width; x++ {
		for y := max(0, sn.skin-1); y <= sn.skin; y++ {
			sc.c[y*Width+x] = 0.9
		}
	}
	const (
		bFat    = 1 << lFat
		bMuscle = 1 << lMuscle
		bNeigh  = 1 << lNeigh
	)
	// Fibrous septa in the subcutaneous fat.
	fatTop := float64(sn.skin + sn.dermis)
	for n := 2 + r.IntN(5); n > 0; n-- {
		x0 := uni(r, -100, Width-60)
		y0 := fatTop + uni(r, 0.15, 0.9)*(sn.yF0(x0)-fatTop)
		sc.curve(r, x0, y0, uni(r, -0.15, 0.15), uni(r, 60, 500), bFat, db(uni(r, 6, 12)), float32(uni(r, 0, 0.2)), 1)
	}

	// Perimysium: the "starry sky" of short bright flecks in the muscles.
	var theta0, spread, meanLen float64
	switch spec.muscle {
	case "BB":
		theta0, spread, meanLen = uni(r, -0.3, 0.3), 0.45, 13
	case "TA":
		theta0, spread, meanLen = uni(r, -0.6, 0.6), 0.5, 13
	default: // pennate gastrocnemius: oblique fascicle lines
		theta0, spread, meanLen = uni(r, 0.25, 0.6), 0.2, 16
		if r.IntN(2) == 0 {
			theta0 = -theta0
		}
	}
	density := uni(r, 200, 380)
	for _, region := range []uint8{lMuscle, lNeigh} {
		n := int(float64(Width*Height) / density)
		for ; n > 0; n-- {
			x, y := r.Float64()*Width, r.Float64()*Height
			if sc.label[int(y)*Width+int(x)] != region {
				continue
			}
			l := math.Min(40, 1.5+r.ExpFloat64()*meanLen)
			th := theta0 + spread*r.NormFloat64()
			dx, dy := 0.5*l*math.Cos(th), 0.5*l*math.Sin(th)
			boost := uni(r, 2.5, 8)
			boost = 1 + (boost-1)*(1-0.6*sn.sev) // fat infiltration blurs the pattern
			w := 1
			if r.Float64() < 0.15 {
				w = 2
			}
			sc.stamp(x-dx, y-dy, x+dx, y+dy, w, 1<<region, float32(boost), 0, true)
		}
	}

	// Intramuscular aponeurosis (TA's central tendon sheet) or the septum
	// between the biceps heads.
	var cx, cy float64
	for _, k := range sc.maskIdx {
		cx += float64(int(k) % Width)
		cy += float64(int(k) / Width)
	}
	if m := float64(len(sc.maskIdx)); m > 0 {
		cx, cy = cx/m, cy/m
	}
	if spec.muscle == "TA" || (spec.muscle == "BB" && r.Float64() < 0.4) {
		ext := 0.25 * math.Sqrt(float64(len(sc.maskIdx)))
		th := math.Pi/2 + uni(r, -0.6, 0.6)
		x0, y0 := cx+uni(r, -0.2, 0.2)*ext, cy+uni(r, -0.2, 0.2)*ext
		dx, dy := ext*math.Cos(th), ext*math.Sin(th)
		e := db(uni(r, 8, 13))
		if spec.muscle == "BB" {
			e = db(uni(r, 4, 8))
		}
		sc.stamp(x0-dx, y0-dy, x0+dx, y0+dy, 1+r.IntN(2), bMuscle, e, float32(uni(r, 0.1, 0.3)), false)
	}

	// Intermuscular septa and deep aponeuroses in the neighbours.
	lowest := 0
	for x := 0; x < Width; x++ {
		lowest = max(lowest, sc.bot[x])
	}
	switch spec.muscle {
	case "GM": // the soleus' aponeurosis below the gastrocnemius
		y0 := float64(lowest) + uni(r, 40, 150)
		sc.curve(r, -10, y0, uni(r, -0.12, 0.12), Width+20, bNeigh, db(uni(r, 11, 15)), float32(uni(r, 0.3, 0.6)), 2+r.IntN(2))
	case "TA": // interosseous membrane from the tibia towards the fibula
		dir := 1.0
		if sn.bx > Width/2 {
			dir = -1
		}
		xs := sn.bx + dir*0.8*sn.bR
		ys := sn.by - sn.bH*0.6 + 3
		ln := uni(r, 150, 400)
		slope := uni(r, 0.1, 0.35)
		x1, y1 := xs+dir*ln, ys+slope*ln
		sc.stamp(xs, ys, x1, y1, 2, bNeigh, db(uni(r, 11, 15)), float32(uni(r, 0.3, 0.6)), false)
		sc.stamp(xs, ys+1, x1, y1+1, 1, bNeigh, db(uni(r, 11, 15)), float32(uni(r, 0.3, 0.6)), false)
	}
	for n := 2 + r.IntN(3); n > 0; n-- {
		y0 := float64(lowest) + uni(r, 20, 200)
		x0 := uni(r, -100, Width-100)
		sc.curve(r, x0, y0, uni(r, -0.25, 0.25), uni(r, 100, 500), bNeigh, db(uni(r, 12, 17)), float32(uni(r, 0.2, 0.6)), 1+r.IntN(2))
	}

	// The EI shift fades over the fascia so no edge appears at the mask.
	boxBlur(sc.wt, sc.tmp, Width, Height, 2)
	for _, k := range sc.maskIdx {
		sc.wt[k] = 1
	}
}

// attFactor converts attenuation in dB per pixel into the power factor per pixel.
func attFactor(a float64) float32 { return float32(math.Exp(-a * math.Ln10 / 10)) }

// boxBlur smooths v in place with a (2r+1)² box, edges clamped.
func boxBlur(v, tmp []float32, w, h, r int) {
	inv := 1 / float32(2*r+1)
	for y := 0; y < h; y++ {
		in, out := v[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		for x := range out {
			var s float32
			for d := -r; d <= r; d++ {
				s += in[min(w-1, max(0, x+d))]
			}
			out[x] = s * inv
		}
	}
	for y := 0; y < h; y++ {
		out := v[y*w : (y+1)*w]
		clear(out)
		for d := -r; d <= r; d++ {
			in := tmp[min(h-1, max(0, y+d))*w:]
			for x := range out {
				out[x] += in[x] * inv
			}
		}
	}
}

// speckle forms the B-mode image before the EI adjustment into sc.g:
// complex Gaussian scatterers weighted by the amplitude map, plus the
// coherent specular component, convolved with an anisotropic PSF (wider
// laterally than axially); envelope; depth attenuation after partial TGC;
// log compression.
func speckle(r *rand.Rand, sn *scene, sc *scratch) {
	scatter(r, sc.e, sc.c, sc.re, sc.im)
	kx := gaussKernel(uni(r, 1.6, 2.3))
	ky := gaussKernel(uni(r, 0.8, 1.1))
	blurRows(sc.re, sc.tmp, Width, Height, kx)
	blurCols(sc.tmp, sc.re, Width, Height, ky)
	blurRows(sc.im, sc.tmp, Width, Height, kx)
	blurCols(sc.tmp, sc.im, Width, Height, ky)

	dr := uni(r, 55, 65)                               // displayed dynamic range, dB
	kg := float32(2550 / dr)                           // grey levels per decade of power
	g0 := float32(78 + uni(r, -4, 4))                  // grey of a 0 dB (healthy muscle) scatterer
	tgc := attFactor(uni(r, -0.01, 0.01))              // TGC slope left over, power factor per row
	floor := float32(math.Pow(10, float64((6-g0)/kg))) // electronic noise power: ~6 grey
	acc := sc.dist[:Width]                             // reuse: power left after attenuation so far, per column
	for x := range acc {
		acc[x] = 1
	}
	fillUniform(r, sc.tmp[:Width])
	depth := float32(1)
	for y := 0; y < Height; y++ {
		depth *= tgc
		for x := 0; x < Width; x++ {
			k := y*Width + x
			acc[x] *= sc.att[k]
			pw := (sc.re[k]*sc.re[k]+sc.im[k]*sc.im[k])*acc[x]*depth + floor*(0.3+1.4*sc.tmp[k])
			sc.g[k] = g0 + kg*fastLog10(pw)
		}
		// sc.tmp is free after the blur: it carries the next row's
		// uniform draws for the noise floor.
		if y+1 < Height {
			fillUniform(r, sc.tmp[(y+1)*Width:(y+2)*Width])
		}
	}
}

// scatter draws the scatterers' complex echo: zero-mean uniform noise of
// unit variance (16 bits per draw) scaled by the diffuse amplitude e, plus
// the coherent amplitude c on the real part.
func scatter(r *rand.Rand, e, c, re, im []float32) {
	const scale = 3.4641016 / 65536 // uniform on 16 bits → unit variance
	for k := 0; k+1 < len(e); k += 2 {
		v := r.Uint64()
		e0, e1 := e[k], e[k+1]
		re[k] = e0*(float32(v&0xffff)-32767.5)*scale + c[k]
		im[k] = e0 * (float32(v>>16&0xffff) - 32767.5) * scale
		re[k+1] = e1*(float32(v>>32&0xffff)-32767.5)*scale + c[k+1]
		im[k+1] = e1 * (float32(v>>48) - 32767.5) * scale
	}
}

// fastLog10 is log10 for positive normal float32 to about 1e-5 (well
// under a hundredth of a grey level here): exponent bits plus a polynomial for the
// mantissa, several times faster than math.Log10.
func fastLog10(v float32) float32 {
	if !(v > 0) {
		return -38
	}
	b := math.Float32bits(v)
	e := float32(int32(b>>23&0xff) - 127)
	m := math.Float32frombits(b&0x007fffff | 0x3f800000) // [1, 2)
	// ln(m) = 2·atanh(s), s = (m-1)/(m+1) ≤ 1/3: four odd terms leave < 1e-5.
	q := (m - 1) / (m + 1)
	q2 := q * q
	ln := 2 * q * (1 + q2*(1.0/3+q2*(1.0/5+q2*(1.0/7+q2/9))))
	return e*0.30103 + ln*0.4342945
}

// fillUniform fills v (length a multiple of 4) with uniforms in [0,1).
func fillUniform(r *rand.Rand, v []float32) {
	for x := 0; x+3 < len(v); x += 4 {
		u := r.Uint64()
		v[x] = float32(u&0xffff) / 65536
		v[x+1] = float32(u>>16&0xffff) / 65536
		v[x+2] = float32(u>>32&0xffff) / 65536
		v[x+3] = float32(u>>48) / 65536
	}
}

// smooth3 applies the separable [1 2 1]/4 kernel in place: the scanner's
// mild speckle reduction, which softens the log-Rayleigh speckle's holes.
func smooth3(v, tmp []float32, w, h int) {
	for y := 0; y < h; y++ {
		in, out := v[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		out[0] = 0.75*in[0] + 0.25*in[1]
		for x := 1; x < w-1; x++ {
			out[x] = 0.25*in[x-1] + 0.5*in[x] + 0.25*in[x+1]
		}
		out[w-1] = 0.75*in[w-1] + 0.25*in[w-2]
	}
	for y := 0; y < h; y++ {
		up, mid, dn := tmp[max(0, y-1)*w:], tmp[y*w:], tmp[min(h-1, y+1)*w:]
		out := v[y*w : (y+1)*w]
		for x := range out {
			out[x] = 0.25*up[x] + 0.5*mid[x] + 0.25*dn[x]
		}
	}
}

// solveShift finds s such that the mean of clip(round(g + s)) over the mask
// equals target (the mask's weight is 1): Newton steps on the unclipped share.
func solveShift(sc *scratch, target float64) float64 {
	if len(sc.maskIdx) == 0 {
		return 0
	}
	s := 0.0
	for it := 0; it < 20; it++ {
		var sum float64
		free := 0
		for _, k := range sc.maskIdx {
			v := math.Round(float64(sc.g[k]) + s)
			switch {
			case v < 0:
				v = 0
			case v > 255:
				v = 255
			default:
				free++
			}
			sum += v
		}
		err := target - sum/float64(len(sc.maskIdx))
		if math.Abs(err) < 0.02 {
			break
		}
		s += err / math.Max(0.2, float64(free)/float64(len(sc.maskIdx)))
	}
	return s
}

// quantise writes the 8-bit image and the 0/255 mask.
func quantise(sc *scratch, s float64) (*image.Gray, *image.Gray) {
	img := image.NewGray(image.Rect(0, 0, Width, Height))
	mask := image.NewGray(image.Rect(0, 0, Width, Height))
	for k := range img.Pix {
		v := math.Round(float64(sc.g[k]) + s*float64(sc.wt[k]))
		img.Pix[k] = uint8(clamp(v, 0, 255))
		if sc.mask[k] != 0 {
			mask.Pix[k] = 255
		}
	}
	return img, mask
}
