package main

import (
	"fmt"
	"os"
	"path/filepath"

	"myoseg/core/engine"
	"myoseg/core/model"
	"myoseg/core/pipeline"
	"myoseg/models"
)

// loadSegmenter reads the model at path (the embedded default when path is
// empty) and builds a gorgonnx engine with one graph per worker.
func loadSegmenter(path string, workers int) (*pipeline.Segmenter, error) {
	name, data := models.Default()
	name += ".onnx"
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		name = path
	}
	m, err := model.Parse(name, data)
	if err != nil {
		return nil, err
	}
	eng, err := engine.NewGorgonnx(m, workers)
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
