// Body of the Q4_1, Q5_0 and Q5_1 row kernels, one 32-weight block per
// step, included by legacy_arm64.s once per type and variant with these
// macros set: DOT (see neon_arm64.h), the TEXT symbol LEGFN, WBS and XBS
// (the weight and activation block sizes), WQOFF and XQOFF (the offsets of
// their quants), FIFTH (empty, or adds the fifth bits to V2 and V3) and
// OFFSET (empty, or subtracts 16 from V2 and V3).
//
// Q4_1 and Q5_1 blocks carry a min m: their dot is d·dy·Σq·y + m·sy, where
// the Q8_1 activations hold sy = dy·Σy. Q5_0 has no min and is centred by
// subtracting 16 from each weight.

// func LEGFN(w *byte, x *byte, nb int) float32
TEXT LEGFN, NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD nb+16(FP), R3
	VMOVI $15, V27.B16
	VMOVI $16, V26.B16
	// V23: bit i%8 in byte i; V24, V25: TBL indices picking byte i/8 of qh
	// for weights 0..15 and 16..31.
	MOVD $0x8040201008040201, R6
	VMOV R6, V23.D[0]
	VMOV R6, V23.D[1]
	MOVD $0x0101010101010101, R6
	VMOV ZR, V24.D[0]
	VMOV R6, V24.D[1]
	MOVD $0x0202020202020202, R7
	VMOV R7, V25.D[0]
	ADD R6, R7, R7
	VMOV R7, V25.D[1]
	VEOR V30.B16, V30.B16, V30.B16
	FMOVS ZR, F29

legloop:
	ADD $WQOFF, R0, R4
	VLD1 (R4), [V0.B16]
	ADD $XQOFF, R1, R5
	VLD1 (R5), [V8.B16, V9.B16]
	AND16B(2, 0, 27)
	USHR16B(3, 0, 4)
	FIFTH
	OFFSET
	VEOR V16.B16, V16.B16, V16.B16
	DOT(16, 2, 8)
	DOT(16, 3, 9)
	SCVTF32(16, 16)
	MOVHU (R0), R6
	FMOVS R6, F10
	FCVTHS F10, F10
	MOVHU (R1), R6
	FMOVS R6, F11
	FCVTHS F11, F11
	FMULS F10, F11, F12
	VDUP V12.S[0], V12.S4
	FMLA32(30, 16, 12)
	MINTERM
	ADD $WBS, R0, R0
	ADD $XBS, R1, R1
	SUBS $1, R3, R3
	BNE legloop

	FSUM4(30)
	FADDS F29, F30, F30
	FMOVS F30, ret+24(FP)
	RET
