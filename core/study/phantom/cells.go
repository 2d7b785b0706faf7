package phantom

import (
	"math"
	"math/rand/v2"
)

// cellNet is a network of connective-tissue septa: the edges of a
// domain-warped, anisotropic Voronoi tessellation (Worley F2−F1) whose
// edges are each shown or hidden and given their own brightness. Inside
// muscle it draws the perimysium around fascicle bundles (the "starry
// night" of transverse muscle), inside fat the septa between lobules.
type cellNet struct {
	salt       uint64
	sx, sy     float64 // cell size in px along the rotated axes
	cos, sin   float64
	width      float64 // edge half-width in cell units
	pVis       float64 // share of edges shown
	dbLo, dbHi float64 // edge brightness range, dB over the tissue
	coherent   float32 // specular amplitude of the brightest edges
	wx, wy     smoothField
	warp       float64 // domain warp amplitude, px
	boost      [64]float32
}

func newCellNet(r *rand.Rand, sx, sy, angle, linePx, pVis, dbLo, dbHi float64, coherent float32) *cellNet {
	n := &cellNet{
		salt: r.Uint64(), sx: sx, sy: sy, cos: math.Cos(angle), sin: math.Sin(angle),
		width: linePx / (2 * math.Min(sx, sy)), pVis: pVis, dbLo: dbLo, dbHi: dbHi, coherent: coherent,
		wx: newSmoothField(r, 9, 1), wy: newSmoothField(r, 9, 1), warp: 0.35 * math.Min(sx, sy) * 2,
	}
	for i := range n.boost {
		n.boost[i] = db(dbLo + (dbHi-dbLo)*(float64(i)+0.5)/64)
	}
	return n
}

func cellHash(salt uint64, i, j int) uint64 {
	return splitmix64(salt ^ uint64(int64(i))*0x9e3779b97f4a7c15 ^ uint64(int64(j))*0xc2b2ae3d27d4eb4f)
}

// apply multiplies the diffuse amplitude of the pixels whose label is in
// allow by the edge brightness, over the rows y0..y1.
func (n *cellNet) apply(sc *scratch, allow uint16, y0, y1 int) {
	y0, y1 = max(0, y0), min(Height, y1)
	for y := y0; y < y1; y++ {
		for x := 0; x < Width; x++ {
			k := y*Width + x
			if allow&(1<<sc.label[k]) == 0 {
				continue
			}
			px := float64(x) + n.warp*n.wx.at(x, y)
			py := float64(y) + n.warp*n.wy.at(x, y)
			a := (px*n.cos + py*n.sin) / n.sx
			b := (-px*n.sin + py*n.cos) / n.sy
			ia, ib := int(math.Floor(a)), int(math.Floor(b))
			d1, d2 := math.Inf(1), math.Inf(1)
			var h1, h2 uint64
			for dj := -1; dj <= 1; dj++ {
				for di := -1; di <= 1; di++ {
					h := cellHash(n.salt, ia+di, ib+dj)
					ca := float64(ia+di) + 0.1 + 0.8*float64(h&0xffff)/65536
					cb := float64(ib+dj) + 0.1 + 0.8*float64(h>>16&0xffff)/65536
					d := (a-ca)*(a-ca) + (b-cb)*(b-cb)
					if d < d1 {
						d2, h2 = d1, h1
						d1, h1 = d, h
					} else if d < d2 {
						d2, h2 = d, h
					}
				}
			}
			t := (math.Sqrt(d2) - math.Sqrt(d1)) / (2 * n.width)
			if t >= 1 {
				continue
			}
			lo, hi := min(h1, h2), max(h1, h2)
			eh := splitmix64(lo ^ hi*0x632be59bd9b4e019 ^ n.salt)
			if float64(eh&0xffff)/65536 >= n.pVis {
				continue
			}
			f := float64(eh>>16&0xffff) / 65536
			boost := n.boost[int(f*64)]
			w := float32(1 - t)
			sc.e[k] *= 1 + (boost-1)*w
			if n.coherent > 0 && f > 0.6 {
				sc.c[k] = max(sc.c[k], n.coherent*w*float32(f))
			}
		}
	}
}
