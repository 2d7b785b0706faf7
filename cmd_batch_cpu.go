//go:build !cuda

package main

import "runtime"

// accelerator names what runs the model in this build: the CPU, with the
// named engine. The cuda build (cmd_batch_cuda.go, docs/gpu.md) names the
// GPU instead.
func accelerator(engineName string) (string, error) {
	return "CPU (engine " + engineName + ")", nil
}

// defaultWorkers is one worker (one model runner) per core.
func defaultWorkers() int { return runtime.NumCPU() }
