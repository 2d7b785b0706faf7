//go:build !goexperiment.simd || !amd64 || !go1.27

package main

// simdPeak is unknown without GOEXPERIMENT=simd on amd64.
func simdPeak() (float64, string) { return 0, "" }
