// Package onnxmodel reads a segmentation model (ONNX), its preprocessing
// metadata, and refuses, with a reason, any graph that the gorgonnx backend
// of onnx-go v0.5.0 would run wrongly or not at all.
package onnxmodel

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"myoseg/core/nn/onnxpb"
)

// Info describes a model: where it came from and how to feed it.
type Info struct {
	Name      string
	TrainedOn string
	Warning   string
	Card      string
	Resize    string // "area"
	InputH    int
	InputW    int
	Mean, Std float32 // input = (grey/255 − Mean) / Std, unless PerImage
	// PerImage: the input is standardised per image instead, with the
	// mean and SD of grey/255 over the whole input grid (KeyNorm "image").
	PerImage  bool
	Threshold float32
	Opset     int64
	SHA256    string
	MACs      int64 // multiply-accumulates of one run; -1 if unknown
	Params    int64 // weights and biases
	Nodes     int
	Bytes     int // size of the ONNX file
}

// Model is a parsed, validated model file.
type Model struct {
	Info  Info
	Bytes []byte // the ONNX file, for the engine
	graph *onnxpb.Model
}

// Graph is the file as Parse read it, for an engine to compile without
// reading it again (read only: it is shared).
func (m *Model) Graph() *onnxpb.Model { return m.graph }

// MaxBytes bounds the model file: the browser downloads it, and gorgonnx
// holds several copies in memory.
const MaxBytes = 64 << 20

// Metadata keys (docs/architecture.md, "Model contract").
const (
	KeyName      = "myoseg.name"
	KeyHeight    = "myoseg.input_height"
	KeyWidth     = "myoseg.input_width"
	KeyResize    = "myoseg.resize"
	KeyMean      = "myoseg.norm_mean"
	KeyStd       = "myoseg.norm_std"
	KeyNorm      = "myoseg.norm" // "fixed" (default) or "image"
	KeyThreshold = "myoseg.threshold"
	KeyTrainedOn = "myoseg.trained_on"
	KeyWarning   = "myoseg.warning"
	KeyCard      = "myoseg.card"
)

// Parse reads and validates an ONNX model. name is used in errors.
func Parse(name string, data []byte) (*Model, error) {
	return parse(name, data, SHA256(data))
}

// MismatchError refuses a file whose SHA-256 is not the expected one.
type MismatchError struct{ Got, Want string }

func (e *MismatchError) Error() string {
	return fmt.Sprintf("SHA-256 %s, want %s", e.Got, e.Want)
}

// ParseSHA256 is Parse of a file that must have the SHA-256 want (hex), as
// named by a model index or a library: another file is refused with a
// *MismatchError before it is read. The file is hashed once, which a
// browser's start-up notices (2 MB at V8's baseline speed).
func ParseSHA256(name string, data []byte, want string) (*Model, error) {
	got := SHA256(data)
	if got != want {
		return nil, &MismatchError{Got: got, Want: want}
	}
	return parse(name, data, got)
}

// parse is Parse of data whose SHA-256 is sum.
func parse(name string, data []byte, sum string) (m *Model, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("model: %s: %w", name, err)
		}
	}()
	if len(data) == 0 {
		return nil, fmt.Errorf("empty file")
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%d bytes is over the %d MB limit", len(data), MaxBytes>>20)
	}
	mp, err := onnxpb.Read(data)
	if err != nil {
		return nil, fmt.Errorf("not an ONNX model: %w", err)
	}
	if mp.Graph == nil || len(mp.Graph.Nodes) == 0 || mp.IRVersion == 0 {
		return nil, fmt.Errorf("not an ONNX model: no graph or IR version")
	}
	info, err := readInfo(mp)
	if err != nil {
		return nil, err
	}
	if err := validate(mp, &info); err != nil {
		return nil, err
	}
	info.SHA256 = sum
	info.Bytes = len(data)
	info.Nodes = len(mp.Graph.Nodes)
	for _, t := range mp.Graph.Inits {
		info.Params += int64(t.Elements())
	}
	info.MACs = countMACs(mp.Graph, info.InputH, info.InputW)
	return &Model{Info: info, Bytes: data, graph: mp}, nil
}

// SHA256 is a model file's identity: its SHA-256, in hex. It hashes in
// 32 KiB pieces for the browser's sake: V8 first runs code in its
// baseline tier and optimises a function only for its next call, so one
// call over a 2 MB model would hash it all at baseline speed.
func SHA256(data []byte) string {
	h := sha256.New()
	for len(data) > 0 {
		n := min(len(data), 32<<10)
		h.Write(data[:n])
		data = data[n:]
	}
	return hex.EncodeToString(h.Sum(nil))
}

func readInfo(mp *onnxpb.Model) (Info, error) {
	md := mp.Metadata
	req := func(k string) (string, error) {
		v, ok := md[k]
		if !ok || strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("metadata_props lacks %q: the model must say how it was trained to be fed (see docs/architecture.md)", k)
		}
		return v, nil
	}
	num := func(k string, bits int) (float64, error) {
		s, err := req(k)
		if err != nil {
			return 0, err
		}
		v, err := strconv.ParseFloat(s, bits)
		if err != nil {
			return 0, fmt.Errorf("metadata %q: %w", k, err)
		}
		return v, nil
	}
	var in Info
	var err error
	if in.Name, err = req(KeyName); err != nil {
		return in, err
	}
	var h, w, mean, std, thr float64
	for _, f := range []struct {
		key string
		dst *float64
	}{{KeyHeight, &h}, {KeyWidth, &w}, {KeyMean, &mean}, {KeyStd, &std}, {KeyThreshold, &thr}} {
		if *f.dst, err = num(f.key, 64); err != nil {
			return in, err
		}
	}
	if h < 16 || w < 16 || h > 4096 || w > 4096 || h != float64(int(h)) || w != float64(int(w)) {
		return in, fmt.Errorf("metadata input size %g×%g is not a whole size between 16 and 4096", h, w)
	}
	if !(std > 0) {
		return in, fmt.Errorf("metadata %q must be positive, got %g", KeyStd, std)
	}
	if !(thr > 0 && thr < 1) {
		return in, fmt.Errorf("metadata %q must lie in (0, 1), got %g", KeyThreshold, thr)
	}
	in.InputH, in.InputW = int(h), int(w)
	in.Mean, in.Std, in.Threshold = float32(mean), float32(std), float32(thr)
	switch md[KeyNorm] {
	case "", "fixed":
	case "image":
		in.PerImage = true
	default:
		return in, fmt.Errorf("metadata %q = %q: want \"fixed\" or \"image\"", KeyNorm, md[KeyNorm])
	}
	in.Resize = md[KeyResize]
	if in.Resize == "" {
		in.Resize = "area"
	}
	if in.Resize != "area" {
		return in, fmt.Errorf("metadata %q = %q: only \"area\" is implemented", KeyResize, in.Resize)
	}
	in.TrainedOn = md[KeyTrainedOn]
	in.Warning = md[KeyWarning]
	in.Card = md[KeyCard]
	if in.TrainedOn == "" {
		in.TrainedOn = "not stated by the model file"
	}
	return in, nil
}

// Ops that gorgonnx v0.5.0 runs correctly for our use.
var supported = map[string]bool{
	"Conv": true, "Relu": true, "LeakyRelu": true, "Sigmoid": true, "Tanh": true,
	"MaxPool": true, "Concat": true, "Reshape": true, "Transpose": true,
	"Add": true, "Sub": true, "Mul": true, "Div": true, "BatchNormalization": true,
	"Identity": true, "Dropout": true, "Squeeze": true, "Unsqueeze": true,
	"GlobalAveragePool": true, "Softmax": true, "Flatten": true,
}

// Why gorgonnx v0.5.0 cannot run an op (measured; see docs/architecture.md).
var unsupportedWhy = map[string]string{
	"Gemm":            "gorgonnx's Gemm writes into its bias, so results drift from run to run",
	"Resize":          "not implemented by gorgonnx; upsample with a 1×1 Conv and a Reshape→Transpose→Reshape pixel shuffle",
	"Upsample":        "not implemented by gorgonnx; use a pixel shuffle",
	"ConvTranspose":   "not implemented by gorgonnx; use a 1×1 Conv and a pixel shuffle",
	"Pad":             "not implemented by gorgonnx; use Conv's own symmetric pads",
	"Slice":           "not implemented by gorgonnx",
	"Clip":            "not implemented by gorgonnx",
	"Shape":           "dynamic shapes are not supported; export with static shapes",
	"Gather":          "not implemented by gorgonnx",
	"ConstantOfShape": "dynamic shapes are not supported; export with static shapes",
}

func validate(mp *onnxpb.Model, info *Info) error {
	opset, ok := mp.Opsets[""]
	if !ok {
		opset, ok = mp.Opsets["ai.onnx"]
	}
	if !ok {
		return fmt.Errorf("no default-domain opset import")
	}
	if opset > 12 {
		return fmt.Errorf("opset %d: gorgonnx needs opset ≤ 12 (Squeeze/Unsqueeze axes as attributes); export with opset_version=11", opset)
	}
	info.Opset = opset
	g := mp.Graph
	var inputs []onnxpb.Value
	for _, vi := range g.Inputs {
		if _, isWeight := g.Inits[vi.Name]; !isWeight {
			inputs = append(inputs, vi)
		}
	}
	if len(inputs) != 1 || len(g.Outputs) != 1 {
		return fmt.Errorf("want one image input and one output, found %d and %d", len(inputs), len(g.Outputs))
	}
	want := []int{1, 1, info.InputH, info.InputW}
	for _, vi := range []onnxpb.Value{inputs[0], g.Outputs[0]} {
		if !slices.Equal(vi.Dims, want) {
			return fmt.Errorf("tensor %q has shape %v; the metadata says %v (static 1×1×H×W, no symbolic dimensions)", vi.Name, vi.Dims, want)
		}
	}
	for i, n := range g.Nodes {
		if err := validateNode(n, g); err != nil {
			return fmt.Errorf("node %d (%s %q): %w", i, n.Op, n.Name, err)
		}
	}
	return nil
}

// validateNode checks one node. Its errors get the node's place from the
// caller: formatting that place up front for every node made fmt hot
// enough for V8 to optimise it during a browser's model load.
func validateNode(n onnxpb.Node, g *onnxpb.Graph) error {
	if why, bad := unsupportedWhy[n.Op]; bad {
		return errors.New(why)
	}
	if !supported[n.Op] {
		return fmt.Errorf("op %s is not run correctly by the gorgonia backend", n.Op)
	}
	seen := map[string]bool{}
	for _, in := range n.Inputs {
		if in != "" && seen[in] {
			return fmt.Errorf("takes %q twice; gorgonnx silently sees only one copy (e.g. Concat(x,x), Mul(x,x))", in)
		}
		seen[in] = true
	}
	switch n.Op {
	case "Conv":
		if a, ok := n.Attrs["group"]; ok && a.I != 1 {
			return fmt.Errorf("group=%d: gorgonnx ignores group", a.I)
		}
		if a, ok := n.Attrs["auto_pad"]; ok && a.S != "NOTSET" && a.S != "" {
			return fmt.Errorf("auto_pad=%s: export explicit symmetric pads", a.S)
		}
		if p := n.Attrs["pads"].Ints; len(p) > 0 {
			for _, v := range p {
				if v != p[0] {
					return fmt.Errorf("pads %v: gorgonnx only takes equal pads on all sides", p)
				}
			}
		}
		if w, ok := g.Inits[inputName(n, 1)]; !ok || len(w.Dims) != 4 {
			return fmt.Errorf("weights must be a 4-D initializer")
		}
	case "MaxPool":
		if p := n.Attrs["pads"].Ints; len(p) > 0 {
			for _, v := range p {
				if v != p[0] {
					return fmt.Errorf("pads %v: gorgonnx only takes equal pads", p)
				}
			}
		}
	case "Reshape":
		shape, ok := g.Inits[inputName(n, 1)]
		if !ok || shape.Ints == nil {
			return fmt.Errorf("target shape must be a constant int64 initializer")
		}
		for _, d := range shape.Ints {
			if d <= 0 {
				return fmt.Errorf("target shape %v has %d: gorgonnx fails on -1/0 when reshaping into more dimensions; export static shapes", shape.Ints, d)
			}
		}
	case "Squeeze", "Unsqueeze":
		if len(n.Inputs) > 1 {
			return fmt.Errorf("axes given as an input: gorgonnx needs them as an attribute (opset ≤ 12)")
		}
	}
	return nil
}

func inputName(n onnxpb.Node, i int) string {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return ""
}
