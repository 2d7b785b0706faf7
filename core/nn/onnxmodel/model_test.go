package onnxmodel

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"myoseg/core/nn/onnxmodel/onnxtest"
)

func tiny() onnxtest.Model {
	w1 := make([]float32, 18)
	return onnxtest.TinyNet(32, 48, w1, []float32{0, 0}, []float32{1, 1}, 0)
}

func TestParseTinyNet(t *testing.T) {
	m, err := Parse("tiny.onnx", tiny().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	in := m.Info
	if in.Name != "test-net" || in.InputH != 32 || in.InputW != 48 || in.Mean != 0.5 || in.Std != 0.25 || in.Threshold != 0.5 || in.Opset != 11 {
		t.Errorf("info %+v", in)
	}
	// 3×3 conv 1→2 plus 1×1 conv 2→1 over 32×48 pixels.
	if want := int64(32 * 48 * (2*9 + 2)); in.MACs != want {
		t.Errorf("MACs %d, want %d", in.MACs, want)
	}
	if in.Params != 18+2+2+1 || in.Nodes != 4 || len(in.SHA256) != 64 {
		t.Errorf("params %d nodes %d sha %q", in.Params, in.Nodes, in.SHA256)
	}
}

// setMeta adds or changes a metadata key of a test model.
func setMeta(m *onnxtest.Model, k, v string) {
	if _, ok := m.Metadata[k]; !ok {
		m.MetadataKey = append(m.MetadataKey, k)
	}
	m.Metadata[k] = v
}

func TestParseNorm(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{{"", false}, {"fixed", false}, {"image", true}} {
		m := tiny()
		if tc.value != "" {
			setMeta(&m, KeyNorm, tc.value)
		}
		got, err := Parse("tiny.onnx", m.Bytes())
		if err != nil {
			t.Fatalf("norm %q: %v", tc.value, err)
		}
		if got.Info.PerImage != tc.want {
			t.Errorf("norm %q: PerImage %v, want %v", tc.value, got.Info.PerImage, tc.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*onnxtest.Model)
		raw    []byte
		want   string
	}{
		{name: "empty", raw: []byte{}, want: "empty file"},
		{name: "png", raw: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), want: "not an ONNX model"},
		{name: "text", raw: []byte("hello, this is not a model"), want: "not an ONNX model"},
		{name: "opset 13", mutate: func(m *onnxtest.Model) { m.Opset = 13 }, want: "opset 13"},
		{name: "no metadata", mutate: func(m *onnxtest.Model) { m.MetadataKey = nil }, want: "metadata_props lacks"},
		{name: "bad norm", mutate: func(m *onnxtest.Model) { setMeta(m, KeyNorm, "per-batch") }, want: `want "fixed" or "image"`},
		{name: "bad std", mutate: func(m *onnxtest.Model) { m.Metadata["myoseg.norm_std"] = "0" }, want: "must be positive"},
		{name: "wrong input shape", mutate: func(m *onnxtest.Model) { m.InputDims = []int64{1, 3, 32, 48} }, want: "has shape [1 3 32 48]"},
		{name: "metadata disagrees", mutate: func(m *onnxtest.Model) { m.Metadata["myoseg.input_height"] = "64" }, want: "the metadata says [1 1 64 48]"},
		{name: "same input twice", mutate: func(m *onnxtest.Model) {
			m.Nodes[1] = onnxtest.Node{Op: "Concat", Inputs: []string{"c1", "c1"}, Outputs: []string{"r1"}, Int: map[string]int64{"axis": 1}}
		}, want: "takes \"c1\" twice"},
		{name: "gemm", mutate: func(m *onnxtest.Model) { m.Nodes[1].Op = "Gemm" }, want: "writes into its bias"},
		{name: "resize", mutate: func(m *onnxtest.Model) { m.Nodes[1].Op = "Resize" }, want: "pixel shuffle"},
		{name: "unknown op", mutate: func(m *onnxtest.Model) { m.Nodes[1].Op = "Erf" }, want: "op Erf is not run correctly"},
		{name: "node's place", mutate: func(m *onnxtest.Model) { m.Nodes[1].Op = "Erf" }, want: "node 1 (Erf "},
		{name: "grouped conv", mutate: func(m *onnxtest.Model) { m.Nodes[0].Int = map[string]int64{"group": 2} }, want: "ignores group"},
		{name: "uneven pads", mutate: func(m *onnxtest.Model) { m.Nodes[0].Ints["pads"] = []int64{1, 1, 0, 0} }, want: "equal pads"},
		{name: "reshape -1", mutate: func(m *onnxtest.Model) {
			m.Nodes[1] = onnxtest.Node{Op: "Reshape", Inputs: []string{"c1", "shape"}, Outputs: []string{"r1"}}
			m.Init = append(m.Init, onnxtest.Tensor{Name: "shape", Dims: []int64{4}, Ints: []int64{1, -1, 32, 48}})
		}, want: "static shapes"},
	}
	for _, tc := range tests {
		raw := tc.raw
		if raw == nil {
			m := tiny()
			tc.mutate(&m)
			raw = m.Bytes()
		}
		_, err := Parse("x.onnx", raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "model: x.onnx: ") {
			t.Errorf("%s: got %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestMACsPixelShuffle(t *testing.T) {
	// Conv 1→8 (1×1) then pixel shuffle (1,8,h,w)→(1,2,2,2,h,w)→T→(1,2,2h,2w),
	// then a 1×1 conv 2→1 at 2h×2w.
	keys, md := onnxtest.Metadata("16", "16")
	m := onnxtest.Model{
		Opset: 11,
		Nodes: []onnxtest.Node{
			{Op: "MaxPool", Inputs: []string{"input"}, Outputs: []string{"p"}, Ints: map[string][]int64{"kernel_shape": {2, 2}, "strides": {2, 2}}},
			{Op: "Conv", Inputs: []string{"p", "w"}, Outputs: []string{"c"}, Ints: map[string][]int64{"kernel_shape": {1, 1}}},
			{Op: "Reshape", Inputs: []string{"c", "s1"}, Outputs: []string{"r1"}},
			{Op: "Transpose", Inputs: []string{"r1"}, Outputs: []string{"t"}, Ints: map[string][]int64{"perm": {0, 1, 4, 2, 5, 3}}},
			{Op: "Reshape", Inputs: []string{"t", "s2"}, Outputs: []string{"r2"}},
			{Op: "Conv", Inputs: []string{"r2", "w2"}, Outputs: []string{"c2"}, Ints: map[string][]int64{"kernel_shape": {1, 1}}},
			{Op: "Sigmoid", Inputs: []string{"c2"}, Outputs: []string{"out"}},
		},
		Init: []onnxtest.Tensor{
			{Name: "w", Dims: []int64{8, 1, 1, 1}, Floats: make([]float32, 8)},
			{Name: "s1", Dims: []int64{6}, Ints: []int64{1, 2, 2, 2, 8, 8}},
			{Name: "s2", Dims: []int64{4}, Ints: []int64{1, 2, 16, 16}},
			{Name: "w2", Dims: []int64{1, 2, 1, 1}, Floats: make([]float32, 2)},
		},
		Input: "input", InputDims: []int64{1, 1, 16, 16}, Output: "out", OutputDims: []int64{1, 1, 16, 16},
		Metadata: md, MetadataKey: keys,
	}
	p, err := Parse("ps.onnx", m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(8*8*8 + 16*16*2); p.Info.MACs != want {
		t.Errorf("MACs %d, want %d", p.Info.MACs, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(tiny().Bytes())
	f.Add([]byte{0x08, 0x06, 0x3a, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Parse("fuzz.onnx", b) // must not panic
	})
}

// The test-model writer is deterministic, so a test model's SHA-256 (and
// everything keyed by it, like batch's resume records) is stable.
func TestTestModelBytesAreStable(t *testing.T) {
	first := string(tiny().Bytes())
	for i := 0; i < 50; i++ {
		if string(tiny().Bytes()) != first {
			t.Fatalf("encoding %d differs", i)
		}
	}
}

// SHA256 hashes in pieces; the pieces' edges must not show.
func TestSHA256(t *testing.T) {
	for _, n := range []int{0, 1, 32<<10 - 1, 32 << 10, 32<<10 + 1, 100_003} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + i>>9)
		}
		want := sha256.Sum256(b)
		if got := SHA256(b); got != hex.EncodeToString(want[:]) {
			t.Errorf("%d bytes: %s, want %x", n, got, want)
		}
	}
}

// TestParseSHA256: the expected file parses to the same model as Parse;
// another one (or a corrupted copy) is refused with both hashes, before
// it is read.
func TestParseSHA256(t *testing.T) {
	data := tiny().Bytes()
	want, err := Parse("tiny.onnx", data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseSHA256("tiny.onnx", data, want.Info.SHA256)
	if err != nil || m.Info != want.Info {
		t.Fatalf("ParseSHA256: %+v, %v; Parse gives %+v", m, err, want.Info)
	}
	bad := append([]byte("not a model"), data...)
	_, err = ParseSHA256("tiny.onnx", bad, want.Info.SHA256)
	var mm *MismatchError
	if !errors.As(err, &mm) || mm.Got != SHA256(bad) || mm.Want != want.Info.SHA256 {
		t.Errorf("another file: %v", err)
	}
}
