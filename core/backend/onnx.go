package backend

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// A reader for the parts of ONNX's protobuf that execution needs: nodes,
// attributes, initializers with their data, graph inputs and outputs.
// core/model keeps its parsed graph private and drops the weights, and
// onnx-go's decoder drags gorgonia.org/tensor into the wasm (about 25 MB of
// the 28.9 MB download), so the backend reads the few fields itself.

type onnxGraph struct {
	nodes   []onnxNode
	inits   map[string]onnxTensor
	inputs  []onnxValue
	outputs []onnxValue
}

type onnxNode struct {
	op, name string
	inputs   []string
	outputs  []string
	attrs    map[string]onnxAttr
}

type onnxAttr struct {
	i      int64
	f      float32
	s      string
	ints   []int64
	floats []float32
	has    bool
}

type onnxTensor struct {
	dims   []int
	floats []float32 // FLOAT initializers
	ints   []int64   // INT64 initializers
}

type onnxValue struct {
	name string
	dims []int // -1 where symbolic
}

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

func appendFloats(dst []float32, typ protowire.Type, v []byte, x uint64) []float32 {
	if typ == protowire.Fixed32Type {
		return append(dst, math.Float32frombits(uint32(x)))
	}
	for ; len(v) >= 4; v = v[4:] {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(v)))
	}
	return dst
}

func readModel(b []byte) (*onnxGraph, error) {
	var g *onnxGraph
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		if num != 7 { // ModelProto.graph
			return nil
		}
		var err error
		g, err = readGraph(v)
		if err != nil {
			return fmt.Errorf("graph: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, fmt.Errorf("no graph")
	}
	return g, nil
}

func readGraph(b []byte) (*onnxGraph, error) {
	g := &onnxGraph{inits: map[string]onnxTensor{}}
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			n, err := readNode(v)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.nodes), err)
			}
			g.nodes = append(g.nodes, n)
		case 5:
			name, t, err := readTensor(v)
			if err != nil {
				return fmt.Errorf("initializer %q: %w", name, err)
			}
			g.inits[name] = t
		case 11, 12:
			vi, err := readValue(v)
			if err != nil {
				return err
			}
			if num == 11 {
				g.inputs = append(g.inputs, vi)
			} else {
				g.outputs = append(g.outputs, vi)
			}
		}
		return nil
	})
	return g, err
}

func readNode(b []byte) (onnxNode, error) {
	n := onnxNode{attrs: map[string]onnxAttr{}}
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			n.inputs = append(n.inputs, string(v))
		case 2:
			n.outputs = append(n.outputs, string(v))
		case 3:
			n.name = string(v)
		case 4:
			n.op = string(v)
		case 5:
			var name string
			a := onnxAttr{has: true}
			err := walk(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				var err error
				switch num {
				case 1:
					name = string(v)
				case 2:
					a.f = math.Float32frombits(uint32(x))
				case 3:
					a.i = int64(x)
				case 4:
					a.s = string(v)
				case 7:
					a.floats = appendFloats(a.floats, typ, v, x)
				case 8:
					a.ints, err = appendInts(a.ints, typ, v, x)
				}
				return err
			})
			if err != nil {
				return fmt.Errorf("attribute %q: %w", name, err)
			}
			n.attrs[name] = a
		}
		return nil
	})
	return n, err
}

// TensorProto data types.
const (
	dtFloat = 1
	dtInt64 = 7
)

func readTensor(b []byte) (string, onnxTensor, error) {
	var name string
	var t onnxTensor
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
			t.floats = appendFloats(t.floats, typ, v, x)
		case 7:
			t.ints, err = appendInts(t.ints, typ, v, x)
		case 8:
			name = string(v)
		case 9:
			raw = v
		case 13:
			return fmt.Errorf("external data is not supported")
		}
		return err
	})
	if err != nil {
		return name, t, err
	}
	n := 1
	for _, d := range dims {
		if d < 0 || d > 1<<30 {
			return name, t, fmt.Errorf("dimension %d out of range", d)
		}
		t.dims = append(t.dims, int(d))
		n *= int(d)
		if n > 1<<30 {
			return name, t, fmt.Errorf("shape %v is too large", dims)
		}
	}
	switch dtype {
	case dtFloat:
		if raw != nil {
			if len(raw) != 4*n {
				return name, t, fmt.Errorf("raw float data of %d bytes for %d elements", len(raw), n)
			}
			t.floats = appendFloats(make([]float32, 0, n), protowire.BytesType, raw, 0)
		}
		if len(t.floats) != n {
			return name, t, fmt.Errorf("%d float values for shape %v", len(t.floats), t.dims)
		}
	case dtInt64:
		if raw != nil {
			if len(raw) != 8*n {
				return name, t, fmt.Errorf("raw int64 data of %d bytes for %d elements", len(raw), n)
			}
			t.ints = make([]int64, 0, n)
			for ; len(raw) >= 8; raw = raw[8:] {
				t.ints = append(t.ints, int64(binary.LittleEndian.Uint64(raw)))
			}
		}
		if len(t.ints) != n {
			return name, t, fmt.Errorf("%d int64 values for shape %v", len(t.ints), t.dims)
		}
	default:
		return name, t, fmt.Errorf("data type %d: only float32 and int64 initializers are supported", dtype)
	}
	return name, t, nil
}

func readValue(b []byte) (onnxValue, error) {
	var vi onnxValue
	err := walk(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			vi.name = string(v)
		case 2: // TypeProto.tensor_type(1).shape(2).dim(1).dim_value(1)
			return walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
				if num != 1 {
					return nil
				}
				return walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
					if num != 2 {
						return nil
					}
					return walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
						if num != 1 {
							return nil
						}
						d := -1
						err := walk(v, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
							if num == 1 && x <= 1<<30 {
								d = int(x)
							}
							return nil
						})
						vi.dims = append(vi.dims, d)
						return err
					})
				})
			})
		}
		return nil
	})
	return vi, err
}
