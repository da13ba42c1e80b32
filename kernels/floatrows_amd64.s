#include "textflag.h"

// Sum the four accumulators a, b, c, e (clobbered) into the float at dst
// (Y1/X1 scratch).
#define F16SUM(a, b, c, e, ya, xa, dst) \
	VADDPS b, a, a \
	VADDPS e, c, c \
	VADDPS c, a, a \
	VEXTRACTF64X4 $1, a, Y1 \
	VADDPS Y1, ya, ya \
	VEXTRACTF128 $1, ya, X1 \
	VADDPS X1, xa, xa \
	VHADDPS xa, xa, xa \
	VHADDPS xa, xa, xa \
	VMOVSS xa, dst

// 64 values of the row at ptr against x at DI into a, b, c, e.
#define F16STEP(ptr, a, b, c, e) \
	PREFETCHT0 2048(ptr) \
	VCVTPH2PS (ptr), Z1 \
	VCVTPH2PS 32(ptr), Z2 \
	VCVTPH2PS 64(ptr), Z3 \
	VCVTPH2PS 96(ptr), Z4 \
	VFMADD231PS (DI), Z1, a \
	VFMADD231PS 64(DI), Z2, b \
	VFMADD231PS 128(DI), Z3, c \
	VFMADD231PS 192(DI), Z4, e

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
	F16STEP(AX, Z0, Z5, Z6, Z7)
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
	F16SUM(Z0, Z5, Z6, Z7, Y0, X0, (DX))
	ADDQ $4, DX
	ADDQ R8, SI
	DECQ BX
	JNZ f16rrow
f16rdone:
	VZEROUPPER
	RET

// func f16Rows2AVX512(wA, wB *byte, rowBytes, nrows int, x *float32, n int, outA, outB *float32)
// f16RowsAVX512 over nrows rows at wA and nrows rows at wB at once,
// alternating 64-value steps between them, so that one thread keeps two
// memory streams going (see PAIRROWS in x16_amd64.s). Each row's sum is the
// one-row kernel's, in the same order.
TEXT ·f16Rows2AVX512(SB), NOSPLIT, $0-64
	MOVQ wA+0(FP), SI
	MOVQ wB+8(FP), R11
	MOVQ rowBytes+16(FP), R8
	MOVQ nrows+24(FP), BX
	MOVQ x+32(FP), R9
	MOVQ n+40(FP), R10
	MOVQ outA+48(FP), DX
	MOVQ outB+56(FP), R15
	SUBQ DX, R15
	TESTQ BX, BX
	JZ f16pdone
f16prow:
	MOVQ SI, AX
	MOVQ R11, R12
	MOVQ R9, DI
	MOVQ R10, CX
	VPXORD Z0, Z0, Z0
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	CMPQ CX, $64
	JLT f16ptail
f16ploop:
	F16STEP(AX, Z0, Z5, Z6, Z7)
	F16STEP(R12, Z10, Z11, Z12, Z13)
	ADDQ $128, AX
	ADDQ $128, R12
	ADDQ $256, DI
	SUBQ $64, CX
	CMPQ CX, $64
	JGE f16ploop
f16ptail:
	TESTQ CX, CX
	JZ f16psum
	VCVTPH2PS (AX), Z1
	VFMADD231PS (DI), Z1, Z0
	VCVTPH2PS (R12), Z2
	VFMADD231PS (DI), Z2, Z10
	ADDQ $32, AX
	ADDQ $32, R12
	ADDQ $64, DI
	SUBQ $16, CX
	JMP f16ptail
f16psum:
	F16SUM(Z0, Z5, Z6, Z7, Y0, X0, (DX))
	F16SUM(Z10, Z11, Z12, Z13, Y10, X10, (DX)(R15*1))
	ADDQ $4, DX
	ADDQ R8, SI
	ADDQ R8, R11
	DECQ BX
	JNZ f16prow
f16pdone:
	VZEROUPPER
	RET
