// Package onnxtest writes small ONNX models for tests: enough of the
// protobuf encoding to build graphs that pass or fail model validation.
package onnxtest

import (
	"encoding/binary"
	"maps"
	"math"
	"slices"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// Node is one graph node.
type Node struct {
	Op      string
	Inputs  []string
	Outputs []string
	Ints    map[string][]int64 // INTS attributes
	Int     map[string]int64   // INT attributes
	String  map[string]string  // STRING attributes
}

// Tensor is a float32 or int64 initializer.
type Tensor struct {
	Name   string
	Dims   []int64
	Floats []float32
	Ints   []int64
}

// Model is a whole model file.
type Model struct {
	Opset       int64
	Nodes       []Node
	Init        []Tensor
	Input       string
	InputDims   []int64
	Output      string
	OutputDims  []int64
	Metadata    map[string]string
	MetadataKey []string // order of metadata keys (maps are unordered)
}

// Metadata returns the contract's metadata for an H×W model.
func Metadata(h, w string) ([]string, map[string]string) {
	keys := []string{"myoseg.name", "myoseg.input_height", "myoseg.input_width", "myoseg.resize",
		"myoseg.norm_mean", "myoseg.norm_std", "myoseg.threshold", "myoseg.trained_on", "myoseg.warning"}
	return keys, map[string]string{
		"myoseg.name": "test-net", "myoseg.input_height": h, "myoseg.input_width": w, "myoseg.resize": "area",
		"myoseg.norm_mean": "0.5", "myoseg.norm_std": "0.25", "myoseg.threshold": "0.5",
		"myoseg.trained_on": "nothing (test model)", "myoseg.warning": "test model",
	}
}

func bytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func varintField(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func valueInfo(name string, dims []int64) []byte {
	var shape []byte
	for _, d := range dims {
		shape = bytesField(shape, 1, varintField(nil, 1, d))
	}
	tt := varintField(nil, 1, 1) // elem_type FLOAT
	tt = bytesField(tt, 2, shape)
	vi := bytesField(nil, 1, []byte(name))
	return bytesField(vi, 2, bytesField(nil, 1, tt))
}

// Bytes encodes the model.
func (m Model) Bytes() []byte {
	var g []byte
	for _, n := range m.Nodes {
		var nb []byte
		for _, in := range n.Inputs {
			nb = bytesField(nb, 1, []byte(in))
		}
		for _, out := range n.Outputs {
			nb = bytesField(nb, 2, []byte(out))
		}
		nb = bytesField(nb, 4, []byte(n.Op))
		for _, k := range slices.Sorted(maps.Keys(n.Ints)) { // sorted: the same model encodes to the same bytes
			v := n.Ints[k]
			a := bytesField(nil, 1, []byte(k))
			for _, x := range v {
				a = varintField(a, 8, x)
			}
			a = varintField(a, 20, 7) // AttributeProto.INTS
			nb = bytesField(nb, 5, a)
		}
		for _, k := range slices.Sorted(maps.Keys(n.Int)) {
			v := n.Int[k]
			a := bytesField(nil, 1, []byte(k))
			a = varintField(a, 3, v)
			a = varintField(a, 20, 2) // INT
			nb = bytesField(nb, 5, a)
		}
		for _, k := range slices.Sorted(maps.Keys(n.String)) {
			v := n.String[k]
			a := bytesField(nil, 1, []byte(k))
			a = bytesField(a, 4, []byte(v))
			a = varintField(a, 20, 3) // STRING
			nb = bytesField(nb, 5, a)
		}
		g = bytesField(g, 1, nb)
	}
	g = bytesField(g, 2, []byte("test"))
	for _, t := range m.Init {
		var tb []byte
		for _, d := range t.Dims {
			tb = varintField(tb, 1, d)
		}
		var raw []byte
		if t.Ints != nil {
			tb = varintField(tb, 2, 7)
			for _, v := range t.Ints {
				raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
			}
		} else {
			tb = varintField(tb, 2, 1)
			for _, v := range t.Floats {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
			}
		}
		tb = bytesField(tb, 8, []byte(t.Name))
		tb = bytesField(tb, 9, raw)
		g = bytesField(g, 5, tb)
	}
	g = bytesField(g, 11, valueInfo(m.Input, m.InputDims))
	g = bytesField(g, 12, valueInfo(m.Output, m.OutputDims))

	b := varintField(nil, 1, 6) // ir_version
	b = bytesField(b, 2, []byte("myoseg-onnxtest"))
	b = bytesField(b, 7, g)
	b = bytesField(b, 8, varintField(nil, 2, m.Opset))
	for _, k := range m.MetadataKey {
		e := bytesField(nil, 1, []byte(k))
		e = bytesField(e, 2, []byte(m.Metadata[k]))
		b = bytesField(b, 14, e)
	}
	return b
}

// TinyNet is a valid two-layer net on a 1×1×h×w input: a 3×3 Conv (pads 1)
// to 2 channels, ReLU, a 1×1 Conv back to 1 channel, Sigmoid. With the
// given weights its output is predictable by hand in tests.
func TinyNet(h, w int64, w1 []float32, b1 []float32, w2 []float32, b2 float32) Model {
	keys, md := Metadata(itoa(h), itoa(w))
	return Model{
		Opset: 11,
		Nodes: []Node{
			{Op: "Conv", Inputs: []string{"input", "w1", "b1"}, Outputs: []string{"c1"},
				Ints: map[string][]int64{"kernel_shape": {3, 3}, "pads": {1, 1, 1, 1}, "strides": {1, 1}}},
			{Op: "Relu", Inputs: []string{"c1"}, Outputs: []string{"r1"}},
			{Op: "Conv", Inputs: []string{"r1", "w2", "b2"}, Outputs: []string{"c2"},
				Ints: map[string][]int64{"kernel_shape": {1, 1}}},
			{Op: "Sigmoid", Inputs: []string{"c2"}, Outputs: []string{"prob"}},
		},
		Init: []Tensor{
			{Name: "w1", Dims: []int64{2, 1, 3, 3}, Floats: w1},
			{Name: "b1", Dims: []int64{2}, Floats: b1},
			{Name: "w2", Dims: []int64{1, 2, 1, 1}, Floats: w2},
			{Name: "b2", Dims: []int64{1}, Floats: []float32{b2}},
		},
		Input: "input", InputDims: []int64{1, 1, h, w},
		Output: "prob", OutputDims: []int64{1, 1, h, w},
		Metadata: md, MetadataKey: keys,
	}
}

func itoa(v int64) string {
	return strconv.FormatInt(v, 10)
}

// TinyNetReference computes TinyNet by hand, in float64: 3×3 conv (zero pads) → ReLU → 1×1 conv → sigmoid.
func TinyNetReference(in []float32, h, w int, w1, b1, w2 []float32, b2 float32) []float64 {
	out := make([]float64, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			acc := float64(b2)
			for c := 0; c < 2; c++ {
				s := float64(b1[c])
				for ky := -1; ky <= 1; ky++ {
					for kx := -1; kx <= 1; kx++ {
						yy, xx := y+ky, x+kx
						if yy < 0 || yy >= h || xx < 0 || xx >= w {
							continue
						}
						s += float64(w1[c*9+(ky+1)*3+kx+1]) * float64(in[yy*w+xx])
					}
				}
				acc += float64(w2[c]) * math.Max(0, s)
			}
			out[y*w+x] = 1 / (1 + math.Exp(-acc))
		}
	}
	return out
}
