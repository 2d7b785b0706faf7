//go:build goexperiment.simd && amd64 && go1.27

package executor

import "simd/archsimd"

// deint is deintRows with AVX-512: every 64 input values split into their
// four phases (x mod 4, the sub-rows' columns) by eight two-vector
// permutes instead of a strided copy, which took a tenth of the shipped
// model's time. Tails, rows under 64 columns or with an empty sub-row, and
// machines without AVX-512 take deintRows.
func deint(dst, src []float32, wp, w int, plan *[12]int) {
	if !haveAVX512 || w < 64 {
		deintRows(dst, src, wp, w, plan)
		return
	}
	// Sub-row r takes phase plan[4+r] (0…3): d[k] = in[phase+4k]; n full
	// vectors of each phase come from n blocks of 64 inputs.
	var at [4]int // where each phase starts in a row
	n := w / 64
	for r := 0; r < 4; r++ {
		if plan[8+r] == 0 {
			deintRows(dst, src, wp, w, plan)
			return
		}
		at[plan[4+r]] = plan[r]
		n = min(n, plan[8+r]/16)
	}
	// Pairs of phases from two vectors (lanes 0–7 and 8–15), then one
	// phase from two such pairs.
	p01 := archsimd.LoadUint32x16Array(&[16]uint32{0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29})
	p23 := archsimd.LoadUint32x16Array(&[16]uint32{2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31})
	lo := archsimd.LoadUint32x16Array(&[16]uint32{0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23})
	hi := archsimd.LoadUint32x16Array(&[16]uint32{8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31})
	for y := 0; y*wp < len(dst); y++ {
		row, in := dst[y*wp:][:wp], src[y*w:][:w]
		clear(row)
		d0, d1, d2, d3 := row[at[0]:][:16*n], row[at[1]:][:16*n], row[at[2]:][:16*n], row[at[3]:][:16*n]
		for k := 0; k < n; k++ {
			v := in[64*k:][:64]
			a, b := archsimd.LoadFloat32x16(v[:16]), archsimd.LoadFloat32x16(v[16:32])
			c, d := archsimd.LoadFloat32x16(v[32:48]), archsimd.LoadFloat32x16(v[48:])
			ab01, cd01 := a.ConcatPermute(b, p01), c.ConcatPermute(d, p01)
			ab23, cd23 := a.ConcatPermute(b, p23), c.ConcatPermute(d, p23)
			ab01.ConcatPermute(cd01, lo).Store(d0[16*k:][:16])
			ab01.ConcatPermute(cd01, hi).Store(d1[16*k:][:16])
			ab23.ConcatPermute(cd23, lo).Store(d2[16*k:][:16])
			ab23.ConcatPermute(cd23, hi).Store(d3[16*k:][:16])
		}
		for r := 0; r < 4; r++ {
			d, x0 := row[plan[r]:][:plan[8+r]], plan[4+r]
			for j := 16 * n; j < len(d); j++ {
				d[j] = in[x0+4*j]
			}
		}
	}
}
