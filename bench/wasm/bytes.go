//go:build js && wasm

package main

import (
	"encoding/binary"
	"math"
)

func float32frombytes(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
func putFloat32(b []byte, v float32)    { binary.LittleEndian.PutUint32(b, math.Float32bits(v)) }
