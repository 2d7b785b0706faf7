//go:build !(goexperiment.simd && wasm && go1.27)

package train

// The GEMMs' inner loops, scalar. kernels_wasm.go has the SIMD128 ones for
// the browser (GOEXPERIMENT=simd, Go 1.27).

// axpy4 adds w0·c, w1·c, w2·c, w3·c to four output rows.
func axpy4(y0, y1, y2, y3, c []float32, w0, w1, w2, w3 float32) {
	y0, y1, y2, y3 = y0[:len(c)], y1[:len(c)], y2[:len(c)], y3[:len(c)]
	for p, v := range c {
		y0[p] += w0 * v
		y1[p] += w1 * v
		y2[p] += w2 * v
		y3[p] += w3 * v
	}
}

// dot4 is the dot product of c with four rows.
func dot4(d0, d1, d2, d3, c []float32) (s0, s1, s2, s3 float32) {
	d0, d1, d2, d3 = d0[:len(c)], d1[:len(c)], d2[:len(c)], d3[:len(c)]
	for p, v := range c {
		s0 += d0[p] * v
		s1 += d1[p] * v
		s2 += d2[p] * v
		s3 += d3[p] * v
	}
	return
}

// sum4 adds w0·d0 + w1·d1 + w2·d2 + w3·d3 to dc.
func sum4(dc, d0, d1, d2, d3 []float32, w0, w1, w2, w3 float32) {
	d0, d1, d2, d3 = d0[:len(dc)], d1[:len(dc)], d2[:len(dc)], d3[:len(dc)]
	for p := range dc {
		dc[p] += w0*d0[p] + w1*d1[p] + w2*d2[p] + w3*d3[p]
	}
}
