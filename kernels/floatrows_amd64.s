#include "textflag.h"
#include "macros_amd64.h"

// func f16RowsAVX512(w *byte, rowBytes, nrows int, x *float32, n int, out *float32)
// out[r] = row r · x for nrows consecutive F16 rows of n values (n % 16 ==
// 0) rowBytes apart: the decode product of F16 weights, one call per chunk
// of rows so that no per-row call or setup interrupts the stream.
TEXT ·f16RowsAVX512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ rowBytes+8(FP), R8
	MOVQ nrows+16(FP), BX
	MOVQ x+24(FP), R9
	MOVQ n+32(FP), R10
	MOVQ out+40(FP), DX
	TESTQ BX, BX
	JZ f16rdone
f16rrow:
	MOVQ SI, AX
	MOVQ R9, DI
	MOVQ R10, CX
	F16DOT512(AX)
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ R8, SI
	DECQ BX
	JNZ f16rrow
f16rdone:
	VZEROUPPER
	RET

// func bf16RowsBF16AVX512(w *byte, rowBytes, nrows int, x *uint16, n int, out *float32)
// out[r] = row r · x for nrows consecutive BF16 rows (rowBytes apart) and
// bfloat16 activations x of n values (n % 32 == 0), by VDPBF16PS: 128
// values a step into four accumulators, then 32 at a time.
TEXT ·bf16RowsBF16AVX512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ rowBytes+8(FP), R8
	MOVQ nrows+16(FP), BX
	MOVQ x+24(FP), R9
	MOVQ n+32(FP), R10
	MOVQ out+40(FP), DX
	TESTQ BX, BX
	JZ bf16rdone
bf16rrow:
	MOVQ SI, AX
	MOVQ R9, DI
	MOVQ R10, CX
	VPXORD Z0, Z0, Z0
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	CMPQ CX, $128
	JLT bf16rtail
bf16rloop:
	PREFETCHT0 2048(AX)
	VMOVDQU64 (AX), Z1
	VMOVDQU64 64(AX), Z2
	VMOVDQU64 128(AX), Z3
	VMOVDQU64 192(AX), Z4
	VMOVDQU64 (DI), Z8
	VMOVDQU64 64(DI), Z9
	VMOVDQU64 128(DI), Z10
	VMOVDQU64 192(DI), Z11
	DPBF16(1, 8, 0)
	DPBF16(2, 9, 5)
	DPBF16(3, 10, 6)
	DPBF16(4, 11, 7)
	ADDQ $256, AX
	ADDQ $256, DI
	SUBQ $128, CX
	CMPQ CX, $128
	JGE bf16rloop
bf16rtail:
	TESTQ CX, CX
	JZ bf16rsum
	VMOVDQU64 (AX), Z1
	VMOVDQU64 (DI), Z8
	DPBF16(1, 8, 0)
	ADDQ $64, AX
	ADDQ $64, DI
	SUBQ $32, CX
	JMP bf16rtail
bf16rsum:
	VADDPS Z5, Z0, Z0
	VADDPS Z7, Z6, Z6
	VADDPS Z6, Z0, Z0
	HSUM512
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ R8, SI
	DECQ BX
	JNZ bf16rrow
bf16rdone:
	VZEROUPPER
	RET
