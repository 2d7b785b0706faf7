package engine_test

import (
	"testing"

	"myoseg/core/nn/engine"
	"myoseg/core/nn/engine/enginetest"
	"myoseg/core/nn/onnxmodel"
)

func newFast(m *onnxmodel.Model, workers int) (engine.Engine, error) {
	return engine.NewFast(m, workers)
}

func TestFastMatchesHandComputation(t *testing.T) { enginetest.HandComputation(t, newFast) }

func TestFastConcurrent(t *testing.T) { enginetest.Concurrent(t, newFast) }
