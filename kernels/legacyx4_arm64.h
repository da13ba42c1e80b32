// Body of the four-token Q4_1, Q5_0 and Q5_1 kernels: one weight row
// against four activation rows xStride bytes apart. Included by
// legacyx4_arm64.s once per type and variant with the macros of the row
// kernel (legacy_arm64.h: DOT, WBS, XBS, WQOFF, XQOFF, FIFTH, OFFSET) and
// LEGX4FN (the TEXT symbol), WMIN and XMIN (empty for Q5_0).
//
// Each block's weights are unpacked once into V2 and V3 and dotted with
// the four tokens in turn. Every token keeps its own four float lanes
// (V17..V20) and min sum (V21, V22, V28, V29), updated in the same order
// as the row kernel does, so each result equals the row kernel's bit for
// bit.

// X4TOK(xp, acc, macc): the block of the token at Rxp, its scaled integer
// sum added to the lanes of Vacc and its min term to macc (an F register).
#define X4TOK(xp, acc, macc) \
	ADD $XQOFF, xp, R5; \
	VLD1 (R5), [V8.B16, V9.B16]; \
	VEOR V16.B16, V16.B16, V16.B16; \
	DOT(16, 2, 8); \
	DOT(16, 3, 9); \
	SCVTF32(16, 16); \
	MOVHU (xp), R6; \
	FMOVS R6, F11; \
	FCVTHS F11, F11; \
	FMULS F10, F11, F12; \
	VDUP V12.S[0], V12.S4; \
	FMLA32(acc, 16, 12); \
	XMIN(xp, macc)

// X4OUT(acc, facc, macc, off): the result of a token (lanes Vacc, named
// facc as a scalar) plus its min sum macc, into out at byte offset off.
#define X4OUT(acc, facc, macc, off) \
	FSUM4(acc); \
	FADDS macc, facc, facc; \
	FMOVS facc, off(R10)

// func LEGX4FN(w *byte, x *byte, nb int, xStride int, out *[4]float32)
TEXT LEGX4FN, NOSPLIT, $0-40
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nb+16(FP), R3
	MOVD xStride+24(FP), R2
	MOVD out+32(FP), R10
	ADD R2, R1, R7
	ADD R2, R7, R8
	ADD R2, R8, R9
	VMOVI $15, V27.B16
	VMOVI $16, V26.B16
	// V23: bit i%8 in byte i; V24, V25: TBL indices picking byte i/8 of qh
	// for weights 0..15 and 16..31 (as in the row kernel).
	MOVD $0x8040201008040201, R6
	VMOV R6, V23.D[0]
	VMOV R6, V23.D[1]
	MOVD $0x0101010101010101, R6
	VMOV ZR, V24.D[0]
	VMOV R6, V24.D[1]
	MOVD $0x0202020202020202, R11
	VMOV R11, V25.D[0]
	ADD R6, R11, R11
	VMOV R11, V25.D[1]
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V28.B16, V28.B16, V28.B16
	VEOR V29.B16, V29.B16, V29.B16

legx4loop:
	ADD $WQOFF, R0, R4
	VLD1 (R4), [V0.B16]
	AND16B(2, 0, 27)
	USHR16B(3, 0, 4)
	FIFTH
	OFFSET
	MOVHU (R0), R6
	FMOVS R6, F10
	FCVTHS F10, F10
	WMIN
	X4TOK(R1, 17, F21)
	X4TOK(R7, 18, F22)
	X4TOK(R8, 19, F28)
	X4TOK(R9, 20, F29)
	ADD $WBS, R0, R0
	ADD $XBS, R1, R1
	ADD $XBS, R7, R7
	ADD $XBS, R8, R8
	ADD $XBS, R9, R9
	SUBS $1, R3, R3
	BNE legx4loop

	X4OUT(17, F17, F21, 0)
	X4OUT(18, F18, F22, 4)
	X4OUT(19, F19, F28, 8)
	X4OUT(20, F20, F29, 12)
	RET

#undef X4TOK
#undef X4OUT
