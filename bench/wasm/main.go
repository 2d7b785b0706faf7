//go:build js && wasm

// Command wasm is the benchmark's wasm entry: core/nn/executor on a model, with
// nothing else (no app shim, no gorgonnx), exposed as globalThis.myosegBench:
//
//	load(modelBytes: Uint8Array) → error string or ""
//	infer(input: Float32Array) → Float32Array (a copy), or throws
package main

import (
	"syscall/js"

	"myoseg/core/nn/executor"
	"myoseg/core/nn/onnxmodel"
)

func main() {
	var r *executor.Runner
	var n int
	api := js.Global().Get("Object").New()
	api.Set("load", js.FuncOf(func(_ js.Value, a []js.Value) any {
		b := make([]byte, a[0].Get("length").Int())
		js.CopyBytesToGo(b, a[0])
		m, err := onnxmodel.Parse("model.onnx", b)
		if err != nil {
			return err.Error()
		}
		net, err := executor.Compile(m.Info.Name, m.Bytes, executor.Options{})
		if err != nil {
			return err.Error()
		}
		r, n = net.NewRunner(), m.Info.InputH*m.Info.InputW
		return ""
	}))
	in := make([]float32, 0)
	api.Set("infer", js.FuncOf(func(_ js.Value, a []js.Value) any {
		if r == nil || a[0].Get("length").Int() != n {
			return js.Global().Get("Error").New("myosegBench: load a model first, then pass H×W values")
		}
		in = in[:0]
		// Float32Array → bytes → float32 (CopyBytesToGo takes Uint8Array).
		u8 := js.Global().Get("Uint8Array").New(a[0].Get("buffer"), a[0].Get("byteOffset"), 4*n)
		buf := make([]byte, 4*n)
		js.CopyBytesToGo(buf, u8)
		for i := 0; i < n; i++ {
			in = append(in, float32frombytes(buf[4*i:]))
		}
		out, err := r.Run(in)
		if err != nil {
			return js.Global().Get("Error").New(err.Error())
		}
		ob := make([]byte, 4*len(out))
		for i, v := range out {
			putFloat32(ob[4*i:], v)
		}
		res := js.Global().Get("Uint8Array").New(len(ob))
		js.CopyBytesToJS(res, ob)
		return js.Global().Get("Float32Array").New(res.Get("buffer"))
	}))
	js.Global().Set("myosegBench", api)
	select {}
}
