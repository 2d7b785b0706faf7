package phantom

import (
	"math"
	"math/rand/v2"
)

// Display geometries of version 2.
const (
	geoLinear    = iota // linear probe: a rectangle
	geoSector           // curvilinear probe: a fan from an apex above the image
	geoPanoramic        // extended field of view: a wide band bent along the skin
)

// geometry maps the flat scene (u across, v down from the skin, scene
// pixels, Width×Height canvas) to the displayed image and back.
type geometry struct {
	kind       int
	ppm        float64 // scene pixels per millimetre
	k          float64 // display pixels per scene pixel
	x0, y0     float64 // linear: display position of the scene's (umin, 0)
	xc, yc, R  float64 // polar: centre and radius of the skin arc, display px
	uc         float64 // scene column on the centre line
	umin, umax float64 // scene columns shown
	vmax       float64 // scene depth shown
}

// toScene maps a display point to the scene.
func (g *geometry) toScene(x, y float64) (u, v float64) {
	switch g.kind {
	case geoPanoramic: // centre below: the skin is an arc bulging upwards
		dx, dy := x-g.xc, g.yc-y
		return g.uc + math.Atan2(dx, dy)*g.R/g.k, (g.R - math.Hypot(dx, dy)) / g.k
	case geoSector: // apex above: depth is the distance from the apex
		dx, dy := x-g.xc, y-g.yc
		return g.uc + math.Atan2(dx, dy)*g.R/g.k, (math.Hypot(dx, dy) - g.R) / g.k
	}
	return g.umin + (x-g.x0)/g.k, (y - g.y0) / g.k
}

// toDisplay maps a scene point to the display.
func (g *geometry) toDisplay(u, v float64) (x, y float64) {
	switch g.kind {
	case geoPanoramic:
		th := (u - g.uc) * g.k / g.R
		r := g.R - g.k*v
		return g.xc + r*math.Sin(th), g.yc - r*math.Cos(th)
	case geoSector:
		th := (u - g.uc) * g.k / g.R
		r := g.R + g.k*v
		return g.xc + r*math.Sin(th), g.yc + r*math.Cos(th)
	}
	return g.x0 + g.k*(u-g.umin), g.y0 + g.k*v
}

// shown says whether a scene point lies in the imaged field.
func (g *geometry) shown(u, v float64) bool {
	return u >= g.umin && u < g.umax && v >= 0 && v < g.vmax
}

// extent is the display bounding box of the field.
func (g *geometry) extent() (x0, y0, x1, y1 float64) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	for s := 0; s <= 32; s++ {
		u := g.umin + (g.umax-g.umin)*float64(s)/32
		for _, v := range []float64{0, g.vmax} {
			x, y := g.toDisplay(u, v)
			x0, y0, x1, y1 = math.Min(x0, x), math.Min(y0, y), math.Max(x1, x), math.Max(y1, y)
		}
	}
	return
}

// drawGeometry chooses the probe, the field of view and the scale.
// Panoramic scans are drawn for the thigh muscles (as in extended-field-of-
// view CSA protocols), a curvilinear probe now and then for any muscle.
// From version 3 on, half the panoramic sweeps bend around the whole limb.
func drawGeometry(r *rand.Rand, muscle string, version int) *geometry {
	g := &geometry{kind: geoLinear}
	u := r.Float64()
	switch {
	case (muscle == "VL" || muscle == "RF") && u < 0.5:
		g.kind = geoPanoramic
	case u > 0.88:
		g.kind = geoSector
	}
	switch g.kind {
	case geoLinear:
		// Most frames fill the image (as the seed's exports); some keep
		// the scanner's black margins.
		var mx, top, bot float64
		if r.Float64() < 0.4 {
			mx, top, bot = uni(r, 0, 70), uni(r, 0, 50), uni(r, 0, 40)
		}
		g.k = 1
		g.umin, g.umax = 0, Width-2*mx
		g.x0, g.y0 = mx, top
		g.vmax = Height - top - bot
		g.ppm = g.vmax / uni(r, 35, 60) // 3.5–6 cm deep
	case geoSector:
		g.k = 1
		g.R = uni(r, 250, 700)
		width := uni(r, 380, 500)
		g.umin, g.umax = 0, width
		g.uc = width / 2
		top := uni(r, 5, 40)
		g.xc, g.yc = Width/2+uni(r, -20, 20), top-g.R
		// The fan's upper corners stay in the image, its width inside it,
		// its lowest point above the bottom.
		g.vmax = Height - top - 4
		for it := 0; it < 200; it++ {
			x0, y0, x1, y1 := g.extent()
			switch {
			case y0 < top-0.5:
				g.yc += top - y0
			case x0 < 2 || x1 > Width-2:
				g.k *= 0.98
			case y1 > Height-2:
				g.vmax *= 0.97
			default:
				it = 200
			}
		}
		g.ppm = g.vmax / uni(r, 40, 70)
	default:
		widthMM := uni(r, 120, 200)
		depthMM := uni(r, 45, 75)
		if muscle == "RF" {
			widthMM, depthMM = uni(r, 60, 100), uni(r, 35, 55)
		}
		g.k = uni(r, 0.92, 1)
		g.R = uni(r, 650, 1600)
		// A sweep around the limb: the skin's radius is the limb's, so the
		// arc's angle is the sweep's length over the limb's radius (the
		// strongly bent thigh scans of extended-field-of-view protocols).
		bent := version >= V3 && r.Float64() < 0.5
		if bent {
			limbMM := uni(r, 55, 120)
			depthMM = math.Min(depthMM, 0.7*limbMM)
			g.R = Width * g.k / math.Min(widthMM/limbMM, 2.7)
		}
		g.umin, g.umax = 0, Width
		g.uc = Width/2 + uni(r, -60, 60)
		g.ppm = Width / widthMM
		g.vmax = g.ppm * depthMM
		top := uni(r, 10, 60)
		g.xc, g.yc = Width/2+uni(r, -25, 25), top+g.R
		// Narrow the band until it fits across (a bent sweep keeps its
		// angle), then cut its depth to fit.
		for it := 0; it < 40; it++ {
			x0, _, x1, _ := g.extent()
			if x0 >= 2 && x1 <= Width-2 {
				break
			}
			g.k *= 0.98
			if bent {
				g.R *= 0.98
				g.yc = top + g.R
			}
		}
		// A bent sweep narrower than the image is magnified to fill it,
		// as the scanner fits the panorama to its display.
		for it := 0; bent && it < 30; it++ {
			g.k, g.R = g.k*1.02, g.R*1.02
			g.yc = top + g.R
			if x0, _, x1, _ := g.extent(); x0 < 2 || x1 > Width-2 {
				g.k, g.R = g.k/1.02, g.R/1.02
				g.yc = top + g.R
				break
			}
		}
		for it := 0; it < 100; it++ {
			if _, _, _, y1 := g.extent(); y1 <= Height-2 {
				break
			}
			g.vmax *= 0.97
		}
	}
	return g
}
