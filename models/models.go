// Package models ships the default segmentation model inside the native
// binary: the command line works offline, and the server hands the model
// to the browser page, which downloads it once and keeps it in IndexedDB
// (the wasm does not carry it). models/train/ holds the code that made it.
package models

import _ "embed"

// DefaultName is the shipped model's file stem.
const DefaultName = "myoseg-unet-phantom-v4"

//go:embed myoseg-unet-phantom-v4.onnx
var defaultONNX []byte

//go:embed myoseg-unet-phantom-v4.md
var defaultCard []byte

// Default returns the shipped model's name and ONNX bytes. The slice is
// shared: callers must not modify it.
func Default() (name string, data []byte) { return DefaultName, defaultONNX }

// DefaultCard returns the shipped model's card (Markdown).
func DefaultCard() []byte { return defaultCard }
