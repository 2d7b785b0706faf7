package onnxmodel

import "myoseg/core/nn/onnxpb"

// countMACs infers shapes through the graph for the ops a segmentation net
// uses and adds up multiply-accumulates (Conv only: everything else is
// linear-time memory work). It returns -1 when it meets an op whose output
// shape it cannot infer.
func countMACs(g *onnxpb.Graph, h, w int) int64 {
	shapes := map[string][]int64{}
	for name, t := range g.Inits {
		shapes[name] = int64s(t.Dims)
	}
	for _, vi := range g.Inputs {
		if _, ok := shapes[vi.Name]; !ok {
			shapes[vi.Name] = []int64{1, 1, int64(h), int64(w)}
		}
	}
	var macs int64
	for _, n := range g.Nodes {
		in := shapes[inputName(n, 0)]
		if in == nil || len(n.Outputs) == 0 {
			return -1
		}
		var out []int64
		switch n.Op {
		case "Conv", "MaxPool":
			if len(in) != 4 {
				return -1
			}
			k := n.Attrs["kernel_shape"].Ints
			var cout int64
			if n.Op == "Conv" {
				wt := shapes[inputName(n, 1)]
				if len(wt) != 4 {
					return -1
				}
				cout, k = wt[0], wt[2:]
			} else {
				cout = in[1]
			}
			if len(k) != 2 {
				return -1
			}
			pads := n.Attrs["pads"].Ints
			strides := n.Attrs["strides"].Ints
			dil := n.Attrs["dilations"].Ints
			out = []int64{in[0], cout, 0, 0}
			for i := 0; i < 2; i++ {
				p, s, d := int64(0), int64(1), int64(1)
				if len(pads) == 4 {
					p = pads[i] + pads[i+2]
				}
				if len(strides) == 2 {
					s = strides[i]
				}
				if len(dil) == 2 {
					d = dil[i]
				}
				out[2+i] = (in[2+i]+p-d*(k[i]-1)-1)/s + 1
			}
			if n.Op == "Conv" {
				macs += out[1] * out[2] * out[3] * in[1] * k[0] * k[1]
			}
		case "Concat":
			axis := n.Attrs["axis"].I
			if axis < 0 {
				axis += int64(len(in))
			}
			out = append([]int64(nil), in...)
			for _, name := range n.Inputs[1:] {
				s := shapes[name]
				if len(s) != len(in) || axis >= int64(len(s)) {
					return -1
				}
				out[axis] += s[axis]
			}
		case "Reshape":
			out = g.Inits[inputName(n, 1)].Ints
		case "Transpose":
			perm := n.Attrs["perm"].Ints
			out = make([]int64, len(in))
			for i := range out {
				if len(perm) == len(in) {
					out[i] = in[perm[i]]
				} else {
					out[i] = in[len(in)-1-i]
				}
			}
		case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Add", "Sub", "Mul", "Div",
			"BatchNormalization", "Identity", "Dropout", "Softmax":
			out = in
		default:
			return -1
		}
		shapes[n.Outputs[0]] = out
	}
	return macs
}

func int64s(d []int) []int64 {
	out := make([]int64, len(d))
	for i, v := range d {
		out[i] = int64(v)
	}
	return out
}
