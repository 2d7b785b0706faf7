//go:build js && wasm

package main

import (
	"encoding/binary"
	"math"
)

// getFloats and putFloats convert little-endian bytes and float32s. They
// are functions of their own so that V8 optimises these loops alone, not
// the closures that call them (see myoseg/wasm/startup).
func getFloats(dst []float32, b []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

func putFloats(b []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
}
