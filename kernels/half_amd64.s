#include "textflag.h"

// func f32ToF16AVX2(dst *byte, src *float32, n int)
// n, a positive multiple of 8, floats at src to binary16 at dst, rounding
// to nearest even (VCVTPS2PH immediate 0).
TEXT ·f32ToF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
f16loop:
	VMOVUPS (SI), Y0
	VCVTPS2PH $0, Y0, X1
	VMOVDQU X1, (DI)
	ADDQ $32, SI
	ADDQ $16, DI
	DECQ CX
	JNZ f16loop
	VZEROUPPER
	RET
