//go:build !(goexperiment.simd && (wasm || amd64) && go1.27)

package executor

func deint(dst, src []float32, wp, w int, plan *[12]int) { deintRows(dst, src, wp, w, plan) }
