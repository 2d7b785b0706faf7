package train

// BenchmarkGorgoniaStep times one training step of the shipped U-Net with
// gorgonia's symbolic differentiation (the alternative docs/adapt.md weighs
// against the hand-written backward kernels of this package). The graph is
// rebuilt from the ONNX weights op by op; cost is BCE on the sigmoid output.

import (
	"fmt"
	"os"
	"testing"

	"myoseg/core/nn/onnxpb"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func gorgoniaStep(b *testing.B, trainLast int) {
	data, err := os.ReadFile("../../../models/myoseg-unet-phantom-v1.onnx")
	if err != nil {
		b.Fatal(err)
	}
	m, err := onnxpb.Read(data)
	if err != nil {
		b.Fatal(err)
	}
	g := G.NewGraph()
	vals := map[string]*G.Node{}
	in := m.Graph.Inputs[0]
	x := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 1, 240, 256), G.WithName(in.Name), G.WithInit(G.GlorotU(1)))
	vals[in.Name] = x
	var learn []*G.Node
	convs := 0
	for _, n := range m.Graph.Nodes {
		if n.Op == "Conv" {
			convs++
		}
	}
	ci := 0
	for _, n := range m.Graph.Nodes {
		var out *G.Node
		var err error
		a := vals[n.Inputs[0]]
		switch n.Op {
		case "Conv":
			ci++
			wt, bt := m.Graph.Inits[n.Inputs[1]], m.Graph.Inits[n.Inputs[2]]
			w := G.NewTensor(g, G.Float32, 4, G.WithShape(wt.Dims...), G.WithName(n.Inputs[1]),
				G.WithValue(tensor.New(tensor.WithShape(wt.Dims...), tensor.WithBacking(append([]float32(nil), wt.Floats...)))))
			bias := G.NewTensor(g, G.Float32, 4, G.WithShape(1, bt.Dims[0], 1, 1), G.WithName(n.Inputs[2]),
				G.WithValue(tensor.New(tensor.WithShape(1, bt.Dims[0], 1, 1), tensor.WithBacking(append([]float32(nil), bt.Floats...)))))
			if ci > convs-trainLast {
				learn = append(learn, w, bias)
			}
			k := n.Attrs["kernel_shape"].Ints
			p := int(n.Attrs["pads"].Ints[0])
			out, err = G.Conv2d(a, w, tensor.Shape{int(k[0]), int(k[1])}, []int{p, p}, []int{1, 1}, []int{1, 1})
			if err == nil {
				out, err = G.BroadcastAdd(out, bias, nil, []byte{0, 2, 3})
			}
		case "Relu":
			out, err = G.Rectify(a)
		case "Sigmoid":
			out, err = G.Sigmoid(a)
		case "MaxPool":
			out, err = G.MaxPool2D(a, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
		case "Reshape":
			var s tensor.Shape
			for _, d := range m.Graph.Inits[n.Inputs[1]].Ints {
				s = append(s, int(d))
			}
			out, err = G.Reshape(a, s)
		case "Transpose":
			var p []int
			for _, d := range n.Attrs["perm"].Ints {
				p = append(p, int(d))
			}
			out, err = G.Transpose(a, p...)
		case "Concat":
			out, err = G.Concat(1, a, vals[n.Inputs[1]])
		default:
			b.Fatalf("op %s", n.Op)
		}
		if err != nil {
			b.Fatalf("%s %s: %v", n.Op, n.Name, err)
		}
		vals[n.Outputs[0]] = out
	}
	prob := vals[m.Graph.Outputs[0].Name]
	y := G.NewTensor(g, G.Float32, 4, G.WithShape(1, 1, 240, 256), G.WithName("target"), G.WithInit(G.Ones()))
	// BCE: -mean(y log p + (1-y) log(1-p)), p kept off 0 and 1.
	eps := G.NewConstant(float32(1e-6))
	one := G.NewConstant(float32(1))
	lp := G.Must(G.Log(G.Must(G.Add(prob, eps))))
	lq := G.Must(G.Log(G.Must(G.Add(G.Must(G.Sub(one, prob)), eps))))
	t1 := G.Must(G.HadamardProd(y, lp))
	t2 := G.Must(G.HadamardProd(G.Must(G.Sub(one, y)), lq))
	cost := G.Must(G.Neg(G.Must(G.Mean(G.Must(G.Add(t1, t2))))))
	if _, err := G.Grad(cost, learn...); err != nil {
		b.Fatalf("grad: %v", err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(learn...))
	defer vm.Close()
	solver := G.NewAdamSolver(G.WithLearnRate(1e-4))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		if err := solver.Step(G.NodesToValueGrads(learn)); err != nil {
			b.Fatal(err)
		}
		vm.Reset()
	}
	b.StopTimer()
	fmt.Fprintf(os.Stderr, "gorgonia last %d convs: %d params tensors\n", trainLast, len(learn))
}

func BenchmarkGorgoniaStepFull(b *testing.B)  { gorgoniaStep(b, 1000) }
func BenchmarkGorgoniaStepLast3(b *testing.B) { gorgoniaStep(b, 3) }
