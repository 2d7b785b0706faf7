package engine_test

import (
	"testing"

	"myoseg/core/engine"
	"myoseg/core/engine/enginetest"
	"myoseg/core/model"
)

func newFast(m *model.Model, workers int) (engine.Engine, error) { return engine.NewFast(m, workers) }

func TestFastMatchesHandComputation(t *testing.T) { enginetest.HandComputation(t, newFast) }

func TestFastConcurrent(t *testing.T) { enginetest.Concurrent(t, newFast) }
