#include "textflag.h"
#include "neon_arm64.h"

// RoPE kernels (rope.go), four pairs at a time with the heads loop
// innermost. Products are rounded before they are combined, as in ropeGo.

// FSUB Vd.4S, Vn.4S, Vm.4S
#define FSUB32(d, n, m) ENC3(0x4EA0D400, d, n, m)

// ROT: V2 = V0·V4 − V1·V5, V3 = V0·V5 + V1·V4 (V6 scratch).
#define ROT \
	FMUL32(2, 0, 4); \
	FMUL32(3, 1, 5); \
	FSUB32(2, 2, 3); \
	FMUL32(3, 0, 5); \
	FMUL32(6, 1, 4); \
	FADD32(3, 3, 6)

// func ropeNeoxNEON(x *float32, heads, stride, half, n int, cos, sin *float32)
// Pairs (i, i+half) for i < n (a positive multiple of 4).
TEXT ·ropeNeoxNEON(SB), NOSPLIT, $0-56
	MOVD x+0(FP), R0
	MOVD heads+8(FP), R1
	MOVD stride+16(FP), R2
	LSL $2, R2, R2
	MOVD half+24(FP), R3
	LSL $2, R3, R3
	MOVD n+32(FP), R4
	MOVD cos+40(FP), R5
	MOVD sin+48(FP), R6
rnxnblock:
	VLD1.P 16(R5), [V4.S4]
	VLD1.P 16(R6), [V5.S4]
	MOVD R0, R7
	ADD R3, R0, R9
	MOVD R1, R8
rnxnhead:
	VLD1 (R7), [V0.S4]
	VLD1 (R9), [V1.S4]
	ROT
	VST1 [V2.S4], (R7)
	VST1 [V3.S4], (R9)
	ADD R2, R7, R7
	ADD R2, R9, R9
	SUBS $1, R8, R8
	BNE rnxnhead
	ADD $16, R0, R0
	SUBS $4, R4, R4
	BNE rnxnblock
	RET

// func ropeNormNEON(x *float32, heads, stride, n int, cos, sin *float32)
// Pairs (2i, 2i+1) for i < n (a positive multiple of 4): LD2 splits a block
// into its even and odd entries, ST2 interleaves them back.
TEXT ·ropeNormNEON(SB), NOSPLIT, $0-48
	MOVD x+0(FP), R0
	MOVD heads+8(FP), R1
	MOVD stride+16(FP), R2
	LSL $2, R2, R2
	MOVD n+24(FP), R4
	MOVD cos+32(FP), R5
	MOVD sin+40(FP), R6
rnmnblock:
	VLD1.P 16(R5), [V4.S4]
	VLD1.P 16(R6), [V5.S4]
	MOVD R0, R7
	MOVD R1, R8
rnmnhead:
	VLD2 (R7), [V0.S4, V1.S4]
	ROT
	VST2 [V2.S4, V3.S4], (R7)
	ADD R2, R7, R7
	SUBS $1, R8, R8
	BNE rnmnhead
	ADD $32, R0, R0
	SUBS $4, R4, R4
	BNE rnmnblock
	RET
