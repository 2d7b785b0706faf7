package main

import (
	"fmt"
	"os"
	"path/filepath"

	"myoseg/core/nn/engine"
	"myoseg/core/nn/engine/gorgonnx"
	"myoseg/core/nn/onnxmodel"
	"myoseg/core/pipeline"
	"myoseg/models"
)

// Engines that run the model natively. fast (core/nn/executor) is the default;
// gorgonnx (onnx-go + gorgonia) is the reference it is checked against, and
// the engine of the cuda build.
const (
	engineFast     = "fast"
	engineGorgonnx = "gorgonnx"
)

// loadSegmenter reads the model at path (the embedded default when path is
// empty) and builds the default engine with one runner per worker.
func loadSegmenter(path string, workers int) (*pipeline.Segmenter, error) {
	return loadSegmenterWith(path, defaultEngine, workers)
}

// loadSegmenterWith is loadSegmenter with a named engine.
func loadSegmenterWith(path, engineName string, workers int) (*pipeline.Segmenter, error) {
	name, data := models.Default()
	name += ".onnx"
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		name = path
	}
	m, err := onnxmodel.Parse(name, data)
	if err != nil {
		return nil, err
	}
	var eng engine.Engine
	switch engineName {
	case engineFast:
		eng, err = engine.NewFast(m, workers)
	case engineGorgonnx:
		eng, err = gorgonnx.New(m, workers)
	default:
		return nil, fmt.Errorf("unknown engine %q (want %s or %s)", engineName, engineFast, engineGorgonnx)
	}
	if err != nil {
		return nil, err
	}
	return pipeline.New(m, eng), nil
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it into place, so a killed run never leaves a half-written file.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
