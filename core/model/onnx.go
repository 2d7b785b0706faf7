package model

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// A small reader for the parts of ONNX's protobuf (onnx.proto3) that
// validation needs. onnx-go keeps its generated types internal, and reading
// the few fields ourselves lets us refuse bad files with precise errors.

type graph struct {
	nodes        []node
	initializers map[string]tensor
	inputs       []valueInfo
	outputs      []valueInfo
}

type node struct {
	opType  string
	name    string
	inputs  []string
	outputs []string
	attrs   map[string]attribute
}

type attribute struct {
	i      int64
	f      float32
	s      string
	ints   []int64
	floats []float32
	hasI   bool
}

type tensor struct {
	dims     []int64
	dataType int64
	ints     []int64 // int64 contents (Reshape shapes); nil for other types
}

func (t tensor) elements() int64 {
	n := int64(1)
	for _, d := range t.dims {
		n *= d
	}
	return n
}

type valueInfo struct {
	name string
	dims []int64 // -1 where a dimension is symbolic or missing
}

type modelProto struct {
	irVersion int64
	producer  string
	opsets    map[string]int64
	metadata  map[string]string
	graph     *graph
}

// field iterates over the fields of one protobuf message.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
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

// int64s reads a repeated int64 field, packed or not.
func int64s(dst []int64, typ protowire.Type, v []byte, x uint64) ([]int64, error) {
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

func parseModelProto(b []byte) (*modelProto, error) {
	m := &modelProto{opsets: map[string]int64{}, metadata: map[string]string{}}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			m.irVersion = int64(x)
		case 2:
			m.producer = string(v)
		case 7:
			g, err := parseGraph(v)
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			m.graph = g
		case 8:
			var domain string
			var version int64
			if err := fields(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
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
			m.opsets[domain] = version
		case 14:
			var k, val string
			if err := fields(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
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
			m.metadata[k] = val
		}
		return nil
	})
	return m, err
}

func parseGraph(b []byte) (*graph, error) {
	g := &graph{initializers: map[string]tensor{}}
	err := fields(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			n, err := parseNode(v)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.nodes), err)
			}
			g.nodes = append(g.nodes, n)
		case 5:
			name, t, err := parseTensor(v)
			if err != nil {
				return fmt.Errorf("initializer %q: %w", name, err)
			}
			g.initializers[name] = t
		case 11, 12:
			vi, err := parseValueInfo(v)
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

func parseNode(b []byte) (node, error) {
	n := node{attrs: map[string]attribute{}}
	err := fields(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			n.inputs = append(n.inputs, string(v))
		case 2:
			n.outputs = append(n.outputs, string(v))
		case 3:
			n.name = string(v)
		case 4:
			n.opType = string(v)
		case 5:
			name, a, err := parseAttribute(v)
			if err != nil {
				return fmt.Errorf("attribute %q: %w", name, err)
			}
			n.attrs[name] = a
		}
		return nil
	})
	return n, err
}

func parseAttribute(b []byte) (string, attribute, error) {
	var name string
	var a attribute
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case 1:
			name = string(v)
		case 2:
			a.f = math.Float32frombits(uint32(x))
		case 3:
			a.i, a.hasI = int64(x), true
		case 4:
			a.s = string(v)
		case 7:
			if typ == protowire.Fixed32Type {
				a.floats = append(a.floats, math.Float32frombits(uint32(x)))
				break
			}
			for ; len(v) >= 4; v = v[4:] {
				a.floats = append(a.floats, math.Float32frombits(binary.LittleEndian.Uint32(v)))
			}
		case 8:
			a.ints, err = int64s(a.ints, typ, v, x)
		}
		return err
	})
	return name, a, err
}

// ONNX TensorProto data types used here.
const (
	tensorFloat = 1
	tensorInt64 = 7
)

func parseTensor(b []byte) (string, tensor, error) {
	var name string
	var t tensor
	var raw []byte
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case 1:
			t.dims, err = int64s(t.dims, typ, v, x)
		case 2:
			t.dataType = int64(x)
		case 7:
			t.ints, err = int64s(t.ints, typ, v, x)
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
	for _, d := range t.dims {
		if d < 0 {
			return name, t, fmt.Errorf("negative dimension %d", d)
		}
	}
	if t.dataType == tensorInt64 && t.ints == nil && raw != nil {
		if int64(len(raw)) != 8*t.elements() {
			return name, t, fmt.Errorf("raw int64 data of %d bytes for %d elements", len(raw), t.elements())
		}
		for ; len(raw) >= 8; raw = raw[8:] {
			t.ints = append(t.ints, int64(binary.LittleEndian.Uint64(raw)))
		}
	}
	return name, t, nil
}

func parseValueInfo(b []byte) (valueInfo, error) {
	var vi valueInfo
	err := fields(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			vi.name = string(v)
		case 2: // TypeProto.tensor_type(1).shape(2).dim(1)
			return fields(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
				if num != 1 {
					return nil
				}
				return fields(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
					if num != 2 {
						return nil
					}
					vi.dims = []int64{}
					return fields(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
						if num != 1 {
							return nil
						}
						d := int64(-1)
						err := fields(v, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
							if num == 1 {
								d = int64(x)
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
