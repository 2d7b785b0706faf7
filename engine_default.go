//go:build !cuda

package main

// defaultEngine runs the model on the CPU with core/nn/executor.
const defaultEngine = engineFast
