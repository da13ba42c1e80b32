// Bodies of the four-token Q8_0 and Q4_0 kernels: one weight row against
// tokens 0..3 of the activations, qsStride bytes of quants and dStride
// bytes of scales apart. Included by dots_arm64.s once per variant with DOT
// (see neon_arm64.h) and the TEXT symbols Q8X4FN and Q4X4FN set.
//
// The weights are loaded and unpacked once per block; each token's integer
// block sum goes to its own lane, so the float accumulator V30 holds the
// four results in token order and needs no final reduction.

// func Q8X4FN(w *byte, qs *byte, d *float32, nb int, qsStride, dStride int, out *[4]float32)
// One block per step; nb ≥ 1.
TEXT Q8X4FN, NOSPLIT, $0-56
	MOVD w+0(FP), R0
	MOVD qs+8(FP), R1
	MOVD d+16(FP), R2
	MOVD nb+24(FP), R3
	MOVD qsStride+32(FP), R4
	MOVD dStride+40(FP), R5
	MOVD out+48(FP), R6
	ADD R4, R1, R7
	ADD R4, R7, R8
	ADD R4, R8, R9
	ADD R5, R2, R10
	ADD R5, R10, R11
	ADD R5, R11, R12
	VEOR V30.B16, V30.B16, V30.B16

q8x4loop:
	MOVHU.P 2(R0), R13
	VLD1.P 32(R0), [V0.B16, V1.B16]
	VLD1.P 32(R1), [V8.B16, V9.B16]
	VLD1.P 32(R7), [V10.B16, V11.B16]
	VLD1.P 32(R8), [V12.B16, V13.B16]
	VLD1.P 32(R9), [V14.B16, V15.B16]
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	DOT(16, 0, 8)
	DOT(16, 1, 9)
	DOT(17, 0, 10)
	DOT(17, 1, 11)
	DOT(18, 0, 12)
	DOT(18, 1, 13)
	DOT(19, 0, 14)
	DOT(19, 1, 15)
	MOVWU.P 4(R2), R15
	MOVWU.P 4(R10), R19
	MOVWU.P 4(R11), R20
	MOVWU.P 4(R12), R21
	VMOV R15, V21.S[0]
	VMOV R19, V21.S[1]
	VMOV R20, V21.S[2]
	VMOV R21, V21.S[3]
	VMOV R13, V22.H[0]
	FCVTL(22, 22)
	VDUP V22.S[0], V22.S4
	FMUL32(21, 21, 22)
	ADDP32(16, 16, 17)
	ADDP32(18, 18, 19)
	ADDP32(16, 16, 18)
	SCVTF32(16, 16)
	FMLA32(30, 16, 21)
	SUBS $1, R3, R3
	BNE q8x4loop

	VST1 [V30.S4], (R6)
	RET

// func Q4X4FN(w *byte, qs *byte, d *float32, npairs int, qsStride, dStride int, out *[4]float32)
// One pair of blocks per step against interleaved activations; npairs ≥ 1.
TEXT Q4X4FN, NOSPLIT, $0-56
	MOVD w+0(FP), R0
	MOVD qs+8(FP), R1
	MOVD d+16(FP), R2
	MOVD npairs+24(FP), R3
	MOVD qsStride+32(FP), R4
	MOVD dStride+40(FP), R5
	MOVD out+48(FP), R6
	ADD R4, R1, R7
	ADD R4, R7, R8
	ADD R4, R8, R9
	ADD R5, R2, R10
	ADD R5, R10, R11
	ADD R5, R11, R12
	VMOVI $15, V26.B16
	VMOVI $8, V27.B16
	VEOR V30.B16, V30.B16, V30.B16

q4x4loop:
	MOVHU.P 2(R0), R13
	VLD1.P 16(R0), [V0.B16]
	MOVHU.P 2(R0), R14
	VLD1.P 16(R0), [V1.B16]
	// Block 0: V2 (elements 0..15), V3 (16..31); block 1: V4, V5; minus 8.
	AND16B(2, 0, 26)
	USHR16B(3, 0, 4)
	AND16B(4, 1, 26)
	USHR16B(5, 1, 4)
	SUB16B(2, 2, 27)
	SUB16B(3, 3, 27)
	SUB16B(4, 4, 27)
	SUB16B(5, 5, 27)
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	// Per token: block 0 into V16+t, block 1 into V20+t.
	VLD1.P 64(R1), [V8.B16, V9.B16, V10.B16, V11.B16]
	DOT(16, 2, 8)
	DOT(16, 3, 10)
	DOT(20, 4, 9)
	DOT(20, 5, 11)
	VLD1.P 64(R7), [V12.B16, V13.B16, V14.B16, V15.B16]
	DOT(17, 2, 12)
	DOT(17, 3, 14)
	DOT(21, 4, 13)
	DOT(21, 5, 15)
	VLD1.P 64(R8), [V8.B16, V9.B16, V10.B16, V11.B16]
	DOT(18, 2, 8)
	DOT(18, 3, 10)
	DOT(22, 4, 9)
	DOT(22, 5, 11)
	VLD1.P 64(R9), [V12.B16, V13.B16, V14.B16, V15.B16]
	DOT(19, 2, 12)
	DOT(19, 3, 14)
	DOT(23, 4, 13)
	DOT(23, 5, 15)
	// Activation scales of block 0 (V24) and block 1 (V25) per token.
	MOVWU.P 4(R2), R15
	MOVWU.P 4(R2), R19
	VMOV R15, V24.S[0]
	VMOV R19, V25.S[0]
	MOVWU.P 4(R10), R15
	MOVWU.P 4(R10), R19
	VMOV R15, V24.S[1]
	VMOV R19, V25.S[1]
	MOVWU.P 4(R11), R15
	MOVWU.P 4(R11), R19
	VMOV R15, V24.S[2]
	VMOV R19, V25.S[2]
	MOVWU.P 4(R12), R15
	MOVWU.P 4(R12), R19
	VMOV R15, V24.S[3]
	VMOV R19, V25.S[3]
	VMOV R13, V28.H[0]
	VMOV R14, V28.H[1]
	FCVTL(28, 28)
	VDUP V28.S[0], V29.S4
	VDUP V28.S[1], V28.S4
	FMUL32(24, 24, 29)
	FMUL32(25, 25, 28)
	ADDP32(16, 16, 17)
	ADDP32(18, 18, 19)
	ADDP32(16, 16, 18)
	ADDP32(20, 20, 21)
	ADDP32(22, 22, 23)
	ADDP32(20, 20, 22)
	SCVTF32(16, 16)
	SCVTF32(20, 20)
	FMLA32(30, 16, 24)
	FMLA32(30, 20, 25)
	SUBS $1, R3, R3
	BNE q4x4loop

	VST1 [V30.S4], (R6)
	RET
