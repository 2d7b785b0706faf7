//go:build goexperiment.simd && wasm && go1.27

#include "textflag.h"

// The loops of kern4x8v and kern4x4v (simd_wasm.go) in WebAssembly.
// Go's compiler keeps addresses in i64 with a wrap at every access, spills
// an accumulator to its stack every tap and gives kern4x8v's loop about 40
// instructions for 16 vector operations; here every vector lives in a wasm
// local, and the loop is the taps' loads, the broadcasts and the
// multiply-adds. Each is a multiply then an add in the Go kernels' order,
// so the results are bit for bit theirs. The caller has checked every
// address (taps).
//
// Registers: R0 the tap's 4 weights, R1 p, R2 the tap's offset, R3 taps
// left, R4 the tap's address, R5 c; V0–V7 accumulators, V8–V9 pixels,
// V10 a broadcast weight.
//
// Go's assembler reads a one-operand V128Store's offset as its source and
// drops it (V128Store is missing from its list of stores): a store with an
// offset is written "V128Store $0, $offset".

// func kern4x8(w, p *float32, off *int32, n int, c *[8]f32x4)
// c[i] += w[k][i]·p[off[k]:][0:4], c[4+i] += w[k][i]·p[off[k]:][4:8], k < n.
TEXT ·kern4x8(SB), NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD p+8(FP), R1
	MOVD off+16(FP), R2
	MOVD n+24(FP), R3

	F32Const $(0.0)
	F32x4Splat
	Tee V0
	Tee V1
	Tee V2
	Tee V3
	Tee V4
	Tee V5
	Tee V6
	Set V7

	Block
	Get R3
	I64Eqz
	BrIf $0
	Loop
		// V8, V9: the tap's 8 pixels at p + 4·off[k]
		Get R2
		I32WrapI64
		I64Load32S $0
		I64Const $2
		I64Shl
		Get R1
		I64Add
		Tee R4
		I32WrapI64
		V128Load $0
		Set V8
		Get R4
		I32WrapI64
		V128Load $16
		Set V9
		// channel 0: V10 = w[k][0] in every lane
		Get R0
		I32WrapI64
		F32Load $0
		F32x4Splat
		Set V10
		Get V0
		Get V10
		Get V8
		F32x4Mul
		F32x4Add
		Set V0
		Get V4
		Get V10
		Get V9
		F32x4Mul
		F32x4Add
		Set V4
		// channel 1: V10 = w[k][1] in every lane
		Get R0
		I32WrapI64
		F32Load $4
		F32x4Splat
		Set V10
		Get V1
		Get V10
		Get V8
		F32x4Mul
		F32x4Add
		Set V1
		Get V5
		Get V10
		Get V9
		F32x4Mul
		F32x4Add
		Set V5
		// channel 2: V10 = w[k][2] in every lane
		Get R0
		I32WrapI64
		F32Load $8
		F32x4Splat
		Set V10
		Get V2
		Get V10
		Get V8
		F32x4Mul
		F32x4Add
		Set V2
		Get V6
		Get V10
		Get V9
		F32x4Mul
		F32x4Add
		Set V6
		// channel 3: V10 = w[k][3] in every lane
		Get R0
		I32WrapI64
		F32Load $12
		F32x4Splat
		Set V10
		Get V3
		Get V10
		Get V8
		F32x4Mul
		F32x4Add
		Set V3
		Get V7
		Get V10
		Get V9
		F32x4Mul
		F32x4Add
		Set V7
		// next tap
		Get R0
		I64Const $16
		I64Add
		Set R0
		Get R2
		I64Const $4
		I64Add
		Set R2
		Get R3
		I64Const $1
		I64Sub
		Tee R3
		I64Eqz
		I32Eqz
		BrIf $0
	End
	End

	MOVD c+32(FP), R5
	Get R5
	I32WrapI64
	Get V0
	V128Store $0, $0
	Get R5
	I32WrapI64
	Get V1
	V128Store $0, $16
	Get R5
	I32WrapI64
	Get V2
	V128Store $0, $32
	Get R5
	I32WrapI64
	Get V3
	V128Store $0, $48
	Get R5
	I32WrapI64
	Get V4
	V128Store $0, $64
	Get R5
	I32WrapI64
	Get V5
	V128Store $0, $80
	Get R5
	I32WrapI64
	Get V6
	V128Store $0, $96
	Get R5
	I32WrapI64
	Get V7
	V128Store $0, $112
	RET

// func kern4x4asm(w, p *float32, off *int32, n int, c *[4]f32x4)
// c[i] += w[k][i]·p[off[k]:][0:4], k < n.
TEXT ·kern4x4asm(SB), NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD p+8(FP), R1
	MOVD off+16(FP), R2
	MOVD n+24(FP), R3

	F32Const $(0.0)
	F32x4Splat
	Tee V0
	Tee V1
	Tee V2
	Set V3

	Block
	Get R3
	I64Eqz
	BrIf $0
	Loop
		// V8: the tap's 4 pixels at p + 4·off[k]
		Get R2
		I32WrapI64
		I64Load32S $0
		I64Const $2
		I64Shl
		Get R1
		I64Add
		I32WrapI64
		V128Load $0
		Set V8
		// channel 0: V10 = w[k][0] in every lane
		Get R0
		I32WrapI64
		F32Load $0
		F32x4Splat
		Set V10
		Get V0
		Get V10
		Get V8
		F32x4Mul
		F32x4Add
		Set V0
		// channel 1: V10 = w[k][1] in every lane
		Get R0
		I32WrapI64
		F32Load $4
		F32x4Splat
		Set V10
		Get V1
		Get V10
		Get V8
		F32x4Mul
		F32x4Add
		Set V1
		// channel 2: V10 = w[k][2] in every lane
		Get R0
		I32WrapI64
		F32Load $8
		F32x4Splat
		Set V10
		Get V2
		Get V10
		Get V8
		F32x4Mul
		F32x4Add
		Set V2
		// channel 3: V10 = w[k][3] in every lane
		Get R0
		I32WrapI64
		F32Load $12
		F32x4Splat
		Set V10
		Get V3
		Get V10
		Get V8
		F32x4Mul
		F32x4Add
		Set V3
		// next tap
		Get R0
		I64Const $16
		I64Add
		Set R0
		Get R2
		I64Const $4
		I64Add
		Set R2
		Get R3
		I64Const $1
		I64Sub
		Tee R3
		I64Eqz
		I32Eqz
		BrIf $0
	End
	End

	MOVD c+32(FP), R5
	Get R5
	I32WrapI64
	Get V0
	V128Store $0, $0
	Get R5
	I32WrapI64
	Get V1
	V128Store $0, $16
	Get R5
	I32WrapI64
	Get V2
	V128Store $0, $32
	Get R5
	I32WrapI64
	Get V3
	V128Store $0, $48
	RET
