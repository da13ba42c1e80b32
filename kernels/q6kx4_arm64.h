// Body of the four-token Q6_K kernel: one weight row against the Q8_K
// activations of four tokens, xStride bytes apart. Included by
// kquantx4_arm64.s once per variant with DOT (see neon_arm64.h) and the
// TEXT symbol Q6X4FN set.
//
// Each sub-block of 16 weights is unpacked once into V6 and multiplied with
// the four tokens' 16 activations; the sums are folded to one lane per
// token and scaled by the sub-block's int8 scale (MLA by element) into V26.

// Q6X4DOT(s, i): V6 against the next 16 activations of each token, scaled
// by lane i of Vs.
#define Q6X4DOT(s, i) \
	VEOR V16.B16, V16.B16, V16.B16; \
	VEOR V17.B16, V17.B16, V17.B16; \
	VEOR V18.B16, V18.B16, V18.B16; \
	VEOR V19.B16, V19.B16, V19.B16; \
	VLD1.P 16(R7), [V8.B16]; \
	VLD1.P 16(R8), [V9.B16]; \
	VLD1.P 16(R9), [V10.B16]; \
	VLD1.P 16(R10), [V11.B16]; \
	DOT(16, 6, 8); \
	DOT(17, 6, 9); \
	DOT(18, 6, 10); \
	DOT(19, 6, 11); \
	ADDP32(16, 16, 17); \
	ADDP32(18, 18, 19); \
	ADDP32(16, 16, 18); \
	MLAE32(26, 16, s, i)

// Q6LO(ql, qh, sh): the low nibbles of Vql with bits 4..5 from Vqh shifted
// left by sh (2 or 4), minus 32, into V6. Q6HI(ql, qh, sh): the high nibbles
// with bits 4..5 from Vqh shifted right by sh (0 or 2).
#define Q6LO(ql, qh, sh) \
	AND16B(6, ql, 27); \
	SHL16B(7, qh, sh); \
	AND16B(7, 7, 28); \
	ORR16B(6, 6, 7); \
	SUB16B(6, 6, 29)
#define Q6HI(ql, qh, sh) \
	USHR16B(6, ql, 4); \
	USHR16B(7, qh, sh); \
	AND16B(7, 7, 28); \
	ORR16B(6, 6, 7); \
	SUB16B(6, 6, 29)

// func Q6X4FN(w *byte, x *byte, nb int, xStride int, out *[4]float32)
TEXT Q6X4FN, NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD x+8(FP), R20
	MOVD nb+16(FP), R3
	MOVD xStride+24(FP), R2
	MOVD out+32(FP), R6
	ADD R2, R20, R21
	ADD R2, R21, R22
	ADD R2, R22, R23
	VMOVI $15, V27.B16
	VMOVI $48, V28.B16
	VMOVI $32, V29.B16
	VEOR V30.B16, V30.B16, V30.B16

q6x4block:
	MOVD R0, R19
	ADD $128, R0, R4
	ADD $192, R0, R5
	ADD $4, R20, R7
	ADD $4, R21, R8
	ADD $4, R22, R9
	ADD $4, R23, R10
	MOVD $2, R11
	VEOR V26.B16, V26.B16, V26.B16

q6x4half:
	VLD1.P 64(R19), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1.P 32(R4), [V4.B16, V5.B16]
	// The half's eight scales: V24 (0..3) and V25 (4..7), int32.
	MOVD.P 8(R5), R12
	VMOV R12, V24.D[0]
	SXTL8(24, 24)
	SXTL2_16(25, 24)
	SXTL16(24, 24)
	Q6LO(0, 4, 4)
	Q6X4DOT(24, 0)
	Q6LO(1, 5, 4)
	Q6X4DOT(24, 1)
	Q6LO(2, 4, 2)
	Q6X4DOT(24, 2)
	Q6LO(3, 5, 2)
	Q6X4DOT(24, 3)
	// Q6HI with shift 0: the bits are in place; USHR by 8 would clear them.
	USHR16B(6, 0, 4)
	AND16B(7, 4, 28)
	ORR16B(6, 6, 7)
	SUB16B(6, 6, 29)
	Q6X4DOT(25, 0)
	USHR16B(6, 1, 4)
	AND16B(7, 5, 28)
	ORR16B(6, 6, 7)
	SUB16B(6, 6, 29)
	Q6X4DOT(25, 1)
	Q6HI(2, 4, 2)
	Q6X4DOT(25, 2)
	Q6HI(3, 5, 2)
	Q6X4DOT(25, 3)
	SUBS $1, R11, R11
	BNE q6x4half

	// Times d·dx per token.
	SCVTF32(26, 26)
	MOVWU (R20), R12
	VMOV R12, V5.S[0]
	MOVWU (R21), R12
	VMOV R12, V5.S[1]
	MOVWU (R22), R12
	VMOV R12, V5.S[2]
	MOVWU (R23), R12
	VMOV R12, V5.S[3]
	MOVHU 208(R0), R12
	FMOVS R12, F6
	FCVTHS F6, F6
	VDUP V6.S[0], V6.S4
	FMUL32(6, 6, 5)
	FMLA32(30, 26, 6)

	ADD $210, R0, R0
	ADD $292, R20, R20
	ADD $292, R21, R21
	ADD $292, R22, R22
	ADD $292, R23, R23
	SUBS $1, R3, R3
	BNE q6x4block

	VST1 [V30.S4], (R6)
	RET

#undef Q6X4DOT
#undef Q6LO
#undef Q6HI
