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
	"myoseg/wasm/startup"
)

func main() {
	startup.Begin()
	var r *executor.Runner
	var in []float32
	var buf []byte
	api := js.Global().Get("Object").New()
	api.Set("load", js.FuncOf(func(_ js.Value, a []js.Value) any {
		b := make([]byte, a[0].Get("length").Int())
		js.CopyBytesToGo(b, a[0])
		m, err := onnxmodel.Parse("model.onnx", b)
		if err != nil {
			return err.Error()
		}
		net, err := executor.CompileRead(m.Info.Name, m.Graph(), executor.Options{})
		if err != nil {
			return err.Error()
		}
		r = net.NewRunner()
		n := m.Info.InputH * m.Info.InputW
		in, buf = make([]float32, n), make([]byte, 4*n)
		return ""
	}))
	api.Set("infer", js.FuncOf(func(_ js.Value, a []js.Value) any {
		if r == nil || a[0].Get("length").Int() != len(in) {
			return js.Global().Get("Error").New("myosegBench: load a model first, then pass H×W values")
		}
		// Float32Array → bytes → float32 (CopyBytesToGo takes Uint8Array).
		js.CopyBytesToGo(buf, js.Global().Get("Uint8Array").New(a[0].Get("buffer"), a[0].Get("byteOffset"), len(buf)))
		getFloats(in, buf)
		out, err := r.Run(in)
		if err != nil {
			return js.Global().Get("Error").New(err.Error())
		}
		ob := make([]byte, 4*len(out))
		putFloats(ob, out)
		res := js.Global().Get("Uint8Array").New(len(ob))
		js.CopyBytesToJS(res, ob)
		startup.End()
		return js.Global().Get("Float32Array").New(res.Get("buffer"))
	}))
	js.Global().Set("myosegBench", api)
	select {}
}
