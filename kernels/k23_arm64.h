// Body of the Q2_K and Q3_K row kernels against Q8_K activations, included
// by k23_arm64.s once per type and variant with these macros set: DOT (see
// neon_arm64.h), the TEXT symbol K23FN, K23INIT (constants), K23SCALES
// (the block's sixteen sub-block scales as int32 in V20..V23, and for
// Q2_K the min term Σ bsum·min in the lanes of V29), QOFF (the offset of
// the 2-bit quants), K23HB(d, h, b) (empty, or adds bit b of the bytes of
// Vh to the 2-bit weights in Vd) and K23TAIL (adds the block's scaled sum
// in V28 to F30).
//
// Both formats keep 2 bits of each weight in 64 bytes: byte l of half h
// holds weights 128h+32j+l (l < 32) in bits 2j, 2j+1, with one scale per
// 16 weights (sub-block 8h+2j+l/16). Weights are unpacked one 32-byte half
// at a time (V0, V1), two values of j per step (V2, V3 and V6, V7), so
// that one step covers four consecutive sub-blocks: their integer dots are
// folded into one lane each and multiplied by their scales into V28.

// SH2(d, n, s): bits s and s+1 of the bytes of Vn as the bytes of Vd.
#define SH2(d, n, s) SHL16B(d, n, 6-(s)); USHR16B(d, d, 6)

// K23QUAD(s): the dots of the four sub-blocks in V2, V3, V6, V7 with the
// next 64 activations at R5, times the scales in Vs, added to V28.
#define K23QUAD(s) \
	VEOR V16.B16, V16.B16, V16.B16; \
	VEOR V17.B16, V17.B16, V17.B16; \
	VEOR V18.B16, V18.B16, V18.B16; \
	VEOR V19.B16, V19.B16, V19.B16; \
	VLD1.P 64(R5), [V8.B16, V9.B16, V10.B16, V11.B16]; \
	DOT(16, 2, 8); \
	DOT(17, 3, 9); \
	DOT(18, 6, 10); \
	DOT(19, 7, 11); \
	ADDP32(16, 16, 17); \
	ADDP32(18, 18, 19); \
	ADDP32(16, 16, 18); \
	MLA32(28, 16, s)

// K23UNPACK(d0, d1, j, b): weights of step j of the current half into Vd0
// (bytes 0..15) and Vd1 (16..31), high bit b for Q3_K.
#define K23UNPACK(d0, d1, j, b) \
	SH2(d0, 0, 2*(j)); \
	SH2(d1, 1, 2*(j)); \
	K23HB(d0, 4, b); \
	K23HB(d1, 5, b)

// K23HALF(h, sa, sb): half h of the block, scaled by Vsa and Vsb.
#define K23HALF(h, sa, sb) \
	ADD $(QOFF+32*(h)), R0, R4; \
	VLD1 (R4), [V0.B16, V1.B16]; \
	K23UNPACK(2, 3, 0, 4*(h)); \
	K23UNPACK(6, 7, 1, 4*(h)+1); \
	K23QUAD(sa); \
	K23UNPACK(2, 3, 2, 4*(h)+2); \
	K23UNPACK(6, 7, 3, 4*(h)+3); \
	K23QUAD(sb)

// func K23FN(w *byte, x *byte, nb int) float32
TEXT K23FN, NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nb+16(FP), R3
	K23INIT
	FMOVS ZR, F30

k23block:
	ADD $4, R1, R5
	K23SCALES
	VEOR V28.B16, V28.B16, V28.B16
	K23HALF(0, 20, 21)
	K23HALF(1, 22, 23)
	K23TAIL
	ADD $BLKSZ, R0, R0
	ADD $292, R1, R1
	SUBS $1, R3, R3
	BNE k23block

	FMOVS F30, ret+24(FP)
	RET

#undef SH2
#undef K23QUAD
#undef K23UNPACK
#undef K23HALF
