#include "textflag.h"
#include "neon_arm64.h"

// Four-token Q4_1, Q5_0 and Q5_1 kernels (see legacyx4_arm64.h) against
// Q8_1 (Q4_1, Q5_1) and Q8_0 (Q5_0) activations, with SDOT and without.

// TBL Vd.16B, {Vn.16B}, Vm.16B
#define TBL1(d, n, m) ENC3(0x4E000000, d, n, m)
// CMTST Vd.16B, Vn.16B, Vm.16B
#define CMTST8(d, n, m) ENC3(0x4E208C00, d, n, m)

// WMIN loads the weight block's min m into F13; XMIN(xp, macc) adds m·sy
// of the token block at Rxp to macc (an F register).
#define WMIN MOVHU 2(R0), R6; FMOVS R6, F13; FCVTHS F13, F13
#define XMIN(xp, macc) \
	MOVHU 2(xp), R6; FMOVS R6, F14; FCVTHS F14, F14; \
	FMULS F13, F14, F15; FADDS F15, macc, macc

// QHBITS(off): bit i of the 32-bit qh at offset off of the weight block
// goes to bit 4 of weight i (V2: weights 0..15, V3: 16..31).
#define QHBITS(off) \
	MOVWU off(R0), R6; VMOV R6, V4.S[0]; \
	TBL1(5, 4, 24); TBL1(6, 4, 25); \
	CMTST8(5, 5, 23); CMTST8(6, 6, 23); \
	AND16B(5, 5, 26); AND16B(6, 6, 26); \
	ORR16B(2, 2, 5); ORR16B(3, 3, 6)

// Q4_1: d, m, 16 bytes of nibbles; Q8_1: d, s, 32 quants.
#define WBS 20
#define XBS 36
#define WQOFF 4
#define XQOFF 4
#define FIFTH
#define OFFSET
#define DOT DOT_SDOT
#define LEGX4FN ·q4_1DotX4SDOT(SB)
#include "legacyx4_arm64.h"
#undef DOT
#undef LEGX4FN
#define DOT DOT_NEON
#define LEGX4FN ·q4_1DotX4NEON(SB)
#include "legacyx4_arm64.h"
#undef DOT
#undef LEGX4FN
#undef WBS
#undef WQOFF
#undef FIFTH

// Q5_1: d, m, qh, 16 bytes of nibbles.
#define WBS 24
#define WQOFF 8
#define FIFTH QHBITS(4)
#define DOT DOT_SDOT
#define LEGX4FN ·q5_1DotX4SDOT(SB)
#include "legacyx4_arm64.h"
#undef DOT
#undef LEGX4FN
#define DOT DOT_NEON
#define LEGX4FN ·q5_1DotX4NEON(SB)
#include "legacyx4_arm64.h"
#undef DOT
#undef LEGX4FN
#undef WBS
#undef XBS
#undef WQOFF
#undef XQOFF
#undef FIFTH
#undef OFFSET
#undef WMIN
#undef XMIN

// Q5_0: d, qh, 16 bytes of nibbles, weights centred by 16; Q8_0: d, 32
// quants. No min: the min sums stay zero.
#define WBS 22
#define XBS 34
#define WQOFF 6
#define XQOFF 2
#define FIFTH QHBITS(2)
#define OFFSET SUB16B(2, 2, 26); SUB16B(3, 3, 26)
#define WMIN
#define XMIN(xp, macc)
#define DOT DOT_SDOT
#define LEGX4FN ·q5_0DotX4SDOT(SB)
#include "legacyx4_arm64.h"
#undef DOT
#undef LEGX4FN
#define DOT DOT_NEON
#define LEGX4FN ·q5_0DotX4NEON(SB)
#include "legacyx4_arm64.h"
