//go:build !cuda

package open

import "runtime"

// Default is the engine used when none is named: the fast engine, on the CPU.
const Default = Fast

// Device names what runs engine name in this build.
func Device(name string) (string, error) {
	return "CPU (engine " + name + ")", nil
}

// Workers is the default number of runners for engine name: one per core.
func Workers(name string) int { return runtime.NumCPU() }
