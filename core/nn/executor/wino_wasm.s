//go:build goexperiment.simd && wasm && go1.27

#include "textflag.h"

// Winograd F(4×4,3×3)'s transforms on 4 tiles at once (input4Vec and
// output4Vec in simd_wasm.go), in WebAssembly for the reasons given in
// kern_wasm.s. Each transform is winograd4.go's bt6/at6, with the same
// operations in the same order. The callers have checked every address.

// func wino4In(pc, vc *float32, n, wp, qw, st int, tmp *[36]f32x4)
// input4Vec for one channel: Bᵀ d B of tiles 0…n−1 (n a multiple of 4) of
// one tile row, 4 tiles at a time. pc: the channel's deinterleaved plane
// at the tile row's first row (6 rows of wp floats, sub-rows of qw);
// vc: V at the channel, vc[ξ·st + tile]; tmp: Bᵀ d of 4 tiles.
// R0 pc + 4·tile, R1 vc + 4·tile, R2 steps left, R3 4·wp, R4 4·qw,
// R5 4·st, R6 tmp, R7 a column's address; V0–V5 d, V12–V14 2, 4, 5.
TEXT ·wino4In(SB), NOSPLIT, $0-56
	MOVD pc+0(FP), R0
	MOVD vc+8(FP), R1
	MOVD n+16(FP), R2
	MOVD wp+24(FP), R3
	MOVD qw+32(FP), R4
	MOVD st+40(FP), R5
	MOVD tmp+48(FP), R6
	Get R2
	I64Const $2
	I64ShrU
	Set R2
	Get R3
	I64Const $2
	I64Shl
	Set R3
	Get R4
	I64Const $2
	I64Shl
	Set R4
	Get R5
	I64Const $2
	I64Shl
	Set R5
	F32Const $(2.0)
	F32x4Splat
	Set V12
	F32Const $(4.0)
	F32x4Splat
	Set V13
	F32Const $(5.0)
	F32x4Splat
	Set V14

	Block
	Get R2
	I64Eqz
	BrIf $0
	Loop
		// column 0 of the 4 tiles (sub-row 0, +0), 6 rows: Bᵀ d into tmp[6k+0]
		Get R0
		Set R7
		Get R7
		I32WrapI64
		V128Load $0
		Set V0
		Get R7
		Get R3
		I64Const $1
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R7
		Get R3
		I64Const $2
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R7
		Get R3
		I64Const $3
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R7
		Get R3
		I64Const $4
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R7
		Get R3
		I64Const $5
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get R6
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $0
		Get R6
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $96
		Get R6
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $192
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $288
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $384
		Get R6
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $480
		// column 1 of the 4 tiles (sub-row 1, +0), 6 rows: Bᵀ d into tmp[6k+1]
		Get R0
		Get R4
		I64Const $1
		I64Mul
		I64Add
		Set R7
		Get R7
		I32WrapI64
		V128Load $0
		Set V0
		Get R7
		Get R3
		I64Const $1
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R7
		Get R3
		I64Const $2
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R7
		Get R3
		I64Const $3
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R7
		Get R3
		I64Const $4
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R7
		Get R3
		I64Const $5
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get R6
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $16
		Get R6
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $112
		Get R6
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $208
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $304
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $400
		Get R6
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $496
		// column 2 of the 4 tiles (sub-row 2, +0), 6 rows: Bᵀ d into tmp[6k+2]
		Get R0
		Get R4
		I64Const $2
		I64Mul
		I64Add
		Set R7
		Get R7
		I32WrapI64
		V128Load $0
		Set V0
		Get R7
		Get R3
		I64Const $1
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R7
		Get R3
		I64Const $2
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R7
		Get R3
		I64Const $3
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R7
		Get R3
		I64Const $4
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R7
		Get R3
		I64Const $5
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get R6
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $32
		Get R6
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $128
		Get R6
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $224
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $320
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $416
		Get R6
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $512
		// column 3 of the 4 tiles (sub-row 3, +0), 6 rows: Bᵀ d into tmp[6k+3]
		Get R0
		Get R4
		I64Const $3
		I64Mul
		I64Add
		Set R7
		Get R7
		I32WrapI64
		V128Load $0
		Set V0
		Get R7
		Get R3
		I64Const $1
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R7
		Get R3
		I64Const $2
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R7
		Get R3
		I64Const $3
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R7
		Get R3
		I64Const $4
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R7
		Get R3
		I64Const $5
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get R6
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $48
		Get R6
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $144
		Get R6
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $240
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $336
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $432
		Get R6
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $528
		// column 4 of the 4 tiles (sub-row 0, +1), 6 rows: Bᵀ d into tmp[6k+4]
		Get R0
		I64Const $4
		I64Add
		Set R7
		Get R7
		I32WrapI64
		V128Load $0
		Set V0
		Get R7
		Get R3
		I64Const $1
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R7
		Get R3
		I64Const $2
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R7
		Get R3
		I64Const $3
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R7
		Get R3
		I64Const $4
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R7
		Get R3
		I64Const $5
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get R6
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $64
		Get R6
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $160
		Get R6
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $256
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $352
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $448
		Get R6
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $544
		// column 5 of the 4 tiles (sub-row 1, +1), 6 rows: Bᵀ d into tmp[6k+5]
		Get R0
		Get R4
		I64Const $1
		I64Mul
		I64Add
		I64Const $4
		I64Add
		Set R7
		Get R7
		I32WrapI64
		V128Load $0
		Set V0
		Get R7
		Get R3
		I64Const $1
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R7
		Get R3
		I64Const $2
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R7
		Get R3
		I64Const $3
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R7
		Get R3
		I64Const $4
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R7
		Get R3
		I64Const $5
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get R6
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $80
		Get R6
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $176
		Get R6
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $272
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $368
		Get R6
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $464
		Get R6
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $560
		// row 0: (Bᵀ d) B into V[6·0+k]
		Get R6
		I32WrapI64
		V128Load $0
		Set V0
		Get R6
		I32WrapI64
		V128Load $16
		Set V1
		Get R6
		I32WrapI64
		V128Load $32
		Set V2
		Get R6
		I32WrapI64
		V128Load $48
		Set V3
		Get R6
		I32WrapI64
		V128Load $64
		Set V4
		Get R6
		I32WrapI64
		V128Load $80
		Set V5
		Get R1
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $1
		I64Mul
		I64Add
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $2
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $3
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $4
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $5
		I64Mul
		I64Add
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $0
		// row 1: (Bᵀ d) B into V[6·1+k]
		Get R6
		I32WrapI64
		V128Load $96
		Set V0
		Get R6
		I32WrapI64
		V128Load $112
		Set V1
		Get R6
		I32WrapI64
		V128Load $128
		Set V2
		Get R6
		I32WrapI64
		V128Load $144
		Set V3
		Get R6
		I32WrapI64
		V128Load $160
		Set V4
		Get R6
		I32WrapI64
		V128Load $176
		Set V5
		Get R1
		Get R5
		I64Const $6
		I64Mul
		I64Add
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $7
		I64Mul
		I64Add
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $8
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $9
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $10
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $11
		I64Mul
		I64Add
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $0
		// row 2: (Bᵀ d) B into V[6·2+k]
		Get R6
		I32WrapI64
		V128Load $192
		Set V0
		Get R6
		I32WrapI64
		V128Load $208
		Set V1
		Get R6
		I32WrapI64
		V128Load $224
		Set V2
		Get R6
		I32WrapI64
		V128Load $240
		Set V3
		Get R6
		I32WrapI64
		V128Load $256
		Set V4
		Get R6
		I32WrapI64
		V128Load $272
		Set V5
		Get R1
		Get R5
		I64Const $12
		I64Mul
		I64Add
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $13
		I64Mul
		I64Add
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $14
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $15
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $16
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $17
		I64Mul
		I64Add
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $0
		// row 3: (Bᵀ d) B into V[6·3+k]
		Get R6
		I32WrapI64
		V128Load $288
		Set V0
		Get R6
		I32WrapI64
		V128Load $304
		Set V1
		Get R6
		I32WrapI64
		V128Load $320
		Set V2
		Get R6
		I32WrapI64
		V128Load $336
		Set V3
		Get R6
		I32WrapI64
		V128Load $352
		Set V4
		Get R6
		I32WrapI64
		V128Load $368
		Set V5
		Get R1
		Get R5
		I64Const $18
		I64Mul
		I64Add
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $19
		I64Mul
		I64Add
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $20
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $21
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $22
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $23
		I64Mul
		I64Add
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $0
		// row 4: (Bᵀ d) B into V[6·4+k]
		Get R6
		I32WrapI64
		V128Load $384
		Set V0
		Get R6
		I32WrapI64
		V128Load $400
		Set V1
		Get R6
		I32WrapI64
		V128Load $416
		Set V2
		Get R6
		I32WrapI64
		V128Load $432
		Set V3
		Get R6
		I32WrapI64
		V128Load $448
		Set V4
		Get R6
		I32WrapI64
		V128Load $464
		Set V5
		Get R1
		Get R5
		I64Const $24
		I64Mul
		I64Add
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $25
		I64Mul
		I64Add
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $26
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $27
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $28
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $29
		I64Mul
		I64Add
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $0
		// row 5: (Bᵀ d) B into V[6·5+k]
		Get R6
		I32WrapI64
		V128Load $480
		Set V0
		Get R6
		I32WrapI64
		V128Load $496
		Set V1
		Get R6
		I32WrapI64
		V128Load $512
		Set V2
		Get R6
		I32WrapI64
		V128Load $528
		Set V3
		Get R6
		I32WrapI64
		V128Load $544
		Set V4
		Get R6
		I32WrapI64
		V128Load $560
		Set V5
		Get R1
		Get R5
		I64Const $30
		I64Mul
		I64Add
		I32WrapI64
		Get V13
		Get V0
		F32x4Mul
		Get V14
		Get V2
		F32x4Mul
		F32x4Sub
		Get V4
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $31
		I64Mul
		I64Add
		I32WrapI64
		Get V3
		Get V4
		F32x4Add
		Get V13
		Get V1
		Get V2
		F32x4Add
		F32x4Mul
		F32x4Sub
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $32
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V3
		F32x4Sub
		Get V13
		Get V1
		Get V2
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $33
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V3
		Get V1
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $34
		I64Mul
		I64Add
		I32WrapI64
		Get V4
		Get V2
		F32x4Sub
		Get V12
		Get V1
		Get V3
		F32x4Sub
		F32x4Mul
		F32x4Add
		V128Store $0, $0
		Get R1
		Get R5
		I64Const $35
		I64Mul
		I64Add
		I32WrapI64
		Get V13
		Get V1
		F32x4Mul
		Get V14
		Get V3
		F32x4Mul
		F32x4Sub
		Get V5
		F32x4Add
		V128Store $0, $0
		Get R0
		I64Const $16
		I64Add
		Set R0
		Get R1
		I64Const $16
		I64Add
		Set R1
		Get R2
		I64Const $1
		I64Sub
		Tee R2
		I64Eqz
		I32Eqz
		BrIf $0
	End
	End
	RET

// func wino4Out(mo *float32, n, os int, rows *[4]*float32, nrows int, bias float32, relu bool, tmp *[36]f32x4)
// output4Vec for one output channel: Aᵀ m A + bias (then ReLU when relu)
// of tiles 0…n−1 (n a multiple of 4), 4 tiles at a time, written to the
// first nrows of the tile row's 4 output rows. mo: M at the channel,
// mo[ξ·os + tile]; tmp: Aᵀ m of 4 tiles.
// R0 mo + 4·tile, R2 steps left, R3 4·os, R6 tmp, R8–R11 the rows
// + 16·tile, R12 nrows; V0–V5 m, V6–V9 sums and differences,
// V10 bias, V11 0, V12–V14 2, 4, 8, V15 all ones when relu.
TEXT ·wino4Out(SB), NOSPLIT, $0-56
	MOVD mo+0(FP), R0
	MOVD n+8(FP), R2
	MOVD os+16(FP), R3
	MOVD rows+24(FP), R7
	MOVD nrows+32(FP), R12
	MOVD tmp+48(FP), R6
	Get R7
	I32WrapI64
	I64Load $0
	Set R8
	Get R7
	I32WrapI64
	I64Load $8
	Set R9
	Get R7
	I32WrapI64
	I64Load $16
	Set R10
	Get R7
	I32WrapI64
	I64Load $24
	Set R11
	Get R2
	I64Const $2
	I64ShrU
	Set R2
	Get R3
	I64Const $2
	I64Shl
	Set R3
	F32Load bias+40(FP)
	F32x4Splat
	Set V10
	I32Const $0
	I32Load8U relu+44(FP)
	I32Sub
	I32x4Splat
	Set V15
	F32Const $(0.0)
	F32x4Splat
	Set V11
	F32Const $(2.0)
	F32x4Splat
	Set V12
	F32Const $(4.0)
	F32x4Splat
	Set V13
	F32Const $(8.0)
	F32x4Splat
	Set V14

	Block
	Get R2
	I64Eqz
	BrIf $0
	Loop
		// column 0: Aᵀ m into tmp[6k+0]
		Get R0
		I32WrapI64
		V128Load $0
		Set V0
		Get R0
		Get R3
		I64Const $6
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R0
		Get R3
		I64Const $12
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R0
		Get R3
		I64Const $18
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R0
		Get R3
		I64Const $24
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R0
		Get R3
		I64Const $30
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get V1
		Get V2
		F32x4Add
		Set V6
		Get V1
		Get V2
		F32x4Sub
		Set V7
		Get V3
		Get V4
		F32x4Add
		Set V8
		Get V3
		Get V4
		F32x4Sub
		Set V9
		Get R6
		I32WrapI64
		Get V0
		Get V6
		F32x4Add
		Get V8
		F32x4Add
		V128Store $0, $0
		Get R6
		I32WrapI64
		Get V7
		Get V12
		Get V9
		F32x4Mul
		F32x4Add
		V128Store $0, $96
		Get R6
		I32WrapI64
		Get V6
		Get V13
		Get V8
		F32x4Mul
		F32x4Add
		V128Store $0, $192
		Get R6
		I32WrapI64
		Get V7
		Get V14
		Get V9
		F32x4Mul
		F32x4Add
		Get V5
		F32x4Add
		V128Store $0, $288
		// column 1: Aᵀ m into tmp[6k+1]
		Get R0
		Get R3
		I64Const $1
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V0
		Get R0
		Get R3
		I64Const $7
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R0
		Get R3
		I64Const $13
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R0
		Get R3
		I64Const $19
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R0
		Get R3
		I64Const $25
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R0
		Get R3
		I64Const $31
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get V1
		Get V2
		F32x4Add
		Set V6
		Get V1
		Get V2
		F32x4Sub
		Set V7
		Get V3
		Get V4
		F32x4Add
		Set V8
		Get V3
		Get V4
		F32x4Sub
		Set V9
		Get R6
		I32WrapI64
		Get V0
		Get V6
		F32x4Add
		Get V8
		F32x4Add
		V128Store $0, $16
		Get R6
		I32WrapI64
		Get V7
		Get V12
		Get V9
		F32x4Mul
		F32x4Add
		V128Store $0, $112
		Get R6
		I32WrapI64
		Get V6
		Get V13
		Get V8
		F32x4Mul
		F32x4Add
		V128Store $0, $208
		Get R6
		I32WrapI64
		Get V7
		Get V14
		Get V9
		F32x4Mul
		F32x4Add
		Get V5
		F32x4Add
		V128Store $0, $304
		// column 2: Aᵀ m into tmp[6k+2]
		Get R0
		Get R3
		I64Const $2
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V0
		Get R0
		Get R3
		I64Const $8
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R0
		Get R3
		I64Const $14
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R0
		Get R3
		I64Const $20
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R0
		Get R3
		I64Const $26
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R0
		Get R3
		I64Const $32
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get V1
		Get V2
		F32x4Add
		Set V6
		Get V1
		Get V2
		F32x4Sub
		Set V7
		Get V3
		Get V4
		F32x4Add
		Set V8
		Get V3
		Get V4
		F32x4Sub
		Set V9
		Get R6
		I32WrapI64
		Get V0
		Get V6
		F32x4Add
		Get V8
		F32x4Add
		V128Store $0, $32
		Get R6
		I32WrapI64
		Get V7
		Get V12
		Get V9
		F32x4Mul
		F32x4Add
		V128Store $0, $128
		Get R6
		I32WrapI64
		Get V6
		Get V13
		Get V8
		F32x4Mul
		F32x4Add
		V128Store $0, $224
		Get R6
		I32WrapI64
		Get V7
		Get V14
		Get V9
		F32x4Mul
		F32x4Add
		Get V5
		F32x4Add
		V128Store $0, $320
		// column 3: Aᵀ m into tmp[6k+3]
		Get R0
		Get R3
		I64Const $3
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V0
		Get R0
		Get R3
		I64Const $9
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R0
		Get R3
		I64Const $15
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R0
		Get R3
		I64Const $21
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R0
		Get R3
		I64Const $27
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R0
		Get R3
		I64Const $33
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get V1
		Get V2
		F32x4Add
		Set V6
		Get V1
		Get V2
		F32x4Sub
		Set V7
		Get V3
		Get V4
		F32x4Add
		Set V8
		Get V3
		Get V4
		F32x4Sub
		Set V9
		Get R6
		I32WrapI64
		Get V0
		Get V6
		F32x4Add
		Get V8
		F32x4Add
		V128Store $0, $48
		Get R6
		I32WrapI64
		Get V7
		Get V12
		Get V9
		F32x4Mul
		F32x4Add
		V128Store $0, $144
		Get R6
		I32WrapI64
		Get V6
		Get V13
		Get V8
		F32x4Mul
		F32x4Add
		V128Store $0, $240
		Get R6
		I32WrapI64
		Get V7
		Get V14
		Get V9
		F32x4Mul
		F32x4Add
		Get V5
		F32x4Add
		V128Store $0, $336
		// column 4: Aᵀ m into tmp[6k+4]
		Get R0
		Get R3
		I64Const $4
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V0
		Get R0
		Get R3
		I64Const $10
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R0
		Get R3
		I64Const $16
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R0
		Get R3
		I64Const $22
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R0
		Get R3
		I64Const $28
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R0
		Get R3
		I64Const $34
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get V1
		Get V2
		F32x4Add
		Set V6
		Get V1
		Get V2
		F32x4Sub
		Set V7
		Get V3
		Get V4
		F32x4Add
		Set V8
		Get V3
		Get V4
		F32x4Sub
		Set V9
		Get R6
		I32WrapI64
		Get V0
		Get V6
		F32x4Add
		Get V8
		F32x4Add
		V128Store $0, $64
		Get R6
		I32WrapI64
		Get V7
		Get V12
		Get V9
		F32x4Mul
		F32x4Add
		V128Store $0, $160
		Get R6
		I32WrapI64
		Get V6
		Get V13
		Get V8
		F32x4Mul
		F32x4Add
		V128Store $0, $256
		Get R6
		I32WrapI64
		Get V7
		Get V14
		Get V9
		F32x4Mul
		F32x4Add
		Get V5
		F32x4Add
		V128Store $0, $352
		// column 5: Aᵀ m into tmp[6k+5]
		Get R0
		Get R3
		I64Const $5
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V0
		Get R0
		Get R3
		I64Const $11
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V1
		Get R0
		Get R3
		I64Const $17
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V2
		Get R0
		Get R3
		I64Const $23
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V3
		Get R0
		Get R3
		I64Const $29
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V4
		Get R0
		Get R3
		I64Const $35
		I64Mul
		I64Add
		I32WrapI64
		V128Load $0
		Set V5
		Get V1
		Get V2
		F32x4Add
		Set V6
		Get V1
		Get V2
		F32x4Sub
		Set V7
		Get V3
		Get V4
		F32x4Add
		Set V8
		Get V3
		Get V4
		F32x4Sub
		Set V9
		Get R6
		I32WrapI64
		Get V0
		Get V6
		F32x4Add
		Get V8
		F32x4Add
		V128Store $0, $80
		Get R6
		I32WrapI64
		Get V7
		Get V12
		Get V9
		F32x4Mul
		F32x4Add
		V128Store $0, $176
		Get R6
		I32WrapI64
		Get V6
		Get V13
		Get V8
		F32x4Mul
		F32x4Add
		V128Store $0, $272
		Get R6
		I32WrapI64
		Get V7
		Get V14
		Get V9
		F32x4Mul
		F32x4Add
		Get V5
		F32x4Add
		V128Store $0, $368
		// output row 0: (Aᵀ m) A + bias, ReLU, pixel l of tile i at 4i+l
		Get R6
		I32WrapI64
		V128Load $0
		Set V0
		Get R6
		I32WrapI64
		V128Load $16
		Set V1
		Get R6
		I32WrapI64
		V128Load $32
		Set V2
		Get R6
		I32WrapI64
		V128Load $48
		Set V3
		Get R6
		I32WrapI64
		V128Load $64
		Set V4
		Get R6
		I32WrapI64
		V128Load $80
		Set V5
		Get V1
		Get V2
		F32x4Add
		Set V6
		Get V1
		Get V2
		F32x4Sub
		Set V7
		Get V3
		Get V4
		F32x4Add
		Set V8
		Get V3
		Get V4
		F32x4Sub
		Set V9
		Get V0
		Get V6
		F32x4Add
		Get V8
		F32x4Add
		Get V10
		F32x4Add
		Set V4
		Get V6
		Get V13
		Get V8
		F32x4Mul
		F32x4Add
		Get V10
		F32x4Add
		Set V2
		Get V7
		Get V12
		Get V9
		F32x4Mul
		F32x4Add
		Get V10
		F32x4Add
		Set V1
		Get V7
		Get V14
		Get V9
		F32x4Mul
		F32x4Add
		Get V5
		F32x4Add
		Get V10
		F32x4Add
		Set V3
		Get V4
		Get V11
		F32x4Max
		Get V4
		Get V15
		V128Bitselect
		Set V4
		Get V1
		Get V11
		F32x4Max
		Get V1
		Get V15
		V128Bitselect
		Set V1
		Get V2
		Get V11
		F32x4Max
		Get V2
		Get V15
		V128Bitselect
		Set V2
		Get V3
		Get V11
		F32x4Max
		Get V3
		Get V15
		V128Bitselect
		Set V3
		Get R8
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $0
		F32Store $0
		Get R8
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $0
		F32Store $4
		Get R8
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $0
		F32Store $8
		Get R8
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $0
		F32Store $12
		Get R8
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $1
		F32Store $16
		Get R8
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $1
		F32Store $20
		Get R8
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $1
		F32Store $24
		Get R8
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $1
		F32Store $28
		Get R8
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $2
		F32Store $32
		Get R8
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $2
		F32Store $36
		Get R8
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $2
		F32Store $40
		Get R8
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $2
		F32Store $44
		Get R8
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $3
		F32Store $48
		Get R8
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $3
		F32Store $52
		Get R8
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $3
		F32Store $56
		Get R8
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $3
		F32Store $60
		Get R8
		I64Const $64
		I64Add
		Set R8
		// output row 1: (Aᵀ m) A + bias, ReLU, pixel l of tile i at 4i+l
		Block
		Get R12
		I64Const $1
		I64LeS
		BrIf $0
		Get R6
		I32WrapI64
		V128Load $96
		Set V0
		Get R6
		I32WrapI64
		V128Load $112
		Set V1
		Get R6
		I32WrapI64
		V128Load $128
		Set V2
		Get R6
		I32WrapI64
		V128Load $144
		Set V3
		Get R6
		I32WrapI64
		V128Load $160
		Set V4
		Get R6
		I32WrapI64
		V128Load $176
		Set V5
		Get V1
		Get V2
		F32x4Add
		Set V6
		Get V1
		Get V2
		F32x4Sub
		Set V7
		Get V3
		Get V4
		F32x4Add
		Set V8
		Get V3
		Get V4
		F32x4Sub
		Set V9
		Get V0
		Get V6
		F32x4Add
		Get V8
		F32x4Add
		Get V10
		F32x4Add
		Set V4
		Get V6
		Get V13
		Get V8
		F32x4Mul
		F32x4Add
		Get V10
		F32x4Add
		Set V2
		Get V7
		Get V12
		Get V9
		F32x4Mul
		F32x4Add
		Get V10
		F32x4Add
		Set V1
		Get V7
		Get V14
		Get V9
		F32x4Mul
		F32x4Add
		Get V5
		F32x4Add
		Get V10
		F32x4Add
		Set V3
		Get V4
		Get V11
		F32x4Max
		Get V4
		Get V15
		V128Bitselect
		Set V4
		Get V1
		Get V11
		F32x4Max
		Get V1
		Get V15
		V128Bitselect
		Set V1
		Get V2
		Get V11
		F32x4Max
		Get V2
		Get V15
		V128Bitselect
		Set V2
		Get V3
		Get V11
		F32x4Max
		Get V3
		Get V15
		V128Bitselect
		Set V3
		Get R9
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $0
		F32Store $0
		Get R9
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $0
		F32Store $4
		Get R9
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $0
		F32Store $8
		Get R9
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $0
		F32Store $12
		Get R9
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $1
		F32Store $16
		Get R9
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $1
		F32Store $20
		Get R9
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $1
		F32Store $24
		Get R9
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $1
		F32Store $28
		Get R9
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $2
		F32Store $32
		Get R9
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $2
		F32Store $36
		Get R9
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $2
		F32Store $40
		Get R9
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $2
		F32Store $44
		Get R9
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $3
		F32Store $48
		Get R9
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $3
		F32Store $52
		Get R9
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $3
		F32Store $56
		Get R9
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $3
		F32Store $60
		Get R9
		I64Const $64
		I64Add
		Set R9
		End
		// output row 2: (Aᵀ m) A + bias, ReLU, pixel l of tile i at 4i+l
		Block
		Get R12
		I64Const $2
		I64LeS
		BrIf $0
		Get R6
		I32WrapI64
		V128Load $192
		Set V0
		Get R6
		I32WrapI64
		V128Load $208
		Set V1
		Get R6
		I32WrapI64
		V128Load $224
		Set V2
		Get R6
		I32WrapI64
		V128Load $240
		Set V3
		Get R6
		I32WrapI64
		V128Load $256
		Set V4
		Get R6
		I32WrapI64
		V128Load $272
		Set V5
		Get V1
		Get V2
		F32x4Add
		Set V6
		Get V1
		Get V2
		F32x4Sub
		Set V7
		Get V3
		Get V4
		F32x4Add
		Set V8
		Get V3
		Get V4
		F32x4Sub
		Set V9
		Get V0
		Get V6
		F32x4Add
		Get V8
		F32x4Add
		Get V10
		F32x4Add
		Set V4
		Get V6
		Get V13
		Get V8
		F32x4Mul
		F32x4Add
		Get V10
		F32x4Add
		Set V2
		Get V7
		Get V12
		Get V9
		F32x4Mul
		F32x4Add
		Get V10
		F32x4Add
		Set V1
		Get V7
		Get V14
		Get V9
		F32x4Mul
		F32x4Add
		Get V5
		F32x4Add
		Get V10
		F32x4Add
		Set V3
		Get V4
		Get V11
		F32x4Max
		Get V4
		Get V15
		V128Bitselect
		Set V4
		Get V1
		Get V11
		F32x4Max
		Get V1
		Get V15
		V128Bitselect
		Set V1
		Get V2
		Get V11
		F32x4Max
		Get V2
		Get V15
		V128Bitselect
		Set V2
		Get V3
		Get V11
		F32x4Max
		Get V3
		Get V15
		V128Bitselect
		Set V3
		Get R10
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $0
		F32Store $0
		Get R10
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $0
		F32Store $4
		Get R10
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $0
		F32Store $8
		Get R10
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $0
		F32Store $12
		Get R10
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $1
		F32Store $16
		Get R10
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $1
		F32Store $20
		Get R10
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $1
		F32Store $24
		Get R10
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $1
		F32Store $28
		Get R10
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $2
		F32Store $32
		Get R10
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $2
		F32Store $36
		Get R10
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $2
		F32Store $40
		Get R10
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $2
		F32Store $44
		Get R10
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $3
		F32Store $48
		Get R10
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $3
		F32Store $52
		Get R10
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $3
		F32Store $56
		Get R10
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $3
		F32Store $60
		Get R10
		I64Const $64
		I64Add
		Set R10
		End
		// output row 3: (Aᵀ m) A + bias, ReLU, pixel l of tile i at 4i+l
		Block
		Get R12
		I64Const $3
		I64LeS
		BrIf $0
		Get R6
		I32WrapI64
		V128Load $288
		Set V0
		Get R6
		I32WrapI64
		V128Load $304
		Set V1
		Get R6
		I32WrapI64
		V128Load $320
		Set V2
		Get R6
		I32WrapI64
		V128Load $336
		Set V3
		Get R6
		I32WrapI64
		V128Load $352
		Set V4
		Get R6
		I32WrapI64
		V128Load $368
		Set V5
		Get V1
		Get V2
		F32x4Add
		Set V6
		Get V1
		Get V2
		F32x4Sub
		Set V7
		Get V3
		Get V4
		F32x4Add
		Set V8
		Get V3
		Get V4
		F32x4Sub
		Set V9
		Get V0
		Get V6
		F32x4Add
		Get V8
		F32x4Add
		Get V10
		F32x4Add
		Set V4
		Get V6
		Get V13
		Get V8
		F32x4Mul
		F32x4Add
		Get V10
		F32x4Add
		Set V2
		Get V7
		Get V12
		Get V9
		F32x4Mul
		F32x4Add
		Get V10
		F32x4Add
		Set V1
		Get V7
		Get V14
		Get V9
		F32x4Mul
		F32x4Add
		Get V5
		F32x4Add
		Get V10
		F32x4Add
		Set V3
		Get V4
		Get V11
		F32x4Max
		Get V4
		Get V15
		V128Bitselect
		Set V4
		Get V1
		Get V11
		F32x4Max
		Get V1
		Get V15
		V128Bitselect
		Set V1
		Get V2
		Get V11
		F32x4Max
		Get V2
		Get V15
		V128Bitselect
		Set V2
		Get V3
		Get V11
		F32x4Max
		Get V3
		Get V15
		V128Bitselect
		Set V3
		Get R11
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $0
		F32Store $0
		Get R11
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $0
		F32Store $4
		Get R11
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $0
		F32Store $8
		Get R11
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $0
		F32Store $12
		Get R11
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $1
		F32Store $16
		Get R11
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $1
		F32Store $20
		Get R11
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $1
		F32Store $24
		Get R11
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $1
		F32Store $28
		Get R11
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $2
		F32Store $32
		Get R11
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $2
		F32Store $36
		Get R11
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $2
		F32Store $40
		Get R11
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $2
		F32Store $44
		Get R11
		I32WrapI64
		Get V4
		F32x4ExtractLane $0, $3
		F32Store $48
		Get R11
		I32WrapI64
		Get V1
		F32x4ExtractLane $0, $3
		F32Store $52
		Get R11
		I32WrapI64
		Get V2
		F32x4ExtractLane $0, $3
		F32Store $56
		Get R11
		I32WrapI64
		Get V3
		F32x4ExtractLane $0, $3
		F32Store $60
		Get R11
		I64Const $64
		I64Add
		Set R11
		End
		Get R0
		I64Const $16
		I64Add
		Set R0
		Get R2
		I64Const $1
		I64Sub
		Tee R2
		I64Eqz
		I32Eqz
		BrIf $0
	End
	End
	RET

// func deintAsm(dst, src *float32, rows, wp, w int, plan *[12]int)
// pad4's rows: for each of rows rows, clear dst's wp floats, then for
// each sub-row r copy every 4th input value, dst[plan[r]+k] =
// src[plan[4+r]+4k] for k < plan[8+r]; dst moves on by wp, src by w.
// R0 dst row, R1 src row, R2 rows left, R3 4·wp, R4 4·w, R5 plan,
// R6 and R7 where a sub-row's copy writes and reads, R8 its count.
TEXT ·deintAsm(SB), NOSPLIT, $0-48
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD rows+16(FP), R2
	MOVD wp+24(FP), R3
	MOVD w+32(FP), R4
	MOVD plan+40(FP), R5
	Get R3
	I64Const $2
	I64Shl
	Set R3
	Get R4
	I64Const $2
	I64Shl
	Set R4
	Block
	Get R2
	I64Eqz
	BrIf $0
	Loop
		Get R0
		I32WrapI64
		I32Const $0
		Get R3
		I32WrapI64
		MemoryFill
		// sub-row 0
		Get R5
		I32WrapI64
		I64Load $0
		I64Const $2
		I64Shl
		Get R0
		I64Add
		Set R6
		Get R5
		I32WrapI64
		I64Load $32
		I64Const $2
		I64Shl
		Get R1
		I64Add
		Set R7
		Get R5
		I32WrapI64
		I64Load $64
		Set R8
		Block
		Get R8
		I64Const $4
		I64LtS
		BrIf $0
		Loop
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $0
			F32Store $0
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $16
			F32Store $4
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $32
			F32Store $8
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $48
			F32Store $12
			Get R6
			I64Const $16
			I64Add
			Set R6
			Get R7
			I64Const $64
			I64Add
			Set R7
			Get R8
			I64Const $4
			I64Sub
			Tee R8
			I64Const $4
			I64GeS
			BrIf $0
		End
		End
		Block
		Get R8
		I64Eqz
		BrIf $0
		Loop
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $0
			F32Store $0
			Get R6
			I64Const $4
			I64Add
			Set R6
			Get R7
			I64Const $16
			I64Add
			Set R7
			Get R8
			I64Const $1
			I64Sub
			Tee R8
			I64Eqz
			I32Eqz
			BrIf $0
		End
		End
		// sub-row 1
		Get R5
		I32WrapI64
		I64Load $8
		I64Const $2
		I64Shl
		Get R0
		I64Add
		Set R6
		Get R5
		I32WrapI64
		I64Load $40
		I64Const $2
		I64Shl
		Get R1
		I64Add
		Set R7
		Get R5
		I32WrapI64
		I64Load $72
		Set R8
		Block
		Get R8
		I64Const $4
		I64LtS
		BrIf $0
		Loop
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $0
			F32Store $0
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $16
			F32Store $4
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $32
			F32Store $8
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $48
			F32Store $12
			Get R6
			I64Const $16
			I64Add
			Set R6
			Get R7
			I64Const $64
			I64Add
			Set R7
			Get R8
			I64Const $4
			I64Sub
			Tee R8
			I64Const $4
			I64GeS
			BrIf $0
		End
		End
		Block
		Get R8
		I64Eqz
		BrIf $0
		Loop
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $0
			F32Store $0
			Get R6
			I64Const $4
			I64Add
			Set R6
			Get R7
			I64Const $16
			I64Add
			Set R7
			Get R8
			I64Const $1
			I64Sub
			Tee R8
			I64Eqz
			I32Eqz
			BrIf $0
		End
		End
		// sub-row 2
		Get R5
		I32WrapI64
		I64Load $16
		I64Const $2
		I64Shl
		Get R0
		I64Add
		Set R6
		Get R5
		I32WrapI64
		I64Load $48
		I64Const $2
		I64Shl
		Get R1
		I64Add
		Set R7
		Get R5
		I32WrapI64
		I64Load $80
		Set R8
		Block
		Get R8
		I64Const $4
		I64LtS
		BrIf $0
		Loop
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $0
			F32Store $0
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $16
			F32Store $4
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $32
			F32Store $8
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $48
			F32Store $12
			Get R6
			I64Const $16
			I64Add
			Set R6
			Get R7
			I64Const $64
			I64Add
			Set R7
			Get R8
			I64Const $4
			I64Sub
			Tee R8
			I64Const $4
			I64GeS
			BrIf $0
		End
		End
		Block
		Get R8
		I64Eqz
		BrIf $0
		Loop
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $0
			F32Store $0
			Get R6
			I64Const $4
			I64Add
			Set R6
			Get R7
			I64Const $16
			I64Add
			Set R7
			Get R8
			I64Const $1
			I64Sub
			Tee R8
			I64Eqz
			I32Eqz
			BrIf $0
		End
		End
		// sub-row 3
		Get R5
		I32WrapI64
		I64Load $24
		I64Const $2
		I64Shl
		Get R0
		I64Add
		Set R6
		Get R5
		I32WrapI64
		I64Load $56
		I64Const $2
		I64Shl
		Get R1
		I64Add
		Set R7
		Get R5
		I32WrapI64
		I64Load $88
		Set R8
		Block
		Get R8
		I64Const $4
		I64LtS
		BrIf $0
		Loop
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $0
			F32Store $0
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $16
			F32Store $4
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $32
			F32Store $8
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $48
			F32Store $12
			Get R6
			I64Const $16
			I64Add
			Set R6
			Get R7
			I64Const $64
			I64Add
			Set R7
			Get R8
			I64Const $4
			I64Sub
			Tee R8
			I64Const $4
			I64GeS
			BrIf $0
		End
		End
		Block
		Get R8
		I64Eqz
		BrIf $0
		Loop
			Get R6
			I32WrapI64
			Get R7
			I32WrapI64
			F32Load $0
			F32Store $0
			Get R6
			I64Const $4
			I64Add
			Set R6
			Get R7
			I64Const $16
			I64Add
			Set R7
			Get R8
			I64Const $1
			I64Sub
			Tee R8
			I64Eqz
			I32Eqz
			BrIf $0
		End
		End
		Get R0
		Get R3
		I64Add
		Set R0
		Get R1
		Get R4
		I64Add
		Set R1
		Get R2
		I64Const $1
		I64Sub
		Tee R2
		I64Eqz
		I32Eqz
		BrIf $0
	End
	End
	RET
