package mask

import "image"

// Component is one 8-connected region of a mask.
type Component struct {
	Area   int
	Bounds image.Rectangle
	// SumX and SumY add up the pixels' coordinates, so the centroid is
	// (SumX/Area, SumY/Area) without rounding along the way.
	SumX, SumY int
}

// Label numbers the 8-connected regions of m from 1, in the raster order of
// each region's first pixel. labels has one entry per pixel, 0 where m is
// unset; comps[l-1] describes region l.
func Label(m Mask) (labels []int32, comps []Component) {
	w, h := m.W, m.H
	labels = make([]int32, w*h)
	// Pass 1 gives each pixel a provisional label from the neighbours
	// already visited (left, and the three above) and records which
	// provisional labels meet; pass 2 replaces them by their regions.
	parent := []int32{0}
	find := func(l int32) int32 {
		for parent[l] != l {
			parent[l] = parent[parent[l]]
			l = parent[l]
		}
		return l
	}
	union := func(a, b int32) int32 {
		a, b = find(a), find(b)
		if a < b {
			parent[b] = a
			return a
		}
		parent[a] = b
		return b
	}
	for y := 0; y < h; y++ {
		row := m.Pix[y*w : (y+1)*w]
		cur := labels[y*w : (y+1)*w]
		var up []int32
		if y > 0 {
			up = labels[(y-1)*w : y*w]
		}
		for x, v := range row {
			if !v {
				continue
			}
			var n, nw, ne, wst int32
			if up != nil {
				n = up[x]
				if x > 0 {
					nw = up[x-1]
				}
				if x+1 < w {
					ne = up[x+1]
				}
			}
			if x > 0 {
				wst = cur[x-1]
			}
			// The pixel above touches the other three, so when it is set
			// they already share its region.
			switch l := max(wst, nw); {
			case n != 0:
				cur[x] = n
			case l != 0 && ne != 0:
				cur[x] = union(l, ne)
			case l != 0:
				cur[x] = l
			case ne != 0:
				cur[x] = ne
			default:
				l = int32(len(parent))
				parent = append(parent, l)
				cur[x] = l
			}
		}
	}
	// Unions keep the smaller root, so parent[l] ≤ l and one increasing pass
	// points every label straight at its root.
	roots := 0
	for l := range parent {
		parent[l] = parent[parent[l]]
		if parent[l] == int32(l) {
			roots++
		}
	}
	comps = make([]Component, 0, roots-1) // label 0 is its own root
	final := make([]int32, len(parent))
	for y := 0; y < h; y++ {
		cur := labels[y*w : (y+1)*w]
		for x, l := range cur {
			if l == 0 {
				continue
			}
			r := parent[l]
			id := final[r]
			if id == 0 {
				comps = append(comps, Component{Bounds: image.Rect(x, y, x+1, y+1)})
				id = int32(len(comps))
				final[r] = id
			}
			cur[x] = id
			c := &comps[id-1]
			c.Area++
			c.SumX += x
			c.SumY += y
			c.Bounds.Min.X = min(c.Bounds.Min.X, x)
			c.Bounds.Max.X = max(c.Bounds.Max.X, x+1)
			c.Bounds.Max.Y = y + 1
		}
	}
	return labels, comps
}
