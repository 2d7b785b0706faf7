package field

// blockMap is a boolean map over the grid of blocks.
type blockMap struct {
	bw, bh int
	b      []bool
}

func newBlockMap(bw, bh int) blockMap {
	return blockMap{bw: bw, bh: bh, b: make([]bool, bw*bh)}
}

func (m blockMap) at(bx, by int) bool { return m.b[by*m.bw+bx] }

func (m blockMap) count() int {
	n := 0
	for _, v := range m.b {
		if v {
			n++
		}
	}
	return n
}

func (m blockMap) and(o blockMap) blockMap {
	r := newBlockMap(m.bw, m.bh)
	for i := range r.b {
		r.b[i] = m.b[i] && o.b[i]
	}
	return r
}

func (m blockMap) andNot(o blockMap) blockMap {
	r := newBlockMap(m.bw, m.bh)
	for i := range r.b {
		r.b[i] = m.b[i] && !o.b[i]
	}
	return r
}

// dilate sets every block with a set block in its 3×3 neighbourhood.
func dilate(m blockMap) blockMap {
	r := newBlockMap(m.bw, m.bh)
	for by := 0; by < m.bh; by++ {
		for bx := 0; bx < m.bw; bx++ {
			if !m.at(bx, by) {
				continue
			}
			for y := max(0, by-1); y <= min(m.bh-1, by+1); y++ {
				for x := max(0, bx-1); x <= min(m.bw-1, bx+1); x++ {
					r.b[y*m.bw+x] = true
				}
			}
		}
	}
	return r
}

// erode keeps the blocks whose whole 3×3 neighbourhood is set; blocks outside
// the grid count as set when outsideSet is true, so a field that reaches the
// image edge is not eaten away there.
func erode(m blockMap, outsideSet bool) blockMap {
	r := newBlockMap(m.bw, m.bh)
	for by := 0; by < m.bh; by++ {
		for bx := 0; bx < m.bw; bx++ {
			if !m.at(bx, by) {
				continue
			}
			keep := true
			for dy := -1; dy <= 1 && keep; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := bx+dx, by+dy
					if x < 0 || y < 0 || x >= m.bw || y >= m.bh {
						if !outsideSet {
							keep = false
							break
						}
						continue
					}
					if !m.at(x, y) {
						keep = false
						break
					}
				}
			}
			r.b[by*m.bw+bx] = keep
		}
	}
	return r
}

// fillHoles sets the unset blocks that cannot reach the grid's edge through
// unset blocks (4-connected).
func fillHoles(m blockMap) blockMap {
	outside := make([]bool, len(m.b))
	stack := make([]int, 0, 2*(m.bw+m.bh))
	push := func(i int) {
		if !m.b[i] && !outside[i] {
			outside[i] = true
			stack = append(stack, i)
		}
	}
	for bx := 0; bx < m.bw; bx++ {
		push(bx)
		push((m.bh-1)*m.bw + bx)
	}
	for by := 0; by < m.bh; by++ {
		push(by * m.bw)
		push(by*m.bw + m.bw - 1)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := i%m.bw, i/m.bw
		if x > 0 {
			push(i - 1)
		}
		if x < m.bw-1 {
			push(i + 1)
		}
		if y > 0 {
			push(i - m.bw)
		}
		if y < m.bh-1 {
			push(i + m.bw)
		}
	}
	r := newBlockMap(m.bw, m.bh)
	for i := range r.b {
		r.b[i] = m.b[i] || !outside[i]
	}
	return r
}

// blockGrid holds the per-block speckle decision.
type blockGrid struct {
	bw, bh  int
	speckle blockMap
}

// blockStats judges every 8×8 block (edge blocks may be smaller). For each
// pixel it counts whether it is content and whether it differs from its right
// and from its lower neighbour (the last column and row compare with the left
// and upper neighbour instead, so edge blocks are judged like the others).
func blockStats(p pixels, content *[256]bool) blockGrid {
	bw := (p.w + blockSize - 1) / blockSize
	bh := (p.h + blockSize - 1) / blockSize
	grid := blockGrid{bw: bw, bh: bh, speckle: newBlockMap(bw, bh)}
	var lut [256]int32
	for v, c := range content {
		if c {
			lut[v] = 1
		}
	}
	nContent := make([]int32, bw)
	nEither := make([]int32, bw)
	nBoth := make([]int32, bw)
	for by := 0; by < bh; by++ {
		clear(nContent)
		clear(nEither)
		clear(nBoth)
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
				c, e, b := pixelCounts(r[x0:x0+n], r[x0+1:x0+n+1], d[x0:x0+n], &lut)
				if x1 == p.w {
					c2, e2, b2 := pixelCounts(r[p.w-1:p.w], r[p.w-2:p.w-1], d[p.w-1:p.w], &lut)
					c, e, b = c+c2, e+e2, b+b2
				}
				nContent[bx] += c
				nEither[bx] += e
				nBoth[bx] += b
			}
		}
		for bx := 0; bx < bw; bx++ {
			n := float64((min(bx*blockSize+blockSize, p.w) - bx*blockSize) * (y1 - y0))
			grid.speckle.b[by*bw+bx] = float64(nContent[bx]) >= minContentFrac*n &&
				float64(nEither[bx]) >= minEitherFrac*n &&
				float64(nBoth[bx]) >= minBothFrac*n
		}
	}
	return grid
}

// pixelCounts counts, over the pixels v[i] with right neighbours rt[i] and
// lower neighbours dn[i], the content pixels, those differing from either
// neighbour and those differing from both.
func pixelCounts(v, rt, dn []uint8, lut *[256]int32) (c, e, b int32) {
	rt = rt[:len(v)]
	dn = dn[:len(v)]
	for i, x := range v {
		c += lut[x]
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
	return c, e, b
}

// fieldComponent closes the speckle map, labels its 8-connected components and
// returns the one with the most speckle blocks, holes filled; ok is false when
// that component is too small to be a field.
func fieldComponent(grid blockGrid) (blockMap, bool) {
	closed := erode(dilate(grid.speckle), true)
	// Blocks the closing adds along the component's edge lie in the ring and
	// are re-checked pixel by pixel there.
	label := make([]int32, len(closed.b))
	var sizes []int // speckle blocks per component, index = label-1
	stack := make([]int, 0, 64)
	bw, bh := closed.bw, closed.bh
	for start := range closed.b {
		if !closed.b[start] || label[start] != 0 {
			continue
		}
		id := int32(len(sizes) + 1)
		size := 0
		label[start] = id
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if grid.speckle.b[i] {
				size++
			}
			x, y := i%bw, i/bw
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= bw || ny >= bh {
						continue
					}
					j := ny*bw + nx
					if closed.b[j] && label[j] == 0 {
						label[j] = id
						stack = append(stack, j)
					}
				}
			}
		}
		sizes = append(sizes, size)
	}
	best := -1
	for i, s := range sizes {
		if best < 0 || s > sizes[best] {
			best = i
		}
	}
	if best < 0 || sizes[best] < minFieldBlocks || float64(sizes[best]) < minFieldFrac*float64(bw*bh) {
		return blockMap{}, false
	}
	comp := newBlockMap(bw, bh)
	for i, l := range label {
		comp.b[i] = l == int32(best+1)
	}
	return fillHoles(comp), true
}
