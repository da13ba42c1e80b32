#include "textflag.h"
#include "neon_arm64.h"

// Activation quantizers: Q8_0 into the q8Act layout (see act.go) and Q8_K,
// with the same bytes as tensor.Quantize. Q8_0 rounds halves away from
// zero (FCVTAS), Q8_K to even by GGML's own trick (adding 1.5·2^23 and
// reading the low mantissa bits), which also gives GGML's values for
// products beyond 2^22.

// FABS Vd.4S, Vn.4S
#define FABS32(d, n) ENC2(0x4EA0F800, d, n)
// FMAX Vd.4S, Vn.4S, Vm.4S
#define FMAX32(d, n, m) ENC3(0x4E20F400, d, n, m)
// FMAXV Sd, Vn.4S
#define FMAXV(d, n) ENC2(0x6E30F800, d, n)
// FCVTAS Vd.4S, Vn.4S (to nearest, halves away from zero)
#define FCVTAS32(d, n) ENC2(0x4E21C800, d, n)
// SUB Vd.4S, Vn.4S, Vm.4S
#define SUB32(d, n, m) ENC3(0x6EA08400, d, n, m)
// XTN Vd.4H, Vn.4S and XTN2 Vd.8H, Vn.4S
#define XTN16(d, n) ENC2(0x0E612800, d, n)
#define XTN2_16(d, n) ENC2(0x4E612800, d, n)
// XTN Vd.8B, Vn.8H and XTN2 Vd.16B, Vn.8H
#define XTN8(d, n) ENC2(0x0E212800, d, n)
#define XTN2_8(d, n) ENC2(0x4E212800, d, n)
// SADDLP Vd.8H, Vn.16B and SADDLP Vd.4S, Vn.8H
#define SADDLP8(d, n) ENC2(0x4E202800, d, n)
#define SADDLP16(d, n) ENC2(0x4E602800, d, n)
// SMIN Vd.4S, Vn.4S, Vm.4S
#define SMIN32(d, n, m) ENC3(0x4EA06C00, d, n, m)
// FCMEQ Vd.4S, Vn.4S, Vm.4S
#define FCMEQ32(d, n, m) ENC3(0x4E20E400, d, n, m)

// LOAD32 loads the next 32 floats at R0 into V0..V7.
#define LOAD32 \
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]; \
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]

// ABSMAX8 leaves the lane-wise maximum of |V0..V7| in V8.
#define ABSMAX8 \
	FABS32(8, 0); FABS32(9, 1); FABS32(10, 2); FABS32(11, 3); \
	FABS32(12, 4); FABS32(13, 5); FABS32(14, 6); FABS32(15, 7); \
	FMAX32(8, 8, 9); FMAX32(10, 10, 11); FMAX32(12, 12, 13); FMAX32(14, 14, 15); \
	FMAX32(8, 8, 10); FMAX32(12, 12, 14); FMAX32(8, 8, 12)

// SCALE8(s) multiplies V0..V7 by Vs; CVT8(op) converts them to int32.
#define SCALE8(s) \
	FMUL32(0, 0, s); FMUL32(1, 1, s); FMUL32(2, 2, s); FMUL32(3, 3, s); \
	FMUL32(4, 4, s); FMUL32(5, 5, s); FMUL32(6, 6, s); FMUL32(7, 7, s)
#define CVT8(op) \
	op(0, 0); op(1, 1); op(2, 2); op(3, 3); op(4, 4); op(5, 5); op(6, 6); op(7, 7)

// NARROW(lo, hi) keeps the low bytes of the int32 lanes of V0..V3 in Vlo
// and of V4..V7 in Vhi (C's conversion to int8).
#define NARROW(lo, hi) \
	XTN16(8, 0); XTN2_16(8, 1); XTN16(9, 2); XTN2_16(9, 3); XTN8(lo, 8); XTN2_8(lo, 9); \
	XTN16(8, 4); XTN2_16(8, 5); XTN16(9, 6); XTN2_16(9, 7); XTN8(hi, 8); XTN2_8(hi, 9)

// Q8QUANT(lo, hi) quantizes the next 32 floats at R0 to Q8_0: quants
// 0..15 in Vlo, 16..31 in Vhi, the unrounded scale d = max|x|/127 in F11;
// q = x·(1/d) rounded, or 0 where d is 0.
#define Q8QUANT(lo, hi) \
	LOAD32; \
	ABSMAX8; \
	FMAXV(8, 8); \
	FDIVS F29, F8, F11; \
	FDIVS F11, F28, F10; \
	FMOVS F11, R5; \
	FMOVS F10, R6; \
	CMPW $0, R5; \
	CSELW EQ, ZR, R6, R6; \
	VDUP R6, V10.S4; \
	SCALE8(10); \
	CVT8(FCVTAS32); \
	NARROW(lo, hi)

// Q8BLOCK(lo, hi) is Q8QUANT with the fp16-rounded scale stored as a
// float32 at R4 (post increment).
#define Q8BLOCK(lo, hi) \
	Q8QUANT(lo, hi); \
	FCVTSH F11, F12; \
	FCVTHS F12, F12; \
	FMOVS.P F12, 4(R4)

// CORR(d, q): the sums of each four consecutive quants of Vq times -off
// (V27) into Vd.
#define CORR(d, q) SADDLP8(d, q); SADDLP16(d, d); MUL32(d, d, 27)

// func quantQ8_0NEON(x *float32, nb int, npaired int, qs *byte, d *float32, corr *int32, negOff int32)
// The first npaired (even) blocks are stored in interleaved pairs, the rest
// in natural order; the corrections of a stored quant sit at the same byte
// offset in corr as the quant in qs.
TEXT ·quantQ8_0NEON(SB), NOSPLIT, $0-52
	MOVD x+0(FP), R0
	MOVD nb+8(FP), R1
	MOVD npaired+16(FP), R2
	MOVD qs+24(FP), R3
	MOVD d+32(FP), R4
	MOVD corr+40(FP), R7
	MOVW negOff+48(FP), R8
	VDUP R8, V27.S4
	MOVW $0x3f800000, R9
	FMOVS R9, F28
	MOVW $0x42fe0000, R9
	FMOVS R9, F29
	SUB R2, R1, R1
	LSR $1, R2, R2
	CBZ R2, q8natural

q8pairs:
	Q8BLOCK(16, 18)
	Q8BLOCK(17, 19)
	VST1.P [V16.B16, V17.B16, V18.B16, V19.B16], 64(R3)
	CORR(20, 16)
	CORR(21, 17)
	CORR(22, 18)
	CORR(23, 19)
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], 64(R7)
	SUBS $1, R2, R2
	BNE q8pairs

q8natural:
	CBZ R1, q8done

q8single:
	Q8BLOCK(16, 17)
	VST1.P [V16.B16, V17.B16], 32(R3)
	CORR(20, 16)
	CORR(21, 17)
	VST1.P [V20.S4, V21.S4], 32(R7)
	SUBS $1, R1, R1
	BNE q8single

q8done:
	RET

// NEAREST(d, n): the float lanes of Vn rounded to int32 as GGML's
// nearest_int does: (bits(v + 12582912) & 0x7fffff) - 0x400000, with the
// constants in V24, V25 and V26.
#define NEAREST(d, n) FADD32(d, n, 24); AND16B(d, d, 25); SUB32(d, d, 26)

// func quantQ8KNEON(x *float32, nb int, y *byte)
// Q8_K block: d = 1/iscale (float32), 256 int8 quants, 16 int16 sums of 16.
// mx is the first element of largest magnitude, iscale = -127/mx and
// q = min(127, x·iscale rounded to even); a block of zeros is all zero.
TEXT ·quantQ8KNEON(SB), NOSPLIT, $0-24
	MOVD x+0(FP), R0
	MOVD nb+8(FP), R1
	MOVD y+16(FP), R2
	MOVW $0x3f800000, R9
	FMOVS R9, F28
	MOVW $0xc2fe0000, R9
	FMOVS R9, F29
	MOVW $127, R9
	VDUP R9, V23.S4
	MOVW $0x4b400000, R9
	VDUP R9, V24.S4
	MOVW $0x007fffff, R9
	VDUP R9, V25.S4
	MOVW $0x00400000, R9
	VDUP R9, V26.S4

qkblock:
	MOVD R0, R3
	VEOR V20.B16, V20.B16, V20.B16
	MOVD $8, R10

qkamax:
	LOAD32
	ABSMAX8
	FMAX32(20, 20, 8)
	SUBS $1, R10, R10
	BNE qkamax
	FMAXV(20, 20)
	FMOVS F20, R9
	CBZW R9, qkzero

	// The first element whose magnitude is amax: four at a time, then
	// one by one within the four. A bound keeps non-finite input (no
	// match) inside the block.
	VDUP V20.S[0], V21.S4
	MOVD R3, R0
	MOVD $64, R11

qkfind4:
	VLD1.P 16(R0), [V0.S4]
	FABS32(0, 0)
	FCMEQ32(0, 0, 21)
	VMOV V0.D[0], R4
	VMOV V0.D[1], R5
	ORR R4, R5, R4
	CBNZ R4, qkfound4
	SUBS $1, R11, R11
	BNE qkfind4
	FMOVS F20, F1
	B qkscale

qkfound4:
	SUB $16, R0, R0

qkfind1:
	FMOVS.P 4(R0), F1
	FABSS F1, F2
	FCMPS F20, F2
	BNE qkfind1

qkscale:
	FDIVS F1, F29, F22
	FDIVS F22, F28, F9
	FMOVS F9, (R2)
	VDUP V22.S[0], V22.S4
	MOVD R3, R0
	ADD $4, R2, R8
	ADD $260, R2, R9
	MOVD $8, R10

qkquant:
	LOAD32
	SCALE8(22)
	CVT8(NEAREST)
	SMIN32(0, 0, 23); SMIN32(1, 1, 23); SMIN32(2, 2, 23); SMIN32(3, 3, 23)
	SMIN32(4, 4, 23); SMIN32(5, 5, 23); SMIN32(6, 6, 23); SMIN32(7, 7, 23)
	NARROW(16, 17)
	VST1.P [V16.B16, V17.B16], 32(R8)
	// Sums of quants 0..15 and 16..31 to the two low int16 lanes of V18.
	SADDLP8(18, 16)
	SADDLP8(19, 17)
	ADDP16(18, 18, 19)
	ADDP16(18, 18, 18)
	ADDP16(18, 18, 18)
	VMOV V18.S[0], R4
	MOVW.P R4, 4(R9)
	SUBS $1, R10, R10
	BNE qkquant
	B qknext

qkzero:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	MOVD R2, R4
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R4)
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R4)
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R4)
	VST1.P [V0.B16, V1.B16, V2.B16, V3.B16], 64(R4)
	VST1.P [V0.B16, V1.B16], 32(R4)
	MOVW ZR, (R4)

qknext:
	ADD $292, R2, R2
	SUBS $1, R1, R1
	BNE qkblock
	RET

// func quantQ8FileNEON(x *float32, nb int, y *byte, bs int)
// Q8_0 (bs = 34: fp16 d, 32 quants) or Q8_1 (bs = 36: fp16 d, fp16 s =
// Σq·d with the unrounded d, 32 quants) in the file layout.
TEXT ·quantQ8FileNEON(SB), NOSPLIT, $0-32
	MOVD x+0(FP), R0
	MOVD nb+8(FP), R1
	MOVD y+16(FP), R2
	MOVD bs+24(FP), R3
	MOVW $0x3f800000, R9
	FMOVS R9, F28
	MOVW $0x42fe0000, R9
	FMOVS R9, F29

q8floop:
	Q8QUANT(16, 17)
	FCVTSH F11, F12
	FMOVS F12, R6
	MOVH R6, (R2)
	ADD $2, R2, R7
	CMP $36, R3
	BNE q8fstore
	SADDLP8(18, 16)
	SADDLP8(19, 17)
	ADDP16(18, 18, 19)
	SADDLP16(18, 18)
	ADDP32(18, 18, 18)
	ADDP32(18, 18, 18)
	VMOV V18.S[0], R6
	SCVTFWS R6, F13
	FMULS F11, F13, F13
	FCVTSH F13, F13
	FMOVS F13, R6
	MOVH R6, 2(R2)
	ADD $4, R2, R7

q8fstore:
	VST1 [V16.B16, V17.B16], (R7)
	ADD R3, R2, R2
	SUBS $1, R1, R1
	BNE q8floop
	RET
