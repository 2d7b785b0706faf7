//go:build js

package open

import (
	"myoseg/core/nn/engine"
	"myoseg/core/nn/onnxmodel"
)

// newGorgonnx is nil in the browser: the page runs only the fast engine,
// and gorgonia would add megabytes to the wasm every visitor downloads.
var newGorgonnx func(m *onnxmodel.Model, workers int) (engine.Engine, error)
