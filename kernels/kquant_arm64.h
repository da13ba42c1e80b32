// Body of the Q4_K and Q5_K row kernels against Q8_K activations, included
// by kquant_arm64.s once per type and variant with these macros set: DOT
// (see neon_arm64.h), the TEXT symbol Q45FN, BLKSZ and QSOFF (the block size
// and the offset of its 4-bit quants), LOADQH and HIGHBITS (empty for Q4_K;
// for Q5_K they load the fifth bits and add them to the nibbles of one
// 32-weight chunk).
//
// Q8_K block: d (float32), 256 int8 quants, 16 int16 sums of 16 quants.

// KNIBBLES(wa, wb) loads the next 64 activations at R2 into V8..V11 and
// splits the 32 bytes of 4-bit quants in Vwa and Vwb into V12, V13 (low
// nibbles: one sub-block) and V14, V15 (high nibbles: the next); HIGHBITS
// may then add fifth bits, and KDOT(lo, hi) multiplies them into the
// accumulators Vlo and Vhi.
#define KNIBBLES(wa, wb) \
	VLD1.P 64(R2), [V8.B16, V9.B16, V10.B16, V11.B16]; \
	AND16B(12, wa, 27); \
	AND16B(13, wb, 27); \
	USHR16B(14, wa, 4); \
	USHR16B(15, wb, 4)
#define KDOT(lo, hi) \
	DOT(lo, 12, 8); \
	DOT(lo, 13, 9); \
	DOT(hi, 14, 10); \
	DOT(hi, 15, 11)

// func Q45FN(w *byte, x *byte, nb int) float32
TEXT Q45FN, NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nb+16(FP), R3
	MOVW $0x3f3f3f3f, R10
	MOVW $0x0f0f0f0f, R11
	MOVW $0x03030303, R12
	VMOVI $15, V27.B16
	VEOR V30.B16, V30.B16, V30.B16

q45block:
	ADD $QSOFF, R0, R19
	ADD $4, R1, R2
	VLD1.P 64(R19), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1 (R19), [V4.B16, V5.B16, V6.B16, V7.B16]
	LOADQH
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	KNIBBLES(0, 1)
	HIGHBITS
	KDOT(16, 17)
	KNIBBLES(2, 3)
	HIGHBITS
	KDOT(18, 19)
	KNIBBLES(4, 5)
	HIGHBITS
	KDOT(20, 21)
	KNIBBLES(6, 7)
	HIGHBITS
	KDOT(22, 23)
	// Sub-block sums 0..3 to V24, 4..7 to V25.
	ADDP32(24, 16, 17)
	ADDP32(25, 18, 19)
	ADDP32(24, 24, 25)
	ADDP32(25, 20, 21)
	ADDP32(26, 22, 23)
	ADDP32(25, 25, 26)

	// The eight 6-bit scales (R7) and mins (R8) packed in 12 bytes.
	MOVWU 4(R0), R4
	MOVWU 8(R0), R5
	MOVWU 12(R0), R6
	AND R10, R4, R7
	AND R10, R5, R8
	AND R11, R6, R9
	LSR $6, R4, R13
	AND R12, R13, R13
	ORR R13<<4, R9, R9
	LSR $4, R6, R14
	AND R11, R14, R14
	LSR $6, R5, R13
	AND R12, R13, R13
	ORR R13<<4, R14, R14
	ORR R9<<32, R7, R7
	ORR R14<<32, R8, R8
	VMOV R7, V12.D[0]
	VMOV R8, V14.D[0]
	UXTL8(12, 12)
	UXTL2_16(13, 12)
	UXTL16(12, 12)
	UXTL8(14, 14)
	MUL32(24, 24, 12)
	MLA32(24, 25, 13)
	SCVTF32(24, 24)

	// Mins times the sums of the activations of each sub-block.
	ADD $260, R1, R4
	VLD1 (R4), [V8.H8, V9.H8]
	ADDP16(8, 8, 9)
	SMULL16(15, 8, 14)
	SMLAL2_16(15, 8, 14)
	SCVTF32(15, 15)

	// d·dx and -dmin·dx.
	FMOVS (R1), F9
	MOVHU (R0), R4
	FMOVS R4, F10
	FCVTHS F10, F10
	MOVHU 2(R0), R4
	FMOVS R4, F11
	FCVTHS F11, F11
	FMULS F9, F10, F10
	FMULS F9, F11, F11
	FNEGS F11, F11
	VDUP V10.S[0], V10.S4
	VDUP V11.S[0], V11.S4
	FMLA32(30, 24, 10)
	FMLA32(30, 15, 11)

	ADD $BLKSZ, R0, R0
	ADD $292, R1, R1
	SUBS $1, R3, R3
	BNE q45block

	FSUM4(30)
	FMOVS F30, ret+24(FP)
	RET

#undef KNIBBLES
#undef KDOT
