package mask

import "slices"

// FillHoles returns m with its holes set: the unset pixels that cannot reach
// the mask's edge through unset pixels, 4-connected (so the set pixels
// around a hole may touch only diagonally). Unset pixels on the edge are
// never holes: a region cut by the edge of the image stays open there.
func FillHoles(m Mask) Mask {
	out := Mask{W: m.W, H: m.H, Pix: slices.Clone(m.Pix)}
	// Holes lie inside the set pixels' bounding box: every unset pixel
	// outside it reaches the edge in a straight line, and so does every
	// unset pixel on the box's border. The flood stays in the box.
	r := m.Bounds()
	w, h := r.Dx(), r.Dy()
	if w == 0 || h == 0 {
		return out
	}
	// The state grid has a blocked frame one pixel wide, so the flood needs
	// no bounds checks and no division to find a pixel's neighbours.
	const (
		open    = 0 // unset and not reached yet
		blocked = 1 // set, or the frame
		outside = 2 // unset and reached from the box's border
	)
	pw := w + 2
	st := make([]uint8, pw*(h+2))
	for x := 0; x < pw; x++ {
		st[x] = blocked
		st[(h+1)*pw+x] = blocked
	}
	for y := 0; y < h; y++ {
		row := st[(y+1)*pw : (y+2)*pw]
		row[0], row[pw-1] = blocked, blocked
		for x, v := range m.Pix[(r.Min.Y+y)*m.W+r.Min.X:][:w] {
			if v {
				row[x+1] = blocked
			}
		}
	}
	stack := make([]int32, 0, 2*(w+h))
	seed := func(i int) {
		if st[i] == open {
			st[i] = outside
			stack = append(stack, int32(i))
		}
	}
	for x := 1; x <= w; x++ {
		seed(pw + x)
		seed(h*pw + x)
	}
	for y := 1; y <= h; y++ {
		seed(y*pw + 1)
		seed(y*pw + w)
	}
	for len(stack) > 0 {
		i := int(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		for _, j := range [4]int{i - 1, i + 1, i - pw, i + pw} {
			if st[j] == open {
				st[j] = outside
				stack = append(stack, int32(j))
			}
		}
	}
	for y := 0; y < h; y++ {
		src := st[(y+1)*pw+1:][:w]
		dst := out.Pix[(r.Min.Y+y)*m.W+r.Min.X:][:w]
		for x, s := range src {
			if s == open {
				dst[x] = true
			}
		}
	}
	return out
}
