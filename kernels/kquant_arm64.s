#include "textflag.h"
#include "neon_arm64.h"

// Q4_K, Q5_K and Q6_K row kernels (see kquant_arm64.h), with SDOT and
// without.

#define LOADQH
#define HIGHBITS
#define BLKSZ 144
#define QSOFF 16

#define DOT DOT_SDOT
#define Q45FN ·q4KDotSDOT(SB)
#include "kquant_arm64.h"
#define Q6FN ·q6KDotSDOT(SB)
#include "q6k_arm64.h"
#undef DOT
#undef Q45FN
#undef Q6FN

#define DOT DOT_NEON
#define Q45FN ·q4KDotNEON(SB)
#include "kquant_arm64.h"
#define Q6FN ·q6KDotNEON(SB)
#include "q6k_arm64.h"
#undef DOT
#undef Q45FN
#undef Q6FN

#undef LOADQH
#undef HIGHBITS
#undef BLKSZ
#undef QSOFF

// Q5_K: the fifth bit of weight l of chunk j is bit 2j (low nibble) or 2j+1
// (high nibble) of qh[l], l < 32. qh sits in V24 and V25 and moves down two
// bits per chunk; each bit is brought to bit 4 and ORed into the nibble.
#define LOADQH ADD $16, R0, R4; VLD1 (R4), [V24.B16, V25.B16]
#define HIGHBITS \
	SHL16B(26, 24, 7); USHR16B(26, 26, 3); ORR16B(12, 12, 26); \
	SHL16B(26, 25, 7); USHR16B(26, 26, 3); ORR16B(13, 13, 26); \
	USHR16B(26, 24, 1); SHL16B(26, 26, 7); USHR16B(26, 26, 3); ORR16B(14, 14, 26); \
	USHR16B(26, 25, 1); SHL16B(26, 26, 7); USHR16B(26, 26, 3); ORR16B(15, 15, 26); \
	USHR16B(24, 24, 2); USHR16B(25, 25, 2)
#define BLKSZ 176
#define QSOFF 48

#define DOT DOT_SDOT
#define Q45FN ·q5KDotSDOT(SB)
#include "kquant_arm64.h"
#undef DOT
#undef Q45FN

#define DOT DOT_NEON
#define Q45FN ·q5KDotNEON(SB)
#include "kquant_arm64.h"
