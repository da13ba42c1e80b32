#include "textflag.h"

// RoPE kernels (rope.go). The heads loop is innermost, so each block of
// cos/sin values is loaded once per token row. Products are rounded before
// they are added or subtracted, as in ropeGo.

// func ropeNeoxAVX2(x *float32, heads, stride, half, n int, cos, sin *float32)
// Pairs (i, i+half) for i < n (a positive multiple of 8) of heads vectors
// stride floats apart.
TEXT ·ropeNeoxAVX2(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ heads+8(FP), DX
	MOVQ stride+16(FP), BX
	SHLQ $2, BX
	MOVQ half+24(FP), R8
	SHLQ $2, R8
	MOVQ n+32(FP), CX
	MOVQ cos+40(FP), R9
	MOVQ sin+48(FP), R10
rnxblock:
	VMOVUPS (R9), Y4
	VMOVUPS (R10), Y5
	MOVQ SI, R11
	MOVQ DX, R12
rnxhead:
	VMOVUPS (R11), Y0
	VMOVUPS (R11)(R8*1), Y1
	VMULPS Y4, Y0, Y2
	VMULPS Y5, Y1, Y3
	VSUBPS Y3, Y2, Y2
	VMULPS Y5, Y0, Y6
	VMULPS Y4, Y1, Y7
	VADDPS Y7, Y6, Y6
	VMOVUPS Y2, (R11)
	VMOVUPS Y6, (R11)(R8*1)
	ADDQ BX, R11
	DECQ R12
	JNZ rnxhead
	ADDQ $32, SI
	ADDQ $32, R9
	ADDQ $32, R10
	SUBQ $8, CX
	JNZ rnxblock
	VZEROUPPER
	RET

// func ropeNormAVX2(x *float32, heads, stride, n int, cos, sin *float32)
// Pairs (2i, 2i+1) for i < n (a positive multiple of 4). Each cos/sin block
// is spread to [c0 c0 c1 c1 c2 c2 c3 c3]; with the pair-swapped row
// [x1 x0 x3 x2 ...] one VADDSUBPS subtracts in even lanes and adds in odd
// ones: x0·c − x1·s, x1·c + x0·s.
TEXT ·ropeNormAVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ heads+8(FP), DX
	MOVQ stride+16(FP), BX
	SHLQ $2, BX
	MOVQ n+24(FP), CX
	MOVQ cos+32(FP), R9
	MOVQ sin+40(FP), R10
rnmblock:
	VMOVUPS (R9), X4
	VUNPCKHPS X4, X4, X6
	VUNPCKLPS X4, X4, X4
	VINSERTF128 $1, X6, Y4, Y4
	VMOVUPS (R10), X5
	VUNPCKHPS X5, X5, X6
	VUNPCKLPS X5, X5, X5
	VINSERTF128 $1, X6, Y5, Y5
	MOVQ SI, R11
	MOVQ DX, R12
rnmhead:
	VMOVUPS (R11), Y0
	VPERMILPS $0xb1, Y0, Y1
	VMULPS Y4, Y0, Y2
	VMULPS Y5, Y1, Y3
	VADDSUBPS Y3, Y2, Y2
	VMOVUPS Y2, (R11)
	ADDQ BX, R11
	DECQ R12
	JNZ rnmhead
	ADDQ $32, SI
	ADDQ $16, R9
	ADDQ $16, R10
	SUBQ $4, CX
	JNZ rnmblock
	VZEROUPPER
	RET
