package field

import "myoseg/core/imaging/mask"

// Block maps are mask.Mask values over the grid of blocks.

// dilate sets every block with a set block in its 3×3 neighbourhood.
func dilate(m mask.Mask) mask.Mask {
	r := mask.New(m.W, m.H)
	for by := 0; by < m.H; by++ {
		for bx := 0; bx < m.W; bx++ {
			if !m.Pix[by*m.W+bx] {
				continue
			}
			for y := max(0, by-1); y <= min(m.H-1, by+1); y++ {
				for x := max(0, bx-1); x <= min(m.W-1, bx+1); x++ {
					r.Pix[y*m.W+x] = true
				}
			}
		}
	}
	return r
}

// erode keeps the blocks whose whole 3×3 neighbourhood is set; blocks outside
// the grid count as set when outsideSet is true, so a field that reaches the
// image edge is not eaten away there.
func erode(m mask.Mask, outsideSet bool) mask.Mask {
	r := mask.New(m.W, m.H)
	for by := 0; by < m.H; by++ {
		for bx := 0; bx < m.W; bx++ {
			if !m.Pix[by*m.W+bx] {
				continue
			}
			keep := true
			for dy := -1; dy <= 1 && keep; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := bx+dx, by+dy
					if x < 0 || y < 0 || x >= m.W || y >= m.H {
						if !outsideSet {
							keep = false
							break
						}
						continue
					}
					if !m.Pix[y*m.W+x] {
						keep = false
						break
					}
				}
			}
			r.Pix[by*m.W+bx] = keep
		}
	}
	return r
}

// blockGrid holds the per-block decisions.
type blockGrid struct {
	bw, bh  int
	speckle mask.Mask
	// dim marks faint tissue: blocks too dark to be speckle (most pixels at
	// the background level) whose few content pixels are faint and scattered,
	// as deep tissue without enough gain is (doc.go, step 3).
	dim mask.Mask
}

// blockStats judges every 8×8 block (edge blocks may be smaller). For each
// pixel it counts whether it is content and whether it differs from its right
// and from its lower neighbour (the last column and row compare with the left
// and upper neighbour instead, so edge blocks are judged like the others).
func blockStats(p pixels, content *[256]bool, bg int) blockGrid {
	bw := (p.w + blockSize - 1) / blockSize
	bh := (p.h + blockSize - 1) / blockSize
	grid := blockGrid{bw: bw, bh: bh, speckle: mask.New(bw, bh), dim: mask.New(bw, bh)}
	var lut, excess [256]int32
	for v, c := range content {
		if c {
			lut[v] = 1
			excess[v] = int32(abs(v - bg))
		}
	}
	nContent := make([]int32, bw)
	nEither := make([]int32, bw)
	nBoth := make([]int32, bw)
	sExcess := make([]int32, bw)
	for by := 0; by < bh; by++ {
		clear(nContent)
		clear(nEither)
		clear(nBoth)
		clear(sExcess)
		y0, y1 := by*blockSize, min(by*blockSize+blockSize, p.h)
		for y := y0; y < y1; y++ {
			r := p.row(y)
			var d []uint8
			if y+1 < p.h {
				d = p.row(y + 1)
			} else {
				d = p.row(y - 1)
			}
			for bx := 0; bx < bw; bx++ {
				x0, x1 := bx*blockSize, min(bx*blockSize+blockSize, p.w)
				// The image's last pixel in the row has no right neighbour:
				// it is counted apart, against its left one.
				n := x1 - x0
				if x1 == p.w {
					n--
				}
				c, e, b, s := pixelCounts(r[x0:x0+n], r[x0+1:x0+n+1], d[x0:x0+n], &lut, &excess)
				if x1 == p.w {
					c2, e2, b2, s2 := pixelCounts(r[p.w-1:p.w], r[p.w-2:p.w-1], d[p.w-1:p.w], &lut, &excess)
					c, e, b, s = c+c2, e+e2, b+b2, s+s2
				}
				nContent[bx] += c
				nEither[bx] += e
				nBoth[bx] += b
				sExcess[bx] += s
			}
		}
		for bx := 0; bx < bw; bx++ {
			n := float64((min(bx*blockSize+blockSize, p.w) - bx*blockSize) * (y1 - y0))
			c := float64(nContent[bx])
			sp := c >= minContentFrac*n &&
				float64(nEither[bx]) >= minEitherFrac*n &&
				float64(nBoth[bx]) >= minBothFrac*n
			grid.speckle.Pix[by*bw+bx] = sp
			grid.dim.Pix[by*bw+bx] = !sp && bg >= 0 && c >= minDimFrac*n &&
				float64(sExcess[bx]) <= maxDimExcess*c &&
				float64(nBoth[bx]) >= minDimBoth*c
		}
	}
	return grid
}

// pixelCounts counts, over the pixels v[i] with right neighbours rt[i] and
// lower neighbours dn[i], the content pixels, those differing from either
// neighbour and those differing from both.
func pixelCounts(v, rt, dn []uint8, lut, excess *[256]int32) (c, e, b, s int32) {
	rt = rt[:len(v)]
	dn = dn[:len(v)]
	for i, x := range v {
		c += lut[x]
		s += excess[x]
		var h, d int32
		if x != rt[i] {
			h = 1
		}
		if x != dn[i] {
			d = 1
		}
		e += h | d
		b += h & d
	}
	return c, e, b, s
}

// fieldComponent closes the speckle map, labels its 8-connected components and
// returns the one with the most speckle blocks, holes filled; ok is false when
// that component is too small to be a field.
func fieldComponent(grid blockGrid) (mask.Mask, bool) {
	closed := erode(dilate(grid.speckle), true)
	// Blocks the closing adds along the component's edge lie in the ring and
	// are re-checked pixel by pixel there.
	label, comps := mask.Label(closed)
	sizes := make([]int, len(comps)) // speckle blocks per component, index = label-1
	for i, l := range label {
		if l != 0 && grid.speckle.Pix[i] {
			sizes[l-1]++
		}
	}
	best := -1
	for i, s := range sizes {
		if best < 0 || s > sizes[best] {
			best = i
		}
	}
	bw, bh := closed.W, closed.H
	if best < 0 || sizes[best] < minFieldBlocks || float64(sizes[best]) < minFieldFrac*float64(bw*bh) {
		return mask.Mask{}, false
	}
	comp := mask.New(bw, bh)
	for i, l := range label {
		comp.Pix[i] = l == int32(best+1)
	}
	return mask.FillHoles(growDim(comp, grid.dim)), true
}

// growDim adds to comp the dim blocks 4-connected to it through dim blocks:
// the faint deep part of a field whose gain falls off with depth. A screen
// capture's surroundings hold no dim blocks (flat background, bright text),
// so the growth stops at the field's edge.
func growDim(comp, dim mask.Mask) mask.Mask {
	out := mask.New(comp.W, comp.H)
	copy(out.Pix, comp.Pix)
	var stack []int
	for i, on := range comp.Pix {
		if on {
			stack = append(stack, i)
		}
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := i%comp.W, i/comp.W
		for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			nx, ny := x+d[0], y+d[1]
			if nx < 0 || ny < 0 || nx >= comp.W || ny >= comp.H {
				continue
			}
			j := ny*comp.W + nx
			if dim.Pix[j] && !out.Pix[j] {
				out.Pix[j] = true
				stack = append(stack, j)
			}
		}
	}
	return out
}
