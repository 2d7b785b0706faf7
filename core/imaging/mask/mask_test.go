package mask

import (
	"image"
	"math/rand/v2"
	"strings"
	"testing"
)

// parse reads a picture: '#' (or a digit) is set, '.' is not.
func parse(t testing.TB, pic string) Mask {
	t.Helper()
	rows := strings.Fields(pic)
	m := New(len(rows[0]), len(rows))
	for y, r := range rows {
		if len(r) != m.W {
			t.Fatalf("row %d has %d pixels, want %d", y, len(r), m.W)
		}
		for x, c := range r {
			m.Pix[y*m.W+x] = c != '.'
		}
	}
	return m
}

func show(m Mask) string {
	var b strings.Builder
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			if m.Pix[y*m.W+x] {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestFillHoles(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"one pixel", `
			.....
			.###.
			.#.#.
			.###.
			.....`, `
			.....
			.###.
			.###.
			.###.
			.....`},
		{"L-shaped hole and a second hole", `
			#########
			#..#....#
			#..######
			#....#..#
			#########`, `
			#########
			#########
			#########
			#########
			#########`},
		{"a gap lets the outside in", `
			.......
			.#####.
			.#...#.
			.#.....
			.#####.`, `
			.......
			.#####.
			.#...#.
			.#.....
			.#####.`},
		{"touching the border is not a hole", `
			#.###
			#...#
			#####`, `
			#.###
			#...#
			#####`},
		{"diagonal outline still encloses (background is 4-connected)", `
			..#..
			.#.#.
			#...#
			.#.#.
			..#..`, `
			..#..
			.###.
			#####
			.###.
			..#..`},
		{"a region inside a hole inside a region", `
			#######
			#.....#
			#.###.#
			#.#.#.#
			#.###.#
			#.....#
			#######`, `
			#######
			#######
			#######
			#######
			#######
			#######
			#######`},
		{"empty", `
			...
			...`, `
			...
			...`},
	}
	for _, tc := range tests {
		in := parse(t, tc.in)
		before := show(in)
		got := FillHoles(in)
		if want := show(parse(t, tc.want)); show(got) != want {
			t.Errorf("%s: got\n%swant\n%s", tc.name, show(got), want)
		}
		if show(in) != before {
			t.Errorf("%s: input changed", tc.name)
		}
	}
	if got := FillHoles(New(0, 0)); got.W != 0 || len(got.Pix) != 0 {
		t.Errorf("empty mask: %+v", got)
	}
}

func TestLabel(t *testing.T) {
	// Regions touching only at a corner are one (8-connected); the U and
	// the bar joined under it form one region whose first pixel is late.
	m := parse(t, `
		##....#.
		#.#...#.
		...#....
		......#.
		#.#...#.
		#.#.###.
		#.###...`)
	want := `
		11....2.
		1.1...2.
		...1....
		......3.
		4.3...3.
		4.3.333.
		4.333...`
	labels, comps := Label(m)
	rows := strings.Fields(want)
	for y, r := range rows {
		for x, c := range r {
			l := int32(0)
			if c != '.' {
				l = int32(c - '0')
			}
			if got := labels[y*m.W+x]; got != l {
				t.Errorf("label at (%d,%d) = %d, want %d", x, y, got, l)
			}
		}
	}
	wantComps := []Component{
		{Area: 5, Bounds: image.Rect(0, 0, 4, 3), SumX: 0 + 1 + 0 + 2 + 3, SumY: 0 + 0 + 1 + 1 + 2},
		{Area: 2, Bounds: image.Rect(6, 0, 7, 2), SumX: 12, SumY: 1},
		{Area: 10, Bounds: image.Rect(2, 3, 7, 7), SumX: 6 + 2 + 6 + 2 + 4 + 5 + 6 + 2 + 3 + 4, SumY: 3 + 4 + 4 + 5 + 5 + 5 + 5 + 6 + 6 + 6},
		{Area: 3, Bounds: image.Rect(0, 4, 1, 7), SumX: 0, SumY: 15},
	}
	if len(comps) != len(wantComps) {
		t.Fatalf("%d components, want %d: %+v", len(comps), len(wantComps), comps)
	}
	for i, c := range comps {
		if c != wantComps[i] {
			t.Errorf("component %d = %+v, want %+v", i+1, c, wantComps[i])
		}
	}
	if _, comps := Label(New(4, 3)); len(comps) != 0 {
		t.Errorf("empty mask has %d components", len(comps))
	}
}

// TestAgainstReference compares FillHoles and Label with direct
// definitions (repeated relaxation until nothing changes) on random masks
// of several densities and shapes, including one-pixel-wide ones.
func TestAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		w, h := 1+rng.IntN(40), 1+rng.IntN(40)
		p := []float64{0.2, 0.45, 0.6, 0.8}[i%4]
		m := New(w, h)
		for j := range m.Pix {
			m.Pix[j] = rng.Float64() < p
		}
		if got, want := show(FillHoles(m)), show(refFill(m)); got != want {
			t.Fatalf("%d×%d FillHoles of\n%sgot\n%swant\n%s", w, h, show(m), got, want)
		}
		labels, comps := Label(m)
		want := refLabel(m)
		for j := range want {
			if labels[j] != want[j] {
				t.Fatalf("%d×%d Label of\n%sdiffers at pixel %d: %d, want %d", w, h, show(m), j, labels[j], want[j])
			}
		}
		area := make([]int, len(comps))
		for _, l := range labels {
			if l > 0 {
				area[l-1]++
			}
		}
		for j, c := range comps {
			if c.Area != area[j] {
				t.Fatalf("component %d area %d, want %d", j+1, c.Area, area[j])
			}
		}
	}
}

// refFill marks the unset pixels reached from the edge by repeated sweeps.
func refFill(m Mask) Mask {
	out := New(m.W, m.H)
	reach := make([]bool, len(m.Pix))
	for changed := true; changed; {
		changed = false
		for y := 0; y < m.H; y++ {
			for x := 0; x < m.W; x++ {
				i := y*m.W + x
				if m.Pix[i] || reach[i] {
					continue
				}
				edge := x == 0 || y == 0 || x == m.W-1 || y == m.H-1
				nb := (x > 0 && reach[i-1]) || (x < m.W-1 && reach[i+1]) || (y > 0 && reach[i-m.W]) || (y < m.H-1 && reach[i+m.W])
				if edge || nb {
					reach[i], changed = true, true
				}
			}
		}
	}
	for i := range out.Pix {
		out.Pix[i] = !reach[i]
	}
	return out
}

// refLabel gives every set pixel the smallest index of a pixel in its
// region by repeated relaxation, then numbers the regions in raster order.
func refLabel(m Mask) []int32 {
	id := make([]int, len(m.Pix))
	for i := range id {
		id[i] = i
	}
	for changed := true; changed; {
		changed = false
		for y := 0; y < m.H; y++ {
			for x := 0; x < m.W; x++ {
				i := y*m.W + x
				if !m.Pix[i] {
					continue
				}
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						if m.At(x+dx, y+dy) && id[(y+dy)*m.W+x+dx] < id[i] {
							id[i], changed = id[(y+dy)*m.W+x+dx], true
						}
					}
				}
			}
		}
	}
	out := make([]int32, len(m.Pix))
	num := map[int]int32{}
	for i, v := range m.Pix {
		if !v {
			continue
		}
		if _, ok := num[id[i]]; !ok {
			num[id[i]] = int32(len(num) + 1)
		}
		out[i] = num[id[i]]
	}
	return out
}

func TestGray(t *testing.T) {
	// Bounds away from the origin, a stride wider than the image and
	// values other than 255.
	g := image.NewGray(image.Rect(10, 20, 16, 24))
	g = g.SubImage(image.Rect(11, 21, 15, 24)).(*image.Gray)
	g.Pix[g.PixOffset(11, 21)] = 1
	g.Pix[g.PixOffset(14, 23)] = 200
	g.Pix[g.PixOffset(13, 22)] = 255
	m := FromGray(g, g.Bounds().Inset(-1))
	if want := "......\n.#....\n...#..\n....#.\n......\n"; show(m) != want {
		t.Errorf("FromGray with a frame:\n%swant\n%s", show(m), want)
	}
	if got, want := m.Bounds(), image.Rect(1, 1, 5, 4); got != want {
		t.Errorf("Bounds %v, want %v", got, want)
	}
	if m.Count() != 3 || !m.At(4, 3) || m.At(-1, 0) || m.At(6, 0) {
		t.Errorf("Count %d, At wrong", m.Count())
	}
	// Back to grey at the same place: 0/255 with g's bounds.
	back := FromGray(g, g.Bounds()).Gray(g.Bounds().Min)
	if back.Bounds() != g.Bounds() {
		t.Fatalf("Gray bounds %v, want %v", back.Bounds(), g.Bounds())
	}
	for y := g.Rect.Min.Y; y < g.Rect.Max.Y; y++ {
		for x := g.Rect.Min.X; x < g.Rect.Max.X; x++ {
			want := uint8(0)
			if g.GrayAt(x, y).Y != 0 {
				want = 255
			}
			if got := back.GrayAt(x, y).Y; got != want {
				t.Errorf("(%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
	// Paint clips to the destination and leaves its other pixels alone.
	dst := image.NewGray(image.Rect(0, 0, 3, 3))
	dst.Pix[0] = 9
	parse(t, "## ## ##").Paint(dst, image.Pt(2, 1))
	if want := []uint8{9, 0, 0, 0, 0, 255, 0, 0, 255}; string(dst.Pix) != string(want) {
		t.Errorf("Paint: %v, want %v", dst.Pix, want)
	}
	if !New(3, 2).Bounds().Empty() {
		t.Error("empty mask has bounds")
	}
}

func TestCrop(t *testing.T) {
	m := parse(t, `
		#...
		.##.
		..#.`)
	if got, want := show(m.Crop(image.Rect(1, 1, 4, 3))), "##.\n.#.\n"; got != want {
		t.Errorf("Crop:\n%swant\n%s", got, want)
	}
	// Clipped to the mask; a copy, not a view.
	c := m.Crop(image.Rect(-2, -1, 2, 1))
	if got, want := show(c), "#.\n"; got != want {
		t.Errorf("clipped Crop:\n%swant\n%s", got, want)
	}
	c.Pix[0] = false
	if !m.Pix[0] {
		t.Error("Crop shares pixels with the mask")
	}
}

func TestAndAndNot(t *testing.T) {
	a, b := parse(t, "##.. #..."), parse(t, "#.#. ##..")
	if got := show(And(a, b)); got != "#...\n#...\n" {
		t.Errorf("And:\n%s", got)
	}
	if got := show(AndNot(a, b)); got != ".#..\n....\n" {
		t.Errorf("AndNot:\n%s", got)
	}
}

// panoramic is a 1456×819 muscle-like mask with speckle: many small regions
// and holes, as a thresholded model output has.
func panoramic() Mask {
	const w, h = 1456, 819
	rng := rand.New(rand.NewPCG(1, 2))
	m := New(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x-728)/450, float64(y-370)/180
			in := dx*dx+dy*dy <= 1
			m.Pix[y*w+x] = in != (rng.Float64() < 0.08)
		}
	}
	return m
}

func BenchmarkFillHoles(b *testing.B) {
	m := panoramic()
	for b.Loop() {
		FillHoles(m)
	}
}

func BenchmarkLabel(b *testing.B) {
	m := panoramic()
	for b.Loop() {
		Label(m)
	}
}
