//go:build cuda

package main

// defaultEngine: in the cuda build, gorgonia runs the model on the GPU.
const defaultEngine = engineGorgonnx
