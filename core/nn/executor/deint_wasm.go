//go:build goexperiment.simd && wasm && go1.27

package executor

// deint is deintRows in WebAssembly (deintAsm in wino_wasm.s), one call
// per channel: compiled from Go, filling the planes took as long as
// Winograd's transforms. The plan is checked against both rows first.
func deint(dst, src []float32, wp, w int, plan *[12]int) {
	rows := len(dst) / wp
	if rows == 0 {
		return
	}
	_, _ = dst[rows*wp-1], src[rows*w-1]
	for r := 0; r < 4; r++ {
		if n := plan[8+r]; n > 0 && (plan[r] < 0 || plan[r]+n > wp || plan[4+r] < 0 || plan[4+r]+4*(n-1) >= w) {
			panic("executor: deint: plan outside the rows")
		}
	}
	deintAsm(&dst[0], &src[0], rows, wp, w, plan)
}

//go:noescape
func deintAsm(dst, src *float32, rows, wp, w int, plan *[12]int)
