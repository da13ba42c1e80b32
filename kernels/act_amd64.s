#include "textflag.h"

// func gatedActAVX512(gate, up *float32, n int, gelu bool)
// gate[i] = f(gate[i]) · up[i] for i < n, with f(g) = g / (1 + e^x) where
// x = -g (SiLU) or x = -2·√(2/π)·(g + 0.044715·g³) (the tanh form of GELU,
// since (1 + tanh(u))/2 = 1/(1 + e^-2u)). e^x: x clamped to [-88, 100], x = k·ln2 + r,
// a degree-7 polynomial for e^r, scaled by 2^k (within 2 ulp of float32).
TEXT ·gatedActAVX512(SB), NOSPLIT, $0-25
	MOVQ gate+0(FP), SI
	MOVQ up+8(FP), DI
	MOVQ n+16(FP), CX
	MOVBLZX gelu+24(FP), DX
	MOVL $0x3fb8aa3b, AX      // log2(e)
	VPBROADCASTD AX, Z21
	MOVL $0x3f317200, AX      // ln2, high part
	VPBROADCASTD AX, Z22
	MOVL $0x35bfbe8e, AX      // ln2, low part
	VPBROADCASTD AX, Z23
	MOVL $0x42c80000, AX      // 100: e^x overflows to +Inf, f(g) to ±0
	VPBROADCASTD AX, Z24
	MOVL $0xc2b00000, AX      // -88
	VPBROADCASTD AX, Z25
	MOVL $0x39500d01, AX      // 1/5040
	VPBROADCASTD AX, Z26
	MOVL $0x3ab60b61, AX      // 1/720
	VPBROADCASTD AX, Z27
	MOVL $0x3c088889, AX      // 1/120
	VPBROADCASTD AX, Z28
	MOVL $0x3d2aaaab, AX      // 1/24
	VPBROADCASTD AX, Z29
	MOVL $0x3e2aaaab, AX      // 1/6
	VPBROADCASTD AX, Z30
	MOVL $0x3f000000, AX      // 1/2
	VPBROADCASTD AX, Z31
	MOVL $0x3f800000, AX      // 1
	VPBROADCASTD AX, Z19
	MOVL $0x3d372713, AX      // 0.044715
	VPBROADCASTD AX, Z18
	MOVL $0xbfcc422a, AX      // -2·√(2/π)
	VPBROADCASTD AX, Z17
	MOVL $0x80000000, AX
	VPBROADCASTD AX, Z16
	MOVL $0xffff, AX
	KMOVW AX, K1
gaLoop:
	CMPQ CX, $16
	JGE gaBody
	TESTQ CX, CX
	JZ gaDone
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	MOVQ $16, CX
gaBody:
	VMOVUPS.Z (SI), K1, Z1
	TESTQ DX, DX
	JNZ gaGelu
	VPXORD Z16, Z1, Z5         // x = -g
	JMP gaExp
gaGelu:
	VMULPS Z1, Z1, Z5
	VFMADD213PS Z19, Z18, Z5   // 1 + 0.044715·g²
	VMULPS Z1, Z5, Z5
	VMULPS Z17, Z5, Z5         // x = -2√(2/π)·(g + 0.044715·g³)
gaExp:
	VMINPS Z24, Z5, Z5
	VMAXPS Z25, Z5, Z5
	VMULPS Z21, Z5, Z2
	VRNDSCALEPS $0, Z2, Z2     // k
	VFNMADD231PS Z22, Z2, Z5
	VFNMADD231PS Z23, Z2, Z5   // r
	VMOVAPS Z26, Z3
	VFMADD213PS Z27, Z5, Z3
	VFMADD213PS Z28, Z5, Z3
	VFMADD213PS Z29, Z5, Z3
	VFMADD213PS Z30, Z5, Z3
	VFMADD213PS Z31, Z5, Z3
	VFMADD213PS Z19, Z5, Z3
	VFMADD213PS Z19, Z5, Z3
	VSCALEFPS Z2, Z3, Z3       // e^x
	VADDPS Z19, Z3, Z3
	VDIVPS Z3, Z1, Z1
	VMOVUPS.Z (DI), K1, Z4
	VMULPS Z4, Z1, Z1
	VMOVUPS Z1, K1, (SI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP gaLoop
gaDone:
	VZEROUPPER
	RET
