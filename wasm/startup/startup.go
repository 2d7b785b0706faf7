// Package startup is what a browser entry point does for a fast first
// result: Begin when it starts, End after its first result.
//
// In the browser, V8 runs each wasm function first in its baseline tier
// (Liftoff), compiled on the main thread at its first call, and optimises
// it (TurboFan) in the background once the function has run enough; the
// optimised code serves the function's next call. Measured in Chromium
// on the 2-core machine (docs/performance.md, "Start-up"):
//
//   - A loop that runs once over a whole input never leaves the baseline
//     tier. The start-up's long loops therefore live in small functions
//     called many times: onnxmodel.SHA256 (32 KiB pieces), the executor's
//     winoWeights and packChannel (one output channel), onnxpb's
//     decodeFloats (one tensor).
//   - V8 optimises a large Go function after few calls (Go branches back
//     to a loop around the whole function body at each jump), and that
//     costs a core for 100–400 ms, which two cores cannot spare during
//     start-up. So no large function should run often during start-up:
//     no fmt per node or layer, and no garbage collection.
//
// Begin turns the garbage collector off: a collection during start-up
// runs the collector's code for the first time, slowly, and gets it
// optimised. Start-up garbage is a few MB (the model's parse); a memory
// limit still collects past Limit, and End comes by itself after MaxOff.
package startup

import (
	"math"
	"runtime/debug"
	"sync"
	"time"
)

const (
	Limit  = 256 << 20        // bytes: the collector runs past this even before End
	MaxOff = 30 * time.Second // End's latest time after Begin
)

var end sync.Once

// Begin turns the garbage collector off until End.
func Begin() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(Limit)
	time.AfterFunc(MaxOff, End)
}

// End turns the garbage collector back on (GOGC=100, no memory limit);
// later calls do nothing.
func End() {
	end.Do(func() {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	})
}
