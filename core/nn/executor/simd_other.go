//go:build !goexperiment.simd || !go1.27 || !(amd64 || wasm)

package executor

// Without GOEXPERIMENT=simd (or on other architectures) every kernel is
// the portable scalar one.

// SIMD names the vector kernels in use ("" for the portable scalar path).
func SIMD() string { return "" }

// vecWinograd: whether a 3×3 convolution uses Winograd with vector kernels.
func vecWinograd(*convStep) bool { return false }

func simdRows(*convStep, []float32, []float32) bool                     { return false }
func gemmVec([]float32, []float32, []int32, int, []float32) int         { return 0 }
func (w *winograd) input4Vec(*convStep, []float32, []float32) int       { return 0 }
func (w *winograd) output4Vec(*convStep, []float32, []float32, int) int { return 0 }
func maxPool2Vec([]float32, []float32, []float32) int                   { return 0 }
