#include "textflag.h"
#include "macros_amd64.h"

// The two-run row kernels (wA, wB *byte, rowBytes, nrows int, x *T, n int,
// outA, outB *float32) keep rows A at SI and B at R11 (rowBytes, R8,
// apart), the rows left in BX, the activations at R9 (n values, R10) and
// the outputs at DX and R12. ROWS2ARGS loads them; ROWS2ROW starts a pair
// of rows (AX and R13 walk rows A and B, DI the activations, CX counts the
// values left); ROWS2NEXT moves to the next pair and counts it off.
#define ROWS2ARGS \
	MOVQ wA+0(FP), SI \
	MOVQ wB+8(FP), R11 \
	MOVQ rowBytes+16(FP), R8 \
	MOVQ nrows+24(FP), BX \
	MOVQ x+32(FP), R9 \
	MOVQ n+40(FP), R10 \
	MOVQ outA+48(FP), DX \
	MOVQ outB+56(FP), R12

#define ROWS2ROW \
	MOVQ SI, AX \
	MOVQ R11, R13 \
	MOVQ R9, DI \
	MOVQ R10, CX

#define ROWS2NEXT \
	ADDQ $4, DX \
	ADDQ $4, R12 \
	ADDQ R8, SI \
	ADDQ R8, R11 \
	DECQ BX

// func f16RowsAVX512(w *byte, rowBytes, nrows int, x *float32, n int, out *float32)
// out[r] = row r · x for nrows consecutive F16 rows of n values (n % 16 ==
// 0) rowBytes apart: the decode product of F16 weights, one call per chunk
// of rows so that no per-row call or setup interrupts the stream. 32
// values a step, read as one 64-byte vector whose halves are widened
// separately, into two accumulators (Z0 the first 16, Z5 the second), then
// 16 at a time into Z0; f16Rows2AVX512 sums in the same order.
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
	CMPQ CX, $32
	JLT f16rtail
f16rloop:
	VMOVDQU64 (AX), Z1
	VEXTRACTI64X4 $1, Z1, Y2
	VCVTPH2PS Y1, Z1
	VCVTPH2PS Y2, Z2
	VFMADD231PS (DI), Z1, Z0
	VFMADD231PS 64(DI), Z2, Z5
	ADDQ $64, AX
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE f16rloop
f16rtail:
	TESTQ CX, CX
	JZ f16rsum
	VCVTPH2PS (AX), Z1
	VFMADD231PS (DI), Z1, Z0
f16rsum:
	VADDPS Z5, Z0, Z0
	HSUM512
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
// bfloat16 activations x of n values (n % 32 == 0), by VDPBF16PS, 32
// values (one 64-byte vector) at a time into one accumulator;
// bf16Rows2BF16AVX512 sums in the same order.
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
	TESTQ CX, CX
	JZ bf16rsum
bf16rloop:
	VMOVDQU64 (AX), Z1
	VMOVDQU64 (DI), Z8
	DPBF16(1, 8, 0)
	ADDQ $64, AX
	ADDQ $64, DI
	SUBQ $32, CX
	JNZ bf16rloop
bf16rsum:
	HSUM512
	VMOVSS X0, (DX)
	ADDQ $4, DX
	ADDQ R8, SI
	DECQ BX
	JNZ bf16rrow
bf16rdone:
	VZEROUPPER
	RET

// func f16Rows2AVX512(wA, wB *byte, rowBytes, nrows int, x *float32, n int, outA, outB *float32)
// f16RowsAVX512 for two runs of nrows rows at once (rows wA… and wB…,
// rowBytes apart), alternating between them every 32 values so that the
// thread keeps two memory streams in flight, with each step's activations
// loaded once for both rows: two loads per weight cache line where
// f16RowsAVX512 issues three. Every row's sums are f16RowsAVX512's, in the
// same order.
TEXT ·f16Rows2AVX512(SB), NOSPLIT, $0-64
	ROWS2ARGS
	TESTQ BX, BX
	JZ f162done
f162row:
	ROWS2ROW
	VPXORD Z0, Z0, Z0
	VPXORD Z5, Z5, Z5
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	CMPQ CX, $32
	JLT f162tail
f162loop:
	VMOVDQU64 (AX), Z1
	VMOVDQU64 (R13), Z3
	VMOVUPS (DI), Z8
	VMOVUPS 64(DI), Z9
	VEXTRACTI64X4 $1, Z1, Y2
	VEXTRACTI64X4 $1, Z3, Y4
	VCVTPH2PS Y1, Z1
	VCVTPH2PS Y2, Z2
	VCVTPH2PS Y3, Z3
	VCVTPH2PS Y4, Z4
	VFMADD231PS Z8, Z1, Z0
	VFMADD231PS Z9, Z2, Z5
	VFMADD231PS Z8, Z3, Z16
	VFMADD231PS Z9, Z4, Z17
	ADDQ $64, AX
	ADDQ $64, R13
	ADDQ $128, DI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE f162loop
f162tail:
	TESTQ CX, CX
	JZ f162sum
	VMOVUPS (DI), Z8
	VCVTPH2PS (AX), Z1
	VFMADD231PS Z8, Z1, Z0
	VCVTPH2PS (R13), Z3
	VFMADD231PS Z8, Z3, Z16
f162sum:
	VADDPS Z5, Z0, Z0
	HSUM512
	VMOVSS X0, (DX)
	VADDPS Z17, Z16, Z0
	HSUM512
	VMOVSS X0, (R12)
	ROWS2NEXT
	JNZ f162row
f162done:
	VZEROUPPER
	RET

// func bf16Rows2BF16AVX512(wA, wB *byte, rowBytes, nrows int, x *uint16, n int, outA, outB *float32)
// bf16RowsBF16AVX512 for two runs of nrows rows at once (rows wA… and wB…,
// rowBytes apart), alternating between them every 32 values so that the
// thread keeps two memory streams in flight, each activation vector loaded
// once for both rows. Every row's sums are bf16RowsBF16AVX512's, in the
// same order.
TEXT ·bf16Rows2BF16AVX512(SB), NOSPLIT, $0-64
	ROWS2ARGS
	TESTQ BX, BX
	JZ bf162done
bf162row:
	ROWS2ROW
	VPXORD Z0, Z0, Z0
	VPXORD Z16, Z16, Z16
	TESTQ CX, CX
	JZ bf162sum
bf162loop:
	VMOVDQU64 (AX), Z1
	VMOVDQU64 (R13), Z2
	VMOVDQU64 (DI), Z8
	DPBF16(1, 8, 0)
	DPBF16(2, 8, 16)
	ADDQ $64, AX
	ADDQ $64, R13
	ADDQ $64, DI
	SUBQ $32, CX
	JNZ bf162loop
bf162sum:
	HSUM512
	VMOVSS X0, (DX)
	VMOVAPS Z16, Z0
	HSUM512
	VMOVSS X0, (R12)
	ROWS2NEXT
	JNZ bf162row
bf162done:
	VZEROUPPER
	RET
