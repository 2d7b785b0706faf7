//go:build !js

package open

import (
	"myoseg/core/nn/engine"
	"myoseg/core/nn/engine/gorgonnx"
	"myoseg/core/nn/onnxmodel"
)

// newGorgonnx opens the gorgonnx engine; the browser build (nogorgonnx.go)
// leaves gorgonia out of the download.
var newGorgonnx = func(m *onnxmodel.Model, workers int) (engine.Engine, error) {
	return gorgonnx.New(m, workers)
}
