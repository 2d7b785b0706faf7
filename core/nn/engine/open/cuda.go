//go:build cuda

// The cuda build: gorgonia compiled with -tags cuda runs the operations
// that have CUDA kernels (cuDNN convolution, pooling and activations,
// cuBLAS matrix products, the element-wise kernels cudagen compiles) on
// the GPU, and the rest on the CPU. The engine code is the same
// (gorgonnx.Engine); every graph in the pool gets its own CUDA context.
// Build steps: docs/gpu.md.

package open

import (
	"fmt"
	"runtime"

	"gorgonia.org/cu"
)

// Default is the engine used when none is named: only gorgonia graphs run
// on the GPU.
const Default = Gorgonnx

// Device names what runs engine name: the first CUDA device for gorgonnx
// ("GPU NVIDIA H200 (compute 9.0, 139 GiB, CUDA driver 12040)"), or says
// why there is none. (When the CUDA driver itself cannot start,
// gorgonia.org/cu's init already exits the program with its own message.)
func Device(name string) (string, error) {
	if name != Gorgonnx {
		return "CPU (engine " + name + "; only the gorgonnx engine uses the GPU)", nil
	}
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
	devName, err := dev.Name()
	if err != nil {
		return "", fmt.Errorf("engine: cuda build: device 0 name: %w", err)
	}
	major, minor, err := dev.ComputeCapability()
	if err != nil {
		return "", fmt.Errorf("engine: cuda build: %s compute capability: %w", devName, err)
	}
	mem, err := dev.TotalMem()
	if err != nil {
		return "", fmt.Errorf("engine: cuda build: %s memory: %w", devName, err)
	}
	s := fmt.Sprintf("GPU %s (compute %d.%d, %.0f GiB, CUDA driver %d)", devName, major, minor, float64(mem)/(1<<30), cu.Version())
	if n > 1 {
		s += fmt.Sprintf(", 1 of %d devices used", n)
	}
	return s, nil
}

// Workers is the default number of runners for engine name. On the GPU,
// every gorgonia graph opens its own CUDA context, so a few graphs in
// flight keep it busy while the CPU decodes, post-processes and writes;
// more only add contexts (GPU memory). Other engines: one per core.
func Workers(name string) int {
	if name == Gorgonnx {
		return 4
	}
	return runtime.NumCPU()
}
