// Body of the four-token Q4_K and Q5_K kernels: one weight row against the
// Q8_K activations of four tokens, xStride bytes apart. Included by
// kquantx4_arm64.s once per type and variant with DOT (see neon_arm64.h),
// the TEXT symbol Q45X4FN, BLKSZ, QSOFF, LOADQH and HIGHBITS set as for the
// row kernel (kquant_arm64.h).
//
// Each 32-byte chunk of 4-bit quants is unpacked once (V12..V15: two
// sub-blocks of 32) and multiplied with the four tokens in turn; the
// partial sums are folded so that each lane holds one token, then scaled
// by the sub-block's 6-bit scale (MLA by element) into V28. The float
// accumulator V30 keeps the four results in token order.

// X4CHUNK(s, ilo, ihi): the next chunk, its sub-blocks scaled by lanes ilo
// and ihi of Vs.
#define X4CHUNK(s, ilo, ihi) \
	VLD1.P 32(R19), [V0.B16, V1.B16]; \
	AND16B(12, 0, 27); \
	AND16B(13, 1, 27); \
	USHR16B(14, 0, 4); \
	USHR16B(15, 1, 4); \
	HIGHBITS; \
	VEOR V16.B16, V16.B16, V16.B16; \
	VEOR V17.B16, V17.B16, V17.B16; \
	VEOR V18.B16, V18.B16, V18.B16; \
	VEOR V19.B16, V19.B16, V19.B16; \
	VEOR V20.B16, V20.B16, V20.B16; \
	VEOR V21.B16, V21.B16, V21.B16; \
	VEOR V22.B16, V22.B16, V22.B16; \
	VEOR V23.B16, V23.B16, V23.B16; \
	VLD1.P 64(R7), [V8.B16, V9.B16, V10.B16, V11.B16]; \
	DOT(16, 12, 8); \
	DOT(16, 13, 9); \
	DOT(20, 14, 10); \
	DOT(20, 15, 11); \
	VLD1.P 64(R8), [V8.B16, V9.B16, V10.B16, V11.B16]; \
	DOT(17, 12, 8); \
	DOT(17, 13, 9); \
	DOT(21, 14, 10); \
	DOT(21, 15, 11); \
	VLD1.P 64(R9), [V8.B16, V9.B16, V10.B16, V11.B16]; \
	DOT(18, 12, 8); \
	DOT(18, 13, 9); \
	DOT(22, 14, 10); \
	DOT(22, 15, 11); \
	VLD1.P 64(R10), [V8.B16, V9.B16, V10.B16, V11.B16]; \
	DOT(19, 12, 8); \
	DOT(19, 13, 9); \
	DOT(23, 14, 10); \
	DOT(23, 15, 11); \
	ADDP32(16, 16, 17); \
	ADDP32(18, 18, 19); \
	ADDP32(16, 16, 18); \
	ADDP32(20, 20, 21); \
	ADDP32(22, 22, 23); \
	ADDP32(20, 20, 22); \
	MLAE32(28, 16, s, ilo); \
	MLAE32(28, 20, s, ihi)

// X4MINS(x, v): the sums of the activations of each 32-weight sub-block of
// the token whose block starts at Rx, times the mins (V4), into Vv (the
// token's total is the sum of the lanes).
#define X4MINS(x, v) \
	ADD $260, x, R4; \
	VLD1 (R4), [V8.H8, V9.H8]; \
	ADDP16(8, 8, 9); \
	SMULL16(v, 8, 4); \
	SMLAL2_16(v, 8, 4)

// func Q45X4FN(w *byte, x *byte, nb int, xStride int, out *[4]float32)
TEXT Q45X4FN, NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD x+8(FP), R20
	MOVD nb+16(FP), R3
	MOVD xStride+24(FP), R2
	MOVD out+32(FP), R6
	ADD R2, R20, R21
	ADD R2, R21, R22
	ADD R2, R22, R23
	MOVW $0x3f3f3f3f, R24
	MOVW $0x0f0f0f0f, R25
	MOVW $0x03030303, R17
	VMOVI $15, V27.B16
	VEOR V30.B16, V30.B16, V30.B16

q45x4block:
	ADD $QSOFF, R0, R19
	ADD $4, R20, R7
	ADD $4, R21, R8
	ADD $4, R22, R9
	ADD $4, R23, R10
	LOADQH

	// The eight 6-bit scales (V2: 0..3, V3: 4..7, int32) and mins (V4,
	// int16) packed in 12 bytes.
	MOVWU 4(R0), R4
	MOVWU 8(R0), R5
	MOVWU 12(R0), R11
	AND R24, R4, R12
	AND R24, R5, R13
	AND R25, R11, R14
	LSR $6, R4, R15
	AND R17, R15, R15
	ORR R15<<4, R14, R14
	LSR $4, R11, R16
	AND R25, R16, R16
	LSR $6, R5, R15
	AND R17, R15, R15
	ORR R15<<4, R16, R16
	ORR R14<<32, R12, R12
	ORR R16<<32, R13, R13
	VMOV R12, V2.D[0]
	VMOV R13, V4.D[0]
	UXTL8(2, 2)
	UXTL2_16(3, 2)
	UXTL16(2, 2)
	UXTL8(4, 4)

	VEOR V28.B16, V28.B16, V28.B16
	X4CHUNK(2, 0, 1)
	X4CHUNK(2, 2, 3)
	X4CHUNK(3, 0, 1)
	X4CHUNK(3, 2, 3)

	X4MINS(R20, 16)
	X4MINS(R21, 17)
	X4MINS(R22, 18)
	X4MINS(R23, 19)
	ADDP32(16, 16, 17)
	ADDP32(18, 18, 19)
	ADDP32(16, 16, 18)
	SCVTF32(16, 16)
	SCVTF32(28, 28)

	// The tokens' scales (V5), times d (V10) and -dmin (V11).
	MOVWU (R20), R4
	VMOV R4, V5.S[0]
	MOVWU (R21), R4
	VMOV R4, V5.S[1]
	MOVWU (R22), R4
	VMOV R4, V5.S[2]
	MOVWU (R23), R4
	VMOV R4, V5.S[3]
	MOVHU (R0), R4
	FMOVS R4, F10
	FCVTHS F10, F10
	MOVHU 2(R0), R4
	FMOVS R4, F11
	FCVTHS F11, F11
	FNEGS F11, F11
	VDUP V10.S[0], V10.S4
	VDUP V11.S[0], V11.S4
	FMUL32(10, 10, 5)
	FMUL32(11, 11, 5)
	FMLA32(30, 28, 10)
	FMLA32(30, 16, 11)

	ADD $BLKSZ, R0, R0
	ADD $292, R20, R20
	ADD $292, R21, R21
	ADD $292, R22, R22
	ADD $292, R23, R23
	SUBS $1, R3, R3
	BNE q45x4block

	VST1 [V30.S4], (R6)
	RET

#undef X4CHUNK
#undef X4MINS
