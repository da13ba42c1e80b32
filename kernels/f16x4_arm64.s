#include "textflag.h"
#include "neon_arm64.h"

// F16X4TOK(p, acc): the 16 activations of one token at Rp times the
// widened weights V2, V3, V8, V9, into Vacc and Vacc+1.
#define F16X4TOK(p, acc) \
	VLD1.P 64(p), [V4.S4, V5.S4, V6.S4, V7.S4]; \
	FMLA32(acc, 2, 4); \
	FMLA32(acc+1, 3, 5); \
	FMLA32(acc, 8, 6); \
	FMLA32(acc+1, 9, 7)

// func f16DotX4NEON(w *byte, x *float32, n int, xStride int, out *[4]float32)
// One F16 row against four tokens xStride bytes apart; n is a positive
// multiple of 16. Each group of 16 weights is widened once; every token has
// two accumulators, folded at the end into one lane per token.
TEXT ·f16DotX4NEON(SB), NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
	MOVD xStride+24(FP), R6
	MOVD out+32(FP), R7
	ADD R6, R1, R3
	ADD R6, R3, R4
	ADD R6, R4, R5
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16

f16x4loop:
	VLD1.P 32(R0), [V0.H8, V1.H8]
	FCVTL(2, 0)
	FCVTL2(3, 0)
	FCVTL(8, 1)
	FCVTL2(9, 1)
	F16X4TOK(R1, 16)
	F16X4TOK(R3, 18)
	F16X4TOK(R4, 20)
	F16X4TOK(R5, 22)
	SUBS $16, R2, R2
	BNE f16x4loop

	FADD32(16, 16, 17)
	FADD32(18, 18, 19)
	FADD32(20, 20, 21)
	FADD32(22, 22, 23)
	FADDP32(16, 16, 18)
	FADDP32(20, 20, 22)
	FADDP32(16, 16, 20)
	VST1 [V16.S4], (R7)
	RET
