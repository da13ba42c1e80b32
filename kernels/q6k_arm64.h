// Body of the Q6_K row kernel against Q8_K activations, included by
// kquant_arm64.s once per variant with DOT (see neon_arm64.h) and the TEXT
// symbol Q6FN set.
//
// Q6_K block: 128 bytes of low nibbles, 64 of high bit pairs, 16 int8
// scales, fp16 d. Each half of 128 weights takes 64 + 32 bytes and gives
// eight sub-blocks of 16.

// func Q6FN(w *byte, x *byte, nb int) float32
TEXT Q6FN, NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nb+16(FP), R3
	VMOVI $15, V27.B16
	VMOVI $48, V28.B16
	VMOVI $32, V29.B16
	VEOR V30.B16, V30.B16, V30.B16

q6block:
	MOVD R0, R19
	ADD $128, R0, R20
	ADD $192, R0, R21
	ADD $4, R1, R2
	MOVD $2, R6
	VEOR V26.B16, V26.B16, V26.B16

q6half:
	VLD1.P 64(R19), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1.P 32(R20), [V4.B16, V5.B16]
	VLD1.P 64(R2), [V8.B16, V9.B16, V10.B16, V11.B16]
	VLD1.P 64(R2), [V12.B16, V13.B16, V14.B16, V15.B16]
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16

	// Weights l = 0..31 (bit pair 0 of qh[l]).
	AND16B(6, 0, 27)
	SHL16B(7, 4, 4)
	AND16B(7, 7, 28)
	ORR16B(6, 6, 7)
	SUB16B(6, 6, 29)
	DOT(16, 6, 8)
	AND16B(6, 1, 27)
	SHL16B(7, 5, 4)
	AND16B(7, 7, 28)
	ORR16B(6, 6, 7)
	SUB16B(6, 6, 29)
	DOT(17, 6, 9)
	// l + 32 (bit pair 1).
	AND16B(6, 2, 27)
	SHL16B(7, 4, 2)
	AND16B(7, 7, 28)
	ORR16B(6, 6, 7)
	SUB16B(6, 6, 29)
	DOT(18, 6, 10)
	AND16B(6, 3, 27)
	SHL16B(7, 5, 2)
	AND16B(7, 7, 28)
	ORR16B(6, 6, 7)
	SUB16B(6, 6, 29)
	DOT(19, 6, 11)
	// l + 64 (high nibbles of the first 32 bytes, bit pair 2).
	USHR16B(6, 0, 4)
	AND16B(7, 4, 28)
	ORR16B(6, 6, 7)
	SUB16B(6, 6, 29)
	DOT(20, 6, 12)
	USHR16B(6, 1, 4)
	AND16B(7, 5, 28)
	ORR16B(6, 6, 7)
	SUB16B(6, 6, 29)
	DOT(21, 6, 13)
	// l + 96 (bit pair 3).
	USHR16B(6, 2, 4)
	USHR16B(7, 4, 2)
	AND16B(7, 7, 28)
	ORR16B(6, 6, 7)
	SUB16B(6, 6, 29)
	DOT(22, 6, 14)
	USHR16B(6, 3, 4)
	USHR16B(7, 5, 2)
	AND16B(7, 7, 28)
	ORR16B(6, 6, 7)
	SUB16B(6, 6, 29)
	DOT(23, 6, 15)

	// Sub-block sums 0..3 to V24, 4..7 to V25; times the scales into V26.
	ADDP32(24, 16, 17)
	ADDP32(6, 18, 19)
	ADDP32(24, 24, 6)
	ADDP32(25, 20, 21)
	ADDP32(6, 22, 23)
	ADDP32(25, 25, 6)
	MOVD.P 8(R21), R7
	VMOV R7, V6.D[0]
	SXTL8(6, 6)
	SXTL2_16(7, 6)
	SXTL16(6, 6)
	MLA32(26, 24, 6)
	MLA32(26, 25, 7)
	SUBS $1, R6, R6
	BNE q6half

	SCVTF32(26, 26)
	FMOVS (R1), F7
	MOVHU 208(R0), R7
	FMOVS R7, F6
	FCVTHS F6, F6
	FMULS F7, F6, F6
	VDUP V6.S[0], V6.S4
	FMLA32(30, 26, 6)

	ADD $210, R0, R0
	ADD $292, R1, R1
	SUBS $1, R3, R3
	BNE q6block

	FSUM4(30)
	FMOVS F30, ret+24(FP)
	RET
