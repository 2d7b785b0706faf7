package executor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"myoseg/core/nn/onnxmodel/onnxtest"
)

func rnd(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func i64(v ...int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// oneOp builds a graph of one node (plus an optional trailing activation).
func oneOp(in []int, out []int, nodes []onnxtest.Node, init []onnxtest.Tensor) []byte {
	m := onnxtest.Model{Opset: 11, Nodes: nodes, Init: init, Input: "x", InputDims: i64(in...), Output: "y", OutputDims: i64(out...)}
	return m.Bytes()
}

func run(t *testing.T, data []byte, in []float32, mode string) []float32 {
	t.Helper()
	tile := 4
	if mode == "portable-f2" {
		tile, mode = 2, "portable"
	}
	n, err := compile("op.onnx", data, nil, Options{}, tile)
	if err != nil {
		t.Fatal(err)
	}
	setMode(n, mode)
	got, err := n.NewRunner().Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), got...)
}

// naiveConv is the textbook definition, in float64.
func naiveConv(x []float32, ci, h, w int, wt, b []float32, co, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow int, act func(float64) float64) []float64 {
	out := make([]float64, co*oh*ow)
	for o := 0; o < co; o++ {
		for y := 0; y < oh; y++ {
			for xx := 0; xx < ow; xx++ {
				s := 0.0
				if b != nil {
					s = float64(b[o])
				}
				for c := 0; c < ci; c++ {
					for ky := 0; ky < kh; ky++ {
						for kx := 0; kx < kw; kx++ {
							iy, ix := y*sh-pt+ky*dh, xx*sw-pl+kx*dw
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							s += float64(wt[((o*ci+c)*kh+ky)*kw+kx]) * float64(x[(c*h+iy)*w+ix])
						}
					}
				}
				out[(o*oh+y)*ow+xx] = act(s)
			}
		}
	}
	return out
}

func TestConv(t *testing.T) {
	id := func(v float64) float64 { return v }
	relu := func(v float64) float64 { return math.Max(0, v) }
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	tests := []struct {
		name                 string
		ci, h, w, co, kh, kw int
		sh, sw, dh, dw, pad  int
		bias                 bool
		act                  string
		f                    func(float64) float64
	}{
		{"3x3 pad1 relu", 3, 9, 37, 8, 3, 3, 1, 1, 1, 1, 1, true, "Relu", relu},
		{"3x3 co not /4", 5, 7, 20, 6, 3, 3, 1, 1, 1, 1, 1, true, "Relu", relu},
		{"3x3 co 1 sigmoid", 4, 6, 33, 1, 3, 3, 1, 1, 1, 1, 1, true, "Sigmoid", sig},
		{"1x1 no bias", 16, 5, 48, 12, 1, 1, 1, 1, 1, 1, 0, false, "", id},
		{"wide rows 8 ch", 8, 4, 70, 16, 3, 3, 1, 1, 1, 1, 1, true, "", id},
		{"stride 2", 3, 11, 13, 4, 3, 3, 2, 2, 1, 1, 1, true, "", id},
		{"dilation 2 pad 2", 2, 10, 24, 5, 3, 3, 1, 1, 2, 2, 2, true, "Relu", relu},
		{"5x5 no pad", 2, 12, 21, 3, 5, 5, 1, 1, 1, 1, 0, true, "Tanh", math.Tanh},
		{"tiny 1 pixel", 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 0, true, "", id},
		{"3x3 no pad, odd sizes", 6, 9, 15, 5, 3, 3, 1, 1, 1, 1, 0, true, "Relu", relu},
		{"3x3 pad 1, 1 row", 8, 1, 17, 4, 3, 3, 1, 1, 1, 1, 1, false, "", id},
		{"3x3 pad 2", 4, 5, 6, 4, 3, 3, 1, 1, 1, 1, 2, true, "LeakyRelu", func(v float64) float64 { return math.Max(v, 0.01*v) }},
		{"3x3 wide leaky, co not /4", 4, 9, 33, 5, 3, 3, 1, 1, 1, 1, 1, true, "LeakyRelu", func(v float64) float64 { return math.Max(v, 0.01*v) }},
		{"3x3 wide sigmoid", 8, 6, 40, 4, 3, 3, 1, 1, 1, 1, 1, true, "Sigmoid", sig},
		{"1x1 one output channel, sigmoid", 8, 3, 40, 1, 1, 1, 1, 1, 1, 1, 0, true, "Sigmoid", sig},
		// AVX-512 Winograd: tiles by 16, then 8, then the scalar tail.
		{"3x3 Winograd 16+8+tail tiles, leaky, co not /4", 4, 9, 110, 10, 3, 3, 1, 1, 1, 1, 1, true, "LeakyRelu", func(v float64) float64 { return math.Max(v, 0.01*v) }},
		{"3x3 Winograd 8 tiles, relu", 16, 7, 33, 8, 3, 3, 1, 1, 1, 1, 1, true, "Relu", relu},
		{"3x3 Winograd 16 channels, 2×8 tiles and a tail, leaky", 16, 6, 70, 16, 3, 3, 1, 1, 1, 1, 1, true, "LeakyRelu", func(v float64) float64 { return math.Max(v, 0.01*v) }},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range tests {
		oh := (tc.h+2*tc.pad-tc.dh*(tc.kh-1)-1)/tc.sh + 1
		ow := (tc.w+2*tc.pad-tc.dw*(tc.kw-1)-1)/tc.sw + 1
		x := rnd(r, tc.ci*tc.h*tc.w)
		wt := rnd(r, tc.co*tc.ci*tc.kh*tc.kw)
		var b []float32
		inputs := []string{"x", "w"}
		init := []onnxtest.Tensor{{Name: "w", Dims: i64(tc.co, tc.ci, tc.kh, tc.kw), Floats: wt}}
		if tc.bias {
			b = rnd(r, tc.co)
			inputs = append(inputs, "b")
			init = append(init, onnxtest.Tensor{Name: "b", Dims: i64(tc.co), Floats: b})
		}
		p := i64(tc.pad, tc.pad, tc.pad, tc.pad)
		nodes := []onnxtest.Node{{Op: "Conv", Inputs: inputs, Outputs: []string{"c"}, Ints: map[string][]int64{
			"kernel_shape": i64(tc.kh, tc.kw), "strides": i64(tc.sh, tc.sw), "dilations": i64(tc.dh, tc.dw), "pads": p}}}
		if tc.act != "" {
			nodes = append(nodes, onnxtest.Node{Op: tc.act, Inputs: []string{"c"}, Outputs: []string{"y"}})
		} else {
			nodes[0].Outputs = []string{"y"}
		}
		data := oneOp([]int{1, tc.ci, tc.h, tc.w}, []int{1, tc.co, oh, ow}, nodes, init)
		want := naiveConv(x, tc.ci, tc.h, tc.w, wt, b, tc.co, tc.kh, tc.kw, tc.sh, tc.sw, tc.dh, tc.dw, tc.pad, tc.pad, oh, ow, tc.f)
		for _, mode := range modes {
			got := run(t, data, x, mode)
			if len(got) != len(want) {
				t.Fatalf("%s: %d outputs, want %d", tc.name, len(got), len(want))
			}
			// Absolute below 1, relative above: a sum of 144 products of
			// values near 1 (16 channels × 9 taps) reaches 10, where float32
			// Winograd's error passes 1e-4 absolute.
			var d float64
			for i := range got {
				d = math.Max(d, math.Abs(float64(got[i])-want[i])/math.Max(1, math.Abs(want[i])))
			}
			if d > 1e-4 {
				t.Errorf("%s (%s): max scaled diff %g", tc.name, mode, d)
			}
		}
	}
}

func TestOps(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := rnd(r, 2*3*4*6)
	at := func(c, y, xx int) float32 { return x[(c*4+y)*6+xx] } // image 0 of 2×3×4×6
	tests := []struct {
		name   string
		in     []int
		out    []int
		nodes  []onnxtest.Node
		init   []onnxtest.Tensor
		expect func(i int) float64 // value of output element i
	}{
		{"maxpool 2x2/2", []int{1, 3, 4, 6}, []int{1, 3, 2, 3},
			[]onnxtest.Node{{Op: "MaxPool", Inputs: []string{"x"}, Outputs: []string{"y"}, Ints: map[string][]int64{"kernel_shape": {2, 2}, "strides": {2, 2}}}}, nil,
			func(i int) float64 {
				c, y, xx := i/6, i/3%2, i%3
				return float64(max(at(c, 2*y, 2*xx), at(c, 2*y, 2*xx+1), at(c, 2*y+1, 2*xx), at(c, 2*y+1, 2*xx+1)))
			}},
		{"maxpool 2x2/2 wide rows", []int{1, 1, 4, 22}, []int{1, 1, 2, 11},
			[]onnxtest.Node{{Op: "MaxPool", Inputs: []string{"x"}, Outputs: []string{"y"}, Ints: map[string][]int64{"kernel_shape": {2, 2}, "strides": {2, 2}}}}, nil,
			func(i int) float64 {
				y, xx := i/11, i%11
				v := func(r, c int) float32 { return x[r*22+c] }
				return float64(max(v(2*y, 2*xx), v(2*y, 2*xx+1), v(2*y+1, 2*xx), v(2*y+1, 2*xx+1)))
			}},
		{"maxpool 2x2/2 rows of two AVX-512 blocks and a tail", []int{1, 1, 2, 70}, []int{1, 1, 1, 35},
			[]onnxtest.Node{{Op: "MaxPool", Inputs: []string{"x"}, Outputs: []string{"y"}, Ints: map[string][]int64{"kernel_shape": {2, 2}, "strides": {2, 2}}}}, nil,
			func(i int) float64 {
				v := func(r, c int) float32 { return x[r*70+c] }
				return float64(max(v(0, 2*i), v(0, 2*i+1), v(1, 2*i), v(1, 2*i+1)))
			}},
		{"maxpool 3x3/1 pad 1", []int{1, 3, 4, 6}, []int{1, 3, 4, 6},
			[]onnxtest.Node{{Op: "MaxPool", Inputs: []string{"x"}, Outputs: []string{"y"}, Ints: map[string][]int64{"kernel_shape": {3, 3}, "pads": {1, 1, 1, 1}}}}, nil,
			func(i int) float64 {
				c, y, xx := i/24, i/6%4, i%6
				m := float32(math.Inf(-1))
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						if y+dy >= 0 && y+dy < 4 && xx+dx >= 0 && xx+dx < 6 {
							m = max(m, at(c, y+dy, xx+dx))
						}
					}
				}
				return float64(m)
			}},
		{"pixel shuffle", []int{1, 4, 2, 3}, []int{1, 1, 4, 6},
			[]onnxtest.Node{
				{Op: "Reshape", Inputs: []string{"x", "s1"}, Outputs: []string{"r"}},
				{Op: "Transpose", Inputs: []string{"r"}, Outputs: []string{"t"}, Ints: map[string][]int64{"perm": {0, 1, 4, 2, 5, 3}}},
				{Op: "Reshape", Inputs: []string{"t", "s2"}, Outputs: []string{"y"}},
			},
			[]onnxtest.Tensor{{Name: "s1", Dims: i64(6), Ints: i64(1, 1, 2, 2, 2, 3)}, {Name: "s2", Dims: i64(4), Ints: i64(1, 1, 4, 6)}},
			func(i int) float64 { // torch pixel_shuffle: out[y][x] = in[(y%2)*2+x%2][y/2][x/2]
				y, xx := i/6, i%6
				return float64(x[((y%2*2+xx%2)*2+y/2)*3+xx/2])
			}},
		{"transpose NCHW→NWCH", []int{1, 3, 4, 6}, []int{1, 6, 3, 4},
			[]onnxtest.Node{{Op: "Transpose", Inputs: []string{"x"}, Outputs: []string{"y"}, Ints: map[string][]int64{"perm": {0, 3, 1, 2}}}}, nil,
			func(i int) float64 { return float64(at(i/4%3, i%4, i/12)) }},
		{"concat axis 1", []int{1, 3, 4, 6}, []int{1, 6, 4, 6},
			[]onnxtest.Node{
				{Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"a"}},
				{Op: "Concat", Inputs: []string{"x", "a"}, Outputs: []string{"y"}, Int: map[string]int64{"axis": 1}},
			}, nil,
			func(i int) float64 {
				if i < 72 {
					return float64(x[i])
				}
				return math.Max(0, float64(x[i-72]))
			}},
		{"add per-channel bias", []int{1, 3, 4, 6}, []int{1, 3, 4, 6},
			[]onnxtest.Node{{Op: "Add", Inputs: []string{"x", "c"}, Outputs: []string{"y"}}},
			[]onnxtest.Tensor{{Name: "c", Dims: i64(3, 1, 1), Floats: []float32{1, 2, 3}}},
			func(i int) float64 { return float64(x[i]) + float64(i/24+1) }},
		{"mul by scalar, then sub self", []int{1, 3, 4, 6}, []int{1, 3, 4, 6},
			[]onnxtest.Node{
				{Op: "Mul", Inputs: []string{"x", "c"}, Outputs: []string{"m"}},
				{Op: "Sub", Inputs: []string{"m", "x"}, Outputs: []string{"y"}},
			},
			[]onnxtest.Tensor{{Name: "c", Dims: nil, Floats: []float32{3}}},
			func(i int) float64 { return 2 * float64(x[i]) }},
		{"div broadcast row", []int{1, 3, 4, 6}, []int{1, 3, 4, 6},
			[]onnxtest.Node{{Op: "Div", Inputs: []string{"x", "c"}, Outputs: []string{"y"}}},
			[]onnxtest.Tensor{{Name: "c", Dims: i64(6), Floats: []float32{1, 2, 4, 8, 16, 32}}},
			func(i int) float64 { return float64(x[i]) / math.Pow(2, float64(i%6)) }},
		{"batchnorm", []int{1, 3, 4, 6}, []int{1, 3, 4, 6},
			[]onnxtest.Node{{Op: "BatchNormalization", Inputs: []string{"x", "s", "b", "m", "v"}, Outputs: []string{"y"}}},
			[]onnxtest.Tensor{{Name: "s", Dims: i64(3), Floats: []float32{1, 2, 3}}, {Name: "b", Dims: i64(3), Floats: []float32{0, 1, -1}},
				{Name: "m", Dims: i64(3), Floats: []float32{0.5, 0, 1}}, {Name: "v", Dims: i64(3), Floats: []float32{1, 4, 0.25}}},
			func(i int) float64 {
				c := i / 24
				s, b, m, v := []float64{1, 2, 3}[c], []float64{0, 1, -1}[c], []float64{0.5, 0, 1}[c], []float64{1, 4, 0.25}[c]
				return (float64(x[i])-m)/math.Sqrt(v+1e-5)*s + b
			}},
		{"global average pool + flatten", []int{1, 3, 4, 6}, []int{1, 3},
			[]onnxtest.Node{
				{Op: "GlobalAveragePool", Inputs: []string{"x"}, Outputs: []string{"g"}},
				{Op: "Flatten", Inputs: []string{"g"}, Outputs: []string{"y"}},
			}, nil,
			func(i int) float64 {
				s := 0.0
				for j := 0; j < 24; j++ {
					s += float64(x[i*24+j])
				}
				return s / 24
			}},
		{"softmax axis 3, leaky relu", []int{1, 3, 4, 6}, []int{1, 3, 4, 6},
			[]onnxtest.Node{
				{Op: "LeakyRelu", Inputs: []string{"x"}, Outputs: []string{"l"}},
				{Op: "Softmax", Inputs: []string{"l"}, Outputs: []string{"y"}, Int: map[string]int64{"axis": 3}},
			}, nil,
			func(i int) float64 {
				lr := func(v float32) float64 { return math.Max(float64(v), 0.01*float64(v)) }
				s := 0.0
				for j := i / 6 * 6; j < i/6*6+6; j++ {
					s += math.Exp(lr(x[j]))
				}
				return math.Exp(lr(x[i])) / s
			}},
		{"squeeze unsqueeze identity tanh", []int{1, 3, 4, 6}, []int{3, 1, 4, 6},
			[]onnxtest.Node{
				{Op: "Squeeze", Inputs: []string{"x"}, Outputs: []string{"s"}, Ints: map[string][]int64{"axes": {0}}},
				{Op: "Unsqueeze", Inputs: []string{"s"}, Outputs: []string{"u"}, Ints: map[string][]int64{"axes": {1}}},
				{Op: "Identity", Inputs: []string{"u"}, Outputs: []string{"i"}},
				{Op: "Tanh", Inputs: []string{"i"}, Outputs: []string{"y"}},
			}, nil,
			func(i int) float64 { return math.Tanh(float64(x[i])) }},
	}
	for _, tc := range tests {
		data := oneOp(tc.in, tc.out, tc.nodes, tc.init)
		got := run(t, data, x[:prod(tc.in)], "simd")
		if len(got) != prod(tc.out) {
			t.Errorf("%s: %d outputs, want %d", tc.name, len(got), prod(tc.out))
			continue
		}
		for i := range got {
			if want := tc.expect(i); math.Abs(float64(got[i])-want) > 1e-5 {
				t.Errorf("%s: output %d = %g, want %g", tc.name, i, got[i], want)
				break
			}
		}
	}
}

func TestActivations(t *testing.T) {
	for _, v := range []float64{-800, -100, -20, -3, -0.5, -1e-3, 0, 1e-7, 0.009, 0.3, 2, 15, 30, 800} {
		if got, want := float64(sigmoid32(float32(v))), 1/(1+math.Exp(-v)); math.Abs(got-want) > 1e-7 {
			t.Errorf("sigmoid(%g) = %g, want %g", v, got, want)
		}
		if got, want := float64(tanh32(float32(v))), math.Tanh(float64(float32(v))); math.Abs(got-want) > 1e-7*math.Max(1, math.Abs(want)) && math.Abs(got-want) > 1e-7 {
			t.Errorf("tanh(%g) = %g, want %g", v, got, want)
		}
		if v > -700 && v < 700 {
			if got, want := exp(v), math.Exp(v); math.Abs(got-want) > 1e-14*want {
				t.Errorf("exp(%g) = %g, want %g", v, got, want)
			}
		}
	}
}

func TestRefuses(t *testing.T) {
	conv := func(mut func(*onnxtest.Node)) []byte {
		n := onnxtest.Node{Op: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"y"}, Ints: map[string][]int64{"kernel_shape": {1, 1}}}
		mut(&n)
		return oneOp([]int{1, 2, 4, 4}, []int{1, 2, 4, 4}, []onnxtest.Node{n}, []onnxtest.Tensor{{Name: "w", Dims: i64(2, 2, 1, 1), Floats: make([]float32, 4)}})
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "no graph"},
		{"garbage", []byte("not a model at all"), "read"},
		{"group 2", conv(func(n *onnxtest.Node) { n.Int = map[string]int64{"group": 2} }), "group=2"},
		{"unknown op", conv(func(n *onnxtest.Node) { n.Op = "Erf" }), "op Erf is not supported"},
		{"auto_pad", conv(func(n *onnxtest.Node) { n.String = map[string]string{"auto_pad": "SAME_UPPER"} }), "auto_pad"},
		{"undefined input", conv(func(n *onnxtest.Node) { n.Inputs[0] = "nope" }), "not defined"},
		{"kernel disagrees", conv(func(n *onnxtest.Node) { n.Ints["kernel_shape"] = []int64{3, 3} }), "disagrees"},
		{"wrong declared output", oneOp([]int{1, 2, 4, 4}, []int{1, 2, 2, 2}, []onnxtest.Node{{Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}}, nil), "declares"},
	}
	for _, tc := range tests {
		_, err := Compile("bad.onnx", tc.data, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "backend: bad.onnx: ") {
			t.Errorf("%s: got %v, want error containing %q", tc.name, err, tc.want)
		}
	}
	n, err := Compile("ok.onnx", oneOp([]int{1, 2, 4, 4}, []int{1, 2, 4, 4}, []onnxtest.Node{{Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}}, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.NewRunner().Run(make([]float32, 5)); err == nil {
		t.Error("wrong input size accepted")
	}
}

func FuzzCompile(f *testing.F) {
	f.Add(oneOp([]int{1, 2, 4, 4}, []int{1, 2, 4, 4}, []onnxtest.Node{{Op: "Relu", Inputs: []string{"x"}, Outputs: []string{"y"}}}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := Compile("fuzz.onnx", b, Options{})
		if err == nil && prod(n.inShape) < 1<<16 && n.ArenaBytes() < 1<<26 {
			_, _ = n.NewRunner().Run(make([]float32, prod(n.inShape)))
		}
	})
}

// TestDeint holds the build's deint (AVX-512 permutes, WebAssembly, or
// the scalar loop itself) to deintRows on widths that do and do not fill
// its vectors, each left padding, and rows left dirty by a previous layer.
func TestDeint(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, w := range []int{5, 30, 63, 64, 65, 128, 200, 256, 511, 512} {
		for pl := 0; pl <= 2; pl++ {
			wi := &winograd{wp: 4 * ((w+pl+3)/4 + 1)}
			plan := wi.deintPlan(&convStep{pl: pl, w: w})
			const rows = 3
			src := rnd(r, rows*w)
			want, got := rnd(r, rows*wi.wp), make([]float32, rows*wi.wp)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			deintRows(want, src, wi.wp, w, &plan)
			deint(got, src, wi.wp, w, &plan)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("w=%d pl=%d: value %d (row %d, column %d) is %v, deintRows gives %v", w, pl, i, i/wi.wp, i%wi.wp, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkDeint: the build's deint against the strided copy, on one band
// of 6 rows as pad4 fills it (3×3 convolution, padding 1).
func BenchmarkDeint(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, w := range []int{32, 64, 256} {
		wi := &winograd{wp: 4 * ((w+1+3)/4 + 1)}
		plan := wi.deintPlan(&convStep{pl: 1, w: w})
		src, dst := rnd(r, 6*w), make([]float32, 6*wi.wp)
		for _, f := range []struct {
			name string
			fn   func(dst, src []float32, wp, w int, plan *[12]int)
		}{{"deint", deint}, {"deintRows", deintRows}} {
			b.Run(fmt.Sprintf("%s/w=%d", f.name, w), func(b *testing.B) {
				for b.Loop() {
					f.fn(dst, src, wi.wp, w, &plan)
				}
			})
		}
	}
}
