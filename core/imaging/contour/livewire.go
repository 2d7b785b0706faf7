package contour

import (
	"errors"
	"image"
	"math"
	"slices"

	"myoseg/core/imaging/mask"
)

// Livewire cost levels: a pixel costs 1 on the strongest fascia and up to
// maxCost on flat speckle; outside the ultrasound field it costs offField,
// so a path leaves the field only where a click forces it to.
const (
	maxCost  = 32
	offField = 96
)

// sigmas are the Gaussians (px) that take speckle out before ridges are
// measured, one per fascia thickness: lines are 2–10 px thick, speckle
// grains 1–3 px. Responses are scale-normalised (×σ², ×σ) and the strongest
// scale wins.
var sigmas = []float64{2, 4}

// edgeWeight is how much a plain grey step counts next to a bright line: a
// muscle border without a visible fascia still attracts the path, less.
const edgeWeight = 0.4

// Step costs, ×5 so that a diagonal (×√2 ≈ 7/5) stays an integer for the
// bucket queue.
const (
	orthStep = 5
	diagStep = 7
)

// Cost is the livewire's cost image, computed once per image by NewCost.
// Its coordinates are the grey image's, from its Bounds().Min.
type Cost struct {
	W, H int
	c    []uint8
}

// At is the cost of pixel (x, y), 0 outside the image.
func (c *Cost) At(x, y int) int {
	if x < 0 || y < 0 || x >= c.W || y >= c.H {
		return 0
	}
	return int(c.c[y*c.W+x])
}

// NewCost builds the livewire cost of g restricted to field (a mask of g's
// size; a zero Mask means the whole image): the image is smoothed, bright
// ridges (the Hessian's most negative eigenvalue) and grey steps (gradient
// magnitude) are measured and scaled by their 95th percentile inside the
// field, and the cost falls from maxCost to 1 as they rise.
func NewCost(g *image.Gray, field mask.Mask) (*Cost, error) {
	if g == nil {
		return nil, errors.New("contour: no image for the livewire")
	}
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 3 || h < 3 {
		return nil, errors.New("contour: the image is too small for the livewire")
	}
	if field.W == 0 && field.H == 0 {
		field = mask.New(w, h)
		for i := range field.Pix {
			field.Pix[i] = true
		}
	}
	if field.W != w || field.H != h {
		return nil, errors.New("contour: the field mask and the image differ in size")
	}
	// Outside the field, the field's mean grey: the field's own border is
	// then no edge for the path to follow.
	sum, cnt := 0.0, 0
	for y := range h {
		row := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):][:w]
		for x, v := range row {
			if field.Pix[y*w+x] {
				sum += float64(v)
				cnt++
			}
		}
	}
	if cnt == 0 {
		return nil, errors.New("contour: the field is empty")
	}
	mean := float32(sum / float64(cnt))
	f := make([]float32, w*h)
	for y := range h {
		row := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):][:w]
		for x, v := range row {
			if field.Pix[y*w+x] {
				f[y*w+x] = float32(v)
			} else {
				f[y*w+x] = mean
			}
		}
	}
	ridge := make([]float32, w*h)
	edge := make([]float32, w*h)
	for _, sg := range sigmas {
		measure(gaussian(f, w, h, sg), w, h, float32(sg), ridge, edge)
	}
	rs, es := percentile(ridge, field, 0.999), percentile(edge, field, 0.999)
	out := &Cost{W: w, H: h, c: make([]uint8, w*h)}
	for i := range out.c {
		if !field.Pix[i] {
			out.c[i] = offField
			continue
		}
		v := float32(0)
		if rs > 0 {
			v = ridge[i] / rs
		}
		if es > 0 {
			v = max(v, edgeWeight*edge[i]/es)
		}
		v = min(v, 1)
		q := 1 - v
		out.c[i] = uint8(1 + math.Round(float64((maxCost-1)*q)))
	}
	return out, nil
}

// measure raises ridge and edge to the smoothed image s's bright-ridge
// strength (the Hessian's most negative eigenvalue, negated) and gradient
// magnitude at scale sg, scale-normalised.
func measure(s []float32, w, h int, sg float32, ridge, edge []float32) {
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			c := s[i]
			l, r, u, d := s[i-1], s[i+1], s[i-w], s[i+w]
			dxx := l + r - 2*c
			dyy := u + d - 2*c
			dxy := (s[i+w+1] + s[i-w-1] - s[i+w-1] - s[i-w+1]) / 4
			half := (dxx - dyy) / 2
			lmin := (dxx+dyy)/2 - float32(math.Sqrt(float64(half*half+dxy*dxy)))
			ridge[i] = max(ridge[i], -lmin*sg*sg)
			gx, gy := (r-l)/2, (d-u)/2
			edge[i] = max(edge[i], float32(math.Sqrt(float64(gx*gx+gy*gy)))*sg)
		}
	}
}

// percentile is the p-quantile of v over the field's pixels, to within
// 1/4096 of their range: a histogram, as sorting a panoramic image's
// million values would take longer than the rest of NewCost.
func percentile(v []float32, field mask.Mask, p float64) float32 {
	const bins = 4096
	var top float32
	n := 0
	for i, x := range v {
		if field.Pix[i] {
			top = max(top, x)
			n++
		}
	}
	if n == 0 || top <= 0 {
		return 0
	}
	var hist [bins]int
	scale := float32(bins-1) / top
	for i, x := range v {
		if field.Pix[i] {
			hist[int(x*scale)]++
		}
	}
	want := int(math.Ceil(p * float64(n)))
	seen := 0
	for k, c := range hist {
		seen += c
		if seen >= want {
			return float32(k+1) / scale
		}
	}
	return top
}

// gaussian blurs f (w×h) with three box blurs whose widths approximate a
// Gaussian of the given sigma (Kovesi, "Fast almost-Gaussian filtering"),
// clamping at the borders: constant time per pixel whatever the sigma,
// which keeps a panoramic image's cost well under a second in the browser.
func gaussian(f []float32, w, h int, sigma float64) []float32 {
	const n = 3
	ideal := math.Sqrt(12*sigma*sigma/n + 1)
	wl := int(math.Floor(ideal))
	if wl%2 == 0 {
		wl--
	}
	m := int(math.Round((12*sigma*sigma - n*float64(wl*wl) - 4*n*float64(wl) - 3*n) / (-4*float64(wl) - 4)))
	out := append([]float32(nil), f...)
	tmp := make([]float32, w*h)
	for i := range n {
		width := wl
		if i >= m {
			width += 2
		}
		boxRows(out, tmp, w, h, width/2)
		boxCols(tmp, out, w, h, width/2)
	}
	return out
}

// boxRows sets dst to the mean of src over 2r+1 pixels along each row,
// repeating the edge pixels beyond the ends.
func boxRows(src, dst []float32, w, h, r int) {
	inv := 1 / float32(2*r+1)
	for y := range h {
		row := src[y*w : (y+1)*w]
		out := dst[y*w : (y+1)*w]
		at := func(x int) float32 { return row[min(w-1, max(0, x))] }
		var s float32
		for x := -r; x <= r; x++ {
			s += at(x)
		}
		for x := range w {
			out[x] = s * inv
			s += at(x+r+1) - at(x-r)
		}
	}
}

// boxCols is boxRows down the columns, a whole row at a time.
func boxCols(src, dst []float32, w, h, r int) {
	inv := 1 / float32(2*r+1)
	rowAt := func(y int) []float32 { y = min(h-1, max(0, y)); return src[y*w : (y+1)*w] }
	s := make([]float32, w)
	for y := -r; y <= r; y++ {
		for x, v := range rowAt(y) {
			s[x] += v
		}
	}
	for y := range h {
		out := dst[y*w : (y+1)*w]
		add, sub := rowAt(y+r+1), rowAt(y-r)
		for x := range out {
			out[x] = s[x] * inv
			s[x] += add[x] - sub[x]
		}
	}
}

// windowMargin is how far (px) beyond the box around the two points the
// search may go, plus windowGrow times their distance: room for the path to
// bend around a muscle's curve without searching the whole image.
const (
	windowMargin = 16
	windowGrow   = 0.35
)

// Path is the cheapest 8-connected path of pixels from a to b (both
// included) over c, searched in a window around the two points so that one
// update stays fast on large images. Points outside the image are an error.
// Path is safe for concurrent use.
func (c *Cost) Path(a, b image.Point) ([]image.Point, error) {
	bounds := image.Rect(0, 0, c.W, c.H)
	if !a.In(bounds) || !b.In(bounds) {
		return nil, errors.New("contour: a livewire point lies outside the image")
	}
	if a == b {
		return []image.Point{a}, nil
	}
	d := math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y))
	m := windowMargin + int(windowGrow*d)
	win := image.Rect(min(a.X, b.X)-m, min(a.Y, b.Y)-m, max(a.X, b.X)+m+1, max(a.Y, b.Y)+m+1).Intersect(bounds)
	ww, wh := win.Dx(), win.Dy()
	const unseen = math.MaxInt32
	dist := make([]int32, ww*wh)
	for i := range dist {
		dist[i] = unseen
	}
	// prev holds the direction (index into nb) that reached each pixel.
	prev := make([]int8, ww*wh)
	nb := [8]struct {
		dx, dy int
		step   int32
	}{
		{1, 0, orthStep}, {-1, 0, orthStep}, {0, 1, orthStep}, {0, -1, orthStep},
		{1, 1, diagStep}, {-1, 1, diagStep}, {1, -1, diagStep}, {-1, -1, diagStep},
	}
	// Dial's bucket queue: edge costs are small integers, so a ring of
	// buckets one larger than the largest edge holds every open distance.
	const ring = 1024 // > offField*diagStep
	var buckets [ring][]int32
	at := func(p image.Point) int32 { return int32((p.Y-win.Min.Y)*ww + p.X - win.Min.X) }
	src, dst := at(a), at(b)
	dist[src] = 0
	buckets[0] = append(buckets[0], src)
	open := 1
	for cur := int32(0); open > 0; cur++ {
		bk := &buckets[cur%ring]
		for len(*bk) > 0 {
			i := (*bk)[len(*bk)-1]
			*bk = (*bk)[:len(*bk)-1]
			open--
			if dist[i] != cur {
				continue // reached more cheaply since it was queued
			}
			if i == dst {
				return c.walkBack(prev, win, i, src, nb[:]), nil
			}
			x, y := int(i)%ww, int(i)/ww
			for k, n := range nb {
				nx, ny := x+n.dx, y+n.dy
				if nx < 0 || ny < 0 || nx >= ww || ny >= wh {
					continue
				}
				j := int32(ny*ww + nx)
				nd := cur + n.step*int32(c.c[(ny+win.Min.Y)*c.W+nx+win.Min.X])
				if nd < dist[j] {
					dist[j] = nd
					prev[j] = int8(k)
					buckets[nd%ring] = append(buckets[nd%ring], j)
					open++
				}
			}
		}
	}
	return nil, errors.New("contour: no livewire path") // unreachable: the window is connected
}

func (c *Cost) walkBack(prev []int8, win image.Rectangle, i, src int32, nb []struct {
	dx, dy int
	step   int32
}) []image.Point {
	ww := win.Dx()
	var path []image.Point
	for {
		x, y := int(i)%ww, int(i)/ww
		path = append(path, image.Pt(x+win.Min.X, y+win.Min.Y))
		if i == src {
			break
		}
		n := nb[prev[i]]
		i = int32((y-n.dy)*ww + x - n.dx)
	}
	slices.Reverse(path)
	return path
}

// Snapped is the closed outline through clicks: from each click to the next
// (the last back to the first) the livewire path, or a straight segment
// where straight[i] is set (straight may be nil). Clicks are rounded to
// their pixels; the outline runs through pixel centres, ready for Fill.
func (c *Cost) Snapped(clicks []Point, straight []bool) ([]Point, error) {
	if len(clicks) < 3 {
		return nil, ErrFewPoints
	}
	pix := func(p Point) image.Point { return image.Pt(int(math.Floor(p.X)), int(math.Floor(p.Y))) }
	var out []Point
	for i, p := range clicks {
		if !finite(p) {
			return nil, errNotFinite
		}
		q := clicks[(i+1)%len(clicks)]
		if straight != nil && i < len(straight) && straight[i] {
			out = append(out, p)
			continue
		}
		path, err := c.Path(pix(p), pix(q))
		if err != nil {
			return nil, err
		}
		for _, s := range path[:len(path)-1] {
			out = append(out, Point{float64(s.X) + 0.5, float64(s.Y) + 0.5})
		}
	}
	return out, nil
}
