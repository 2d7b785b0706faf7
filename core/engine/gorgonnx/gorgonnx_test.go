package gorgonnx

import (
	"testing"

	"myoseg/core/engine"
	"myoseg/core/engine/enginetest"
	"myoseg/core/model"
)

func newGorgonnx(m *model.Model, workers int) (engine.Engine, error) { return New(m, workers) }

func TestGorgonnxMatchesHandComputation(t *testing.T) {
	enginetest.HandComputation(t, newGorgonnx)
}

func TestGorgonnxConcurrent(t *testing.T) { enginetest.Concurrent(t, newGorgonnx) }
