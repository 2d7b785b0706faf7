//go:build cuda

package main

import "myoseg/core/nn/engine/gorgonnx"

// accelerator names the GPU that runs the model in the cuda build, and
// fails when there is none. (When the CUDA driver itself cannot start,
// gorgonia.org/cu's init already exits the program with its own message.)
// Only gorgonia graphs run on the GPU: another engine runs on the CPU.
func accelerator(engineName string) (string, error) {
	if engineName != engineGorgonnx {
		return "CPU (engine " + engineName + "; only the gorgonnx engine uses the GPU)", nil
	}
	return gorgonnx.CUDADevice()
}

// defaultWorkers: every gorgonia graph opens its own CUDA context on the
// GPU, so a few graphs in flight keep it busy while the CPU decodes,
// post-processes and writes; more only add contexts (GPU memory).
func defaultWorkers() int { return 4 }
