//go:build goexperiment.simd && wasm && go1.27

package train

import "simd/archsimd"

// The GEMMs' inner loops on WebAssembly SIMD128, 4 floats a vector, Mul
// then Add (no FMA): axpy4 and sum4 round exactly as the scalar loops;
// dot4 sums in four lanes, so its last bits differ from the scalar order.

type f32x4 = archsimd.Float32x4

func bcast(v float32) f32x4   { return archsimd.BroadcastFloat32x4(v) }
func load4(s []float32) f32x4 { return archsimd.LoadFloat32x4(s) }

func axpy4(y0, y1, y2, y3, c []float32, w0, w1, w2, w3 float32) {
	n := len(c)
	y0, y1, y2, y3 = y0[:n], y1[:n], y2[:n], y3[:n]
	v0, v1, v2, v3 := bcast(w0), bcast(w1), bcast(w2), bcast(w3)
	p := 0
	for ; p+4 <= n; p += 4 {
		x := load4(c[p : p+4])
		load4(y0[p : p+4]).Add(v0.Mul(x)).Store(y0[p : p+4])
		load4(y1[p : p+4]).Add(v1.Mul(x)).Store(y1[p : p+4])
		load4(y2[p : p+4]).Add(v2.Mul(x)).Store(y2[p : p+4])
		load4(y3[p : p+4]).Add(v3.Mul(x)).Store(y3[p : p+4])
	}
	for ; p < n; p++ {
		v := c[p]
		y0[p] += w0 * v
		y1[p] += w1 * v
		y2[p] += w2 * v
		y3[p] += w3 * v
	}
}

func dot4(d0, d1, d2, d3, c []float32) (s0, s1, s2, s3 float32) {
	n := len(c)
	d0, d1, d2, d3 = d0[:n], d1[:n], d2[:n], d3[:n]
	var a0, a1, a2, a3 f32x4
	p := 0
	for ; p+4 <= n; p += 4 {
		x := load4(c[p : p+4])
		a0 = a0.Add(load4(d0[p : p+4]).Mul(x))
		a1 = a1.Add(load4(d1[p : p+4]).Mul(x))
		a2 = a2.Add(load4(d2[p : p+4]).Mul(x))
		a3 = a3.Add(load4(d3[p : p+4]).Mul(x))
	}
	var h [16]float32
	a0.Store(h[0:4])
	a1.Store(h[4:8])
	a2.Store(h[8:12])
	a3.Store(h[12:16])
	s0 = (h[0] + h[1]) + (h[2] + h[3])
	s1 = (h[4] + h[5]) + (h[6] + h[7])
	s2 = (h[8] + h[9]) + (h[10] + h[11])
	s3 = (h[12] + h[13]) + (h[14] + h[15])
	for ; p < n; p++ {
		v := c[p]
		s0 += d0[p] * v
		s1 += d1[p] * v
		s2 += d2[p] * v
		s3 += d3[p] * v
	}
	return
}

func sum4(dc, d0, d1, d2, d3 []float32, w0, w1, w2, w3 float32) {
	n := len(dc)
	d0, d1, d2, d3 = d0[:n], d1[:n], d2[:n], d3[:n]
	v0, v1, v2, v3 := bcast(w0), bcast(w1), bcast(w2), bcast(w3)
	p := 0
	for ; p+4 <= n; p += 4 {
		t := v0.Mul(load4(d0[p : p+4])).Add(v1.Mul(load4(d1[p : p+4]))).Add(v2.Mul(load4(d2[p : p+4]))).Add(v3.Mul(load4(d3[p : p+4])))
		load4(dc[p : p+4]).Add(t).Store(dc[p : p+4])
	}
	for ; p < n; p++ {
		dc[p] += w0*d0[p] + w1*d1[p] + w2*d2[p] + w3*d3[p]
	}
}
