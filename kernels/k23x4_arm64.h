// Body of the four-token Q2_K and Q3_K kernels: one weight row against the
// Q8_K activations of four tokens, xStride bytes apart. Included by
// k23_arm64.s once per type and variant with the macros of the row kernel
// (k23_arm64.h) and K23X4FN (the TEXT symbol), X4SCALES (the scales as
// int32 in V20..V23, with any state X4MINS needs), X4MINS (empty, or the
// four tokens' Σ min·bsum in the lanes of V29), DOFF (the offset of d)
// and X4MINTERM (empty, or subtracts dmin·dy·V29 from the products in
// V10).
//
// Each step's four sub-blocks are unpacked once (V2, V3, V6, V7) and dotted
// with the four tokens in turn into V12..V15; at the end of a block these
// fold into one lane per token, and the float steps run on the four tokens
// at once, each lane rounding as the row kernel does, so every token's
// result equals the row kernel's bit for bit.

// X4SH2(d, n, s): bits s and s+1 of the bytes of Vn as the bytes of Vd.
#define X4SH2(d, n, s) SHL16B(d, n, 6-(s)); USHR16B(d, d, 6)

// X4UNPACK(d0, d1, j, b): weights of step j of the current half into Vd0
// (bytes 0..15) and Vd1 (16..31), high bit b for Q3_K.
#define X4UNPACK(d0, d1, j, b) \
	X4SH2(d0, 0, 2*(j)); \
	X4SH2(d1, 1, 2*(j)); \
	K23HB(d0, 4, b); \
	K23HB(d1, 5, b)

// X4TOK(xq, acc, s): the four sub-blocks' dots with the next 64
// activations of a token at Rxq, times the scales in Vs, added to Vacc.
#define X4TOK(xq, acc, s) \
	VEOR V16.B16, V16.B16, V16.B16; \
	VEOR V17.B16, V17.B16, V17.B16; \
	VEOR V18.B16, V18.B16, V18.B16; \
	VEOR V19.B16, V19.B16, V19.B16; \
	VLD1.P 64(xq), [V8.B16, V9.B16, V10.B16, V11.B16]; \
	DOT(16, 2, 8); \
	DOT(17, 3, 9); \
	DOT(18, 6, 10); \
	DOT(19, 7, 11); \
	ADDP32(16, 16, 17); \
	ADDP32(18, 18, 19); \
	ADDP32(16, 16, 18); \
	MLA32(acc, 16, s)

#define X4QUAD(s) \
	X4TOK(R19, 12, s); \
	X4TOK(R20, 13, s); \
	X4TOK(R21, 14, s); \
	X4TOK(R22, 15, s)

// X4HALF(h, sa, sb): half h of the block, scaled by Vsa and Vsb.
#define X4HALF(h, sa, sb) \
	ADD $(QOFF+32*(h)), R0, R4; \
	VLD1 (R4), [V0.B16, V1.B16]; \
	X4UNPACK(2, 3, 0, 4*(h)); \
	X4UNPACK(6, 7, 1, 4*(h)+1); \
	X4QUAD(sa); \
	X4UNPACK(2, 3, 2, 4*(h)+2); \
	X4UNPACK(6, 7, 3, 4*(h)+3); \
	X4QUAD(sb)

// func K23X4FN(w *byte, x *byte, nb int, xStride int, out *[4]float32)
TEXT K23X4FN, NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nb+16(FP), R3
	MOVD xStride+24(FP), R2
	MOVD out+32(FP), R10
	ADD R2, R1, R7
	ADD R2, R7, R8
	ADD R2, R8, R9
	K23INIT
	VEOR V30.B16, V30.B16, V30.B16

k23x4block:
	ADD $4, R1, R19
	ADD $4, R7, R20
	ADD $4, R8, R21
	ADD $4, R9, R22
	X4SCALES
	X4MINS
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	X4HALF(0, 20, 21)
	X4HALF(1, 22, 23)

	// One lane per token: the integer sums (V12), the tokens' scales dy
	// (V8), d·dy (V10), and the block's contribution added to V30.
	ADDP32(12, 12, 13)
	ADDP32(14, 14, 15)
	ADDP32(12, 12, 14)
	SCVTF32(12, 12)
	MOVWU (R1), R4
	VMOV R4, V8.S[0]
	MOVWU (R7), R4
	VMOV R4, V8.S[1]
	MOVWU (R8), R4
	VMOV R4, V8.S[2]
	MOVWU (R9), R4
	VMOV R4, V8.S[3]
	MOVHU DOFF(R0), R4
	FMOVS R4, F10
	FCVTHS F10, F10
	VDUP V10.S[0], V10.S4
	FMUL32(10, 10, 8)
	FMUL32(10, 10, 12)
	X4MINTERM
	FADD32(30, 30, 10)

	ADD $BLKSZ, R0, R0
	ADD $292, R1, R1
	ADD $292, R7, R7
	ADD $292, R8, R8
	ADD $292, R9, R9
	SUBS $1, R3, R3
	BNE k23x4block

	VST1 [V30.S4], (R10)
	RET

#undef X4SH2
#undef X4UNPACK
#undef X4TOK
#undef X4QUAD
#undef X4HALF
