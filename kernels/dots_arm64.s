#include "textflag.h"
#include "neon_arm64.h"

// Q8_0 and Q4_0 row kernels (see q8_arm64.h), with SDOT and without.

#define DOT DOT_SDOT
#define Q8FN ·q8_0DotSDOT(SB)
#define Q4FN ·q4_0DotILSDOT(SB)
// Interleaved pairs: block 2k's halves at +0 and +32, block 2k+1's at +16
// and +48 of each 64 bytes.
#define XL0 8
#define XH0 10
#define XL1 9
#define XH1 11
#define XL2 12
#define XH2 14
#define XL3 13
#define XH3 15
#include "q8_arm64.h"
#undef DOT
#undef Q8FN
#undef Q4FN

#define DOT DOT_NEON
#define Q8FN ·q8_0DotNEON(SB)
#define Q4FN ·q4_0DotILNEON(SB)
#include "q8_arm64.h"
#undef DOT
#undef Q8FN
#undef Q4FN

#undef XL0
#undef XH0
#undef XL1
#undef XH1
#undef XL2
#undef XH2
#undef XL3
#undef XH3

// Four-token Q8_0 and Q4_0 kernels (see q8x4_arm64.h).

#define DOT DOT_SDOT
#define Q8X4FN ·q8_0DotX4SDOT(SB)
#define Q4X4FN ·q4_0DotILX4SDOT(SB)
#include "q8x4_arm64.h"
#undef DOT
#undef Q8X4FN
#undef Q4X4FN

#define DOT DOT_NEON
#define Q8X4FN ·q8_0DotX4NEON(SB)
#define Q4X4FN ·q4_0DotILX4NEON(SB)
#include "q8x4_arm64.h"
#undef DOT
#undef Q8X4FN
#undef Q4X4FN

// func f32DotNEON(w *byte, x *float32, n int) float32
// n is a positive multiple of 16.
TEXT ·f32DotNEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16

f32loop:
	VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMLA32(16, 0, 4)
	FMLA32(17, 1, 5)
	FMLA32(18, 2, 6)
	FMLA32(19, 3, 7)
	SUBS $16, R2, R2
	BNE f32loop

	FADD32(16, 16, 17)
	FADD32(18, 18, 19)
	FADD32(16, 16, 18)
	FSUM4(16)
	FMOVS F16, ret+24(FP)
	RET

// func f16DotNEON(w *byte, x *float32, n int) float32
// n is a positive multiple of 16.
TEXT ·f16DotNEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16

f16loop:
	VLD1.P 32(R0), [V0.H8, V1.H8]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	FCVTL(2, 0)
	FCVTL2(3, 0)
	FCVTL(8, 1)
	FCVTL2(9, 1)
	FMLA32(16, 2, 4)
	FMLA32(17, 3, 5)
	FMLA32(18, 8, 6)
	FMLA32(19, 9, 7)
	SUBS $16, R2, R2
	BNE f16loop

	FADD32(16, 16, 17)
	FADD32(18, 18, 19)
	FADD32(16, 16, 18)
	FSUM4(16)
	FMOVS F16, ret+24(FP)
	RET

// func bf16DotNEON(w *byte, x *float32, n int) float32
// n is a positive multiple of 16. A bfloat16 is the top half of a float32.
TEXT ·bf16DotNEON(SB), NOSPLIT, $0-28
	MOVD w+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16

bf16loop:
	VLD1.P 32(R0), [V0.H8, V1.H8]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	SHLL16(2, 0)
	SHLL2_16(3, 0)
	SHLL16(8, 1)
	SHLL2_16(9, 1)
	FMLA32(16, 2, 4)
	FMLA32(17, 3, 5)
	FMLA32(18, 8, 6)
	FMLA32(19, 9, 7)
	SUBS $16, R2, R2
	BNE bf16loop

	FADD32(16, 16, 17)
	FADD32(18, 18, 19)
	FADD32(16, 16, 18)
	FSUM4(16)
	FMOVS F16, ret+24(FP)
	RET

// func readSumNEON(p *byte, n int) uint64
// n is a positive multiple of 64.
TEXT ·readSumNEON(SB), NOSPLIT, $0-24
	MOVD p+0(FP), R0
	MOVD n+8(FP), R1
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16

rsloop:
	VLD1.P 64(R0), [V0.B16, V1.B16, V2.B16, V3.B16]
	VEOR V0.B16, V16.B16, V16.B16
	VEOR V1.B16, V17.B16, V17.B16
	VEOR V2.B16, V18.B16, V18.B16
	VEOR V3.B16, V19.B16, V19.B16
	SUBS $64, R1, R1
	BNE rsloop

	VEOR V17.B16, V16.B16, V16.B16
	VEOR V19.B16, V18.B16, V18.B16
	VEOR V18.B16, V16.B16, V16.B16
	VMOV V16.D[0], R2
	VMOV V16.D[1], R3
	EOR R3, R2, R2
	MOVD R2, ret+16(FP)
	RET
