//go:build goexperiment.simd && amd64 && go1.27

package main

import (
	"simd/archsimd"
	"time"
)

// simdPeak runs 12 independent vector FMA chains of the widest width.
func simdPeak() (float64, string) {
	const iters = 5_000_000
	if archsimd.X86.AVX512() {
		return bestOf(3, func() float64 {
			m := archsimd.BroadcastFloat32x16(0.9999999)
			c := archsimd.BroadcastFloat32x16(1e-7)
			var a [12]archsimd.Float32x16
			for i := range a {
				a[i] = c
			}
			a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]
			st := time.Now()
			for i := 0; i < iters; i++ {
				a0, a1, a2, a3 = a0.MulAdd(m, c), a1.MulAdd(m, c), a2.MulAdd(m, c), a3.MulAdd(m, c)
				a4, a5, a6, a7 = a4.MulAdd(m, c), a5.MulAdd(m, c), a6.MulAdd(m, c), a7.MulAdd(m, c)
				a8, a9, a10, a11 = a8.MulAdd(m, c), a9.MulAdd(m, c), a10.MulAdd(m, c), a11.MulAdd(m, c)
			}
			el := time.Since(st).Seconds()
			var out [16]float32
			a0.Add(a1).Add(a2).Add(a3).Add(a4).Add(a5).Add(a6).Add(a7).Add(a8).Add(a9).Add(a10).Add(a11).StoreArray(&out)
			sink = out[0]
			return 12 * 16 * 2 * iters / el / 1e9
		}), "avx512 fma"
	}
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		return bestOf(3, func() float64 {
			m := archsimd.BroadcastFloat32x8(0.9999999)
			c := archsimd.BroadcastFloat32x8(1e-7)
			a0, a1, a2, a3, a4, a5, a6, a7, a8, a9 := c, c, c, c, c, c, c, c, c, c
			st := time.Now()
			for i := 0; i < iters; i++ {
				a0, a1, a2, a3, a4 = a0.MulAdd(m, c), a1.MulAdd(m, c), a2.MulAdd(m, c), a3.MulAdd(m, c), a4.MulAdd(m, c)
				a5, a6, a7, a8, a9 = a5.MulAdd(m, c), a6.MulAdd(m, c), a7.MulAdd(m, c), a8.MulAdd(m, c), a9.MulAdd(m, c)
			}
			el := time.Since(st).Seconds()
			var out [8]float32
			a0.Add(a1).Add(a2).Add(a3).Add(a4).Add(a5).Add(a6).Add(a7).Add(a8).Add(a9).StoreArray(&out)
			sink = out[0]
			return 10 * 8 * 2 * iters / el / 1e9
		}), "avx2 fma"
	}
	return 0, ""
}
