#include "textflag.h"

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
	VPXORD Z0, Z0, Z0
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	CMPQ CX, $64
	JLT f16rtail
f16rloop:
	PREFETCHT0 2048(AX)
	VCVTPH2PS (AX), Z1
	VCVTPH2PS 32(AX), Z2
	VCVTPH2PS 64(AX), Z3
	VCVTPH2PS 96(AX), Z4
	VFMADD231PS (DI), Z1, Z0
	VFMADD231PS 64(DI), Z2, Z5
	VFMADD231PS 128(DI), Z3, Z6
	VFMADD231PS 192(DI), Z4, Z7
	ADDQ $128, AX
	ADDQ $256, DI
	SUBQ $64, CX
	CMPQ CX, $64
	JGE f16rloop
f16rtail:
	TESTQ CX, CX
	JZ f16rsum
	VCVTPH2PS (AX), Z1
	VFMADD231PS (DI), Z1, Z0
	ADDQ $32, AX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP f16rtail
f16rsum:
	VADDPS Z5, Z0, Z0
	VADDPS Z7, Z6, Z6
	VADDPS Z6, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ R8, SI
	DECQ BX
	JNZ f16rrow
f16rdone:
	VZEROUPPER
	RET
