// Bodies of the Q8_0 and Q4_0 row kernels, included by dots_arm64.s once per
// variant with these macros set: DOT (see neon_arm64.h), Q8FN and/or Q4FN
// (the TEXT symbols of the kernels wanted) and, for Q4_0, XL0..XL3 and
// XH0..XH3: the registers, among V8..V15 holding 128 bytes of activations,
// with the quants of elements 0..15 and 16..31 of each of the four blocks.
//
// Both take groups of four blocks: the integer sums of the four blocks go to
// the lanes of one vector, are converted to float and multiplied by the
// four products of weight and activation scales, and accumulate in V24.

#ifdef Q8FN
// func Q8FN(w *byte, qs *byte, d *float32, ngroups int) float32
TEXT Q8FN, NOSPLIT, $0-36
	MOVD w+0(FP), R0
	MOVD qs+8(FP), R1
	MOVD d+16(FP), R2
	MOVD ngroups+24(FP), R3
	VEOR V24.B16, V24.B16, V24.B16

q8loop:
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VLD1.P 64(R1), [V8.B16, V9.B16, V10.B16, V11.B16]
	VLD1.P 64(R1), [V12.B16, V13.B16, V14.B16, V15.B16]
	MOVHU.P 2(R0), R4
	VLD1.P 32(R0), [V0.B16, V1.B16]
	MOVHU.P 2(R0), R5
	VLD1.P 32(R0), [V2.B16, V3.B16]
	MOVHU.P 2(R0), R6
	VLD1.P 32(R0), [V4.B16, V5.B16]
	MOVHU.P 2(R0), R7
	VLD1.P 32(R0), [V6.B16, V7.B16]
	VMOV R4, V20.H[0]
	VMOV R5, V20.H[1]
	VMOV R6, V20.H[2]
	VMOV R7, V20.H[3]
	DOT(16, 0, 8)
	DOT(16, 1, 9)
	DOT(17, 2, 10)
	DOT(17, 3, 11)
	DOT(18, 4, 12)
	DOT(18, 5, 13)
	DOT(19, 6, 14)
	DOT(19, 7, 15)
	ADDP32(16, 16, 17)
	ADDP32(18, 18, 19)
	ADDP32(16, 16, 18)
	SCVTF32(16, 16)
	FCVTL(20, 20)
	VLD1.P 16(R2), [V21.S4]
	FMUL32(20, 20, 21)
	FMLA32(24, 16, 20)
	SUBS $1, R3, R3
	BNE q8loop

	FSUM4(24)
	FMOVS F24, ret+32(FP)
	RET

#endif

#ifdef Q4FN
// func Q4FN(w *byte, qs *byte, d *float32, ngroups int) float32
TEXT Q4FN, NOSPLIT, $0-36
	MOVD w+0(FP), R0
	MOVD qs+8(FP), R1
	MOVD d+16(FP), R2
	MOVD ngroups+24(FP), R3
	VEOR V24.B16, V24.B16, V24.B16
	VMOVI $15, V25.B16
	VMOVI $8, V26.B16

q4loop:
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VLD1.P 64(R1), [V8.B16, V9.B16, V10.B16, V11.B16]
	VLD1.P 64(R1), [V12.B16, V13.B16, V14.B16, V15.B16]
	MOVHU.P 2(R0), R4
	VLD1.P 16(R0), [V0.B16]
	MOVHU.P 2(R0), R5
	VLD1.P 16(R0), [V1.B16]
	MOVHU.P 2(R0), R6
	VLD1.P 16(R0), [V2.B16]
	MOVHU.P 2(R0), R7
	VLD1.P 16(R0), [V3.B16]
	VMOV R4, V20.H[0]
	VMOV R5, V20.H[1]
	VMOV R6, V20.H[2]
	VMOV R7, V20.H[3]
	// Low nibbles (elements 0..15) to V4..V7, high ones (16..31) in place,
	// both minus 8.
	VAND V25.B16, V0.B16, V4.B16
	VAND V25.B16, V1.B16, V5.B16
	VAND V25.B16, V2.B16, V6.B16
	VAND V25.B16, V3.B16, V7.B16
	VUSHR $4, V0.B16, V0.B16
	VUSHR $4, V1.B16, V1.B16
	VUSHR $4, V2.B16, V2.B16
	VUSHR $4, V3.B16, V3.B16
	VSUB V26.B16, V4.B16, V4.B16
	VSUB V26.B16, V5.B16, V5.B16
	VSUB V26.B16, V6.B16, V6.B16
	VSUB V26.B16, V7.B16, V7.B16
	VSUB V26.B16, V0.B16, V0.B16
	VSUB V26.B16, V1.B16, V1.B16
	VSUB V26.B16, V2.B16, V2.B16
	VSUB V26.B16, V3.B16, V3.B16
	DOT(16, 4, XL0)
	DOT(16, 0, XH0)
	DOT(17, 5, XL1)
	DOT(17, 1, XH1)
	DOT(18, 6, XL2)
	DOT(18, 2, XH2)
	DOT(19, 7, XL3)
	DOT(19, 3, XH3)
	ADDP32(16, 16, 17)
	ADDP32(18, 18, 19)
	ADDP32(16, 16, 18)
	SCVTF32(16, 16)
	FCVTL(20, 20)
	VLD1.P 16(R2), [V21.S4]
	FMUL32(20, 20, 21)
	FMLA32(24, 16, 20)
	SUBS $1, R3, R3
	BNE q4loop

	FSUM4(24)
	FMOVS F24, ret+32(FP)
	RET
#endif
