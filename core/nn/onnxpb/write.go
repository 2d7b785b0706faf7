package onnxpb

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"
)

// Edit says how Rewrite changes a model file. Everything it does not name
// is copied byte for byte: graph, opsets, producer, other metadata.
type Edit struct {
	// Inits replaces float initializers by name; each must exist with the
	// same shape (a fine-tuned weight, never a new graph).
	Inits map[string][]float32
	// Metadata sets metadata_props entries (replacing any of the same key).
	Metadata map[string]string
	// Keep, when non-nil, keeps only the nodes it returns true for (by
	// index in the graph), to cut a prefix of the graph.
	Keep func(node int) bool
	// Outputs, when non-nil, replaces the graph's outputs by these value
	// names (without a declared type: readers take the computed shape).
	Outputs []string
}

// Rewrite returns the model file b changed as e says.
func Rewrite(b []byte, e Edit) ([]byte, error) {
	seen := map[string]bool{}
	var out []byte
	err := eachField(b, func(num protowire.Number, typ protowire.Type, raw, v []byte) error {
		switch {
		case num == 7 && typ == protowire.BytesType:
			g, err := rewriteGraph(v, e, seen)
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			out = protowire.AppendTag(out, 7, protowire.BytesType)
			out = protowire.AppendBytes(out, g)
		case num == 14 && typ == protowire.BytesType && e.Metadata != nil:
			k := ""
			_ = walk(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
				if num == 1 {
					k = string(v)
				}
				return nil
			})
			if _, ok := e.Metadata[k]; !ok {
				out = append(out, raw...)
			}
		default:
			out = append(out, raw...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for name := range e.Inits {
		if !seen[name] {
			return nil, fmt.Errorf("initializer %q is not in the graph", name)
		}
	}
	keys := make([]string, 0, len(e.Metadata))
	for k := range e.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var p []byte
		p = protowire.AppendTag(p, 1, protowire.BytesType)
		p = protowire.AppendString(p, k)
		p = protowire.AppendTag(p, 2, protowire.BytesType)
		p = protowire.AppendString(p, e.Metadata[k])
		out = protowire.AppendTag(out, 14, protowire.BytesType)
		out = protowire.AppendBytes(out, p)
	}
	return out, nil
}

func rewriteGraph(b []byte, e Edit, seen map[string]bool) ([]byte, error) {
	var out []byte
	node := 0
	outputsDone := false
	err := eachField(b, func(num protowire.Number, typ protowire.Type, raw, v []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			if e.Keep == nil || e.Keep(node) {
				out = append(out, raw...)
			}
			node++
		case num == 5 && typ == protowire.BytesType:
			name, t, err := readTensor(v)
			if err != nil {
				return fmt.Errorf("initializer %q: %w", name, err)
			}
			w, ok := e.Inits[name]
			if !ok {
				out = append(out, raw...)
				return nil
			}
			seen[name] = true
			if t.Floats == nil || len(w) != len(t.Floats) {
				return fmt.Errorf("initializer %q: %d new values for shape %v", name, len(w), t.Dims)
			}
			out = protowire.AppendTag(out, 5, protowire.BytesType)
			out = protowire.AppendBytes(out, floatTensor(name, t.Dims, w))
		case num == 12 && e.Outputs != nil:
			if !outputsDone {
				for _, name := range e.Outputs {
					var p []byte
					p = protowire.AppendTag(p, 1, protowire.BytesType)
					p = protowire.AppendString(p, name)
					out = protowire.AppendTag(out, 12, protowire.BytesType)
					out = protowire.AppendBytes(out, p)
				}
				outputsDone = true
			}
		default:
			out = append(out, raw...)
		}
		return nil
	})
	return out, err
}

// floatTensor encodes a FLOAT TensorProto with raw little-endian data, the
// layout exporters write.
func floatTensor(name string, dims []int, w []float32) []byte {
	var p []byte
	for _, d := range dims {
		p = protowire.AppendTag(p, 1, protowire.VarintType)
		p = protowire.AppendVarint(p, uint64(d))
	}
	p = protowire.AppendTag(p, 2, protowire.VarintType)
	p = protowire.AppendVarint(p, Float)
	p = protowire.AppendTag(p, 8, protowire.BytesType)
	p = protowire.AppendString(p, name)
	raw := make([]byte, 4*len(w))
	for i, f := range w {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
	}
	p = protowire.AppendTag(p, 9, protowire.BytesType)
	return protowire.AppendBytes(p, raw)
}

// eachField calls fn with each field's raw bytes (tag included) and, for
// length-delimited fields, its payload.
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, raw, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("bad protobuf tag: %w", protowire.ParseError(n))
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return fmt.Errorf("bad protobuf field %d: %w", num, protowire.ParseError(m))
		}
		var v []byte
		if typ == protowire.BytesType {
			v, _ = protowire.ConsumeBytes(b[n:])
		}
		if err := fn(num, typ, b[:n+m], v); err != nil {
			return err
		}
		b = b[n+m:]
	}
	return nil
}
