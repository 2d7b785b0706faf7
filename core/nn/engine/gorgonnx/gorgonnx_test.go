package gorgonnx

import (
	"testing"

	"myoseg/core/nn/engine"
	"myoseg/core/nn/engine/enginetest"
	"myoseg/core/nn/onnxmodel"
)

func newGorgonnx(m *onnxmodel.Model, workers int) (engine.Engine, error) { return New(m, workers) }

func TestGorgonnxMatchesHandComputation(t *testing.T) {
	enginetest.HandComputation(t, newGorgonnx)
}

func TestGorgonnxConcurrent(t *testing.T) { enginetest.Concurrent(t, newGorgonnx) }
