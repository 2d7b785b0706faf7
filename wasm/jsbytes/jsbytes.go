//go:build js && wasm

// Package jsbytes moves bytes between Go and JavaScript for the wasm entry
// points (the app's worker, the trainer, the reference engine): one copy
// each way, typed arrays only.
package jsbytes

import "syscall/js"

// From copies an ArrayBuffer or typed array into Go; nil for anything else
// (undefined, null, a missing field).
func From(v js.Value) []byte {
	if v.Type() != js.TypeObject {
		return nil
	}
	arr := js.Global().Get("Uint8Array").New(v)
	b := make([]byte, arr.Get("length").Int())
	js.CopyBytesToGo(b, arr)
	return b
}

// To copies b into a new Uint8Array; its .buffer can be transferred.
func To(b []byte) js.Value {
	arr := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(arr, b)
	return arr
}
