//go:build !goexperiment.simd || !amd64 || !go1.27

package executor

// simdRows reports that no SIMD kernel is available on this build.
func simdRows(*convStep, []float32, []float32) bool { return false }

// SIMD names the vector kernels in use ("" for the portable scalar path).
func SIMD() string { return "" }
