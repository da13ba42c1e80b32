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
