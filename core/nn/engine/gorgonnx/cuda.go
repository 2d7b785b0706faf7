//go:build cuda

// The cuda build: gorgonia compiled with -tags cuda runs the operations
// that have CUDA kernels (cuDNN convolution, pooling and activations,
// cuBLAS matrix products, the element-wise kernels cudagen compiles) on
// the GPU, and the rest on the CPU. The engine code is the same
// (gorgonnx.Engine); every graph in the pool gets its own CUDA context. Build
// steps: docs/gpu.md.

package gorgonnx

import (
	"fmt"

	"gorgonia.org/cu"
)

// CUDADevice describes the first CUDA device ("NVIDIA H200, compute 9.0,
// 139 GiB, driver 12040"), or says why there is none.
func CUDADevice() (string, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return "", fmt.Errorf("engine: cuda build: cannot query CUDA devices (driver installed? libcuda loadable?): %w", err)
	}
	if n == 0 {
		return "", fmt.Errorf("engine: cuda build: no CUDA device found; use the CPU build (without -tags cuda)")
	}
	dev, err := cu.GetDevice(0)
	if err != nil {
		return "", fmt.Errorf("engine: cuda build: device 0: %w", err)
	}
	name, err := dev.Name()
	if err != nil {
		return "", fmt.Errorf("engine: cuda build: device 0 name: %w", err)
	}
	major, minor, err := dev.ComputeCapability()
	if err != nil {
		return "", fmt.Errorf("engine: cuda build: %s compute capability: %w", name, err)
	}
	mem, err := dev.TotalMem()
	if err != nil {
		return "", fmt.Errorf("engine: cuda build: %s memory: %w", name, err)
	}
	s := fmt.Sprintf("GPU %s (compute %d.%d, %.0f GiB, CUDA driver %d)", name, major, minor, float64(mem)/(1<<30), cu.Version())
	if n > 1 {
		s += fmt.Sprintf(", 1 of %d devices used", n)
	}
	return s, nil
}
