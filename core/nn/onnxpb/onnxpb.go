// Package onnxpb reads the parts of an ONNX model file (onnx.proto3) that
// validation and execution need: opsets, metadata, nodes with their
// attributes, initializers with their data, and the graph's inputs and
// outputs. Every length is checked against the bytes left, so a hostile
// file gives an error, never a huge allocation or a panic. onnx-go keeps its
// generated types internal, and its decoder would drag gorgonia.org/tensor
// into the browser's wasm, so the few fields are read here, once, for
// core/nn/onnxmodel and core/nn/executor alike.
package onnxpb

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Model is a ModelProto.
type Model struct {
	IRVersion int64
	Producer  string
	Opsets    map[string]int64  // domain → version ("" is the default domain)
	Metadata  map[string]string // metadata_props
	Graph     *Graph
}

// Graph is a GraphProto.
type Graph struct {
	Nodes   []Node
	Inits   map[string]Tensor // initializers by name
	Inputs  []Value
	Outputs []Value
}

// Node is a NodeProto.
type Node struct {
	Op, Name        string
	Inputs, Outputs []string
	Attrs           map[string]Attr
}

// Attr is an AttributeProto (the scalar and list kinds a CNN uses).
type Attr struct {
	I      int64
	F      float32
	S      string
	Ints   []int64
	Floats []float32
}

// Tensor is an initializer: float32 or int64 data, checked against its shape.
type Tensor struct {
	Dims   []int
	Floats []float32 // FLOAT
	Ints   []int64   // INT64
}

// Elements is the number of values the shape holds.
func (t Tensor) Elements() int {
	n := 1
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Value is a graph input or output: its name and static shape (-1 where a
// dimension is symbolic or missing).
type Value struct {
	Name string
	Dims []int
}

// TensorProto data types read here.
const (
	Float = 1
	Int64 = 7
)

// maxDim bounds any dimension and any tensor's element count.
const maxDim = 1 << 30

// Read parses a model file.
func Read(b []byte) (*Model, error) {
	m := &Model{Opsets: map[string]int64{}, Metadata: map[string]string{}}
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			m.IRVersion = int64(x)
		case 2:
			m.Producer = string(v)
		case 7:
			g, err := readGraph(v)
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			m.Graph = g
		case 8:
			var domain string
			var version int64
			if err := walk(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
				switch num {
				case 1:
					domain = string(v)
				case 2:
					version = int64(x)
				}
				return nil
			}); err != nil {
				return fmt.Errorf("opset_import: %w", err)
			}
			m.Opsets[domain] = version
		case 14:
			var k, val string
			if err := walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
				switch num {
				case 1:
					k = string(v)
				case 2:
					val = string(v)
				}
				return nil
			}); err != nil {
				return fmt.Errorf("metadata_props: %w", err)
			}
			m.Metadata[k] = val
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// walk calls fn for each field of one protobuf message.
func walk(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("bad protobuf tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var u uint32
			u, n = protowire.ConsumeFixed32(b)
			x = uint64(u)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("bad protobuf field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// appendInts reads a repeated int64 field, packed or not.
func appendInts(dst []int64, typ protowire.Type, v []byte, x uint64) ([]int64, error) {
	if typ == protowire.VarintType {
		return append(dst, int64(x)), nil
	}
	for len(v) > 0 {
		u, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return nil, fmt.Errorf("bad packed int64: %w", protowire.ParseError(n))
		}
		dst = append(dst, int64(u))
		v = v[n:]
	}
	return dst, nil
}

// appendFloats reads a repeated float field, packed or not.
func appendFloats(dst []float32, typ protowire.Type, v []byte, x uint64) []float32 {
	if typ == protowire.Fixed32Type {
		return append(dst, math.Float32frombits(uint32(x)))
	}
	for ; len(v) >= 4; v = v[4:] {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(v)))
	}
	return dst
}

// decodeFloats reads little-endian float32s. It is its own function so
// that a browser's V8 optimises this loop alone, after a few tensors,
// rather than the whole of readTensor.
//
//go:noinline
func decodeFloats(raw []byte) []float32 {
	f := make([]float32, len(raw)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return f
}

func readGraph(b []byte) (*Graph, error) {
	g := &Graph{Inits: map[string]Tensor{}}
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			n, err := readNode(v)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.Nodes), err)
			}
			g.Nodes = append(g.Nodes, n)
		case 5:
			name, t, err := readTensor(v)
			if err != nil {
				return fmt.Errorf("initializer %q: %w", name, err)
			}
			g.Inits[name] = t
		case 11, 12:
			vi, err := readValue(v)
			if err != nil {
				return err
			}
			if num == 11 {
				g.Inputs = append(g.Inputs, vi)
			} else {
				g.Outputs = append(g.Outputs, vi)
			}
		}
		return nil
	})
	return g, err
}

func readNode(b []byte) (Node, error) {
	n := Node{Attrs: map[string]Attr{}}
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			n.Inputs = append(n.Inputs, string(v))
		case 2:
			n.Outputs = append(n.Outputs, string(v))
		case 3:
			n.Name = string(v)
		case 4:
			n.Op = string(v)
		case 5:
			var name string
			var a Attr
			err := walk(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				var err error
				switch num {
				case 1:
					name = string(v)
				case 2:
					a.F = math.Float32frombits(uint32(x))
				case 3:
					a.I = int64(x)
				case 4:
					a.S = string(v)
				case 7:
					a.Floats = appendFloats(a.Floats, typ, v, x)
				case 8:
					a.Ints, err = appendInts(a.Ints, typ, v, x)
				}
				return err
			})
			if err != nil {
				return fmt.Errorf("attribute %q: %w", name, err)
			}
			n.Attrs[name] = a
		}
		return nil
	})
	return n, err
}

func readTensor(b []byte) (string, Tensor, error) {
	var name string
	var t Tensor
	var dims []int64
	var raw []byte
	dtype := int64(0)
	err := walk(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case 1:
			dims, err = appendInts(dims, typ, v, x)
		case 2:
			dtype = int64(x)
		case 4:
			t.Floats = appendFloats(t.Floats, typ, v, x)
		case 7:
			t.Ints, err = appendInts(t.Ints, typ, v, x)
		case 8:
			name = string(v)
		case 9:
			raw = v
		case 13:
			return fmt.Errorf("external data is not supported: ship the weights inside the .onnx file")
		}
		return err
	})
	if err != nil {
		return name, t, err
	}
	n := 1
	for _, d := range dims {
		if d < 0 || d > maxDim {
			return name, t, fmt.Errorf("dimension %d out of range", d)
		}
		t.Dims = append(t.Dims, int(d))
		n *= int(d)
		if n > maxDim {
			return name, t, fmt.Errorf("shape %v is too large", dims)
		}
	}
	switch dtype {
	case Float:
		if raw != nil {
			if len(raw) != 4*n {
				return name, t, fmt.Errorf("raw float data of %d bytes for %d elements", len(raw), n)
			}
			t.Floats = decodeFloats(raw)
		}
		if len(t.Floats) != n {
			return name, t, fmt.Errorf("%d float values for shape %v", len(t.Floats), t.Dims)
		}
	case Int64:
		if raw != nil {
			if len(raw) != 8*n {
				return name, t, fmt.Errorf("raw int64 data of %d bytes for %d elements", len(raw), n)
			}
			t.Ints = make([]int64, 0, n)
			for ; len(raw) >= 8; raw = raw[8:] {
				t.Ints = append(t.Ints, int64(binary.LittleEndian.Uint64(raw)))
			}
		}
		if len(t.Ints) != n {
			return name, t, fmt.Errorf("%d int64 values for shape %v", len(t.Ints), t.Dims)
		}
	default:
		return name, t, fmt.Errorf("data type %d: only float32 and int64 initializers are supported", dtype)
	}
	return name, t, nil
}

// readValue reads a ValueInfoProto: name and
// type.tensor_type(1).shape(2).dim(1).dim_value(1).
func readValue(b []byte) (Value, error) {
	var vi Value
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			vi.Name = string(v)
		case 2:
			return walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
				if num != 1 {
					return nil
				}
				return walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
					if num != 2 {
						return nil
					}
					vi.Dims = []int{}
					return walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
						if num != 1 {
							return nil
						}
						d := -1
						err := walk(v, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
							if num == 1 && x <= maxDim {
								d = int(x)
							}
							return nil
						})
						vi.Dims = append(vi.Dims, d)
						return err
					})
				})
			})
		}
		return nil
	})
	return vi, err
}
