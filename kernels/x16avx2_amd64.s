#include "textflag.h"
#include "macros_amd64.h"

// AVX2 kernels for x16 Q4_0 rows (see x16.go). A 256-bit register holds
// half of an x16 vector: lanes 0..7 (blocks 0..7 of the super group) at
// offset 0, lanes 8..15 at offset 32. Each half is finished on its own:
// VPMADDUBSW multiplies the unsigned weights (0..15) with the signed
// activation quants and adds pairs into int16 words; the eight vectors of a
// half add up in int16 (at most 16 products of 15·127 per word, so no word
// overflows) before VPMADDWD with ones widens the words to the eight int32
// block sums. The sums are exact and are scaled as the AVX-512 kernels scale
// them (sum + correction, converted, times weight scale · activation scale).
//
// Registers, as in the AVX-512 kernels:
//   SI  weight quants of the current row, AX its fp16 block scales
//   DI  activation quants, R8 corrections, R9 activation scales (token 0)
//   CX  super groups left in the row, BX rows left, DX output

DATA x2Ones<>+0(SB)/8, $0x0001000100010001
DATA x2Ones<>+8(SB)/8, $0x0001000100010001
DATA x2Ones<>+16(SB)/8, $0x0001000100010001
DATA x2Ones<>+24(SB)/8, $0x0001000100010001
GLOBL x2Ones<>(SB), RODATA|NOPTR, $32

// X2SPLAT broadcasts the dword imm into all eight lanes of y.
#define X2SPLAT(imm, x, y) \
	MOVL imm, R10 \
	VMOVD R10, x \
	VPBROADCASTD x, y

// X2HSUM stores the sum of the eight floats of y (x its low half) at dst.
#define X2HSUM(y, x, dst) \
	VEXTRACTF128 $1, y, X13 \
	VADDPS X13, x, X13 \
	VHADDPS X13, X13, X13 \
	VHADDPS X13, X13, X13 \
	VMOVSS X13, dst

// X2UNPACK unpacks part m of the current half (64·m + h bytes at SI) into
// the low nibbles lo and the high nibbles hi.
#define X2UNPACK(off, lo, hi) \
	VMOVDQU off(SI), lo \
	VPSRLW $4, lo, hi \
	VPAND Y15, lo, lo \
	VPAND Y15, hi, hi

// X2HALF: one half (h = 0 or 32 bytes into each vector) of a super group for
// one token. s, a, b, c, e are scratch; Y15 = 0x0f bytes, Y14 = 0x0001
// words; acc += (sums + corrections) · (weight scales · activation scales).
#define X2HALF(h, hs, s, a, b, c, e, acc) \
	VCVTPH2PS hs(AX), s \
	X2UNPACK(h+0, a, b) \
	VPMADDUBSW h+0(DI), a, c \
	VPMADDUBSW h+64(DI), b, e \
	X2UNPACK(h+64, a, b) \
	VPMADDUBSW h+128(DI), a, a \
	VPMADDUBSW h+192(DI), b, b \
	VPADDW a, c, c \
	VPADDW b, e, e \
	X2UNPACK(h+128, a, b) \
	VPMADDUBSW h+256(DI), a, a \
	VPMADDUBSW h+320(DI), b, b \
	VPADDW a, c, c \
	VPADDW b, e, e \
	X2UNPACK(h+192, a, b) \
	VPMADDUBSW h+384(DI), a, a \
	VPMADDUBSW h+448(DI), b, b \
	VPADDW a, c, c \
	VPADDW b, e, e \
	VPADDW e, c, c \
	VPMADDWD Y14, c, c \
	VPADDD h(R8), c, c \
	VCVTDQ2PS c, c \
	VMULPS h(R9), s, s \
	VFMADD231PS s, c, acc

// func q4x16RowsAVX2(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, out *float32)
// out[r] = row r · token, for nrows consecutive x16 Q4_0 rows of nsg super
// groups each (288·nsg bytes a row). The two halves keep their own
// accumulators, added before the final sum as the AVX-512 kernel adds the
// halves of its 16 lanes, so the results equal q4x16RowsAVX512's.
TEXT ·q4x16RowsAVX2(SB), NOSPLIT, $0-56
	MOVQ w+0(FP), SI
	MOVQ nrows+8(FP), BX
	MOVQ nsg+16(FP), R12
	MOVQ out+48(FP), DX
	X2SPLAT($0x0f0f0f0f, X15, Y15)
	X2SPLAT($0x00010001, X14, Y14)
	MOVQ R12, R14
	SHLQ $5, R14
	TESTQ BX, BX
	JZ x2rdone
x2rrow:
	MOVQ qs+24(FP), DI
	MOVQ corr+32(FP), R8
	MOVQ d+40(FP), R9
	MOVQ SI, AX
	ADDQ R14, SI
	LEAQ (SI)(R14*8), R15
	PREFSCALES
	MOVQ R12, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
x2rsg:
	X2HALF(0, 0, Y2, Y3, Y4, Y5, Y6, Y0)
	X2HALF(32, 16, Y7, Y8, Y9, Y10, Y11, Y1)
	ADDQ $256, SI
	ADDQ $32, AX
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ x2rsg
	VADDPS Y1, Y0, Y0
	X2HSUM(Y0, X0, (DX))
	ADDQ $4, DX
	DECQ BX
	JNZ x2rrow
x2rdone:
	VZEROUPPER
	RET

// Four-token kernel. Token t's activations are at DI + t·R11 (quants),
// R8 + t·R12 (corrections) and R9 + t·R12 (scales); R10 = 3·R11,
// R13 = 3·R12. Per half: Y0..Y7 the unpacked weight vectors 0..7, Y8 the
// weight scales, Y9..Y12 the tokens' accumulators, Y13/Y14 scratch,
// Y15 = 0x0f bytes.

// X2TOK: one token's half h against Y0..Y7.
#define X2TOK(h, base, cbase, dbase, acc) \
	VPMADDUBSW h+0 base, Y0, Y13 \
	VPMADDUBSW h+64 base, Y1, Y14 \
	VPADDW Y14, Y13, Y13 \
	VPMADDUBSW h+128 base, Y2, Y14 \
	VPADDW Y14, Y13, Y13 \
	VPMADDUBSW h+192 base, Y3, Y14 \
	VPADDW Y14, Y13, Y13 \
	VPMADDUBSW h+256 base, Y4, Y14 \
	VPADDW Y14, Y13, Y13 \
	VPMADDUBSW h+320 base, Y5, Y14 \
	VPADDW Y14, Y13, Y13 \
	VPMADDUBSW h+384 base, Y6, Y14 \
	VPADDW Y14, Y13, Y13 \
	VPMADDUBSW h+448 base, Y7, Y14 \
	VPADDW Y14, Y13, Y13 \
	VPMADDWD x2Ones<>(SB), Y13, Y13 \
	VPADDD h cbase, Y13, Y13 \
	VCVTDQ2PS Y13, Y13 \
	VMULPS h dbase, Y8, Y14 \
	VFMADD231PS Y14, Y13, acc

#define X2X4HALF(h, hs) \
	VCVTPH2PS hs(AX), Y8 \
	X2UNPACK(h+0, Y0, Y1) \
	X2UNPACK(h+64, Y2, Y3) \
	X2UNPACK(h+128, Y4, Y5) \
	X2UNPACK(h+192, Y6, Y7) \
	X2TOK(h, (DI), (R8), (R9), Y9) \
	X2TOK(h, (DI)(R11*1), (R8)(R12*1), (R9)(R12*1), Y10) \
	X2TOK(h, (DI)(R11*2), (R8)(R12*2), (R9)(R12*2), Y11) \
	X2TOK(h, (DI)(R10*1), (R8)(R13*1), (R9)(R13*1), Y12)

// func q4x16RowsX4AVX2(w *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, qsStride, aStride int, out *float32, ostride int)
// q4x16RowsAVX2 for four tokens; token t's result for row r goes to
// out + t·ostride + 4r (ostride in bytes).
TEXT ·q4x16RowsX4AVX2(SB), NOSPLIT, $0-80
	MOVQ w+0(FP), SI
	MOVQ nrows+8(FP), BX
	MOVQ qsStride+48(FP), R11
	MOVQ aStride+56(FP), R12
	LEAQ (R11)(R11*2), R10
	LEAQ (R12)(R12*2), R13
	MOVQ out+64(FP), DX
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	TESTQ BX, BX
	JZ x2x4done
x2x4row:
	MOVQ nsg+16(FP), R14
	SHLQ $5, R14
	MOVQ SI, AX
	ADDQ R14, SI
	MOVQ qs+24(FP), DI
	MOVQ corr+32(FP), R8
	MOVQ d+40(FP), R9
	MOVQ nsg+16(FP), CX
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
x2x4sg:
	// A few tokens read their weights from memory here (see P2PF256 in
	// x16_amd64.s): ask for the header line and the quants 16 KB on.
	PREFETCHT0 16384(AX)
	PREFETCHT0 16384(SI)
	PREFETCHT0 16448(SI)
	PREFETCHT0 16512(SI)
	PREFETCHT0 16576(SI)
	X2X4HALF(0, 0)
	X2X4HALF(32, 16)
	ADDQ $256, SI
	ADDQ $32, AX
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ x2x4sg
	MOVQ ostride+72(FP), R14
	X2HSUM(Y9, X9, (DX))
	X2HSUM(Y10, X10, (DX)(R14*1))
	X2HSUM(Y11, X11, (DX)(R14*2))
	LEAQ (R14)(R14*2), R14
	X2HSUM(Y12, X12, (DX)(R14*1))
	ADDQ $4, DX
	DECQ BX
	JNZ x2x4row
x2x4done:
	VZEROUPPER
	RET

// X2ROUND scales the eight floats of y by Y5 and rounds them half away from
// zero (GGML's roundf) to int32: truncate, then add ±1 where the dropped
// fraction is at least one half. Y15 = abs mask, Y14 = sign mask,
// Y13 = 1.0, Y12 = 0.5; Y6..Y8 scratch.
#define X2ROUND(y) \
	VMULPS Y5, y, y \
	VROUNDPS $3, y, Y6 \
	VSUBPS Y6, y, Y7 \
	VANDPS Y15, Y7, Y7 \
	VCMPPS $0x1d, Y12, Y7, Y7 \
	VANDPS Y14, y, Y8 \
	VORPS Y13, Y8, Y8 \
	VANDPS Y7, Y8, Y8 \
	VADDPS Y8, Y6, y \
	VCVTTPS2DQ y, y

// X2SUMHALF: the eight block sums of half h (Σq, in int32) times Y11 into
// h(R11). Y9 = 0x01 bytes, Y10 = 0x0001 words.
#define X2SUMHALF(h) \
	VPMADDUBSW h+0(DI), Y9, Y1 \
	VPMADDUBSW h+64(DI), Y9, Y2 \
	VPMADDUBSW h+128(DI), Y9, Y3 \
	VPMADDUBSW h+192(DI), Y9, Y4 \
	VPADDW Y3, Y1, Y1 \
	VPADDW Y4, Y2, Y2 \
	VPMADDUBSW h+256(DI), Y9, Y3 \
	VPMADDUBSW h+320(DI), Y9, Y4 \
	VPADDW Y3, Y1, Y1 \
	VPADDW Y4, Y2, Y2 \
	VPMADDUBSW h+384(DI), Y9, Y3 \
	VPMADDUBSW h+448(DI), Y9, Y4 \
	VPADDW Y3, Y1, Y1 \
	VPADDW Y4, Y2, Y2 \
	VPADDW Y2, Y1, Y1 \
	VPMADDWD Y10, Y1, Y1 \
	VPMULLD Y11, Y1, Y1 \
	VMOVDQU Y1, h(R11)

// func quantX16AVX2(x *float32, nb int, qs *byte, d *float32, corr *int32, negOff int32)
// quantX16AVX512 for AVX2: nb (a multiple of 16) blocks of 32 floats to
// Q8_0 quants and scales (bit for bit those of tensor.Quantize) in the x16
// order, then the corrections negOff·Σq of each block.
TEXT ·quantX16AVX2(SB), NOSPLIT, $0-44
	MOVQ x+0(FP), SI
	MOVQ nb+8(FP), CX
	MOVQ qs+16(FP), DI
	MOVQ d+24(FP), R9
	X2SPLAT($0x7fffffff, X15, Y15) // abs mask
	X2SPLAT($0x80000000, X14, Y14) // sign mask
	X2SPLAT($0x3f800000, X13, Y13) // 1.0
	X2SPLAT($0x3f000000, X12, Y12) // 0.5
	MOVL $0x42fe0000, AX
	VMOVD AX, X11                  // 127.0
	XORQ R10, R10                  // block index
	TESTQ CX, CX
	JZ x2q_corr

x2q_loop:
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VMOVUPS 64(SI), Y3
	VMOVUPS 96(SI), Y4
	VANDPS Y15, Y1, Y5
	VANDPS Y15, Y2, Y6
	VMAXPS Y6, Y5, Y5
	VANDPS Y15, Y3, Y6
	VMAXPS Y6, Y5, Y5
	VANDPS Y15, Y4, Y6
	VMAXPS Y6, Y5, Y5
	VEXTRACTF128 $1, Y5, X6
	VMAXPS X6, X5, X5
	VPERMILPS $0x4e, X5, X6
	VMAXPS X6, X5, X5
	VPERMILPS $0xb1, X5, X6
	VMAXPS X6, X5, X5
	VDIVSS X11, X5, X5
	VCVTPS2PH $0, X5, X6
	VCVTPH2PS X6, X6
	VMOVSS X6, (R9)(R10*4)
	VXORPS X6, X6, X6
	VUCOMISS X6, X5
	JEQ x2q_zero
	VDIVSS X5, X13, X5
	VBROADCASTSS X5, Y5
	JMP x2q_scaled
x2q_zero:
	VXORPS Y5, Y5, Y5
x2q_scaled:
	X2ROUND(Y1)
	X2ROUND(Y2)
	X2ROUND(Y3)
	X2ROUND(Y4)
	// Bytes of 128-bit lane 0: values 0-3, 8-11, 16-19, 24-27; lane 1:
	// 4-7, 12-15, 20-23, 28-31 (vectors u = 0, 4, 1, 5 and 2, 6, 3, 7).
	VPACKSSDW Y2, Y1, Y1
	VPACKSSDW Y4, Y3, Y3
	VPACKSSWB Y3, Y1, Y1
	// lane of block R10: (R10/16)·512 + 4·(R10%16)
	MOVQ R10, AX
	SHRQ $4, AX
	SHLQ $9, AX
	MOVQ R10, BX
	ANDQ $15, BX
	LEAQ (AX)(BX*4), AX
	ADDQ DI, AX
	VMOVD X1, (AX)
	VPEXTRD $1, X1, 256(AX)
	VPEXTRD $2, X1, 64(AX)
	VPEXTRD $3, X1, 320(AX)
	VEXTRACTI128 $1, Y1, X2
	VMOVD X2, 128(AX)
	VPEXTRD $1, X2, 384(AX)
	VPEXTRD $2, X2, 192(AX)
	VPEXTRD $3, X2, 448(AX)
	ADDQ $128, SI
	INCQ R10
	CMPQ R10, CX
	JLT x2q_loop

x2q_corr:
	MOVQ qs+16(FP), DI
	MOVQ corr+32(FP), R11
	SHRQ $4, CX
	MOVL negOff+40(FP), AX
	VMOVD AX, X11
	VPBROADCASTD X11, Y11
	X2SPLAT($0x01010101, X9, Y9)
	X2SPLAT($0x00010001, X10, Y10)
	TESTQ CX, CX
	JZ x2q_done
x2q_corrloop:
	X2SUMHALF(0)
	X2SUMHALF(32)
	ADDQ $512, DI
	ADDQ $64, R11
	DECQ CX
	JNZ x2q_corrloop
x2q_done:
	VZEROUPPER
	RET

// func q4x16Rows2AVX2(wA, wB *byte, nrows, nsg int, qs *byte, corr *int32, d *float32, outA, outB *float32)
// q4x16RowsAVX2 over nrows rows at wA and nrows rows at wB at once,
// alternating super groups between them (see PAIRROWS in x16_amd64.s):
// SI/AX row A's quants/scales, R10/R13 row B's, Y0/Y1 and Y12/Y13 their
// sums, R15 the distance from A's outputs to B's. Each row's sum is the
// one-row kernel's, in the same order.
TEXT ·q4x16Rows2AVX2(SB), NOSPLIT, $0-72
	X2SPLAT($0x0f0f0f0f, X15, Y15)
	X2SPLAT($0x00010001, X14, Y14)
	MOVQ wA+0(FP), SI
	MOVQ wB+8(FP), R10
	MOVQ nrows+16(FP), BX
	MOVQ nsg+24(FP), R12
	MOVQ outA+56(FP), DX
	MOVQ outB+64(FP), R15
	SUBQ DX, R15
	MOVQ R12, R14
	SHLQ $5, R14
	TESTQ BX, BX
	JZ x2pdone
x2prow:
	MOVQ qs+32(FP), DI
	MOVQ corr+40(FP), R8
	MOVQ d+48(FP), R9
	MOVQ SI, AX
	ADDQ R14, SI
	MOVQ R10, R13
	ADDQ R14, R10
	XORQ R11, R11
x2ppf:
	PREFETCHT0 (AX)(R11*1)
	PREFETCHT0 (R13)(R11*1)
	ADDQ $64, R11
	CMPQ R11, R14
	JLT x2ppf
	MOVQ R12, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
x2psg:
	X2HALF(0, 0, Y2, Y3, Y4, Y5, Y6, Y0)
	X2HALF(32, 16, Y7, Y8, Y9, Y10, Y11, Y1)
	XCHGQ SI, R10
	XCHGQ AX, R13
	X2HALF(0, 0, Y2, Y3, Y4, Y5, Y6, Y12)
	X2HALF(32, 16, Y7, Y8, Y9, Y10, Y11, Y13)
	XCHGQ SI, R10
	XCHGQ AX, R13
	ADDQ $256, SI
	ADDQ $256, R10
	ADDQ $32, AX
	ADDQ $32, R13
	ADDQ $512, DI
	ADDQ $64, R8
	ADDQ $64, R9
	DECQ CX
	JNZ x2psg
	VADDPS Y1, Y0, Y0
	VADDPS Y13, Y12, Y12
	X2HSUM(Y0, X0, (DX))
	X2HSUM(Y12, X12, (DX)(R15*1))
	ADDQ $4, DX
	DECQ BX
	JNZ x2prow
x2pdone:
	VZEROUPPER
	RET
